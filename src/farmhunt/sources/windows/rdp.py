"""Remote Desktop: who connected from where, and the time zone the client reported.

- TerminalServices-RemoteConnectionManager/Operational 1149 "User authentication
  succeeded": ``Param1`` user, ``Param2`` domain, ``Param3`` client address (UserData
  ``EventXML``). Written to ``rdp_activity`` (activity 4, Connect Response, success):
  it records that the server accepted an RDP connection for that user, not that a
  logon session exists (without NLA it is logged before the password is checked), so
  it is not an ``authentication`` row; 4624 type 10 is.
- TerminalServices-LocalSessionManager/Operational 21/24/25: session logon,
  disconnect, reconnect (``User``, ``SessionID``, ``Address``).
- RemoteDesktopServices-RdpCoreTS/Operational 131 "The server accepted a new TCP
  connection from client IP:port", 104 the client's time zone (``TimezoneBiasHour``,
  e.g. ``[-8]``), 140 failed password from an address, 102/103 disconnect. Their
  Correlation ActivityID is the same for every event of one connection and becomes
  ``connection_info.uid``.

104 is what an RDP client reports about its own clock (the Client Info PDU's time
zone): the value is the client's offset from UTC in hours, local minus UTC, so
``[-8]`` is a client on UTC-8 (Pacific standard time) and ``[9]`` one on UTC+9. It is
stored as ``unmapped.client_utc_offset_minutes`` (east positive, -480) and
``unmapped.client_timezone`` (``UTC-08:00``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from farmhunt.sources.windows.common import Family, Mapped, take
from farmhunt.sources.windows.model import WinEvent, norm_guid, split_account

RCM_CHANNEL = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
LSM_CHANNEL = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"
CORE_CHANNEL = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational"

RCM_FIELDS: dict[int, tuple[str, ...]] = {1149: ("Param1", "Param2", "Param3")}
LSM_FIELDS: dict[int, tuple[str, ...]] = dict.fromkeys(
    (21, 22, 23, 24, 25), ("User", "SessionID", "Address")
)
CORE_FIELDS: dict[int, tuple[str, ...]] = {
    104: ("TimezoneBiasHour",),
    131: ("ConnType", "ClientIP"),
    140: ("IPString",),
    103: ("ReasonCode",),
}

_BIAS = re.compile(r"^\[?\s*([+-]?\d+(?:\.\d+)?)(?::(\d{2}))?\s*\]?$")


def parse_timezone_bias(value: Any) -> int | None:
    """RdpCoreTS 104's ``TimezoneBiasHour`` (``[-8]``, ``-8``, ``[5.5]``, ``[+5:30]``) in
    minutes east of UTC; None when it is not an offset a time zone can have."""
    if value is None:
        return None
    match = _BIAS.match(str(value).strip())
    if not match:
        return None
    hours = float(match.group(1))
    minutes = round(hours * 60)
    if match.group(2):
        extra = int(match.group(2))
        minutes += -extra if match.group(1).startswith("-") else extra
    if not -14 * 60 <= minutes <= 14 * 60:
        return None
    return minutes


def offset_name(minutes: int) -> str:
    """``-480`` → ``UTC-08:00``; 0 → ``UTC``."""
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def split_address(value: Any) -> tuple[str | None, int | None]:
    """``203.0.113.5:51234``, ``[2001:db8::5]:51234`` or a bare address → (ip, port)."""
    if value is None:
        return None, None
    text = str(value).strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":")
        return host or None, int(port) if port.isdigit() else None
    try:
        ipaddress.ip_address(text)
        return text, None
    except ValueError:
        pass
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return text, None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _client(columns: dict[str, Any], address: Any) -> None:
    """An address field that holds an IP, or a host name, or 'LOCAL' for the console."""
    if address is None or str(address).strip().upper() in ("LOCAL", "UNKNOWN"):
        return
    ip, port = split_address(address)
    if ip and _is_ip(ip):
        columns["src_endpoint.ip"] = ip
        if port:
            columns["src_endpoint.port"] = port
    elif ip:
        columns["src_endpoint.hostname"] = ip


def _base(ev: WinEvent) -> dict[str, Any]:
    columns: dict[str, Any] = {"dst_endpoint.hostname": ev.computer}
    return columns


AUTHENTICATED = {"Param1": "user.name", "Param2": "user.domain"}


def user_authenticated(ev: WinEvent) -> Mapped:
    """1149: the RDP server accepted a connection for Param2\\Param1 from Param3."""
    columns, used = take(ev, "rdp_activity", AUTHENTICATED)
    columns.update(_base(ev))
    used.add("Param3")
    _client(columns, ev.get("Param3"))
    columns["status_id"], columns["status"] = 1, "Success"
    return Mapped("rdp_activity", 4, columns, used)


def session(activity: int, status: int | None = None) -> Any:
    """LocalSessionManager 21/24/25: ``User`` (DOMAIN\\user) and ``Address``."""

    def mapper(ev: WinEvent) -> Mapped:
        columns = _base(ev)
        columns["user.name"], columns["user.domain"] = split_account(ev.get("User"))
        _client(columns, ev.get("Address"))
        if status is not None:
            columns["status_id"], columns["status"] = status, "Success"
        return Mapped("rdp_activity", activity, columns, {"User", "Address"})

    return mapper


def core(activity: int, *, failed: bool = False) -> Any:
    """RdpCoreTS events of one connection, linked by their Correlation ActivityID."""

    def mapper(ev: WinEvent) -> Mapped:
        columns = _base(ev)
        used: set[str] = set()
        if ev.activity_id:
            columns["connection_info.uid"] = norm_guid(ev.activity_id)
        for name in ("ClientIP", "IPString"):
            if name in ev.data:
                used.add(name)
                _client(columns, ev.get(name))
        if "TimezoneBiasHour" in ev.data:
            minutes = parse_timezone_bias(ev.get("TimezoneBiasHour"))
            if minutes is not None:
                columns["unmapped.client_utc_offset_minutes"] = minutes
                columns["unmapped.client_timezone"] = offset_name(minutes)
        if failed:
            columns["status_id"], columns["status"] = 2, "Failure"
            columns["status_detail"] = "INVALID_CREDENTIALS"
        return Mapped("rdp_activity", activity, columns, used)

    return mapper


RCM_FAMILY = Family(
    channels=frozenset({RCM_CHANNEL.lower()}),
    product="Windows Remote Desktop",
    mappers={1149: user_authenticated},
    fields=RCM_FIELDS,
)

LSM_FAMILY = Family(
    channels=frozenset({LSM_CHANNEL.lower()}),
    product="Windows Remote Desktop",
    mappers={21: session(4, 1), 24: session(7), 25: session(8, 1)},
    fields=LSM_FIELDS,
)

CORE_FAMILY = Family(
    channels=frozenset({CORE_CHANNEL.lower()}),
    product="Windows Remote Desktop",
    mappers={
        131: core(1),  # Initial Request: a client opened a connection
        104: core(3),  # Connect Request: the client's settings (its time zone)
        140: core(4, failed=True),  # the server refused the client's credentials
        102: core(7),
        103: core(7),
    },
    fields=CORE_FIELDS,
)
