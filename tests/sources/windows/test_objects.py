"""Windows events in their tables: Security 4688 with the launches, file and registry
events in file_activity / registry_activity, and the Sigma file and registry rules that
read them.

``samples/otrf_mordor.json`` holds real records of the OTRF Security-Datasets (see
``SAMPLES.md``): both of its shapes, Logstash-shipped NXLog (``EventTime``, ``@timestamp``,
``Keywords`` as a signed 64-bit number) and the later ``TimeCreated`` / ``Hostname``
records without an ``EventTime``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import load_rules
from farmhunt.detect.testing import connection_with
from tests.golden import parse_sample

SAMPLES = Path(__file__).parent / "samples"


def outcomes() -> list[dict[str, Any]]:
    return parse_sample(SAMPLES / "otrf_mordor.json", "nxlog-windows")


def rows_of(table: str, code: str) -> list[dict[str, Any]]:
    return [
        o["row"]
        for o in outcomes()
        if o.get("table") == table and o["row"]["metadata.event_code"] == code
    ]


def test_otrf_records_without_event_time_are_stored_not_quarantined() -> None:
    results = outcomes()
    assert not [o for o in results if "quarantine" in o]
    [ping] = rows_of("process_activity", "1")
    assert ping["time"] == "2021-06-11T09:07:15.635000+00:00"  # TimeCreated, UTC
    assert ping["device.hostname"] == "WORKSTATION5"
    # Logstash's own fields are not event data
    assert not {"@timestamp", "@version", "host", "port", "tags", "TimeCreated"} & set(
        ping.get("unmapped", {})
    )


def test_a_flat_record_without_any_time_says_where_it_looked(tmp_path: Path) -> None:
    sample = tmp_path / "no_time.json"
    sample.write_text('{"EventID": 4688, "Channel": "Security", "Hostname": "H"}\n')
    [outcome] = parse_sample(sample, "nxlog-windows")
    reason = outcome["quarantine"]["reason"]
    assert "EventTime, TimeCreated, @timestamp, EventReceivedTime" in reason


def test_logstash_stamp_gives_the_offset_nxlog_left_out() -> None:
    """The Mordor records' EventTime is the agent's local time (UTC-4); Logstash's
    @timestamp of the same record is UTC, so the event lands at its true time, the
    time Sysmon itself writes in UtcTime."""
    [archived] = rows_of("file_activity", "23")
    assert archived["metadata.original_time"] == "2020-10-13 00:26:27"
    assert archived["time"] == "2020-10-13T04:26:27+00:00"
    assert archived["unmapped"]["UtcTime"].startswith("2020-10-13 04:26:27")
    assert "UTC-04:00" in archived["unmapped"]["time_zone_note"]


def test_security_4688_lands_in_process_activity_with_sysmon_1_columns() -> None:
    launches = rows_of("process_activity", "4688")
    assert len(launches) == 2
    seven_zip = next(r for r in launches if r["process.name"] == "7z.exe")
    assert seven_zip["class_name"] == "Process Activity" and seven_zip["activity_id"] == 1
    assert seven_zip["process.file.path"].endswith(r"\helpers\7z.exe")
    assert seven_zip["process.cmd_line"].startswith('"C:\\Users\\APT-Simulator')
    assert seven_zip["process.pid"] == 0x1948  # NewProcessId, hex in the event
    assert seven_zip["process.parent_process.file.path"] == r"C:\Windows\System32\cmd.exe"
    assert seven_zip["process.parent_process.name"] == "cmd.exe"
    assert seven_zip["process.parent_process.pid"] == 0x1600
    assert seven_zip["actor.user.name"] == "APT-Simulator"
    assert seven_zip["process.user.name"] == r"WORKSTATION5\APT-Simulator"  # as Sysmon's User
    assert seven_zip["process.session.uid"] == "0x3719fb"
    assert seven_zip["process.integrity"] == "High"  # MandatoryLabel S-1-16-12288
    # the same launch seen by Sysmon 1 on that host says the same of its parent and session
    [ping] = rows_of("process_activity", "1")
    assert ping["process.parent_process.pid"] == seven_zip["process.parent_process.pid"]
    assert ping["process.session.uid"] == seven_zip["process.session.uid"]


def test_file_events_land_in_file_activity() -> None:
    [created_otrf, created_mordor] = rows_of("file_activity", "11")
    assert created_otrf["class_uid"] == 1001 and created_otrf["activity_id"] == 1
    assert created_otrf["file.path"] == r"C:\Windows\ServiceState\EventLog\Data\lastalive1.dat"
    assert created_otrf["file.name"] == "lastalive1.dat"
    assert created_otrf["file.created_time"] == "2021-04-21T17:26:59.832000+00:00"
    assert created_otrf["actor.process.name"] == "svchost.exe"
    assert created_otrf["actor.process.uid"] == "{1978b227-6027-6080-c01e-000000000500}"
    assert created_mordor["actor.process.pid"] == 1296
    [deleted] = rows_of("file_activity", "26")
    assert deleted["activity_id"] == 4 and deleted["file.hashes"]["MD5"].startswith("2DC5")
    [archived] = rows_of("file_activity", "23")
    assert archived["activity_id"] == 4 and archived["actor.user.name"] == "pgustavo"
    [ntds] = rows_of("file_activity", "4663")  # ObjectType File
    assert ntds["file.name"] == "ntds.dit" and ntds["access_mask"] == 0x80
    assert ntds["activity_id"] == 8  # ReadAttributes: Get Attributes
    assert ntds["actor.process.file.path"] == r"C:\Windows\System32\lsass.exe"


def test_registry_events_land_in_registry_activity() -> None:
    [create] = rows_of("registry_activity", "12")
    assert create["class_uid"] == 201001 and create["activity_id"] == 1  # CreateKey
    assert create["reg_key.path"] == r"HKLM\System\CurrentControlSet\Services\Tcpip\Parameters"
    assert create["unmapped.event_type"] == "CreateKey"
    set_otrf, set_mordor = rows_of("registry_activity", "13")
    assert set_mordor["activity_id"] == 3 and set_mordor["unmapped.event_type"] == "SetValue"
    assert set_mordor["unmapped.target_object"].endswith(r"\VFUProvider\StartTime")
    assert set_mordor["reg_key.path"].endswith(r"\VFUProvider")
    assert set_mordor["reg_value.name"] == "StartTime"
    assert set_mordor["reg_value.type"] == "REG_QWORD"
    assert set_otrf["reg_value.data"] == "2021-04-27T08:07:51Z"
    [rename] = rows_of("registry_activity", "14")
    assert rename["activity_id"] == 5 and rename["prev_reg_key.path"].endswith(".bak")
    assert not rename["reg_key.path"].endswith(".bak")
    assert rename["unmapped.new_name"] == rename["reg_key.path"]
    [audited] = rows_of("registry_activity", "4657")
    assert audited["unmapped.target_object"].endswith(r"\Services\EventLog\Start")
    assert (audited["reg_value.name"], audited["reg_value.data"]) == ("Start", "4")
    assert audited["actor.user.name"] == "pedro"
    [key_read] = rows_of("registry_activity", "4663")  # ObjectType Key, KEY_QUERY_VALUE
    assert key_read["activity_id"] == 2 and key_read["reg_key.path"].endswith(r"\Control\Lsa")


# The shapes of LOLRMM's generated file and registry rules (detections/sigma/*_files_sigma
# and *_registry_sigma.yml): file_event on TargetFilename, registry_event on TargetObject.
FILE_RULE = """\
title: Potential RMM Tool File Activity
id: 57cb129e-6cd6-42e9-8b5d-04542121fd79
logsource: {product: windows, category: file_event}
detection:
  selection:
    TargetFilename|endswith: ['\\\\EventLog\\\\Data\\\\lastalive1.dat']
  condition: selection
level: medium
"""
REGISTRY_RULE = """\
title: Potential RMM Tool Registry Activity
id: 3313d179-78b1-41d3-afe0-40dfc5dc794f
logsource: {product: windows, category: registry_event}
detection:
  selection:
    TargetObject|contains:
      - 'HKLM\\\\System\\\\CurrentControlSet\\\\Services\\\\Tcpip'
      - 'HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\VFUProvider'
  condition: selection
level: medium
"""
REGISTRY_SET_RULE = """\
title: A registry_set rule on the value data and the setting process
id: 0d0d0d0d-1111-2222-3333-444444444444
logsource: {product: windows, category: registry_set}
detection:
  selection:
    EventType: SetValue
    Image|endswith: '\\\\WindowsAzureGuestAgent.exe'
    Details|startswith: '2021-'
  condition: selection
level: low
"""


def test_sigma_file_and_registry_rules_load_and_fire(tmp_path: Path) -> None:
    for name, text in (
        ("files.yml", FILE_RULE),
        ("registry.yml", REGISTRY_RULE),
        ("registry_set.yml", REGISTRY_SET_RULE),
    ):
        (tmp_path / name).write_text(text)
    ruleset = load_rules([tmp_path])
    assert not ruleset.skipped and len(ruleset.rules) == 3
    tables: dict[str, list[dict[str, Any]]] = {}
    for outcome in outcomes():
        tables.setdefault(outcome["table"], []).append(outcome["row"])
    findings = run_rules(make_context(connection_with(tables)), ruleset)
    by_rule: dict[str, set[str]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule.title, set()).add(finding.subject)
    assert by_rule == {
        "Potential RMM Tool File Activity": {
            "ADFS01.blacksmith.local",
            "WORKSTATION5.theshire.local",
        },
        "Potential RMM Tool Registry Activity": {
            "ADFS01.blacksmith.local",
            "WORKSTATION5.theshire.local",
        },
        "A registry_set rule on the value data and the setting process": {
            "ADFS01.blacksmith.local"
        },
    }
