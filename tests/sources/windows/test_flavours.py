"""Every common Windows JSON flavour is recognised by its fields and stored alike:
Winlogbeat 6, Elasticsearch hits (``_source``), Splunk search exports and Azure Monitor
rows (SecurityEvent, Event, WindowsEvent), besides the formats of ``test_windows``.

The samples hold the same events (an RDP logon, AnyDesk's launch, its service's
registry value and its configuration file) as ``winlogbeat.ndjson`` and the EVTX
samples, written as each exporter writes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from farmhunt.sources import read_sample
from farmhunt.sources.registry import choose_parser
from tests.golden import parse_sample

SAMPLES = Path(__file__).parent / "samples"
FLAVOURS = {
    "winlogbeat6.ndjson": "winlogbeat",
    "elastic_hits.ndjson": "winlogbeat",
    "splunk_export.json": "splunk-windows",
    "azure_monitor.json": "azure-windows",
}


def rows(name: str) -> list[dict[str, Any]]:
    outcomes = parse_sample(SAMPLES / name, FLAVOURS.get(name))
    assert not [o for o in outcomes if "quarantine" in o], name
    return [o["row"] for o in outcomes]


def one(name: str, code: str) -> dict[str, Any]:
    [row] = [r for r in rows(name) if r["metadata.event_code"] == code]
    return row


@pytest.mark.parametrize("name", sorted(FLAVOURS))
def test_each_flavour_is_recognised_by_its_fields(name: str, tmp_path: Path) -> None:
    renamed = tmp_path / "export.txt"
    renamed.write_bytes((SAMPLES / name).read_bytes())
    assert choose_parser(read_sample(str(renamed))).name == FLAVOURS[name]


@pytest.mark.parametrize(
    "name",
    ["winlogbeat6.ndjson", "elastic_hits.ndjson", "splunk_export.json", "azure_monitor.json"],
)
def test_the_rdp_logon_reads_alike_in_every_flavour(name: str) -> None:
    keys = ["user.name", "user.uid", "logon_type_id", "src_endpoint.ip", "session.uid"]
    keys += ["device.hostname", "time", "metadata.log_name", "class_name"]
    expected = one("winlogbeat.ndjson", "4624")
    logon = one(name, "4624")
    assert {k: logon.get(k) for k in keys} == {k: expected.get(k) for k in keys}


@pytest.mark.parametrize(
    "name",
    ["winlogbeat6.ndjson", "elastic_hits.ndjson", "splunk_export.json", "azure_monitor.json"],
)
def test_the_4688_launch_reads_alike_in_every_flavour(name: str) -> None:
    launch = one(name, "4688")
    assert launch["class_name"] == "Process Activity"
    assert launch["process.file.path"] == r"C:\Users\mkovacs\Downloads\AnyDesk.exe"
    assert launch["process.name"] == "AnyDesk.exe"
    assert launch["process.cmd_line"].endswith("--control")
    assert launch["process.pid"] == 7412 and launch["process.parent_process.pid"] == 5120
    assert launch["process.parent_process.name"] == "explorer.exe"
    assert launch["process.user.name"] == r"CORP\mkovacs"
    assert launch["process.session.uid"] == "0x2f4a1c9"
    assert launch["process.integrity"] == "Medium"
    assert launch["time"].startswith("2024-05-02T13:58:04")


def test_winlogbeat6_top_level_fields() -> None:
    registry = one("winlogbeat6.ndjson", "13")
    assert registry["class_name"] == "Registry Key Activity"
    assert registry["unmapped.target_object"].endswith(r"\Services\AnyDesk\ImagePath")
    assert registry["unmapped"]["record_id"] == 48215  # record_number
    assert registry["unmapped"]["user_sid"] == "S-1-5-18"  # user.identifier
    assert registry["unmapped"]["process_id"] == 3212  # process_id


def test_elastic_agent_document_with_only_ecs_code_and_host() -> None:
    created = one("elastic_hits.ndjson", "11")  # no winlog.event_id, no computer_name
    assert created["device.hostname"] == "LT-0193.corp.example.com"
    assert created["file.path"] == r"C:\ProgramData\AnyDesk\service.conf"
    assert created["actor.process.name"] == "AnyDesk.exe"


def test_splunk_classic_fields_get_their_manifest_names() -> None:
    launch = one("splunk_export.json", "4688")
    assert launch["actor.user.name"] == "mkovacs"  # Account_Name[0]: the creator
    assert launch["actor.user.uid"] == "S-1-5-21-3623811015-3361044348-30300820-1013"
    assert launch["unmapped"]["record_id"] == 118340
    assert not any(k.startswith(("_", "date_")) or k == "punct" for k in launch["unmapped"])
    created = one("splunk_export.json", "11")  # XmlWinEventLog: the event XML is read
    assert created["file.path"] == r"C:\ProgramData\AnyDesk\service.conf"


def test_azure_event_data_as_xml_fragment_or_json_object() -> None:
    registry = one("azure_monitor.json", "13")  # Event table: <DataItem><EventData>
    assert registry["reg_value.data"].endswith("--service")
    assert registry["metadata.log_name"] == "Microsoft-Windows-Sysmon/Operational"
    created = one("azure_monitor.json", "11")  # WindowsEvent: EventData JSON
    assert created["time"] == "2024-05-02T13:58:11.021000+00:00"  # TimeCreated
    assert created["actor.process.uid"] == "{7a1c2f0e-9b3d-6633-5f01-000000002a00}"
    logon = one("azure_monitor.json", "4624")
    assert "" not in logon["unmapped"].values()  # the table's empty columns are left out
    assert "TenantId" not in logon["unmapped"] and "_ResourceId" not in logon["unmapped"]


def test_partial_records_are_stored(tmp_path: Path) -> None:
    """A row with only the System columns (a projected query) is still an event."""
    azure = tmp_path / "azure.json"
    azure.write_text(
        json.dumps(
            [
                {
                    "TimeGenerated": "2024-05-02T13:58:04Z",
                    "Computer": "LT-0193",
                    "EventID": 4688,
                    "Channel": "Security",
                    "Type": "SecurityEvent",
                    "NewProcessName": r"C:\x\AnyDesk.exe",
                },
                {"TimeGenerated": "2024-05-02T13:58:05Z", "EventID": "7045", "Type": "Event"},
            ]
        )
    )
    launch, service = [o["row"] for o in parse_sample(azure, "azure-windows")]
    assert launch["process.name"] == "AnyDesk.exe" and launch["device.hostname"] == "LT-0193"
    assert service["class_name"] == "Base Event" and service["metadata.event_code"] == "7045"
    splunk = tmp_path / "splunk.json"
    splunk.write_text(
        json.dumps({"result": {"_time": "1714658284", "EventCode": "4688", "host": "LT-0193"}})
    )
    [only] = [o["row"] for o in parse_sample(splunk, "splunk-windows")]
    assert only["time"] == "2024-05-02T13:58:04+00:00" and only["device.hostname"] == "LT-0193"


def test_splunk_result_with_only_raw_and_time(tmp_path: Path) -> None:
    """``| fields _raw _time``: the classic event's header lines give its System fields."""
    [classic] = [r for r in rows("splunk_export.json") if r["metadata.event_code"] == "4688"]
    raw = json.loads((SAMPLES / "splunk_export.json").read_text().splitlines()[1])["result"]
    only_raw = tmp_path / "raw.json"
    only_raw.write_text(json.dumps({"result": {k: raw[k] for k in ("_raw", "_time")}}))
    assert choose_parser(read_sample(str(only_raw))).name == "splunk-windows"
    [row] = [o["row"] for o in parse_sample(only_raw, "splunk-windows")]
    keys = ("metadata.event_code", "metadata.log_name", "device.hostname", "time", "class_name")
    assert {k: row[k] for k in keys} == {k: classic[k] for k in keys}
    assert row["unmapped"]["record_id"] == 118340


def test_evtx_dump_records_without_a_final_newline_keep_the_last_record(tmp_path: Path) -> None:
    """The last ``}`` of a finished ``evtx_dump`` file without a final newline closes a
    whole record: it is read now, not left waiting as a live log's unfinished line."""
    text = (SAMPLES / "evtx_dump_records.txt").read_bytes()

    def records(data: bytes) -> set[int]:
        path = tmp_path / "records.txt"
        path.write_bytes(data)
        return {o["row"]["raw_source.record"] for o in parse_sample(path, "evtx-json")}

    whole = records(text)
    assert len(whole) > 1
    assert records(text.rstrip(b"\n")) == whole
    cut = text.rindex(b'": "') + 5  # in the middle of the last record's last value
    assert records(text[:cut]) == whole - {max(whole)}  # still being written: it waits


# One record of OTRF Security-Datasets (MIT licence), file
# covenant_copy_smb_CreateRequest_2020-09-22145302.json, as published but for ``Message``
# cut to its first line: NXLog there wrote the channel as ``security``.
_OTRF_LOWERCASE_CHANNEL = '{"SeverityValue":2,"SubjectDomainName":"-","EventReceivedTime":"2020-09-22 14:53:32","EventID":4624,"ProviderGuid":"{54849625-5478-4994-A5BA-3E3B0328C30D}","ExecutionProcessID":760,"Channel":"security","host":"wec.internal.cloudapp.net","TargetLogonId":"0x4e13b2e","LogonType":"3","VirtualAccount":"%%1843","ProcessId":"0x0","LogonGuid":"{f22407c6-ec99-a7c9-f99d-a3632cea0f80}","Opcode":"Info","EventTime":"2020-09-22 14:53:30","AuthenticationPackageName":"Kerberos","SourceModuleType":"im_msvistalog","ProcessName":"-","IpAddress":"172.18.39.5","TransmittedServices":"-","@version":"1","OpcodeValue":0,"Severity":"INFO","SourceName":"Microsoft-Windows-Security-Auditing","Category":"Logon","LmPackageName":"-","ImpersonationLevel":"%%1833","Keywords":-9214364837600034816,"SubjectUserSid":"S-1-0-0","ActivityID":"{9D5ADC19-303C-0001-A9AD-1D94DD8DD601}","ThreadID":7276,"ElevatedToken":"%%1842","EventType":"AUDIT_SUCCESS","WorkstationName":"-","TargetOutboundUserName":"-","Message":"An account was successfully logged on.","@timestamp":"2020-09-22T18:53:32.340Z","TargetOutboundDomainName":"-","SubjectLogonId":"0x0","port":64545,"RecordNumber":933021,"SubjectUserName":"-","LogonProcessName":"Kerberos","KeyLength":"0","Task":12544,"TargetLinkedLogonId":"0x0","SourceModuleName":"eventlog","RestrictedAdminMode":"-","Version":2,"TargetUserName":"pgustavo","IpPort":"62782","TargetUserSid":"S-1-5-21-4228717743-1032521047-1810997296-1104","Hostname":"WORKSTATION6.theshire.local","TargetDomainName":"THESHIRE.LOCAL","tags":["mordorDataset"]}'  # noqa: E501


def test_a_lower_case_channel_is_stored_as_windows_spells_it(tmp_path: Path) -> None:
    """OTRF writes ``security`` beside ``Security``: one channel must be one log name."""
    path = tmp_path / "otrf.json"
    path.write_text(_OTRF_LOWERCASE_CHANNEL + "\n")
    [outcome] = parse_sample(path, "nxlog-windows")
    assert outcome["table"] == "authentication"
    assert outcome["row"]["metadata.log_name"] == "Security"
