"""SigmaHQ rules meet the store's columns: Sysmon's Hashes text, event fields kept in
``unmapped``, Zeek and Windows service log sources (their own rows of a shared table)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import RuleError, load_rules
from farmhunt.detect.testing import connection_with

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def _fired(
    tmp_path: Path, logsource: dict[str, str], detection: str, tables: dict[str, Any]
) -> set[str]:
    path = tmp_path / "rule.yml"
    rule = {
        "title": "t",
        "id": "7a7b7c7d-0000-4000-8000-000000000001",
        "logsource": logsource,
        "detection": yaml.safe_load(detection),
        "level": "high",
    }
    path.write_text(yaml.safe_dump(rule))
    ruleset = load_rules([path])
    assert ruleset.rules, ruleset.skipped + ruleset.unsupported
    return {f.subject for f in run_rules(make_context(connection_with(tables)), ruleset)}


PROCESS = {"category": "process_creation", "product": "windows"}
PROCESSES = [
    {
        # Sysmon 1 Hashes "SHA1=…,MD5=…,SHA256=…,IMPHASH=…" as the parser stores it
        "device.hostname": "HASHED",
        "process.file.path": "C:\\x\\procdump64.exe",
        "process.file.hashes": {
            "SHA1": "1F9D2B5C",
            "MD5": "8A4F0E11",
            "SHA256": "AB12CD34",
            "IMPHASH": "409B5A6F3C10E3C7E6E2A1A8C9E0F1D2",
        },
        "unmapped": {"TerminalSessionId": 2, "LogonGuid": "{1-2}"},
    },
    {"device.hostname": "OTHER", "process.file.path": "C:\\x\\notepad.exe"},
]


@pytest.mark.parametrize(
    "detection,expected",
    [
        ("sel:\n  Hashes|contains: 'IMPHASH=409B5A6F3C10E3C7E6E2A1A8C9E0F1D2'\ncondition: sel", 1),
        ("sel:\n  Hashes|contains: 'imphash=409b5a6f3c10e3c7e6e2a1a8c9e0f1d2'\ncondition: sel", 1),
        ("sel:\n  Hashes|contains: 'IMPHASH=00000000'\ncondition: sel", 0),
        (
            "sel:\n  Hashes|contains: ['MD5=8A4F0E11', 'SHA256=FFFF']\n"
            "  Image|endswith: procdump64.exe\ncondition: sel",
            1,
        ),
        ("sel:\n  Hashes|startswith: 'SHA1=1F9D2B5C,MD5='\ncondition: sel", 1),
        ("sel:\n  TerminalSessionId: 2\n  Image|endswith: '.exe'\ncondition: sel", 1),
        ("sel:\n  TerminalSessionId: 0\ncondition: sel", 0),
    ],
)
def test_hashes_and_unmapped_fields(tmp_path: Path, detection: str, expected: int) -> None:
    hits = _fired(tmp_path, PROCESS, detection, {"process_activity": PROCESSES})
    assert hits == ({"HASHED"} if expected else set())


def test_sysmon_network_fields_in_unmapped(tmp_path: Path) -> None:
    rows = [
        {
            "device.hostname": "V6",
            "dst_endpoint.ip": "fe80::1",
            "unmapped": {"SourceIsIpv6": "true", "DestinationIsIpv6": "true"},
        },
        {"device.hostname": "V4", "dst_endpoint.ip": "10.0.0.1"},
    ]
    logsource = {"category": "network_connection", "product": "windows"}
    detection = "sel:\n  DestinationIsIpv6: 'true'\ncondition: sel"
    assert _fired(tmp_path, logsource, detection, {"network_activity": rows}) == {"V6"}


def test_farmhunt_rules_still_reject_unknown_fields(tmp_path: Path) -> None:
    path = tmp_path / "mine.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "id": "mine.rule",
                "kind": "match",
                "title": "x",
                "description": "x",
                "severity": "low",
                "weight": 1,
                "category": "endpoint",
                "fbi_guidance": "remote_access",
                "attack": ["T1219"],
                "triage": "x",
                "false_positives": [],
                "logsource": {"product": "windows", "category": "process_creation"},
                "detection": {"sel": {"Imagee": "x"}, "condition": "sel"},
                "tests": {"positive": [], "negative": []},
            }
        )
    )
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    assert any("'Imagee' has no column" in e for e in caught.value.errors)


def test_zeek_service_reads_its_own_log(tmp_path: Path) -> None:
    dns = [
        {"device.hostname": "ZEEK", "metadata.log_name": "dns", "query.hostname": "x.minexmr.com"},
        {"device.hostname": "SYSMON", "metadata.log_name": SYSMON, "query.hostname": "minexmr.com"},
    ]
    detection = "sel:\n  query|endswith: minexmr.com\ncondition: sel"
    logsource = {"product": "zeek", "service": "dns"}
    assert _fired(tmp_path, logsource, detection, {"dns_activity": dns}) == {"ZEEK"}


def test_zeek_logs_without_a_table_read_base_event(tmp_path: Path) -> None:
    rows = [
        {
            "device.hostname": "SMB",
            "metadata.log_name": "smb_files",
            "unmapped": {"path": "\\\\dc1\\IPC$", "name": "lsarpc"},
        },
        {"device.hostname": "WIN", "metadata.log_name": "Security", "unmapped": {"name": "lsarpc"}},
    ]
    detection = "sel:\n  path|endswith: 'IPC$'\n  name: lsarpc\ncondition: sel"
    logsource = {"product": "zeek", "service": "smb_files"}
    assert _fired(tmp_path, logsource, detection, {"base_event": rows}) == {"SMB"}


def test_windows_security_rules_read_the_table_of_their_event_ids(tmp_path: Path) -> None:
    logons = [
        {
            "device.hostname": "RDP",
            "user.name": "RDP",
            "metadata.log_name": "Security",
            "metadata.event_code": "4624",
            "logon_type_id": 10,
            "src_endpoint.ip": "203.0.113.7",
        },
        {
            "device.hostname": "LOCAL",
            "user.name": "LOCAL",
            "metadata.log_name": "Security",
            "metadata.event_code": "4624",
            "logon_type_id": 2,
        },
    ]
    security = {"product": "windows", "service": "security"}
    detection = "sel:\n  EventID: 4624\n  LogonType: 10\ncondition: sel"
    assert _fired(tmp_path, security, detection, {"authentication": logons}) == {"RDP"}
    tasks = [
        {
            "device.hostname": "TASK",
            "metadata.log_name": "Security",
            "metadata.event_code": "4698",
            "unmapped": {"TaskName": "\\Updater"},
        },
        {
            "device.hostname": "ELSEWHERE",
            "metadata.log_name": "Application",
            "metadata.event_code": "4698",
            "unmapped": {"TaskName": "\\Updater"},
        },
    ]
    detection = "sel:\n  EventID: 4698\n  TaskName|contains: updater\ncondition: sel"
    assert _fired(tmp_path, security, detection, {"base_event": tasks}) == {"TASK"}
