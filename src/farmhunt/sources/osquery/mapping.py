"""osquery result rows to OCSF columns, one builder per recognised table.

Each builder reads a row through :class:`Columns`, which looks columns up case-insensitively,
turns osquery's empty strings into nothing, parses numbers strictly (a non-numeric ``pid``
quarantines the row) and remembers which columns it used: the rest go to ``unmapped``.
Direct renames are data (``*_TEXT`` / ``*_INT`` dicts); functions only compute values
(USB ids, EDID maker codes, protocol names, install dates).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from farmhunt.sources.base import RecordError
from farmhunt.sources.osquery.recognize import recognize
from farmhunt.sources.values import basename, from_epoch, opt_int, opt_str, parse_time

# --------------------------------------------------------------------------- row access


class Shape:
    """What a row's column names alone tell, worked out once per list of names.

    A query returns the same columns row after row, host after host, so lowering the
    names, recognising the table and telling the software type were repeated for every
    row (a fifth of the parse). Shapes are shared: nothing here may change after
    :func:`shape_of` made it, except the memo of answers it fills.
    """

    __slots__ = ("_kinds", "_software", "keys", "lowered", "names")

    def __init__(self, names: tuple[Any, ...]) -> None:
        self.names = names
        self.keys: dict[str, str] = {k.lower(): k for k in names if isinstance(k, str)}
        self.lowered: tuple[str, ...] | None = (
            tuple(k.lower() for k in names) if all(isinstance(k, str) for k in names) else None
        )
        """The names lowered, in the row's order (None if one is not text)."""
        self._kinds: dict[str, str | None] = {}
        self._software: dict[str, str | None] = {}

    def kind(self, query_name: str) -> str | None:
        """The osquery table these columns came from (:func:`recognize.recognize`)."""
        try:
            return self._kinds[query_name]
        except KeyError:
            found = self._kinds[query_name] = recognize(self.names, query_name)
            return found

    def software(self, query_name: str) -> str | None:
        """The package type of a software row with these columns (:func:`software_type`)."""
        try:
            return self._software[query_name]
        except KeyError:
            found = self._software[query_name] = _software_type(self.keys, query_name)
            return found


_SHAPES: dict[tuple[Any, ...], Shape] = {}
_MAX_SHAPES = 4096


def shape_of(row: dict[str, Any]) -> Shape:
    names = tuple(row)
    found = _SHAPES.get(names)
    if found is None:
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()  # rows of ever new columns: keep memory bounded
        found = _SHAPES[names] = Shape(names)
    return found


class Columns:
    """One result row: case-insensitive lookups that record which columns were used."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.shape = shape_of(row)
        self.keys = self.shape.keys
        self.used: set[str] = set()

    def has(self, name: str) -> bool:
        return name in self.keys

    def peek(self, name: str) -> Any:
        """A column's value without marking it used (it stays in ``unmapped`` too)."""
        key = self.keys.get(name)
        return None if key is None else self.row[key]

    def raw(self, name: str) -> Any:
        key = self.keys.get(name)
        if key is None:
            return None
        self.used.add(name)
        return self.row[key]

    def text(self, *names: str) -> str | None:
        """The first non-empty of ``names`` as text (osquery writes '' for NULL)."""
        for name in names:
            value = self.raw(name)
            if isinstance(value, (dict, list)):
                self.used.discard(name)
                continue
            text = opt_str(value)
            if text is not None:
                return text
        return None

    def int(self, name: str) -> int | None:
        """An integer column; RecordError (quarantine) when it is not a number."""
        return opt_int(self.raw(name), name)

    def leftovers(self) -> dict[str, Any]:
        lowered, used = self.shape.lowered, self.used
        if lowered is None:
            return {k: v for k, v in self.row.items() if k.lower() not in used}
        return {
            k: v for (k, v), low in zip(self.row.items(), lowered, strict=True) if low not in used
        }


@dataclass
class Mapped:
    """What a builder made of one row."""

    table: str
    activity_id: int
    columns: dict[str, Any] = field(default_factory=dict)
    time: datetime | None = None
    """An event time from the row itself (evented tables); else the log line's time."""
    original_time: str | None = None
    """That event time as the row wrote it."""
    note: str | None = None
    """Why a recognised row was kept in base_event instead (e.g. not an admin group)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Normalised values OCSF has no attribute for, added to ``unmapped`` as they are."""


def _copy(cols: Columns, text: dict[str, str], ints: dict[str, str], out: dict[str, Any]) -> None:
    for source, target in text.items():
        value = cols.text(source)
        if value is not None:
            out.setdefault(target, value)
    for source, target in ints.items():
        number = cols.int(source)
        if number is not None and number >= 0:
            out.setdefault(target, number)


# --------------------------------------------------------------------------- value helpers

_HEX_ID = re.compile(r"(?:0x)?([0-9a-f]{1,4})")


def hex_id(value: Any) -> str | None:
    """A USB/EDID 16-bit id as 4 lowercase hex digits ('0x1D6B', '1d6b', 7531 → '1d6b')."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"{value:04x}" if 0 <= value <= 0xFFFF else None
    match = _HEX_ID.fullmatch(str(value).strip().lower())
    return match.group(1).zfill(4) if match else None


def edid_maker(vendor_hex: str | None) -> str | None:
    """The 3-letter EDID/PNP manufacturer id packed in a display vendor id (31d8 → LNX)."""
    if vendor_hex is None:
        return None
    number = int(vendor_hex, 16)
    letters = ((number >> 10) & 31, (number >> 5) & 31, number & 31)
    if number >= 0x8000 or not all(1 <= x <= 26 for x in letters):
        return None
    return "".join(chr(64 + x) for x in letters)


def _soft_int(value: Any) -> int | None:
    """A number if it is one (decimal or hex text); None otherwise, never an error."""
    try:
        return opt_int(value)
    except RecordError:
        try:
            return int(str(value), 16)
        except ValueError:
            return None


IP_PROTOCOLS = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp"}
AF_UNIX = 1


def protocol_name(value: Any) -> str | None:
    number = _soft_int(value)
    if number is None:
        text = opt_str(value)
        return text.lower() if text else None
    return IP_PROTOCOLS.get(number, str(number) if number else None)


_INSTALL_DATE = re.compile(r"\d{8}")


def _soft_time(value: Any) -> datetime | None:
    """An install/last-seen time in any common form, or None (never quarantines a row)."""
    if value in (None, "", 0, "0", -1, "-1"):
        return None
    text = str(value).strip()
    if _INSTALL_DATE.fullmatch(text):  # Windows Installer InstallDate: YYYYMMDD
        # strptime("%Y%m%d") on 8 digits reads exactly these slices, at a tenth the cost
        try:
            return datetime(int(text[:4]), int(text[4:6]), int(text[6:]), tzinfo=UTC)
        except ValueError:
            return None
    try:
        return parse_time(value)
    except RecordError:
        return None


@lru_cache(maxsize=65536)
def _is_ip(text: str) -> bool:
    """Whether ``text`` is an IP address (socket tables repeat a few: cached)."""
    try:
        ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- processes

PROCESS_TEXT = {
    "name": "process.name",
    "cmdline": "process.cmd_line",
    "cwd": "process.working_directory",
    "username": "process.user.name",
}
PROCESS_INT = {"pid": "process.pid", "parent": "process.parent_process.pid"}
EPOCH_2001 = 978_307_200
"""Older osquery wrote processes.start_time as seconds since boot; only epochs count."""


def _hashes(cols: Columns) -> dict[str, str] | None:
    found = {a: v for a in ("md5", "sha1", "sha256") if (v := cols.text(a))}
    return found or None


def processes(cols: Columns, action: str) -> Mapped:
    out: dict[str, Any] = {}
    _copy(cols, PROCESS_TEXT, PROCESS_INT, out)
    path = cols.text("path")
    if path:
        out["process.file.path"] = path
        out["process.file.name"] = basename(path)
    start = cols.int("start_time")
    if start is not None and start > EPOCH_2001:
        out["process.created_time"] = from_epoch(start, "start_time")
    elif start is not None:
        cols.used.discard("start_time")
    out["process.file.hashes"] = _hashes(cols)
    return Mapped("process_query", 1, out)


_EVENT_TYPES = {
    "exec": 1,
    "fork": 1,
    "processstart": 1,
    "execve": 1,
    "execveat": 1,
    "clone": 1,
    "vfork": 1,
    "exit": 2,
    "processstop": 2,
}


def process_events(cols: Columns, action: str) -> Mapped:
    out: dict[str, Any] = {}
    _copy(
        cols,
        {"cmdline": "process.cmd_line", "cwd": "process.working_directory"},
        {"pid": "process.pid", "parent": "process.parent_process.pid"},
        out,
    )
    _copy(cols, {"username": "process.user.name"}, {"ppid": "process.parent_process.pid"}, out)
    path = cols.text("path")
    if path:
        out["process.file.path"] = path
        out["process.file.name"] = out["process.name"] = basename(path)
    kind = (cols.text("event_type", "type", "syscall") or "").lower()
    activity = _EVENT_TYPES.get(kind, 1 if not kind else 99)
    when = cols.int("time")
    time = from_epoch(when, "time") if when and when > EPOCH_2001 else None
    if time is None:
        cols.used.discard("time")
    original = str(cols.peek("time")) if time is not None else None
    return Mapped("process_activity", activity, out, time=time, original_time=original)


# --------------------------------------------------------------------------- software

SOFTWARE_TYPES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (t, frozenset(c.split()))
    for t, c in (
        (
            "chrome_extension",
            "browser_type profile profile_path referenced_identifier from_webstore update_url "
            "manifest_hash persistent permissions optional_permissions",
        ),
        ("firefox_addon", "creator source_url visible autoupdate"),
        ("vscode_extension", "publisher_id vscode_edition prerelease installed_at"),
        ("jetbrains_plugin", "product_type"),
        ("safari_extension", "sdk"),
        (
            "app",
            "bundle_identifier bundle_short_version bundle_version bundle_executable "
            "bundle_name bundle_package_type",
        ),
        (
            "program",
            "publisher install_location identifying_number uninstall_string install_source "
            "language upgrade_code package_family_name install_date",
        ),
        ("homebrew", "auto_updates app_name prefix"),
        ("rpm", "release package_group sha1 epoch"),
        ("deb", "revision maintainer section priority admindir"),
        ("npm_package", "homepage depth max_depth"),
        ("python_package", "directory"),
        ("chocolatey_package", "summary"),
    )
)
SOFTWARE_NAME_HINTS = (
    ("chrome", "chrome_extension"),
    ("rpm", "rpm"),
    ("deb", "deb"),
    ("program", "program"),
    ("brew", "homebrew"),
    ("app", "app"),
)


def software_type(cols: Columns, query_name: str) -> str | None:
    return cols.shape.software(query_name)


def _software_type(columns: dict[str, str], query_name: str) -> str | None:
    for kind, indicators in SOFTWARE_TYPES:
        if not indicators.isdisjoint(columns):
            return kind
    name = query_name.lower()
    return next((kind for hint, kind in SOFTWARE_NAME_HINTS if hint in name), None)


def software(cols: Columns, action: str, query_name: str = "") -> Mapped:
    kind = software_type(cols, query_name)
    out: dict[str, Any] = {
        "package.name": cols.text("name", "bundle_name", "display_name"),
        "package.version": cols.text("version", "bundle_short_version", "bundle_version"),
        "package.vendor_name": cols.text("publisher", "vendor", "maintainer", "author", "creator"),
        "package.type": kind,
        "package.path": cols.text("install_location", "path"),
        "package.uid": cols.text("identifying_number", "bundle_identifier", "identifier", "uuid"),
    }
    for column in ("install_timestamp", "install_date", "installed_at", "install_time"):
        if not cols.has(column):
            continue
        when = _soft_time(cols.raw(column))
        if when is not None:
            out["package.install_time"] = when
            break
        cols.used.discard(column)
    return Mapped("software_inventory_info", 2, out)


# --------------------------------------------------------------------------- peripherals

USB_CLASSES: dict[int, tuple[str, int]] = {
    1: ("Audio", 99),
    2: ("Communications", 99),
    3: ("HID", 99),
    5: ("Physical", 99),
    6: ("Image", 99),
    7: ("Printer", 4),
    8: ("External Storage", 1),
    9: ("Hub", 99),
    10: ("CDC Data", 99),
    11: ("Smart Card", 99),
    13: ("Content Security", 99),
    14: ("Webcam", 10),
    15: ("Personal Healthcare", 99),
    16: ("Audio/Video", 99),
    17: ("Billboard", 99),
    18: ("USB Type-C Bridge", 99),
    220: ("Diagnostic", 99),
    224: ("Wireless Controller", 99),
    239: ("Miscellaneous", 99),
    254: ("Application Specific", 99),
    255: ("Vendor Specific", 99),
}
"""USB base class (bDeviceClass, decimal as osquery writes it) → (type, OCSF type_id)."""
HID_BOOT_PROTOCOLS = {1: ("Keyboard", 2), 2: ("Mouse", 3)}


def usb_type(cols: Columns) -> tuple[str | None, int | None]:
    if not cols.has("class"):
        return None, None
    base = _soft_int(cols.peek("class"))
    if base is None:
        return None, None
    if base == 0:
        return None, 0  # class given per interface: unknown at device level
    if base == 3:
        sub, proto = _soft_int(cols.peek("subclass")), _soft_int(cols.peek("protocol"))
        if sub == 1 and proto in HID_BOOT_PROTOCOLS:
            return HID_BOOT_PROTOCOLS[proto]
    return USB_CLASSES.get(base, (f"USB class {base}", 99))


def usb_devices(cols: Columns, action: str) -> Mapped:
    vid_raw = cols.raw("vendor_id")
    pid_raw = cols.raw("model_id") if cols.has("model_id") else cols.raw("product_id")
    vid, pid = hex_id(vid_raw), hex_id(pid_raw)
    if vid_raw not in (None, "") and vid is None:
        cols.used.discard("vendor_id")
    if pid_raw not in (None, "") and pid is None:
        cols.used.discard("model_id")
        cols.used.discard("product_id")
    kind, type_id = usb_type(cols)
    out: dict[str, Any] = {
        "peripheral_device.name": cols.text("model", "product"),
        "peripheral_device.vendor_name": cols.text("vendor", "manufacturer"),
        "peripheral_device.model": pid,
        "peripheral_device.vendor_id_list": [vid] if vid else None,
        "peripheral_device.serial_number": cols.text("serial", "serial_number"),
        "peripheral_device.uid": f"{vid}:{pid}" if vid and pid else None,
        "peripheral_device.type": kind,
        "peripheral_device.type_id": type_id,
        "unmapped.usb_vendor_id": vid,
        "unmapped.usb_product_id": pid,
    }
    return Mapped("peripheral_device_query", 1, out)


def connected_displays(cols: Columns, action: str) -> Mapped:
    vendor_raw, product_raw = cols.raw("vendor_id"), cols.raw("product_id")
    vendor, product = hex_id(vendor_raw), hex_id(product_raw)
    maker = edid_maker(vendor)
    ids = [v for v in (vendor, maker) if v]
    if vendor is None and opt_str(vendor_raw):
        ids.append(str(vendor_raw))
    out: dict[str, Any] = {
        "peripheral_device.name": cols.text("name"),
        "peripheral_device.model": product or opt_str(product_raw),
        "peripheral_device.vendor_id_list": ids or None,
        "peripheral_device.serial_number": cols.text("serial_number", "serial"),
        "peripheral_device.uid": f"{vendor}:{product}" if vendor and product else None,
        "peripheral_device.type": "Monitor",
        "peripheral_device.type_id": 7,
    }
    return Mapped("peripheral_device_query", 1, out)


# --------------------------------------------------------------------------- network


def _socket_process(cols: Columns, out: dict[str, Any]) -> None:
    _copy(cols, {"name": "process.name", "username": "process.user.name"}, {}, out)
    _copy(cols, {"cmdline": "process.cmd_line"}, {"pid": "process.pid"}, out)
    if _soft_int(cols.peek("family")) == AF_UNIX:
        return  # path is the UNIX socket's, not the process's: it stays in unmapped
    path = cols.text("process_path", "path")
    if path:
        out["process.file.path"] = path
        out["process.file.name"] = basename(path)


def listening_ports(cols: Columns, action: str) -> Mapped:
    out: dict[str, Any] = {}
    _socket_process(cols, out)
    protocol = protocol_name(cols.raw("protocol"))
    port = cols.int("port")
    out.update(
        {
            "src_endpoint.ip": cols.text("address"),
            "src_endpoint.port": port if port else None,
            "connection_info.protocol_name": protocol,
            "state": "LISTEN" if protocol == "tcp" else None,
        }
    )
    return Mapped("network_connection_query", 1, out)


def process_open_sockets(cols: Columns, action: str) -> Mapped:
    out: dict[str, Any] = {}
    _socket_process(cols, out)
    local, remote = cols.int("local_port"), cols.int("remote_port")
    out.update(
        {
            "src_endpoint.ip": cols.text("local_address"),
            "src_endpoint.port": local if local else None,
            "dst_endpoint.ip": cols.text("remote_address"),
            "dst_endpoint.port": remote if remote else None,
            "connection_info.protocol_name": protocol_name(cols.raw("protocol")),
            "state": cols.text("state"),
        }
    )
    return Mapped("network_connection_query", 1, out)


# --------------------------------------------------------------------------- users


def logged_in_users(cols: Columns, action: str) -> Mapped:
    out: dict[str, Any] = {
        "user.name": cols.text("user"),
        "user.uid": cols.text("sid"),
        "session.terminal": cols.text("tty"),
    }
    host = cols.text("host")
    if host and _is_ip(host):
        out["src_endpoint.ip"] = host.strip("[]")
    elif host and not host.startswith(":"):  # ':0' is a local X display, not a host
        out["src_endpoint.hostname"] = host
    elif host:
        cols.used.discard("host")
    when = cols.int("time")
    if when and when > 0:
        out["session.created_time"] = from_epoch(when, "time")
    return Mapped("user_session_query", 1, out)


ADMIN_GROUPS = frozenset(
    {
        "administrators",
        "admin",
        "admins",
        "sudo",
        "wheel",
        "administratoren",
        "administrateurs",
        "administradores",
        "amministratori",
        "administratorzy",
        "beheerders",
        "järjestelmänvalvojat",
        "administratörer",
        "администраторы",
    }
)
"""Local administrator groups: Windows (with common localisations), macOS and Linux."""
WINDOWS_ADMINISTRATORS_SID = "S-1-5-32-544"


def local_admins(cols: Columns, action: str, query_name: str = "") -> Mapped:
    group = cols.text("groupname", "group")
    group_sid = cols.text("group_sid")
    out: dict[str, Any] = {
        "user.name": cols.text("username", "user"),
        "user.uid": cols.text("uuid", "sid", "uid"),
        "group.name": group,
        "group.uid": group_sid or cols.text("gid"),
    }
    is_admin = (group is not None and group.lower() in ADMIN_GROUPS) or (
        group_sid is not None and group_sid.upper() == WINDOWS_ADMINISTRATORS_SID
    )
    if group is None and group_sid is None:
        is_admin = any(h in query_name.lower() for h in ("admin", "sudo", "wheel"))
    if not is_admin:
        return Mapped("base_event", 0, note="group membership outside the local admin groups")
    return Mapped("admin_group_query", 1, out)


# --------------------------------------------------------------------------- the host

DEVICE_TEXT = {
    "computer_name": "device.name",
    "hardware_serial": "device.hw_info.serial_number",
    "uuid": "device.hw_info.uuid",
    "cpu_brand": "device.hw_info.cpu_type",
    "hardware_vendor": "device.vendor_name",
    "hardware_model": "device.model",
    "version": "device.os.version",
    "build": "device.os.build",
    "name": "device.os.name",
}


def system_info(cols: Columns, action: str) -> Mapped:
    out: dict[str, Any] = {}
    _copy(cols, DEVICE_TEXT, {"physical_memory": "device.hw_info.ram_size"}, out)
    if "device.os.version" not in out:
        parts = [cols.text(p) for p in ("major", "minor", "patch")]
        if parts[0] is not None:
            out["device.os.version"] = ".".join(p for p in parts if p is not None)
    return Mapped("device_inventory_info", 2, out)


# --------------------------------------------------------------------------- where the host is

_MAC = re.compile(r"[0-9a-f]{12}")
_NOT_HEX = re.compile(r"[^0-9a-f]")


def mac_address(value: Any) -> str | None:
    """A MAC address as lowercase colon-separated pairs, from any common form
    ('A0:40:A0:11:22:33', 'a0-40-a0-11-22-33', osquery's REG_BINARY hex 'A040A0112233')."""
    text = _NOT_HEX.sub("", str(value or "").lower())
    if not _MAC.fullmatch(text) or text in ("000000000000", "ffffffffffff"):
        return None
    return ":".join(text[i : i + 2] for i in range(0, 12, 2))


def wifi_status(cols: Columns, action: str) -> Mapped:
    """macOS ``wifi_status``: the network a Mac is joined to. The SSID repeats across
    homes (router defaults); the access point's BSSID is one device's."""
    name = cols.text("network_name")
    if name is None:
        raw = cols.text("ssid")
        try:
            name = bytes.fromhex(raw).decode("utf-8") if raw else None
        except ValueError:
            name = raw
    wifi = {
        "ssid": name,
        "bssid": mac_address(cols.text("bssid")),
        "interface": cols.text("interface"),
    }
    return Mapped(
        "base_event",
        0,
        {"message": f"joined Wi-Fi {name!r}" if name else None},
        note="Wi-Fi status: OCSF has no Wi-Fi attributes (kept under unmapped.wifi)",
        extra={"wifi": {k: v for k, v in wifi.items() if v}},
    )


REMOTE_TOOL_IDS = {"teamviewer": ("TeamViewer", "clientid")}
"""Registry keys (last component) whose value names a remote-access tool's own id."""
NETWORK_LIST = "\\networklist\\signatures\\"


def registry(cols: Columns, action: str) -> Mapped:
    """osquery ``registry`` rows: a TeamViewer ClientID, or a NetworkList signature's
    gateway MAC / first network name (where a Windows laptop has been connected)."""
    key = cols.text("key") or ""
    path = cols.text("path") or ""
    value_name = cols.text("name") or path.rsplit("\\", 1)[-1]
    name = value_name.lower()
    data = cols.text("data")
    lowered = key.lower()
    extra: dict[str, Any] = {
        "registry": {"key": key, "name": value_name, "type": cols.text("type")}
    }
    message = None
    leaf = lowered.rstrip("\\").rsplit("\\", 1)[-1]
    tool = REMOTE_TOOL_IDS.get(leaf)
    if tool and name == tool[1] and data and data.strip().isdigit():
        extra["remote_tool"] = {"product": tool[0], "id": data.strip()}
        message = f"{tool[0]} id {data.strip()}"
    elif NETWORK_LIST in lowered and name == "defaultgatewaymac":
        mac = mac_address(data)
        if mac:
            extra["network"] = {"gateway_mac": mac}
            message = f"connected behind gateway {mac}"
    elif NETWORK_LIST in lowered and name == "firstnetwork" and data:
        extra["network"] = {"name": data}
    return Mapped(
        "base_event",
        0,
        {"message": message},
        note="registry value: kept whole, with what it identifies under unmapped",
        extra=extra,
    )


Builder = Callable[[Columns, str], Mapped]
BUILDERS: dict[str, Builder] = {
    "processes": processes,
    "process_events": process_events,
    "usb_devices": usb_devices,
    "connected_displays": connected_displays,
    "listening_ports": listening_ports,
    "process_open_sockets": process_open_sockets,
    "logged_in_users": logged_in_users,
    "system_info": system_info,
    "wifi_status": wifi_status,
    "registry": registry,
}
"""Builders that need only the row; ``software`` and ``local_admins`` also take the
query name (a type or admin hint) and are called by the parser directly."""

QUERY_TABLES = frozenset(
    {
        "process_query",
        "peripheral_device_query",
        "network_connection_query",
        "user_session_query",
        "admin_group_query",
    }
)
"""OCSF Query classes: they carry query_result_id (1 exists, 3 no longer exists)."""
