"""Zeek's other standard logs, recognised by their fields when no path is declared.

``LogAscii::use_json=T`` writes no ``_path``, and many logs have no connection id
(``id.orig_h``): software, x509, known_hosts, known_services, stats … Their entries
are Zeek's all the same and are stored whole in ``base_event`` (nothing maps them to
an OCSF class), with ``metadata.log_name`` set to the log recognised here, so that a
folder of a sensor's JSON logs imports without an unknown-format error.

Each signature lists fields that log always writes (unset fields are absent in JSON,
so only fields Zeek fills on every entry are listed) and that no other standard log
has all of. Field names are from Zeek's script reference (``Software::Info``,
``X509::Info``, ``Known::HostsInfo`` …, https://docs.zeek.org/en/master/script-reference/
log-files.html) and were checked against Brim's zed-sample-data (Zeek 6.2).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

KNOWN_LOGS: dict[str, frozenset[str]] = {
    "software": frozenset({"host", "software_type", "unparsed_version"}),
    "x509": frozenset({"certificate.version", "certificate.serial", "certificate.subject"}),
    "known_services": frozenset({"host", "port_num", "port_proto", "service"}),
    "known_certs": frozenset({"host", "port_num", "subject", "issuer_subject", "serial"}),
    "known_modbus": frozenset({"host", "device_type"}),
    "capture_loss": frozenset({"ts_delta", "peer", "gaps", "acks", "percent_lost"}),
    "stats": frozenset({"peer", "mem", "pkts_proc", "bytes_recv", "events_proc"}),
    "ocsp": frozenset({"hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber"}),
    "pe": frozenset({"machine", "compile_ts", "os", "subsystem", "is_exe", "is_64bit"}),
    "packet_filter": frozenset({"node", "filter", "init", "success"}),
    "files": frozenset({"fuid", "source", "depth", "analyzers"}),
    "dhcp": frozenset({"uids", "msg_types"}),
    "intel": frozenset({"seen.indicator", "seen.where", "matched"}),
    "signatures": frozenset({"sig_id", "event_msg", "src_addr"}),
    "notice": frozenset({"note", "msg"}),
    "weird": frozenset({"name", "notice", "peer"}),
    "reporter": frozenset({"level", "message", "location"}),
    "config": frozenset({"id", "old_value", "new_value"}),
    # logs with a connection id: recognised as Zeek already, named here
    "analyzer": frozenset({"cause", "analyzer_kind", "analyzer_name"}),
    "dpd": frozenset({"analyzer", "failure_reason", "proto"}),
    "dce_rpc": frozenset({"endpoint", "operation"}),
    "ftp": frozenset({"command", "reply_code", "reply_msg"}),
    "kerberos": frozenset({"request_type", "service"}),
    "ldap_search": frozenset({"scope", "deref_aliases", "message_id"}),
    "modbus": frozenset({"func", "pdu_type"}),
    "ntp": frozenset({"stratum", "poll", "precision", "ref_id"}),
    "rfb": frozenset({"client_major_version", "server_major_version"}),
    "smtp": frozenset({"trans_depth", "is_webmail"}),
    "snmp": frozenset({"community", "get_requests", "get_responses", "set_requests"}),
    "ssh": frozenset({"auth_attempts", "server"}),
    "syslog": frozenset({"facility", "severity", "message", "proto"}),
}
"""Log → fields that identify it (all must be present)."""

_ENVELOPE = frozenset({"ts", "_path", "_write_ts", "_system_name"})
"""Keys any log may carry besides its own fields."""

_SCRIPT_SUFFIXES = (".zeek", ".bro", ".sig")


def known_log(fields: Mapping[str, Any]) -> str | None:
    """The standard Zeek log ``fields`` are an entry of, for logs without a mapping and
    without a declared path; None when no signature fits.

    ``known_hosts`` (``ts`` and one address) and ``loaded_scripts`` (one script path,
    no ``ts``) have too few fields for a signature: their values decide.
    """
    keys = fields.keys()
    for log, signature in KNOWN_LOGS.items():
        if signature <= keys:
            return log
    own = keys - _ENVELOPE
    if own == {"host"} and "ts" in keys and _is_address(fields["host"]):
        return "known_hosts"
    if own == {"name"} and "ts" not in keys:
        name = fields["name"]
        if isinstance(name, str) and name.strip().endswith(_SCRIPT_SUFFIXES):
            return "loaded_scripts"
    return None


def _is_address(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return True
