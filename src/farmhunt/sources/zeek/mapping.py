"""Zeek log entries to OCSF rows: conn, ssl → network_activity, dns → dns_activity,
rdp → rdp_activity, http → http_activity, every other log → base_event.

Fields OCSF has no attribute for stay in ``unmapped`` under their Zeek names, so nothing
an entry says is lost. Values are kept as Zeek wrote them (``TLSv12``, ``RDP 8.1``,
``English - United States``); only units change where a column says so (duration in
milliseconds).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from farmhunt.sources.base import RecordError, Row
from farmhunt.sources.rows import event
from farmhunt.sources.values import opt_bool, opt_float, opt_int
from farmhunt.sources.zeek.known_logs import known_log
from farmhunt.sources.zeek.records import ZeekRecord, is_ip, log_kind
from farmhunt.sources.zeek.times import zeek_time

# ---------------------------------------------------------------------------- data

CONN_STATES: dict[str, tuple[int, int, str]] = {
    # conn_state: (network_activity activity_id, status_id, Zeek's meaning). status_id 2
    # (Failure) is every state where the responder never answered: the network rules
    # read those as probes, not sessions (detect/analytics/inbound.py).
    "S0": (4, 2, "Connection attempt seen, no reply"),
    "S1": (6, 1, "Connection established, not terminated"),
    "SF": (2, 1, "Normal establishment and termination"),
    "REJ": (5, 2, "Connection attempt rejected"),
    "S2": (6, 1, "Established, close attempt by originator seen (no reply from responder)"),
    "S3": (6, 1, "Established, close attempt by responder seen (no reply from originator)"),
    "RSTO": (3, 1, "Established, originator aborted (sent a RST)"),
    "RSTR": (3, 1, "Established, responder sent a RST"),
    "RSTOS0": (3, 2, "Originator sent a SYN followed by a RST, no SYN-ACK from the responder"),
    "RSTRH": (3, 0, "Responder sent a SYN-ACK followed by a RST, no SYN from the originator"),
    "SH": (6, 2, "Originator sent a SYN followed by a FIN, no SYN-ACK from the responder"),
    "SHR": (6, 0, "Responder sent a SYN-ACK followed by a FIN, no SYN from the originator"),
    "OTH": (6, 0, "No SYN seen, just midstream traffic"),
}

DIRECTIONS: dict[tuple[bool, bool], int] = {
    # (local_orig, local_resp): OCSF connection_info.direction_id
    (False, True): 1,  # inbound
    (True, False): 2,  # outbound
    (True, True): 3,  # lateral
    (False, False): 0,  # neither end local: unknown
}

DNS_RCODES: dict[str, int] = {
    # Zeek's rcode_name (base/protocols/dns/consts.zeek) → RFC 6895 code = OCSF rcode_id
    "NOERROR": 0,
    "FORMERR": 1,
    "SERVFAIL": 2,
    "NXDOMAIN": 3,
    "NOTIMP": 4,
    "REFUSED": 5,
    "YXDOMAIN": 6,
    "YXRRSET": 7,
    "NXRRSET": 8,
    "NOTAUTH": 9,
    "NOTZONE": 10,
    "BADVERS": 16,
    "BADSIG": 16,
    "BADKEY": 17,
    "BADTIME": 18,
    "BADMODE": 19,
    "BADNAME": 20,
    "BADALG": 21,
    "BADTRUNC": 22,
    "BADCOOKIE": 23,
}

RDP_RESULTS: dict[str, tuple[int, int]] = {
    # rdp.log result: (rdp_activity activity_id, status_id)
    "Success": (4, 1),  # GCC conference create response: connected
    "User rejected": (4, 2),
    "Resources not available": (4, 2),
    "Rejected for symmetry breaking": (4, 2),
    "Locked conference": (4, 2),
    "encrypted": (5, 1),  # security negotiated, TLS/CredSSP began
    "SSL_REQUIRED_BY_SERVER": (2, 2),  # X.224 negotiation failures
    "SSL_NOT_ALLOWED_BY_SERVER": (2, 2),
    "SSL_CERT_NOT_ON_SERVER": (2, 2),
    "INCONSISTENT_FLAGS": (2, 2),
    "HYBRID_REQUIRED_BY_SERVER": (2, 2),
    "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER": (2, 2),
}

RDP_CLIENT_DATA = ("keyboard_layout", "client_build", "client_name", "desktop_width")
"""Fields from the client core data (MCS Connect Initial): seen means a connect request."""

HTTP_METHODS: dict[str, int] = {
    "CONNECT": 1,
    "DELETE": 2,
    "GET": 3,
    "HEAD": 4,
    "OPTIONS": 5,
    "POST": 6,
    "PUT": 7,
}

FINGERPRINT_BY_LENGTH: dict[int, tuple[int, str]] = {
    # hex length: (OCSF fingerprint algorithm_id, algorithm)
    32: (1, "MD5"),
    40: (2, "SHA-1"),
    64: (3, "SHA-256"),
    128: (4, "SHA-512"),
}

_HEX = re.compile(r"[0-9a-fA-F]+")
_COLOR_DEPTH = re.compile(r"(\d+)bit")


# ------------------------------------------------------------------------ helpers


class _Fields:
    """An entry's fields; what a mapping takes is left out of ``unmapped``."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields
        self._used: set[str] = set()

    def take(self, key: str) -> Any:
        self._used.add(key)
        return self._fields.get(key)

    def peek(self, key: str) -> Any:
        return self._fields.get(key)

    def rest(self) -> dict[str, Any] | None:
        rest = {k: v for k, v in self._fields.items() if k not in self._used}
        return rest or None


def _text(value: Any, field: str) -> str | None:
    """A string field as written; None when unset or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        raise RecordError(f"{field} is a {type(value).__name__}, not text: {str(value)[:40]!r}")
    return value if isinstance(value, str) else str(value)


def _count(value: Any, field: str) -> int | None:
    return opt_int(value, field)


def _ip(value: Any, field: str) -> str | None:
    text = _text(value, field)
    if text is None:
        return None
    text = text.strip()
    if not is_ip(text):
        raise RecordError(f"{field} {text[:45]!r} is not an IP address")
    return text


def _port(value: Any, field: str) -> int | None:
    number = opt_int(value, field)
    if number is not None and not 0 <= number <= 65535:
        raise RecordError(f"{field} {number} is not a port number")
    return number


def _millis(value: Any, field: str) -> int | None:
    seconds = opt_float(value, field)
    return None if seconds is None else round(seconds * 1000)


def dns_answers(answers: list[Any], ttls: list[Any]) -> list[dict[str, Any]]:
    """OCSF DNS answers: each answer's data with its TTL, paired by position."""
    rows = []
    for i, rdata in enumerate(answers):
        answer: dict[str, Any] = {"rdata": rdata}
        if i < len(ttls) and ttls[i] is not None:
            answer["ttl"] = _count(ttls[i], "TTLs")
        rows.append(answer)
    return rows


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _endpoints(fields: _Fields, ports: bool = True) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for side, prefix in (("orig", "src_endpoint"), ("resp", "dst_endpoint")):
        columns[f"{prefix}.ip"] = _ip(fields.take(f"id.{side}_h"), f"id.{side}_h")
        if ports:
            columns[f"{prefix}.port"] = _port(fields.take(f"id.{side}_p"), f"id.{side}_p")
    return columns


def _fallback_time(value: Any) -> datetime:
    """The ``#open`` header (``2025-11-17-09-00-00``) or ``_write_ts`` of a ts-less log.

    json-streaming-logs writes ``_write_ts`` 1970-01-01 for logs written before Zeek knew
    the time (``loaded_scripts``): such an entry has no time at all and is quarantined."""
    if isinstance(value, str):
        try:
            opened = datetime.strptime(value, "%Y-%m-%d-%H-%M-%S").replace(tzinfo=UTC)
        except ValueError:
            pass
        else:
            return zeek_time(opened.timestamp(), "the log's #open time")
    return zeek_time(value, "_write_ts (the log has no ts)")


def _fingerprints(value: Any) -> list[dict[str, Any]] | None:
    """The leaf certificate's fingerprint (first of ``cert_chain_fps``) as OCSF objects."""
    chain = _list(value)
    first = _text(chain[0], "cert_chain_fps") if chain else None
    if first is None:
        return None
    algorithm_id, algorithm = (
        FINGERPRINT_BY_LENGTH.get(len(first), (0, "Unknown"))
        if _HEX.fullmatch(first)
        else (0, "Unknown")
    )
    return [{"algorithm": algorithm, "algorithm_id": algorithm_id, "value": first}]


# ------------------------------------------------------------------------ mappings

Mapped = tuple[str, int, dict[str, Any]]
"""(table, activity_id, columns)."""


def _conn(fields: _Fields) -> Mapped:
    proto = _text(fields.take("proto"), "proto")
    # For ICMP Zeek puts the message type and code in the port fields: not ports.
    columns = _endpoints(fields, ports=proto != "icmp")
    state = _text(fields.peek("conn_state"), "conn_state")
    activity, status_id, meaning = CONN_STATES.get(state or "", (6, 0, None))
    local_orig = opt_bool(fields.peek("local_orig"))
    local_resp = opt_bool(fields.peek("local_resp"))
    direction = (
        DIRECTIONS[(local_orig, local_resp)]
        if local_orig is not None and local_resp is not None
        else None
    )
    columns.update(
        {
            "connection_info.protocol_name": proto,
            "connection_info.uid": _text(fields.take("uid"), "uid"),
            "connection_info.direction_id": direction,
            "app_name": _text(fields.take("service"), "service"),
            "duration": _millis(fields.take("duration"), "duration"),
            "traffic.bytes_out": _count(fields.take("orig_bytes"), "orig_bytes"),
            "traffic.bytes_in": _count(fields.take("resp_bytes"), "resp_bytes"),
            "traffic.packets_out": _count(fields.take("orig_pkts"), "orig_pkts"),
            "traffic.packets_in": _count(fields.take("resp_pkts"), "resp_pkts"),
            "status": state,
            "status_id": status_id if state else None,
            "status_detail": meaning,
        }
    )
    return "network_activity", activity, columns


def _dns(fields: _Fields) -> Mapped:
    columns = _endpoints(fields)
    rcode = _count(fields.peek("rcode"), "rcode")
    rcode_name = _text(fields.take("rcode_name"), "rcode_name")
    answers = _list(fields.take("answers"))
    rows = dns_answers(answers, _list(fields.take("TTLs")))
    answered = rcode is not None or rcode_name is not None or bool(answers)
    columns.update(
        {
            "query.hostname": _text(fields.take("query"), "query"),
            "query.type": _text(fields.take("qtype_name"), "qtype_name"),
            "rcode": rcode_name,
            "rcode_id": _rcode_id(rcode, rcode_name),
            "answers": rows or None,
            "connection_info.protocol_name": _text(fields.take("proto"), "proto"),
            "connection_info.uid": _text(fields.take("uid"), "uid"),
        }
    )
    return "dns_activity", 6 if answered else 1, columns


def _rcode_id(code: int | None, name: str | None) -> int | None:
    if code is None:
        return DNS_RCODES.get(name.upper(), 99) if name else None
    if 0 <= code <= 11 or 16 <= code <= 23:
        return code
    if 12 <= code <= 15 or 24 <= code <= 3840 or 4096 <= code <= 65534:
        return 24  # unassigned
    if 3841 <= code <= 4095 or code == 65535:
        return 25  # reserved
    return 99


def _ssl(fields: _Fields) -> Mapped:
    columns = _endpoints(fields)
    established = opt_bool(fields.peek("established"))
    status_id = None if established is None else (1 if established else 2)
    columns.update(
        {
            "connection_info.uid": _text(fields.take("uid"), "uid"),
            "tls.sni": _text(fields.take("server_name"), "server_name"),
            "tls.version": _text(fields.take("version"), "version"),
            "tls.cipher": _text(fields.take("cipher"), "cipher"),
            "tls.certificate.subject": _text(fields.take("subject"), "subject"),
            "tls.certificate.issuer": _text(fields.take("issuer"), "issuer"),
            "tls.certificate.fingerprints": _fingerprints(fields.peek("cert_chain_fps")),
            "tls.ja3_hash.value": _text(fields.take("ja3"), "ja3"),
            "tls.ja3s_hash.value": _text(fields.take("ja3s"), "ja3s"),
            "status_id": status_id,
            "status": None
            if established is None
            else ("established" if established else "not established"),
            "status_detail": _text(fields.take("last_alert"), "last_alert"),
        }
    )
    return "network_activity", 6, columns


def _rdp(fields: _Fields) -> Mapped:
    columns = _endpoints(fields)
    cookie = _text(fields.take("cookie"), "cookie")
    client_name = _text(fields.peek("client_name"), "client_name")
    hostname = client_name.rstrip("\x00 ") if client_name else None
    if hostname == client_name:
        fields.take("client_name")  # exact: no need to keep a copy in unmapped
    depth = _text(fields.peek("requested_color_depth"), "requested_color_depth")
    depth_match = _COLOR_DEPTH.fullmatch(depth) if depth else None
    result = _text(fields.take("result"), "result")
    if result is not None:
        activity, status_id = RDP_RESULTS.get(result, (0, 0))
        if activity == 0:
            if result.startswith("failure_code-"):
                activity, status_id = 2, 2
            elif result.startswith("result-"):
                activity, status_id = 4, 2
            else:
                activity = 99
    elif any(fields.peek(name) is not None for name in RDP_CLIENT_DATA):
        activity, status_id = 3, 0
    elif fields.peek("security_protocol") is not None:
        activity, status_id = 2, 0
    else:
        activity, status_id = 1, 0
    columns.update(
        {
            "connection_info.uid": _text(fields.take("uid"), "uid"),
            "identifier_cookie": cookie,
            "user.name": (cookie.strip() or None) if cookie else None,
            "src_endpoint.hostname": hostname or None,
            "protocol_ver": _text(fields.take("client_build"), "client_build"),
            "keyboard_info.keyboard_layout": _text(
                fields.take("keyboard_layout"), "keyboard_layout"
            ),
            "remote_display.physical_width": _count(fields.take("desktop_width"), "desktop_width"),
            "remote_display.physical_height": _count(
                fields.take("desktop_height"), "desktop_height"
            ),
            "remote_display.color_depth": int(depth_match.group(1)) if depth_match else None,
            "unmapped.client_dig_product_id": _text(
                fields.take("client_dig_product_id"), "client_dig_product_id"
            ),
            "status": result,
            "status_id": status_id,
        }
    )
    return "rdp_activity", activity, columns


def _http(fields: _Fields) -> Mapped:
    columns = _endpoints(fields)
    method = _text(fields.take("method"), "method")
    host = _text(fields.take("host"), "host")
    uri = _text(fields.take("uri"), "uri")
    url: str | None
    if uri and (method == "CONNECT" or uri.startswith(("http://", "https://"))):
        url = uri
    elif host:
        url = f"http://{host}{uri or '/'}"
    else:
        url = uri
    code = fields.take("status_code")
    columns.update(
        {
            "http_request.user_agent": _text(fields.take("user_agent"), "user_agent"),
            "http_request.url.url_string": url,
            "status": None if code is None else str(_count(code, "status_code")),
            "status_detail": _text(fields.take("status_msg"), "status_msg"),
        }
    )
    activity = HTTP_METHODS.get(method.upper(), 99) if method else 0
    return "http_activity", activity, columns


MAPPINGS: dict[str, Callable[[_Fields], Mapped]] = {
    "conn": _conn,
    "dns": _dns,
    "ssl": _ssl,
    "rdp": _rdp,
    "http": _http,
}


def normalize_record(record: Any) -> list[Row]:
    """The OCSF row for one Zeek entry, or RecordError with the reason."""
    if not isinstance(record, ZeekRecord):
        raise RecordError("not a framed Zeek log entry")
    kind = log_kind(record)
    fields = _Fields(record.fields)
    ts = fields.take("ts")
    mapping = MAPPINGS.get(kind) if kind else None
    name = record.path or kind or known_log(record.fields)
    if ts is None and mapping is None and record.fallback_time is not None:
        time = _fallback_time(record.fallback_time)
    else:
        # a log that has no ts by nature (loaded_scripts) is named in the reason
        field = f"ts of the {name} entry" if ts is None and mapping is None and name else "ts"
        time = zeek_time(ts, field)
    table, activity, columns = mapping(fields) if mapping else ("base_event", 0, {})
    original = record.original_time
    if original is None and ts is not None:
        original = ts if isinstance(ts, str) else repr(ts)
    columns["metadata.log_name"] = name
    columns["metadata.original_time"] = original
    columns["unmapped"] = fields.rest()
    return [event(table, activity, time, columns)]
