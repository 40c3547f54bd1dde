"""Windows event logs: EVTX files (written by farmhunt's EVTX writer), the evtx tool's
JSON, Winlogbeat, NXLog and PowerShell exports, their mappings and their damage."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from evtx import PyEvtxParser

from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.simulate.writers.evtx import (
    CHUNK_HEADER_SIZE,
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    EventSpec,
    Guid,
    HexInt32,
    HexInt64,
    Sid,
    UInt8,
    UInt16,
    UInt64,
    UserData,
    write_evtx,
)
from farmhunt.sources import read_sample
from farmhunt.sources.base import FileError
from farmhunt.sources.registry import all_parsers, choose_parser
from farmhunt.sources.windows.devices import parse_instance_id
from farmhunt.sources.windows.rdp import offset_name, parse_timezone_bias, split_address
from farmhunt.sources.windows.readers import from_evtx_json
from farmhunt.sources.windows.sysmon import parse_hashes, parse_query_results
from farmhunt.store import Workspace
from tests.golden import check_golden, golden_cases, parse_sample
from tests.sources.windows import make_samples

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
EXAMPLES = HERE.parents[2] / "examples" / "windows"
WINDOWS_FORMATS = {
    "evtx",
    "evtx-json",
    "winlogbeat",
    "nxlog-windows",
    "powershell-winevent",
    "splunk-windows",
    "azure-windows",
}


def expected_format(name: str) -> str:
    if name.endswith((".evtx", ".evtx.gz")):
        return "evtx"
    if name.startswith("evtx_dump"):
        return "evtx-json"
    if name.startswith(("nxlog", "otrf")):
        return "nxlog-windows"
    if name.startswith("powershell"):
        return "powershell-winevent"
    if name.startswith("splunk"):
        return "splunk-windows"
    if name.startswith("azure"):
        return "azure-windows"
    return "winlogbeat"


@pytest.mark.parametrize("sample,golden", golden_cases(HERE), ids=lambda p: p.name)
def test_golden(sample: Path, golden: Path, update_golden: bool) -> None:
    check_golden(sample, golden, update_golden, expected_format=expected_format(sample.name))


def rows(name: str) -> list[dict[str, Any]]:
    return parse_sample(SAMPLES / name)


def by_code(outcomes: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return [o["row"] for o in outcomes if "row" in o and o["row"]["metadata.event_code"] == code]


def read_back(data: bytes) -> list[dict[str, Any]]:
    return [
        {"id": r["event_record_id"], **json.loads(r["data"])}
        for r in PyEvtxParser(io.BytesIO(data)).records_json()
    ]


# ----------------------------------------------------------------------- the writer


def test_writer_round_trip_through_the_evtx_library() -> None:
    when = datetime(2024, 5, 2, 8, 30, 1, 123456, tzinfo=UTC)
    spec = EventSpec(
        channel="Security",
        provider="Microsoft-Windows-Security-Auditing",
        provider_guid="{54849625-5478-4994-a5ba-3e3b0328c30d}",
        event_id=4624,
        version=2,
        level=0,
        task=12544,
        keywords=0x8020000000000000,
        time=when,
        computer="WS-0042.corp.example.com",
        process_id=788,
        thread_id=6012,
        user_sid="S-1-5-18",
        activity_id="{6b3c9f1a-8e2d-4c7b-a1f0-2d9e8c7b6a5f}",
        data={
            "TargetUserSid": Sid("S-1-5-21-3623811015-3361044348-30300820-1013"),
            "TargetUserName": "zoë.müller",
            "TargetLogonId": HexInt64(0x2F4A1C9),
            "LogonType": 10,
            "Status": HexInt32(0xC000006D),
            "LogonGuid": Guid("{5b9e1c42-77a0-3d1f-9e2c-4a6b8d0f1e23}"),
            "Elevated": True,
            "Port": UInt16(3389),
            "Level": UInt8(7),
            "Big": UInt64(2**40),
            "Negative": -5,
            "When": datetime(2024, 1, 1, 12, 0, tzinfo=UTC),
            "Blob": b"\x01\xff",
            "Snowman": "☃ 𝄞",
            "Empty": "",
            "Nothing": None,
        },
    )
    out = io.BytesIO()
    layout = write_evtx(out, [spec], first_record_id=77)
    assert layout.records == 1 and layout.chunks[0].first_record_id == 77
    [record] = read_back(out.getvalue())
    assert record["id"] == 77
    system, data = record["Event"]["System"], record["Event"]["EventData"]
    assert system["EventID"] == 4624 and system["Version"] == 2 and system["Level"] == 0
    assert system["Task"] == 12544 and system["Keywords"] == "0x8020000000000000"
    assert system["TimeCreated"]["#attributes"]["SystemTime"] == "2024-05-02T08:30:01.123456Z"
    assert system["EventRecordID"] == 77
    assert system["Channel"] == "Security" and system["Computer"] == "WS-0042.corp.example.com"
    assert system["Provider"]["#attributes"] == {
        "Name": "Microsoft-Windows-Security-Auditing",
        "Guid": "54849625-5478-4994-A5BA-3E3B0328C30D",
    }
    assert system["Execution"]["#attributes"] == {"ProcessID": 788, "ThreadID": 6012}
    assert system["Security"]["#attributes"] == {"UserID": "S-1-5-18"}
    assert system["Correlation"]["#attributes"]["ActivityID"] == (
        "6B3C9F1A-8E2D-4C7B-A1F0-2D9E8C7B6A5F"
    )
    assert data == {
        "TargetUserSid": "S-1-5-21-3623811015-3361044348-30300820-1013",
        "TargetUserName": "zoë.müller",
        "TargetLogonId": "0x2f4a1c9",
        "LogonType": 10,
        "Status": "0xc000006d",
        "LogonGuid": "5B9E1C42-77A0-3D1F-9E2C-4A6B8D0F1E23",
        "Elevated": True,
        "Port": 3389,
        "Level": 7,
        "Big": 2**40,
        "Negative": -5,
        "When": "2024-01-01T12:00:00.000000Z",
        "Blob": "01FF",
        "Snowman": "☃ 𝄞",
        "Empty": "",
        "Nothing": "",
    }


def test_writer_user_data_classic_data_and_qualifiers() -> None:
    when = datetime(2024, 5, 2, 8, 30, tzinfo=UTC)
    out = io.BytesIO()
    write_evtx(
        out,
        [
            EventSpec(
                channel="Microsoft-Windows-DriverFrameworks-UserMode/Operational",
                provider="Microsoft-Windows-DriverFrameworks-UserMode",
                event_id=2100,
                time=when,
                computer="H",
                user_data=UserData(
                    "UMDFHostDeviceRequest",
                    {"Request": UserData("Request", attributes={"major": "27"}), "Status": "0"},
                    namespace="http://www.microsoft.com/DriverFrameworks/UserMode/Event",
                    attributes={"instance": "USB\\VID_18D1&PID_4EE1\\0A1B"},
                ),
            ),
            EventSpec(
                channel="System",
                provider="Service Control Manager",
                event_source_name="Service Control Manager",
                qualifiers=16384,
                event_id=7045,
                time=when,
                computer="H",
                data=["AnyDesk Service", "auto start"],
            ),
        ],
    )
    first, second = read_back(out.getvalue())
    request = first["Event"]["UserData"]["UMDFHostDeviceRequest"]
    assert request["#attributes"]["instance"] == "USB\\VID_18D1&PID_4EE1\\0A1B"
    assert request["Request"]["#attributes"] == {"major": "27"} and request["Status"] == "0"
    assert second["Event"]["System"]["EventID"] == {
        "#attributes": {"Qualifiers": 16384},
        "#text": 7045,
    }
    assert second["Event"]["EventData"]["Data"]["#text"] == ["AnyDesk Service", "auto start"]


def _crc_ok(data: bytes, offset: int) -> tuple[bool, bool]:
    chunk = data[offset : offset + CHUNK_SIZE]
    free = struct.unpack_from("<I", chunk, 48)[0]
    header = zlib.crc32(chunk[:120] + chunk[128:512]) == struct.unpack_from("<I", chunk, 124)[0]
    records = zlib.crc32(chunk[512:free]) == struct.unpack_from("<I", chunk, 52)[0]
    return header, records


def test_writer_fills_chunks_writes_checksums_and_is_deterministic() -> None:
    events = list(make_samples.many_logons(600))
    out = io.BytesIO()
    layout = write_evtx(out, events)
    data = out.getvalue()
    assert len(layout.chunks) >= 2, "600 logons do not fit one 64 KiB chunk"
    assert sum(c.record_count for c in layout.chunks) == 600
    assert len(data) == FILE_HEADER_SIZE + len(layout.chunks) * CHUNK_SIZE
    assert zlib.crc32(data[:120]) == struct.unpack_from("<I", data, 124)[0]
    assert struct.unpack_from("<H", data, 42)[0] == len(layout.chunks)
    for chunk in layout.chunks:
        assert _crc_ok(data, chunk.offset) == (True, True)
    assert [r["id"] for r in read_back(data)] == list(range(1, 601))
    again = io.BytesIO()
    write_evtx(again, events)
    assert again.getvalue() == data


@pytest.mark.parametrize(
    "data,message",
    [
        ({"Blob": "x" * 40_000}, "value of 80,000 bytes is too large"),
        ({f"F{i}": "x" * 20_000 for i in range(3)}, "too large for an EVTX chunk"),
    ],
)
def test_writer_refuses_what_a_chunk_cannot_hold(data: dict[str, str], message: str) -> None:
    huge = EventSpec(
        channel="Security", provider="P", event_id=1, time=datetime(2024, 1, 1, tzinfo=UTC),
        computer="H", data=data,
    )  # fmt: skip
    with pytest.raises(ValueError, match=message):
        write_evtx(io.BytesIO(), [huge])


def test_an_independent_parser_reads_the_written_files_too() -> None:
    """python-evtx (a separate implementation, a dev dependency only) verifies the header
    and chunk checksums and renders the same events."""
    import Evtx.Evtx as evtx_module  # type: ignore[import-untyped]

    for path in sorted(SAMPLES.glob("*.evtx")):
        if path.name == "truncated.evtx":
            continue
        with evtx_module.Evtx(str(path)) as log:
            header = log.get_file_header()
            assert header.verify() and all(chunk.verify() for chunk in header.chunks())
            ids = [record.record_num() for record in log.records()]
        assert ids == [r["id"] for r in read_back(path.read_bytes())], path.name


def test_samples_are_reproducible() -> None:
    """The committed EVTX/PowerShell samples and examples are exactly the writer's output."""
    for name, data in make_samples.sample_files().items():
        assert (SAMPLES / name).read_bytes() == data, f"{name}: run make_samples"
    for name, data in make_samples.example_files().items():
        assert (EXAMPLES / name).read_bytes() == data, f"examples/{name}: run make_samples"


# ---------------------------------------------------------------------- mappings


def test_rdp_logon_type_10_is_a_remote_interactive_logon() -> None:
    [logon] = by_code(rows("Security.evtx"), "4624")
    assert logon["logon_type_id"] == 10 and logon["logon_type"] == "Remote Interactive"
    assert logon["is_remote"] is True and logon["status_id"] == 1
    assert (logon["src_endpoint.ip"], logon["src_endpoint.port"]) == ("203.0.113.77", 50211)
    assert logon["user.name"] == "mkovacs" and logon["user.domain"] == "CORP"
    assert logon["user.uid"] == "S-1-5-21-3623811015-3361044348-30300820-1013"
    assert logon["session.uid"] == "0x2f4a1c9"
    assert logon["logon_process.name"] == "User32"  # Windows pads it with a space
    assert logon["auth_protocol"] == "Negotiate"
    assert logon["dst_endpoint.hostname"] == "LT-0193.corp.example.com"
    assert logon["metadata.product.name"] == "Windows Security"


def test_failed_logons_carry_the_substatus_reason_and_no_port_zero() -> None:
    [failed] = by_code(rows("Security.evtx"), "4625")
    assert failed["status_id"] == 2 and failed["status_detail"] == "INVALID_CREDENTIALS"
    assert "src_endpoint.port" not in failed  # Windows writes 0 for "no port"
    assert failed["unmapped"]["SubStatus"] == "0xc000006a"
    [unknown_user] = by_code(rows("winlogbeat.ndjson"), "4625")
    assert unknown_user["status_detail"] == "USER_DOES_NOT_EXIST"


def test_session_reconnect_disconnect_account_and_group_changes() -> None:
    outcomes = rows("Security.evtx")
    [disconnect], [reconnect] = by_code(outcomes, "4779"), by_code(outcomes, "4778")
    assert (disconnect["activity_id"], reconnect["activity_id"]) == (7, 8)
    assert reconnect["src_endpoint.hostname"] == "DESKTOP-8K2Q1LM"
    assert reconnect["src_endpoint.ip"] == "203.0.113.77"
    assert reconnect["session.terminal"] == "RDP-Tcp#5" and reconnect["user.name"] == "mkovacs"
    [created] = by_code(outcomes, "4720")
    assert created["activity_name"] == "Create" and created["user.name"] == "svc_helpdesk"
    assert created["actor.user.name"] == "mkovacs" and "user.full_name" not in created
    [added] = by_code(outcomes, "4732")
    assert added["activity_name"] == "Add User" and added["group.name"] == "Administrators"
    assert added["group.uid"] == "S-1-5-32-544" and added["user.uid"].endswith("-1014")
    [privileges] = by_code(outcomes, "4672")
    assert privileges["class_name"] == "Base Event" and "PrivilegeList" in privileges["unmapped"]


def test_sysmon_process_network_and_dns() -> None:
    outcomes = rows("Sysmon.evtx")
    [launch] = by_code(outcomes, "1")
    assert launch["process.name"] == "AnyDesk.exe" and launch["process.pid"] == 7412
    assert launch["process.uid"] == "{7a1c2f0e-9b3d-6633-5f01-000000002a00}"
    assert launch["process.parent_process.name"] == "explorer.exe"
    assert launch["process.file.internal_name"] == "AnyDesk.exe"
    assert launch["process.file.hashes"]["SHA256"].startswith("1F4E7A0D")
    assert set(launch["process.file.hashes"]) == {"SHA1", "MD5", "SHA256", "IMPHASH"}
    assert launch["process.session.uid"] == "0x2f4a1c9"
    assert (launch["actor.user.name"], launch["actor.user.domain"]) == ("mkovacs", "CORP")
    [connect] = by_code(outcomes, "3")
    assert connect["connection_info.direction_id"] == 2  # Initiated = outbound
    assert (connect["dst_endpoint.ip"], connect["dst_endpoint.port"]) == ("203.0.113.41", 443)
    resolved, failed = by_code(outcomes, "22")
    assert resolved["answers"] == [
        {"type": "CNAME", "rdata": "relay-4c1d2e3f.edge.example.net"},
        {"type": "A", "rdata": "203.0.113.41"},
        {"type": "A", "rdata": "203.0.113.42"},
    ]
    assert (resolved["rcode_id"], failed["rcode_id"], failed["rcode"]) == (0, 3, "NXDomain")
    [inbound] = by_code(rows("winlogbeat.ndjson"), "3")
    assert inbound["connection_info.direction_id"] == 1 and inbound["dst_endpoint.port"] == 3389


def test_sysmon_value_parsers() -> None:
    assert parse_hashes("SHA256=AB,MD5=CD") == {"SHA256": "AB", "MD5": "CD"}
    assert parse_hashes("garbage") is None and parse_hashes("SHA256=") is None
    assert parse_query_results("type:  5 a.example;2001:db8::1;::ffff:192.0.2.1;") == [
        {"type": "CNAME", "rdata": "a.example"},
        {"type": "AAAA", "rdata": "2001:db8::1"},
        {"type": "A", "rdata": "192.0.2.1"},
    ]
    assert parse_query_results("-") is None


def test_remote_desktop_1149_and_client_time_zone() -> None:
    first, second = by_code(rows("RemoteConnectionManager.evtx"), "1149")
    assert (first["user.name"], first["user.domain"], first["src_endpoint.ip"]) == (
        "mkovacs",
        "CORP",
        "203.0.113.77",
    )
    assert second["src_endpoint.ip"] == "2001:db8:4c::17" and first["status_id"] == 1
    core = rows("RdpCoreTS.evtx")
    tokyo, eastern = by_code(core, "104")
    assert tokyo["unmapped.client_utc_offset_minutes"] == 540
    assert tokyo["unmapped.client_timezone"] == "UTC+09:00"
    assert eastern["unmapped.client_utc_offset_minutes"] == -300
    accepted = by_code(core, "131")[0]
    assert accepted["connection_info.uid"] == tokyo["connection_info.uid"]
    assert (accepted["src_endpoint.ip"], accepted["src_endpoint.port"]) == ("203.0.113.77", 50211)
    [refused] = by_code(core, "140")
    assert refused["status_id"] == 2 and refused["src_endpoint.ip"] == "2001:db8:4c::17"
    [logon] = by_code(rows("winlogbeat.ndjson"), "21")
    assert logon["user.name"] == "mkovacs" and logon["src_endpoint.ip"] == "203.0.113.77"


@pytest.mark.parametrize(
    "text,minutes",
    [("[9]", 540), ("[-8]", -480), ("-8", -480), ("[5.5]", 330), ("[+5:30]", 330), ("[0]", 0)],
)
def test_timezone_bias_values(text: str, minutes: int) -> None:
    assert parse_timezone_bias(text) == minutes


def test_timezone_bias_rejects_what_is_not_an_offset() -> None:
    assert parse_timezone_bias("[20]") is None and parse_timezone_bias("UTC") is None
    assert offset_name(-480) == "UTC-08:00" and offset_name(0) == "UTC"
    assert split_address("[2001:db8::5]:3389") == ("2001:db8::5", 3389)
    assert split_address("2001:db8::5") == ("2001:db8::5", None)


def test_pikvm_usb_gadget_is_recognised_by_vendor_and_product() -> None:
    outcomes = rows("Kernel-PnP-Configuration.evtx")
    configured = by_code(outcomes, "400")
    gadget = configured[0]
    assert gadget["peripheral_device.uid"] == "USB\\VID_1D6B&PID_0104\\CAFEBABE"
    assert (gadget["unmapped.usb_vendor_id"], gadget["unmapped.usb_product_id"]) == ("1d6b", "0104")
    assert gadget["peripheral_device.serial_number"] == "CAFEBABE"
    assert gadget["peripheral_device.vendor_id_list"] == ["1d6b"]
    keyboard, disk = configured[1], configured[2]
    assert keyboard["unmapped.usb_vendor_id"] == "1d6b"
    assert "peripheral_device.serial_number" not in keyboard  # Windows-made id: no serial
    assert disk["peripheral_device.serial_number"] == "CAFEBABE"  # USBSTOR: LUN dropped
    [recognized] = by_code(rows("winlogbeat.ndjson"), "6416")
    assert recognized["peripheral_device.name"] == "USB Composite Device"
    assert recognized["unmapped.usb_product_id"] == "0104"


@pytest.mark.parametrize(
    "instance,expected",
    [
        (
            "USB\\VID_1D6B&PID_0104\\CAFEBABE",
            {"vendor_id": "1d6b", "product_id": "0104", "serial": "CAFEBABE"},
        ),
        ("USB\\VID_046D&PID_C52B\\5&2A3B4C5D&0&2", {"vendor_id": "046d", "product_id": "c52b"}),
        ("USBSTOR\\Disk&Ven_SanDisk&Prod_Cruzer\\4C5300012301&0", {"serial": "4C5300012301"}),
        (
            "SWD\\WPDBUSENUM\\_??_USBSTOR#DISK&VEN_SANDISK&PROD_CRUZER&REV_1.00#4C5300012301&0#{53f56307-b6bf-11d0-94f2-00a0c91efb8b}",
            {"serial": "4C5300012301"},
        ),
        ("ACPI\\PNP0303\\4&1D401FB5&0", {}),
    ],
)  # fmt: skip
def test_device_instance_ids(instance: str, expected: dict[str, str]) -> None:
    assert parse_instance_id(instance) == expected


def test_one_event_maps_the_same_from_every_format() -> None:
    """The RDP logon, the Sysmon launch and the PiKVM install read alike in every shape."""
    keys = ["user.name", "user.uid", "logon_type_id", "src_endpoint.ip", "session.uid"]
    expected = {k: by_code(rows("Security.evtx"), "4624")[0][k] for k in keys}
    for name in ("evtx_dump_records.txt", "winlogbeat.ndjson", "nxlog.json",
                 "powershell_get_winevent.json"):  # fmt: skip
        [logon] = by_code(rows(name), "4624")
        assert {k: logon[k] for k in keys} == expected, name
        assert logon["time"].startswith("2024-05-02T13:57:54.118"), name
    launch_keys = [
        "process.uid",
        "process.parent_process.uid",
        "process.session.uid",
        "process.pid",
    ]
    launch = {k: by_code(rows("Sysmon.evtx"), "1")[0][k] for k in launch_keys}
    assert {k: by_code(rows("nxlog.json"), "1")[0][k] for k in launch_keys} == launch
    device = ["peripheral_device.uid", "unmapped.usb_vendor_id", "peripheral_device.serial_number"]
    gadget = {k: by_code(rows("Kernel-PnP-Configuration.evtx"), "400")[0][k] for k in device}
    for name in (
        "evtx_dump.jsonl",
        "winlogbeat.ndjson",
        "nxlog.json",
        "powershell_get_winevent.json",
    ):
        assert {k: by_code(rows(name), "400")[0][k] for k in device} == gadget, name


def test_unknown_channels_and_ids_are_kept_in_base_event() -> None:
    [script] = by_code(rows("winlogbeat.ndjson"), "4104")
    assert script["class_name"] == "Base Event"
    assert script["unmapped"]["ScriptBlockText"] == "Get-NetIPConfiguration"
    assert script["metadata.log_name"] == "Microsoft-Windows-PowerShell/Operational"
    [service] = by_code(rows("powershell_get_winevent.json"), "7045")
    assert service["unmapped"]["Property1"] == "AnyDesk Service"  # no names known: by position


def test_elastic_agent_document_without_event_data_reads_event_original() -> None:
    dns = by_code(rows("winlogbeat.ndjson"), "22")
    assert [d["query.hostname"] for d in dns] == ["api.ipify.org", "relay-77aa01bc.net.anydesk.com"]
    assert dns[1]["answers"] == [{"type": "A", "rdata": "203.0.113.43"}]


def test_nxlog_time_without_offset_is_flagged() -> None:
    [connection] = by_code(rows("nxlog.json"), "1149")
    assert connection["time"] == "2024-05-02T15:57:53+00:00"
    assert "no UTC offset" in connection["unmapped"]["time_zone_note"]
    [logon] = by_code(rows("nxlog.json"), "4624")
    assert "time_zone_note" not in logon["unmapped"]


def test_evtx_json_variants_read_alike() -> None:
    base = {
        "System": {
            "EventID": {"#attributes": {"Qualifiers": 0}, "#text": 4624},
            "Channel": "Security",
            "Computer": "H",
            "TimeCreated_attributes": {"SystemTime": "2024-05-02T13:57:54.118520Z"},
        },
        "EventData": {"LogonType": "10", "TargetUserName": "mkovacs"},
    }
    separate = from_evtx_json({"Event": base})  # evtx_dump --separate-json-attributes
    bare = from_evtx_json(base)  # rows without the Event wrapper (Velociraptor)
    for event in (separate, bare):
        assert event.event_id == 4624 and event.channel == "Security"
        assert event.data["TargetUserName"] == "mkovacs"
        assert event.time == datetime(2024, 5, 2, 13, 57, 54, 118520, tzinfo=UTC)


def test_powershell_export_with_deeper_objects(tmp_path: Path) -> None:
    """-Depth 4 expands SIDs and dates inside Properties; PowerShell 7 writes ISO times."""
    record = {
        "Id": 4624,
        "LogName": "Security",
        "ProviderName": "Microsoft-Windows-Security-Auditing",
        "MachineName": "LT-0193",
        "RecordId": 5,
        "TimeCreated": "2024-05-02T15:57:54.1185200+02:00",
        "Keywords": -9223372036854775808,
        "Properties": [
            {"Value": {"BinaryLength": 12, "AccountDomainSid": None, "Value": "S-1-5-18"}},
            {"Value": "LT-0193$"},
        ],
    }
    path = tmp_path / "events.json"
    path.write_text(json.dumps([record, record]), encoding="utf-8")
    outcomes = parse_sample(path, "powershell-winevent")
    assert len(outcomes) == 2
    row = outcomes[0]["row"]
    assert row["actor.user.uid"] == "S-1-5-18" and row["actor.user.name"] == "LT-0193$"
    assert row["time"] == "2024-05-02T13:57:54.118520+00:00"


# ----------------------------------------------------------------- detection


def test_detection_by_content_not_by_name(tmp_path: Path) -> None:
    renamed = tmp_path / "download.bin"
    shutil.copy(SAMPLES / "Security.evtx", renamed)
    assert choose_parser(read_sample(str(renamed))).name == "evtx"
    lines = (SAMPLES / "winlogbeat.ndjson").read_text(encoding="utf-8").splitlines()
    page = tmp_path / "export.json"
    page.write_text(json.dumps({"value": [json.loads(x) for x in lines[:4]]}), encoding="utf-8")
    assert choose_parser(read_sample(str(page))).name == "winlogbeat"
    zipped = tmp_path / "events.gz"
    zipped.write_bytes(gzip.compress("\n".join(lines).encode("utf-8")))
    assert choose_parser(read_sample(str(zipped))).name == "winlogbeat"
    subset = tmp_path / "few-fields.ndjson"
    subset.write_text(
        json.dumps({"@timestamp": "2024-05-02T13:57:54Z", "winlog": {"event_id": 4624}}) + "\n",
        encoding="utf-8",
    )
    assert choose_parser(read_sample(str(subset))).name == "winlogbeat"
    utf16 = tmp_path / "nxlog-utf16.json"
    utf16.write_bytes(b"\xff\xfe" + (SAMPLES / "nxlog.json").read_text().encode("utf-16-le"))
    assert choose_parser(read_sample(str(utf16))).name == "nxlog-windows"


def test_other_sources_samples_are_not_claimed() -> None:
    others = [
        p
        for p in (HERE.parent).glob("*/samples/*")
        if p.is_file() and p.parent.parent.name != "windows"
    ]
    assert others, "other sources' samples are needed to check this"
    windows = [all_parsers()[name] for name in WINDOWS_FORMATS]
    for path in others:
        sample = read_sample(str(path))
        best = max(
            (p.sniff(sample) for p in all_parsers().values() if p.name not in WINDOWS_FORMATS),
            default=0,
        )
        mine = max(p.sniff(sample) for p in windows)
        assert mine == 0 or mine < best, f"{path} would be read as Windows events ({mine})"


# --------------------------------------------------------------- damaged input


def test_corrupt_chunk_quarantines_its_records_and_keeps_the_others() -> None:
    outcomes = rows("corrupt_chunk.evtx.gz")
    stored = [o["row"]["unmapped"]["record_id"] for o in outcomes if "row" in o]
    quarantined = [o["quarantine"] for o in outcomes if "quarantine" in o]
    assert stored == list(range(1, 21)) + list(range(41, 61))
    assert len(quarantined) == 20
    assert all("chunk 1" in q["reason"] and "CRC32" in q["reason"] for q in quarantined)
    assert "EventRecordID 21" in quarantined[0]["reason"]


def test_truncated_file_keeps_whole_records_and_reports_the_rest() -> None:
    outcomes = rows("truncated.evtx")
    stored = [o["row"]["unmapped"]["record_id"] for o in outcomes if "row" in o]
    quarantined = [o["quarantine"]["reason"] for o in outcomes if "quarantine" in o]
    assert stored == list(range(1, len(stored) + 1)) and 20 < len(stored) < 40
    assert len(quarantined) == 1
    assert "file ends inside the chunk" in quarantined[0]
    assert f"EventRecordID {len(stored) + 1}-40" in quarantined[0]


def _rewrite_crcs(data: bytearray, offset: int) -> None:
    chunk = data[offset : offset + CHUNK_SIZE]
    free = struct.unpack_from("<I", chunk, 48)[0]
    struct.pack_into("<I", data, offset + 52, zlib.crc32(bytes(chunk[CHUNK_HEADER_SIZE:free])))
    chunk = data[offset : offset + CHUNK_SIZE]
    struct.pack_into("<I", data, offset + 124, zlib.crc32(bytes(chunk[:120] + chunk[128:512])))


def _record_offsets(data: bytes, chunk_offset: int) -> list[int]:
    offsets, at = [], chunk_offset + CHUNK_HEADER_SIZE
    free = chunk_offset + struct.unpack_from("<I", data, chunk_offset + 48)[0]
    while at < free:
        offsets.append(at)
        at += struct.unpack_from("<I", data, at + 4)[0]
    return offsets


def _file(tmp_path: Path, data: bytes, name: str = "log.evtx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_what_the_evtx_library_does_with_damage_and_why_farmhunt_checks_itself() -> None:
    """The evtx library's behaviours the EVTX reader works around (if the library
    changes, these tell): it does not check chunk checksums unless asked, and then drops
    a whole chunk with one message; a chunk cut short yields nothing, and padded with
    zeros it yields a made-up record."""
    data, layout = make_samples.evtx_bytes(make_samples.many_logons(40), max_records_per_chunk=20)
    chunk = layout.chunks[1].offset
    flipped = bytearray(data)
    name_at = flipped.find("mkovacs".encode("utf-16-le"), chunk + 9000)
    flipped[name_at] ^= 0x01  # 'm' becomes 'l': a different user, same length
    unchecked = read_back(bytes(flipped))
    assert len(unchecked) == 40  # read without complaint…
    assert any(r["Event"]["EventData"]["TargetUserName"] == "lkovacs" for r in unchecked)
    with pytest.warns(RuntimeWarning, match="CRC32"):
        checked = list(
            PyEvtxParser(
                io.BytesIO(bytes(flipped)), validate_checksums=True, skip_errors=True
            ).records_json()
        )
    assert len(checked) == 20  # …or, checked, the whole chunk is gone
    cut = data[: chunk + 12 * 1024]
    assert len(read_back(cut)) == 20  # the cut chunk gives nothing, and no error
    padded = read_back(cut + bytes(CHUNK_SIZE - 12 * 1024))
    assert padded[-1]["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"].startswith(
        "1601-01-01"
    )  # the record the cut went through, completed with zeros


def test_unparseable_record_is_quarantined_and_the_chunk_read_on(tmp_path: Path) -> None:
    """A record whose Binary XML is invalid (checksums made to match, as Windows would
    have written them): the library's reason goes to quarantine, its neighbours stay."""
    data, layout = make_samples.evtx_bytes(make_samples.many_logons(10))
    broken = bytearray(data)
    third = _record_offsets(data, layout.chunks[0].offset)[2]
    # The third record reuses the template: after its 4 header fields and the fragment
    # and template-instance headers (24 + 4 + 10 bytes) comes the value count, then
    # the first value descriptor; its type byte becomes an unknown type.
    struct.pack_into("<B", broken, third + 24 + 4 + 10 + 4 + 2, 0x7F)
    _rewrite_crcs(broken, layout.chunks[0].offset)
    outcomes = parse_sample(_file(tmp_path, bytes(broken)))
    assert [("row" in o) for o in outcomes] == [True, True, False] + [True] * 7
    assert "record number 3" in outcomes[2]["quarantine"]["reason"]


def test_damaged_record_header_ends_the_chunk_and_is_reported(tmp_path: Path) -> None:
    data, layout = make_samples.evtx_bytes(make_samples.many_logons(10))
    broken = bytearray(data)
    sixth = _record_offsets(data, layout.chunks[0].offset)[5]
    broken[sixth] = 0x00  # record signature
    _rewrite_crcs(broken, layout.chunks[0].offset)
    outcomes = parse_sample(_file(tmp_path, bytes(broken)))
    assert sum("row" in o for o in outcomes) == 5
    reasons = " | ".join(o["quarantine"]["reason"] for o in outcomes if "quarantine" in o)
    assert "record header magic" in reasons and "EventRecordID 6-10" in reasons


def test_bad_chunk_signature_loses_only_that_chunk(tmp_path: Path) -> None:
    data, layout = make_samples.evtx_bytes(make_samples.many_logons(40), max_records_per_chunk=20)
    broken = bytearray(data)
    broken[layout.chunks[0].offset : layout.chunks[0].offset + 8] = b"XXXXXXXX"
    outcomes = parse_sample(_file(tmp_path, bytes(broken)))
    assert "not an EVTX chunk" in outcomes[0]["quarantine"]["reason"]
    assert [o["row"]["unmapped"]["record_id"] for o in outcomes[1:]] == list(range(21, 41))


def test_dirty_file_last_chunk_with_stale_checksum_is_stored_unverified(tmp_path: Path) -> None:
    data, layout = make_samples.evtx_bytes(make_samples.many_logons(30), max_records_per_chunk=20)
    broken = bytearray(data)
    struct.pack_into("<I", broken, 120, 1)  # dirty: Windows had the log open
    struct.pack_into("<I", broken, 124, zlib.crc32(bytes(broken[:120])))
    last = layout.chunks[-1].offset
    struct.pack_into("<I", broken, last + 52, 0)  # records checksum not yet rewritten
    struct.pack_into(
        "<I",
        broken,
        last + 124,
        zlib.crc32(bytes(broken[last : last + 120] + broken[last + 128 : last + 512])),
    )
    outcomes = parse_sample(_file(tmp_path, bytes(broken)))
    assert all("row" in o for o in outcomes) and len(outcomes) == 30
    assert outcomes[-1]["row"]["unmapped"]["evtx_integrity"] == "unverified"
    assert "evtx_integrity" not in outcomes[0]["row"]["unmapped"]


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda d: d[:100], "cut short"),
        (lambda d: d[:24] + bytes([d[24] ^ 0xFF]) + d[25:], "header is corrupt"),
        (lambda d: d[:38] + b"\x02\x00" + d[40:], "header is corrupt"),
    ],
)
def test_corrupt_file_header_is_one_clear_error(tmp_path: Path, damage: Any, message: str) -> None:
    data = damage((SAMPLES / "Security.evtx").read_bytes())
    path = _file(tmp_path, data)
    with pytest.raises(FileError, match=message):
        parse_sample(path, "evtx")
    ws = Workspace(tmp_path / "ws", create=True)
    [result] = ingest_paths(ws, [str(path)])
    assert result.status == "error" and message in result.message
    ws.close()


def test_bad_json_records_are_quarantined_with_clear_reasons() -> None:
    outcomes = rows("bad_records.ndjson")
    reasons = [o["quarantine"]["reason"] for o in outcomes if "quarantine" in o]
    assert [("row" in o) for o in outcomes] == [
        True,
        False,
        False,
        False,
        False,
        False,
        True,
        False,
        True,
    ]
    assert "@timestamp is missing" in reasons[0]
    assert "EventID 'abc' is not an event id" in reasons[1]
    assert "ProcessId" in reasons[2] and "not a number" in reasons[2]
    assert "invalid JSON" in reasons[3]
    assert "LogonType" in reasons[4]
    assert "not a timestamp" in reasons[5]


# ------------------------------------------------------------------ end to end


def test_ingest_into_the_store_and_query_it(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(SAMPLES)])
    assert {r.format for r in results} == WINDOWS_FORMATS
    # truncated.evtx is a cut copy of the log in corrupt_chunk.evtx.gz: the records they
    # share (its first chunk) are stored once
    status = {Path(r.path).name: r.status for r in results}
    assert status.pop("truncated.evtx") == "appended"
    assert set(status.values()) == {"imported"}
    con = ws.connect()
    rdp_sources = con.execute(
        'SELECT DISTINCT "src_endpoint.ip" FROM authentication '
        "WHERE logon_type_id = 10 AND \"user.name\" = 'mkovacs' ORDER BY 1"
    ).fetchall()
    assert ("203.0.113.77",) in rdp_sources
    zones = con.execute(
        'SELECT DISTINCT "unmapped.client_timezone" FROM rdp_activity '
        'WHERE "unmapped.client_timezone" IS NOT NULL ORDER BY 1'
    ).fetchall()
    assert zones == [("UTC+09:00",), ("UTC-05:00",)]
    pikvm = con.execute(
        'SELECT count(*), count(DISTINCT "raw_source.format") FROM device_config_state_change '
        "WHERE \"unmapped.usb_vendor_id\" = '1d6b' AND \"unmapped.usb_product_id\" = '0104'"
    ).fetchone()
    assert pikvm is not None and pikvm[0] >= 8 and pikvm[1] == 5
    lost = con.execute(
        "SELECT count(*) FROM quarantine WHERE \"raw_source.file\" LIKE '%corrupt_chunk.evtx.gz'"
    ).fetchone()
    assert lost == (20,)
    evidence = con.execute(
        "SELECT raw_data FROM quarantine WHERE \"raw_source.file\" LIKE '%corrupt_chunk.evtx.gz' "
        'ORDER BY "raw_source.record" LIMIT 1'
    ).fetchone()
    assert evidence is not None and '"EventID":4624' in evidence[0]
    con.close()
    again = ingest_paths(ws, [str(SAMPLES / "Security.evtx")])
    assert again[0].status == "skipped"
    ws.close()


def test_examples_ingest_without_rejections(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(EXAMPLES)])
    assert results and all(r.format == "evtx" and r.status == "imported" for r in results)
    assert sum(r.rejected for r in results) == 0
    assert sum(r.stored for r in results) >= 15
    for path in EXAMPLES.iterdir():
        assert path.stat().st_size < 200_000
    ws.close()


def test_many_events_stream_through_chunks(tmp_path: Path) -> None:
    """A 3,000-event file: every record once, in order, numbered 1…n."""
    start = datetime(2024, 5, 1, tzinfo=UTC)
    events = (
        EventSpec(
            channel="Microsoft-Windows-Sysmon/Operational",
            provider="Microsoft-Windows-Sysmon",
            event_id=1,
            time=start + timedelta(seconds=i),
            computer="H",
            data={"ProcessGuid": Guid(uuid.UUID(int=i)), "ProcessId": i, "Image": f"C:\\x{i}.exe"},
        )
        for i in range(3000)
    )
    path = tmp_path / "big.evtx"
    write_evtx(path, events)
    outcomes = parse_sample(path)
    assert [o["row"]["raw_source.record"] for o in outcomes] == list(range(1, 3001))
    assert outcomes[-1]["row"]["process.pid"] == 2999
