"""One Zeek log entry as both framings hand it to the mapping, and which log it belongs to.

TSV and JSON framing both produce a :class:`ZeekRecord` whose ``fields`` look like what
Zeek's JSON writer emits (flat dotted keys such as ``id.orig_h``, time and interval as
float seconds, counts as int, bool as bool, sets and vectors as lists, unset fields
absent), so one mapping serves both formats.

Which log an entry is comes from its declared path (``#path`` in TSV, ``_path`` in
json-streaming-logs) and otherwise from its field names: users rename files, so the
file name is never used.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from farmhunt.sources.zeek.known_logs import known_log

MAPPED_LOGS = ("conn", "dns", "ssl", "rdp", "http")
"""Logs mapped to an OCSF class; every other Zeek log is kept in ``base_event``."""

SIGNATURES: dict[str, frozenset[str]] = {
    # Fields only that log has among Zeek's standard logs (files.log also has
    # local_orig and missed_bytes, ssh.log has version, kerberos.log has cipher, quic.log
    # has server_name: those are left out on purpose).
    "conn": frozenset(
        {
            "conn_state",
            "orig_pkts",
            "resp_pkts",
            "orig_ip_bytes",
            "resp_ip_bytes",
            "tunnel_parents",
        }
    ),
    "rdp": frozenset(
        {
            "cookie",
            "security_protocol",
            "client_channels",
            "keyboard_layout",
            "client_build",
            "client_name",
            "client_dig_product_id",
            "desktop_width",
            "desktop_height",
            "requested_color_depth",
            "cert_permanent",
            "encryption_level",
            "encryption_method",
        }
    ),
    "ssl": frozenset(
        {
            "resumed",
            "established",
            "ssl_history",
            "cert_chain_fuids",
            "cert_chain_fps",
            "client_cert_chain_fps",
            "ja3",
            "ja3s",
            "curve",
            "next_protocol",
            "validation_status",
            "sni_matches_cert",
        }
    ),
    "dns": frozenset(
        {
            "query",
            "qclass",
            "qclass_name",
            "qtype",
            "qtype_name",
            "rcode",
            "rcode_name",
            "AA",
            "TC",
            "RD",
            "RA",
            "answers",
            "TTLs",
        }
    ),
}
"""Field names that identify a log when its path is not declared (checked in this order)."""

_QUIC_ONLY = frozenset({"client_initial_dcid", "client_scid", "server_scid", "client_protocol"})


@dataclass(slots=True)
class ZeekRecord:
    """One log entry: its typed fields and what the framing knows about its log."""

    fields: dict[str, Any]
    path: str | None
    """The log's path as declared by the file (``#path`` / ``_path``), if it says."""
    original_time: str | None = None
    """``ts`` exactly as written (TSV)."""
    fallback_time: Any = None
    """A time for logs without ``ts``: the block's ``#open`` or JSON ``_write_ts``."""
    hint: str | None = None
    """The log recognised for earlier entries of the same file, for partial entries."""


_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
)


@lru_cache(maxsize=65536)
def is_ip(text: str) -> bool:
    """Whether ``text`` is an IPv4 or IPv6 address (addresses repeat: cached)."""
    if _IPV4.fullmatch(text):
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def infer_log(names: Any) -> str | None:
    """The mapped log whose signature fields appear in ``names``, or None."""
    keys = set(names)
    for log, signature in SIGNATURES.items():
        if keys & signature:
            if log == "ssl" and keys & _QUIC_ONLY:
                continue
            return log
    if "server_name" in keys and not keys & _QUIC_ONLY and "id.resp_h" in keys:
        return "ssl"
    return None


def declared_kind(path: str) -> str | None:
    """The mapped log a declared path names (``conn_long`` and ``dns-external`` count as
    their base log), or None for a log kept whole."""
    base = re.split(r"[_\-.]", path, maxsplit=1)[0]
    return base if base in MAPPED_LOGS else None


def log_kind(record: ZeekRecord) -> str | None:
    """Which mapping applies: ``conn``, ``dns``, ``ssl``, ``rdp``, ``http`` or None.

    A declared path decides (``conn_long`` or ``dns-external`` count as their base log);
    without one, the field names, then what earlier entries of the file were; an entry
    with the connection id and ``proto`` and no other log's fields is a connection.
    """
    if record.path:
        return declared_kind(record.path)
    inferred = infer_log(record.fields)
    if inferred is not None:
        return inferred
    if record.hint is not None:
        return record.hint
    fields = record.fields
    if "proto" in fields and ("id.orig_h" in fields or "id.resp_h" in fields):
        # syslog and dpd entries have a connection id and proto too
        return "conn" if known_log(fields) is None else None
    return None
