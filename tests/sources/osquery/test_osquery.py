"""osquery results and status logs: recognition by columns, OCSF mappings, the pack, bad input."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.sources import read_sample
from farmhunt.sources.osquery.mapping import edid_maker, hex_id
from farmhunt.sources.osquery.recognize import recognize
from farmhunt.sources.registry import all_parsers, choose_parser
from farmhunt.store import Workspace
from tests.golden import check_golden, golden_cases, parse_sample

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
PACK = HERE.parents[2] / "packs" / "farmhunt.conf"


@pytest.mark.parametrize("sample,golden", golden_cases(HERE), ids=lambda p: p.name)
def test_golden(sample: Path, golden: Path, update_golden: bool) -> None:
    check_golden(sample, golden, update_golden, expected_format="osquery")


def outcomes(name: str) -> list[dict[str, Any]]:
    return parse_sample(SAMPLES / name, expected_format="osquery")


def rows(name: str, table: str | None = None) -> list[dict[str, Any]]:
    return [o["row"] for o in outcomes(name) if "row" in o and table in (None, o["table"])]


def by_log(name: str, log_name: str) -> list[dict[str, Any]]:
    return [r for r in rows(name) if r.get("metadata.log_name") == log_name]


# --------------------------------------------------------------------------- mappings


def test_pikvm_usb_gadget_keeps_its_ids_and_strings() -> None:
    pikvm = next(
        r
        for r in rows("osqueryd.snapshots.log", "peripheral_device_query")
        if r.get("unmapped.usb_vendor_id") == "1d6b"
    )
    assert pikvm["unmapped.usb_product_id"] == "0104"
    assert pikvm["peripheral_device.vendor_id_list"] == ["1d6b"]
    assert pikvm["peripheral_device.uid"] == "1d6b:0104"
    assert pikvm["peripheral_device.name"] == "PiKVM Composite Device"
    assert pikvm["peripheral_device.vendor_name"] == "PiKVM"
    assert pikvm["peripheral_device.serial_number"] == "CAFEBABE"
    assert pikvm["device.hostname"] == "Alexs-MacBook-Pro.local"
    # one row per snapshot entry, each with its own JSON as evidence
    assert json.loads(pikvm["raw_data"])["model"] == "PiKVM Composite Device"


def test_usb_ids_are_normalised_whatever_the_export_wrote() -> None:
    custom = rows("custom-query-names.log", "peripheral_device_query")
    ids = {(r.get("unmapped.usb_vendor_id"), r.get("unmapped.usb_product_id")) for r in custom}
    assert ("1d6b", "0104") in ids  # written "0x1D6B" / "0x0104"
    assert ("38eb", "0001") in ids  # GL.iNet Comet
    assert hex_id("0x1D6B") == hex_id("1d6b") == hex_id(0x1D6B) == "1d6b"
    assert hex_id("610") == "0610"
    assert hex_id("Apple Inc.") is None
    assert hex_id(70000) is None


def test_usb_class_gives_the_ocsf_peripheral_type() -> None:
    batch = {
        r["peripheral_device.name"]: r for r in rows("batch-format.log", "peripheral_device_query")
    }
    assert batch["Hub"]["peripheral_device.type"] == "Hub"
    assert batch["Hub"]["peripheral_device.type_id"] == 99
    assert batch["C920 PRO HD Webcam"]["peripheral_device.type"] == "Miscellaneous"
    # class 0 means "defined per interface": unknown at device level, not guessed
    assert batch["Multifunction Composite Gadget"]["peripheral_device.type_id"] == 0
    assert "peripheral_device.type" not in batch["Multifunction Composite Gadget"]


def test_edid_maker_is_decoded_from_the_display_vendor_id() -> None:
    displays = {
        r["peripheral_device.name"]: r
        for r in rows("osqueryd.snapshots.log", "peripheral_device_query")
        if r.get("peripheral_device.type_id") == 7
    }
    pikvm = displays["PiKVM V4 Plus"]
    assert pikvm["peripheral_device.vendor_id_list"] == ["31d8", "LNX"]
    assert pikvm["peripheral_device.model"] == "7773"
    assert pikvm["peripheral_device.type"] == "Monitor"
    assert displays["Color LCD"]["peripheral_device.vendor_id_list"] == ["0610", "APP"]
    assert edid_maker("10ac") == "DEL"
    assert edid_maker("0000") is None


def test_processes_map_pid_user_parent_and_start_time() -> None:
    anydesk = by_log("osqueryd.results.log", "pack_farmhunt_processes")[0]
    assert anydesk["class_uid"] == 5015
    assert anydesk["process.pid"] == 7312
    assert anydesk["process.name"] == "AnyDesk.exe"
    assert anydesk["process.file.path"].endswith("AnyDesk.exe")
    assert anydesk["process.cmd_line"].endswith("--service")
    assert anydesk["process.parent_process.pid"] == 704
    assert anydesk["process.user.name"] == "SYSTEM"
    assert anydesk["process.created_time"] == "2025-11-17T08:12:00+00:00"
    assert anydesk["unmapped"]["columns"]["uid"] == "18"  # kept, no OCSF column for it
    assert anydesk["device.uid"] == "4C4C4544-0051-4B10-8032-B7C04F4D3233"
    # numerics=true: numbers arrive as numbers, unixTime as text
    rustdesk = [
        r for r in rows("osqueryd.results.log", "process_query") if r["process.pid"] == 48211
    ]
    assert rustdesk[0]["process.created_time"] == "2025-11-17T09:29:24+00:00"
    assert rustdesk[0]["time"] == "2025-11-17T09:30:03+00:00"


def test_old_uptime_based_start_time_is_not_taken_for_an_epoch() -> None:
    line = _line(
        "processes", {"pid": "10", "name": "sshd", "path": "/usr/sbin/sshd", "start_time": "86400"}
    )
    (row,) = _parse_lines([line])
    assert "process.created_time" not in row
    assert row["unmapped"]["columns"]["start_time"] == "86400"


def test_process_events_use_the_event_time() -> None:
    (event,) = rows("osqueryd.results.log", "process_activity")
    assert event["activity_id"] == 1
    assert event["time"] == "2025-11-17T09:29:24+00:00"  # the row's time, not the log line's
    assert event["metadata.original_time"] == "1763371764"
    assert event["process.name"] == "rustdesk"


def test_software_types_versions_and_install_dates() -> None:
    software = {
        (r["package.name"], r["unmapped.osquery_action"]): r
        for name in ("osqueryd.results.log", "osqueryd.snapshots.log", "batch-format.log")
        for r in rows(name, "software_inventory_info")
    }
    anydesk = software[("AnyDesk", "added")]
    assert anydesk["package.type"] == "program"
    assert anydesk["package.vendor_name"] == "AnyDesk Software GmbH"
    assert anydesk["package.install_time"] == "2025-11-03T00:00:00+00:00"  # InstallDate YYYYMMDD
    assert anydesk["activity_id"] == 2
    rustdesk_app = software[("RustDesk.app", "snapshot")]
    assert rustdesk_app["package.type"] == "app"
    assert rustdesk_app["package.version"] == "1.4.2"  # bundle_short_version
    assert rustdesk_app["package.uid"] == "com.carriez.rustdesk"
    assert software[("anydesk", "added")]["package.type"] == "deb"
    assert software[("rustdesk", "removed")]["package.type"] == "deb"
    (rpm,) = rows("osqueryd.results.log.1.gz", "software_inventory_info")
    assert rpm["package.type"] == "rpm"
    assert rpm["package.install_time"] == "2025-11-12T10:00:00+00:00"
    (crd,) = rows("siem-export.json", "software_inventory_info")
    assert crd["package.type"] == "chrome_extension"
    assert crd["package.uid"] == "inomeogfingihgjfjlpeplalcfajhgai"


def test_sockets_and_listening_ports() -> None:
    conn = rows("osqueryd.results.log", "network_connection_query")
    listening = next(r for r in conn if r.get("state") == "LISTEN")
    assert listening["src_endpoint.port"] == 7070
    assert listening["connection_info.protocol_name"] == "tcp"
    assert listening["process.name"] == "AnyDesk.exe"
    assert "dst_endpoint.ip" not in listening
    socket = next(r for r in conn if r.get("state") == "ESTABLISHED")
    assert socket["dst_endpoint.ip"] == "198.51.100.44"
    assert socket["dst_endpoint.port"] == 5938
    assert socket["src_endpoint.port"] == 50612
    udp = next(r for r in rows("tls-logger-post.json", "network_connection_query"))
    assert udp["connection_info.protocol_name"] == "udp"


def test_unix_socket_path_is_not_taken_for_the_process_path() -> None:
    line = _line(
        "listening_ports",
        {
            "pid": "700",
            "port": "0",
            "protocol": "0",
            "family": "1",
            "address": "",
            "path": "/run/x.sock",
        },
    )
    (row,) = _parse_lines([line])
    assert "process.file.path" not in row
    assert row["unmapped"]["columns"]["path"] == "/run/x.sock"


def test_sessions_keep_the_rdp_client_address() -> None:
    (rdp,) = rows("osqueryd.results.log", "user_session_query")
    assert rdp["user.name"] == "jmiller"
    assert rdp["session.terminal"] == "rdp-tcp#0"
    assert rdp["src_endpoint.ip"] == "203.0.113.77"
    assert rdp["session.created_time"] == "2025-11-17T08:00:10+00:00"
    local = [
        r
        for r in rows("osqueryd.results.log.1.gz", "user_session_query")
        if r["user.name"] == "kpatel"
    ]
    assert "src_endpoint.hostname" not in local[0]  # ':0' is an X display, not a host


def test_local_admins_only_for_admin_groups() -> None:
    admins = rows("osqueryd.results.log", "admin_group_query")
    assert {a["user.name"] for a in admins} == {"Administrator", "jmiller"}
    assert {a["group.uid"] for a in admins} == {"S-1-5-32-544"}
    assert admins[1]["user.uid"].startswith("S-1-5-21-")
    docker = by_log("custom-query-names.log", "group_members")[0]
    assert docker["class_uid"] == 0  # not an admin group: kept, but not as an admin
    assert docker["unmapped"]["recognized_as"] == "local_admins"
    hinted = by_log("custom-query-names.log", "admins")[0]
    assert hinted["class_uid"] == 5009  # only 'username', recognised thanks to the query name


def test_system_info_and_os_version() -> None:
    device = rows("osqueryd.snapshots.log", "device_inventory_info")
    hardware = next(r for r in device if r["metadata.log_name"] == "pack_farmhunt_system_info")
    assert hardware["device.hw_info.serial_number"] == "C02FK3Q7MD6T"
    assert hardware["device.model"] == "Mac14,10"
    assert hardware["device.hw_info.ram_size"] == 34359738368
    assert hardware["device.uid"] == "6F1E2D3C-4B5A-5968-8776-A5B4C3D2E1F0"
    os_row = next(r for r in device if r["metadata.log_name"] == "pack_farmhunt_os_version")
    assert (os_row["device.os.name"], os_row["device.os.version"]) == ("macOS", "15.1.1")
    assert os_row["device.os.build"] == "24B91"


def test_added_and_removed_rows_can_be_told_apart() -> None:
    usb = [
        r
        for r in rows("osqueryd.results.log", "peripheral_device_query")
        if r["peripheral_device.uid"] == "1d6b:0104"
    ]
    assert [(r["unmapped.osquery_action"], r["query_result_id"]) for r in usb] == [
        ("added", 1),
        ("removed", 3),
    ]
    assert usb[1]["query_result"] == "Does not exist"
    snap = rows("osqueryd.snapshots.log", "peripheral_device_query")
    assert {r["unmapped.osquery_action"] for r in snap} == {"snapshot"}


def test_unknown_queries_are_kept_in_base_event() -> None:
    (cron,) = by_log("custom-query-names.log", "crontab_check")
    assert cron["class_uid"] == 0
    assert cron["unmapped"]["columns"]["command"] == "/opt/tinypilot/start.sh"
    (pci,) = by_log("custom-query-names.log", "pci_inventory")
    assert pci["class_uid"] == 0  # vendor_id/model_id, but a PCI device, not USB


def test_status_logs_become_base_events_with_severity() -> None:
    got = outcomes("osqueryd-status.json.log")
    info, warning = got[0]["row"], got[1]["row"]
    assert info["metadata.log_name"] == "osquery status"
    assert info["message"].startswith("Executing scheduled query")
    assert info["severity_id"] == 1
    assert warning["severity_id"] == 2
    assert warning["unmapped"]["severity"] == "WARNING"
    assert "no time" in got[2]["quarantine"]["reason"]


# --------------------------------------------------------------------------- bad input


def test_bad_records_are_quarantined_with_reasons_and_the_rest_stored() -> None:
    got = outcomes("bad-input.log")
    reasons = {
        o["quarantine"]["record"]: o["quarantine"]["reason"] for o in got if "quarantine" in o
    }
    assert "invalid JSON" in reasons[2]
    assert "no time" in reasons[3]
    assert reasons[4] == "pid 'n/a' is not a number"
    assert "port 'seven' is not a number" in reasons[5]
    assert "unixTime 'yesterday' is not a timestamp" in reasons[6]
    assert "not an object of columns" in reasons[7]
    assert "not an osquery result" in reasons[8]
    assert "no time" in reasons[9]
    stored = [o for o in got if "row" in o]
    # line 1, the two good rows of the line-5 snapshot, the old format and calendarTime-only
    assert [o["row"]["raw_source.record"] for o in stored] == [1, 5, 5, 10, 11]
    ports = [
        o["row"]["src_endpoint.port"] for o in stored if o["table"] == "network_connection_query"
    ]
    assert ports == [7070, 5900]
    old, cal_only = stored[3]["row"], stored[4]["row"]
    assert old["device.hostname"] == "LT-NYC-0219"  # pre-2.0 'hostname' key
    assert old["metadata.original_time"] == "Mon Nov 17 10:37:29 2025"
    assert cal_only["time"] == "2025-11-17T10:37:30+00:00"  # from calendarTime alone


# --------------------------------------------------------------------------- detection


def test_recognised_by_content_whatever_the_file_name(tmp_path: Path) -> None:
    renamed = tmp_path / "export (3).txt"
    shutil.copy(SAMPLES / "osqueryd.results.log", renamed)
    packed = tmp_path / "logs.bin"
    packed.write_bytes(gzip.compress((SAMPLES / "custom-query-names.log").read_bytes()))
    for path in (renamed, packed):
        assert choose_parser(read_sample(str(path))).name == "osquery"


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.iterdir()))
def test_no_other_parser_claims_osquery_files(name: str) -> None:
    sample = read_sample(str(SAMPLES / name))
    scores = {p.name: p.sniff(sample) for p in all_parsers().values()}
    mine = scores.pop("osquery")
    assert mine >= 0.9
    assert max(scores.values()) < mine


def test_other_json_is_not_claimed(tmp_path: Path) -> None:
    others = {
        "ocsf.jsonl": HERE.parent / "ocsf" / "samples" / "lake-authentication.jsonl",
    }
    plain = tmp_path / "table.json"
    plain.write_text(
        json.dumps({"name": "report", "columns": ["a", "b"], "rows": [[1, 2]]})
        + "\n"
        + json.dumps({"eventType": "user.session.start", "published": "2025-11-17T10:00:00Z"})
        + "\n"
    )
    glog = tmp_path / "osqueryd.INFO"
    glog.write_text("I1117 09:14:03.123456 12345 scheduler.cpp:102] Executing scheduled query\n")
    osquery = all_parsers()["osquery"]
    for path in [*others.values(), plain, glog]:
        assert osquery.sniff(read_sample(str(path))) == 0.0, path.name


# --------------------------------------------------------------------------- recognition


@pytest.mark.parametrize(
    "columns,query,kind",
    [
        ("vendor_id model_id", "q1", "usb_devices"),
        ("vendor model usb_address usb_port", "q1", "usb_devices"),
        ("vendor_id product_id serial_number name", "q1", "connected_displays"),
        ("display_id name", "q1", "connected_displays"),
        ("vendor_id model_id pci_slot driver", "q1", None),
        ("pid name", "q1", "processes"),
        ("pid name path cmdline", "anything", "processes"),
        ("pid path cmdline time auid", "q1", "process_events"),
        ("pid path event_type username time", "q1", "process_events"),
        ("pid path cmdline event_type eid time username parent", "q1", "process_events"),
        ("type pid ppid path cmdline username time eid", "q1", "process_events"),  # ETW
        ("operation pid ppid time executable path eid", "q1", None),  # process_file_events
        ("name version", "q1", "software"),
        ("name bundle_identifier", "q1", "software"),
        ("name version identifier browser_type", "q1", "software"),
        ("name version major minor build platform", "q1", "system_info"),
        ("hardware_serial", "q1", "system_info"),
        ("pid port address protocol name path", "q1", "listening_ports"),
        ("name port protocol aliases comment", "q1", None),  # etc_services
        ("pid remote_address remote_port local_port name", "q1", "process_open_sockets"),
        ("action pid local_address remote_address eid time", "q1", None),  # socket_events
        ("user host", "q1", "logged_in_users"),
        ("username tty pid type type_name time host", "q1", None),  # the `last` table
        ("username groupname", "q1", "local_admins"),
        ("path username groupname permissions", "q1", None),  # suid_bin
        ("uid gid username directory shell", "q1", None),  # users: not without a hint
        ("uid gid username directory shell", "local_admins", "local_admins"),
        ("pid uuid version config_hash build_platform", "q1", None),  # osquery_info
        ("Vendor_ID Model_ID", "q1", "usb_devices"),  # case of aliases does not matter
    ],
)
def test_recognition_by_columns(columns: str, query: str, kind: str | None) -> None:
    assert recognize(columns.split(), query) == kind


def test_query_name_breaks_ties_only() -> None:
    # these columns fit displays and USB equally; the name decides
    assert recognize(["vendor_id", "product_id"], "usb_inventory") == "usb_devices"
    assert recognize(["vendor_id", "product_id"], "monitors") == "connected_displays"
    # a misleading name does not override clear columns
    assert recognize(["pid", "name", "path"], "usb_devices") == "processes"


# --------------------------------------------------------------------------- the pack

PACK_EXPECTED = {
    "processes": ("processes", "process_query"),
    "programs": ("software", "software_inventory_info"),
    "apps": ("software", "software_inventory_info"),
    "deb_packages": ("software", "software_inventory_info"),
    "rpm_packages": ("software", "software_inventory_info"),
    "chrome_extensions": ("software", "software_inventory_info"),
    "usb_devices": ("usb_devices", "peripheral_device_query"),
    "connected_displays": ("connected_displays", "peripheral_device_query"),
    "listening_ports": ("listening_ports", "network_connection_query"),
    "process_open_sockets": ("process_open_sockets", "network_connection_query"),
    "logged_in_users": ("logged_in_users", "user_session_query"),
    "local_admins_posix": ("local_admins", "admin_group_query"),
    "local_admins_windows": ("local_admins", "admin_group_query"),
    "system_info": ("system_info", "device_inventory_info"),
    "os_version": ("system_info", "device_inventory_info"),
    "process_events": ("process_events", "process_activity"),
    "wifi_status": ("wifi_status", "base_event"),
    "network_and_remote_ids": ("registry", "base_event"),
}


def select_columns(sql: str) -> list[str]:
    """Output column names of a SELECT: the alias, else the column after any table prefix."""
    body = re.search(r"select\s+(.*?)\s+from\s", sql, re.IGNORECASE | re.DOTALL)
    assert body, sql
    names = []
    for item in body.group(1).split(","):
        item = item.strip()
        alias = re.search(r"\s+as\s+(\w+)$", item, re.IGNORECASE)
        names.append(alias.group(1) if alias else item.split(".")[-1])
    return names


def _pack() -> dict[str, Any]:
    pack: dict[str, Any] = json.loads(PACK.read_text(encoding="utf-8"))
    return pack


def test_pack_is_a_valid_osquery_pack() -> None:
    queries = _pack()["queries"]
    assert set(queries) == set(PACK_EXPECTED)
    for name, spec in queries.items():
        assert spec["query"].rstrip().endswith(";"), name
        assert isinstance(spec["interval"], int) and spec["interval"] >= 60, name
        assert spec["description"], name
        assert set(spec["platform"].split(",")) <= {"all", "windows", "darwin", "linux", "posix"}
        assert spec.get("snapshot") is True or "removed" in spec, name
        assert "*" not in select_columns(spec["query"]), f"{name}: list the columns"


@pytest.mark.parametrize("query_name", sorted(PACK_EXPECTED))
def test_pack_queries_are_recognised_by_their_columns(query_name: str) -> None:
    sql = _pack()["queries"][query_name]["query"]
    columns = select_columns(sql)
    kind, table = PACK_EXPECTED[query_name]
    # a neutral name: recognition must come from the columns alone
    assert recognize(columns, "scheduled_query_1") == kind, columns
    values = {
        c: {
            "groupname": "wheel",
            "group_sid": "S-1-5-32-544",
            "vendor_id": "1d6b",
            "model_id": "0104",
            "product_id": "7773",
            "time": "1763370000",
        }.get(c, "7")
        for c in columns
    }
    (row,) = _parse_lines([_line(f"pack_farmhunt_{query_name}", values)])
    assert row["class_name"] == _table_class(table), (query_name, row["class_name"])


def _table_class(table: str) -> str:
    from farmhunt.schema import get_table

    return get_table(table).class_name


# --------------------------------------------------------------------------- end to end


def test_ingest_into_the_store_and_query_it(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(SAMPLES)])
    assert all(r.format == "osquery" for r in results), [(r.path, r.format) for r in results]
    con = ws.connect()
    kvm = con.execute(
        'SELECT DISTINCT "device.hostname" FROM peripheral_device_query '
        "WHERE list_contains(\"peripheral_device.vendor_id_list\", '1d6b') "
        "AND \"unmapped.osquery_action\" != 'removed' ORDER BY 1"
    ).fetchall()
    assert [h for (h,) in kvm] == ["Alexs-MacBook-Pro.local", "LT-CHI-0381", "dev-ws-0142"]
    monitors = con.execute(
        'SELECT "peripheral_device.name" FROM peripheral_device_query '
        "WHERE list_contains(\"peripheral_device.vendor_id_list\", 'LNX')"
    ).fetchall()
    assert {m for (m,) in monitors} == {"PiKVM V4 Plus"}
    remote_tools = con.execute(
        "SELECT count(*) FROM software_inventory_info "
        "WHERE regexp_matches(lower(\"package.name\"), 'anydesk|teamviewer|rustdesk')"
    ).fetchone()
    assert remote_tools is not None and remote_tools[0] >= 6
    quarantined = con.execute(
        "SELECT count(*) FROM quarantine WHERE \"raw_source.file\" LIKE '%bad-input.log'"
    ).fetchone()
    assert quarantined == (8,)
    con.close()
    ws.close()


def test_examples_ingest_without_rejections(tmp_path: Path) -> None:
    examples = HERE.parents[2] / "examples" / "osquery"
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(examples)])
    assert results and all(r.format == "osquery" and r.status == "imported" for r in results)
    assert sum(r.rejected for r in results) == 0
    assert sum(r.stored for r in results) >= 25
    ws.close()


# --------------------------------------------------------------------------- helpers


def _line(name: str, columns: dict[str, Any], action: str = "added") -> str:
    return json.dumps(
        {
            "name": name,
            "hostIdentifier": "test-host",
            "calendarTime": "Mon Nov 17 09:14:03 2025 UTC",
            "unixTime": 1763370843,
            "epoch": 0,
            "counter": 0,
            "numerics": False,
            "decorations": {},
            "columns": columns,
            "action": action,
        }
    )


def _parse_lines(lines: list[str]) -> list[dict[str, Any]]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "results.log"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        got = parse_sample(path, expected_format="osquery")
    assert all("row" in o for o in got), got
    return [o["row"] for o in got]


def test_wifi_and_registry_rows_say_what_they_identify() -> None:
    """Recognised by their columns whatever the query is called: the Wi-Fi's BSSID and
    name, a router's MAC, a TeamViewer id; other registry values identify nothing."""
    got = rows("network-and-remote-ids.log")
    wifi = [r["unmapped"]["wifi"] for r in got if "wifi" in r["unmapped"]]
    assert wifi == [
        {"ssid": "NETGEAR-36", "bssid": "a0:40:a0:6a:8e:28", "interface": "en0"},
        {"ssid": "MySpectrumWiFi", "bssid": "9c:3d:cf:01:02:03"},
    ]
    networks = [r["unmapped"]["network"] for r in got if "network" in r["unmapped"]]
    assert networks == [{"name": "NETGEAR-36"}, {"gateway_mac": "e8:9f:80:a1:b2:c3"}]
    tools = [r["unmapped"]["remote_tool"] for r in got if "remote_tool" in r["unmapped"]]
    assert tools == [{"product": "TeamViewer", "id": "1234567890"}]
    assert {r["unmapped"]["recognized_as"] for r in got} == {"wifi_status", "registry"}
