"""Recognising which osquery table a result row came from, by its columns.

Query names are the user's choice (``pack_it-inventory_usb``, ``usb``, ``q17``), and so
are the columns they select, so a row is recognised by the columns it carries. Each
:class:`Kind` lists *signatures* (sets of columns that, all present, identify the table),
*bonus* columns that make the match stronger, and *veto* columns that belong to a
look-alike table (``pci_devices`` also has ``vendor_id``/``model_id``). The query name is
only a tie-breaker, except for a few *hint signatures* that are too weak on their own
(``username`` alone is a local-admin row only when the query name says ``admin``).

The tables are data so a new osquery table is a new entry, not new code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _sigs(*groups: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(g.split()) for g in groups)


@dataclass(frozen=True)
class Kind:
    """One recognisable osquery table (or family of tables mapped the same way)."""

    name: str
    signatures: tuple[frozenset[str], ...]
    bonus: frozenset[str] = frozenset()
    veto: frozenset[str] = frozenset()
    hints: tuple[str, ...] = ()
    hint_signatures: tuple[frozenset[str], ...] = field(default=())


_DISPLAY_ONLY = _words(
    "display_id manufactured_week manufactured_year pixels resolution display_type "
    "connection_type ambient_brightness_enabled main mirror online rotation"
)
_PCI_ONLY = _words(
    "pci_slot pci_class pci_class_id pci_subclass pci_subclass_id driver subsystem_vendor "
    "subsystem_vendor_id subsystem_model subsystem_model_id"
)
_SOCKET_COLUMNS = _words("port address local_port remote_port local_address remote_address socket")
_EVENT_COLUMNS = _words("eid uptime syscall event_type auid time")

KINDS: tuple[Kind, ...] = (
    Kind(
        "usb_devices",
        _sigs(
            "vendor_id model_id",
            "vendor_id product_id",
            "vendor_id usb_address",
            "vendor_id usb_port",
            "vendor_id removable",
            "vendor_id vendor",
            "vendor_id model",
            "usb_address usb_port",
            "model usb_port",
            "model usb_address",
            "vendor usb_port",
            "vendor usb_address",
        ),
        bonus=_words(
            "vendor vendor_id model model_id product_id serial class subclass protocol version "
            "removable usb_address usb_port"
        ),
        veto=_DISPLAY_ONLY | _PCI_ONLY,
        hints=("usb",),
    ),
    Kind(
        "connected_displays",
        _sigs(
            "display_id",
            "manufactured_week",
            "manufactured_year",
            "pixels",
            "display_type",
            "ambient_brightness_enabled",
            "vendor_id product_id",
            "vendor_id product_id serial_number",
            "name vendor_id product_id",
            "resolution vendor_id",
            "connection_type vendor_id",
        ),
        bonus=_DISPLAY_ONLY | _words("name vendor_id product_id serial_number"),
        veto=_words("model_id usb_address usb_port removable") | _PCI_ONLY,
        hints=("display", "monitor", "edid", "screen"),
    ),
    Kind(
        "processes",
        _sigs(
            "pid name path",
            "pid name cmdline",
            "pid name parent",
            "pid cmdline parent",
            "pid name start_time",
            "pid name",
        ),
        bonus=_words(
            "pid name path cmdline cwd root uid gid euid egid parent start_time on_disk state "
            "threads nice pgroup resident_size total_size user_time system_time username "
            "elevated_token is_elevated_token upid uppid"
        ),
        veto=_SOCKET_COLUMNS | _EVENT_COLUMNS | _words("tty host user type family"),
        hints=("process",),
    ),
    Kind(
        "process_events",
        _sigs(
            "pid path time",
            "pid cmdline time",
            "pid eid",
            "pid syscall",
            "pid auid path",
            "pid event_type path",
        ),
        bonus=_words(
            "pid path cmdline parent ppid cwd uid euid gid auid syscall time eid env username "
            "event_type type exit_code mode"
        ),
        veto=_words(
            "operation target_path dest_path filename action category local_address "
            "remote_address local_port remote_port tty host"
        ),
        hints=("process_events", "exec", "process_activity"),
    ),
    Kind(
        "software",
        _sigs(
            "name version publisher",
            "name version install_location",
            "name identifying_number",
            "name uninstall_string",
            "name version install_date",
            "name bundle_identifier",
            "name bundle_short_version",
            "name bundle_version",
            "name version arch",
            "name version source",
            "name version maintainer",
            "name version revision",
            "name version release",
            "name version section",
            "name version vendor",
            "name version package_group",
            "name version identifier",
            "name browser_type",
            "name version author",
            "name version summary",
            "name version path",
            "name version",
        ),
        bonus=_words(
            "name version publisher install_location install_source install_date "
            "identifying_number uninstall_string language upgrade_code package_family_name "
            "bundle_identifier bundle_short_version bundle_version bundle_executable "
            "bundle_name arch source maintainer revision release section priority status "
            "size vendor package_group sha1 install_time identifier browser_type profile "
            "profile_path from_webstore update_url permissions author install_timestamp "
            "creator summary license homepage directory"
        ),
        veto=_words(
            "pid major minor patch build platform platform_like codename port hardware_serial"
        ),
        hints=("program", "software", "app", "package", "deb", "rpm", "extension", "install"),
    ),
    Kind(
        "system_info",
        _sigs(
            "hardware_serial",
            "hardware_model",
            "hardware_vendor",
            "cpu_brand",
            "physical_memory",
            "computer_name",
            "board_serial",
            "board_model",
            "cpu_logical_cores",
            "cpu_physical_cores",
            "local_hostname",
            "hostname uuid",
            "name version major",
            "name major",
            "name platform",
            "version build platform",
            "codename",
            "platform_like",
            "name version build",
            "major minor patch",
        ),
        bonus=_words(
            "hostname uuid cpu_type cpu_subtype cpu_brand cpu_physical_cores "
            "cpu_logical_cores physical_memory hardware_vendor hardware_model "
            "hardware_version hardware_serial board_vendor board_model board_serial "
            "computer_name local_hostname name version major minor patch build platform "
            "platform_like codename arch"
        ),
        veto=_words("disk_index partitions pnp_device_id disk_size pid"),
        hints=("system", "os_version", "host", "hardware", "device", "inventory", "os"),
    ),
    Kind(
        "listening_ports",
        _sigs(
            "port address",
            "port protocol family",
            "port pid protocol",
            "port socket",
            "port fd pid",
        ),
        bonus=_words("pid port protocol family address fd socket net_namespace"),
        veto=_words(
            "remote_address remote_port local_port local_address aliases comment host_port host_ip"
        ),
        hints=("listen", "port"),
    ),
    Kind(
        "process_open_sockets",
        _sigs(
            "remote_address local_port",
            "remote_address remote_port",
            "local_address local_port",
            "remote_address pid",
            "remote_port pid",
        ),
        bonus=_words(
            "pid fd socket family protocol local_address remote_address local_port "
            "remote_port state net_namespace"
        ),
        veto=_words("eid action uptime auid success"),
        hints=("socket", "connection", "conn", "netstat"),
    ),
    Kind(
        "logged_in_users",
        _sigs(
            "user tty",
            "user host",
            "user type",
            "user sid",
            "user registry_hive",
            "tty host",
        ),
        bonus=_words("type user tty host time pid sid registry_hive"),
        veto=_words("groupname type_name username"),
        hints=("logged_in", "login", "session", "who"),
    ),
    Kind(
        "local_admins",
        _sigs(
            "groupname username",
            "groupname uid",
            "groupname user",
            "groupname uuid",
            "group_sid username",
            "group_sid uid",
        ),
        bonus=_words("uid gid username groupname group_sid uuid user"),
        veto=_words("permissions path pid tty"),
        hints=("admin", "sudo", "wheel"),
        hint_signatures=_sigs("username", "uid gid", "user"),
    ),
)

KINDS += (
    Kind(
        "wifi_status",
        _sigs("bssid", "ssid network_name", "ssid security_type", "network_name channel"),
        bonus=_words(
            "interface ssid bssid network_name country_code security_type rssi noise channel "
            "channel_width channel_band transmit_rate mode"
        ),
        veto=_words("pid port vendor_id"),
        hints=("wifi", "wlan", "wireless"),
    ),
    Kind(
        "registry",
        _sigs("key path name type data", "key name data", "path type data", "key data mtime"),
        bonus=_words("key path name type data mtime"),
        veto=_words("pid port vendor_id bssid"),
        hints=("registry", "reg"),
    ),
)

BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}


def _hinted(kind: Kind, query_name: str) -> bool:
    return any(h in query_name for h in kind.hints)


@lru_cache(maxsize=4096)
def _recognize(columns: frozenset[str], query_name: str) -> str | None:
    best: tuple[int, bool, int] | None = None
    chosen = None
    for order, kind in enumerate(KINDS):
        if columns & kind.veto:
            continue
        hinted = _hinted(kind, query_name)
        signatures = kind.signatures + (kind.hint_signatures if hinted else ())
        matched = [len(s) for s in signatures if s <= columns]
        if not matched:
            continue
        score = max(matched) + len(columns & kind.bonus)
        key = (score, hinted, -order)
        if best is None or key > best:
            best, chosen = key, kind.name
    return chosen


def recognize(columns: Iterable[str], query_name: str | None = None) -> str | None:
    """The osquery table (kind) these columns came from, or None when unknown."""
    return _recognize(
        frozenset(c.lower() for c in columns if isinstance(c, str)), (query_name or "").lower()
    )
