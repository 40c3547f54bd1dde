"""Match rules sharing one scan: each rule's findings hold only its own rows and fields."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import yaml

from farmhunt.detect.engine import (
    EVIDENCE_SAMPLES,
    MAX_DEVICES,
    MAX_UIDS,
    _candidates,
    make_context,
    match_table,
)
from farmhunt.detect.loader import load_rules
from farmhunt.detect.testing import connection_with


def _rule(folder: Path, name: str, rule_id: str, detection: dict[str, object]) -> None:
    doc = {
        "title": name,
        "id": rule_id,
        "logsource": {"product": "windows", "category": "process_creation"},
        "detection": {**detection, "condition": "sel"},
        "level": "medium",
    }
    (folder / f"{name}.yml").write_text(yaml.safe_dump(doc))


def test_rules_of_one_table_group_their_own_rows(tmp_path: Path) -> None:
    _rule(
        tmp_path,
        "by_image",
        "0b8c6a4e-1111-4c1d-9a51-3f0e2d6c7b8a",
        {"sel": {"Image|endswith": "\\anydesk.exe"}},
    )
    _rule(
        tmp_path,
        "by_cmd",
        "0b8c6a4e-2222-4c1d-9a51-3f0e2d6c7b8a",
        {"sel": {"CommandLine|contains": "--service"}},
    )
    rows = [
        {
            "device.hostname": "H1",
            "process.file.path": r"C:\A\AnyDesk.exe",
            "process.cmd_line": "x",
        },
        {
            "device.hostname": "H2",
            "process.file.path": r"C:\B\svc.exe",
            "process.cmd_line": "svc --service",
        },
        {
            "device.hostname": "H1",
            "process.file.path": r"C:\A\anydesk.exe",
            "process.cmd_line": "a --service",
        },
        {
            "device.hostname": "H3",
            "process.file.path": r"C:\C\calc.exe",
            "process.cmd_line": "calc",
        },
        {
            "device.hostname": "H1",
            "process.file.path": r"C:\A\ANYDESK.EXE",
            "process.cmd_line": "y",
        },
    ]
    ruleset = load_rules([tmp_path])
    findings = match_table(
        make_context(connection_with({"process_activity": rows})), "process_activity", ruleset.rules
    )
    got = {(f.rule.title, f.subject): f for f in findings}
    assert set(got) == {("by_image", "H1"), ("by_cmd", "H1"), ("by_cmd", "H2")}
    image = got[("by_image", "H1")]
    assert image.event_count == 3
    assert image.event_uids == ["process_activity-1", "process_activity-3", "process_activity-5"]
    assert image.first_seen < image.last_seen
    # evidence names the fields the rule used, not the other rule's
    assert all(set(sample) == {"process.file.path"} for sample in image.evidence["matched"])
    cmd = got[("by_cmd", "H1")]
    assert cmd.event_count == 1 and cmd.event_uids == ["process_activity-3"]
    assert cmd.evidence["matched"] == [{"process.cmd_line": "a --service"}]
    assert got[("by_cmd", "H2")].evidence["devices"] == ["H2"]


def test_store_tables_are_looked_up_once_per_run() -> None:
    con = connection_with({"process_activity": [{"device.hostname": "H1"}]})
    con.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS a")
    ctx = make_context(con)
    assert ctx.table("process_activity") is ctx.table("process_activity")
    before = ctx.table("scratch")
    con.execute("CREATE OR REPLACE TEMP TABLE scratch AS SELECT 1 AS a, 2 AS b")
    assert before.columns == ("a",) and ctx.table("scratch").columns == ("a", "b")


def _anydesk_rule(folder: Path) -> None:
    _rule(
        folder,
        "by_image",
        "0b8c6a4e-3333-4c1d-9a51-3f0e2d6c7b8a",
        {"sel": {"Image|endswith": "\\anydesk.exe"}},
    )


def test_a_subject_keeps_its_first_events_in_time_then_uid_order(tmp_path: Path) -> None:
    _anydesk_rule(tmp_path)
    start = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
    total = MAX_UIDS + 25
    # stored newest first, and pairs of events share a moment: the engine must sort
    rows = [
        {
            "device.hostname": "H1",
            "time": start + timedelta(minutes=n // 2),
            "metadata.uid": f"u{n:04d}-{'b' if n % 2 == 0 else 'a'}",
            "process.file.path": rf"C:\A{n}\AnyDesk.exe",
        }
        for n in reversed(range(total))
    ]
    ruleset = load_rules([tmp_path])
    (finding,) = match_table(
        make_context(connection_with({"process_activity": rows})), "process_activity", ruleset.rules
    )
    expected = sorted(rows, key=lambda r: (r["time"], r["metadata.uid"]))
    assert finding.event_count == total
    assert finding.event_uids == [r["metadata.uid"] for r in expected[:MAX_UIDS]]
    assert finding.first_seen == expected[0]["time"]
    assert finding.last_seen == expected[-1]["time"]
    assert finding.evidence["matched"] == [
        {"process.file.path": r["process.file.path"]} for r in expected[:EVIDENCE_SAMPLES]
    ]
    assert expected[0]["process.file.path"] in finding.explanation


def test_devices_are_listed_once_in_name_order_up_to_a_limit(tmp_path: Path) -> None:
    _anydesk_rule(tmp_path)
    hosts = [f"H{n:02d}" for n in range(MAX_DEVICES + 3)]
    rows = [
        {"device.hostname": host, "process.file.path": r"C:\anydesk.exe"}
        for host in reversed(hosts * 2)
    ]
    rows.append({"device.hostname": "", "process.file.path": r"C:\anydesk.exe"})
    ruleset = load_rules([tmp_path])
    findings = match_table(
        make_context(connection_with({"process_activity": rows})), "process_activity", ruleset.rules
    )
    by_subject = {f.subject: f for f in findings}
    assert set(by_subject) == {*hosts, "(unknown)"}
    assert by_subject["H05"].evidence["devices"] == ["H05"]
    assert by_subject["H05"].device == "H05" and by_subject["H05"].event_count == 2
    unknown = by_subject["(unknown)"]
    assert unknown.evidence["devices"] == [] and unknown.device is None


def test_a_user_subject_lists_its_devices_sorted_and_capped(tmp_path: Path) -> None:
    _anydesk_rule(tmp_path)
    (rule,) = load_rules([tmp_path]).rules
    by_user = replace(rule, subject=("actor.user.name",))
    hosts = [f"H{n:02d}" for n in range(MAX_DEVICES + 3)]
    rows = [
        {
            "device.hostname": host,
            "actor.user.name": "alice",
            "process.file.path": r"C:\anydesk.exe",
        }
        for host in reversed(hosts * 2)
    ]
    (finding,) = match_table(
        make_context(connection_with({"process_activity": rows})), "process_activity", [by_user]
    )
    assert finding.subject == "alice" and finding.event_count == len(rows)
    assert finding.evidence["devices"] == hosts[:MAX_DEVICES]
    assert finding.device == hosts[0]


def test_rules_no_narrowed_row_can_meet_are_not_evaluated(tmp_path: Path) -> None:
    _rule(
        tmp_path,
        "seen",
        "0b8c6a4e-3333-4c1d-9a51-3f0e2d6c7b8a",
        {"sel": {"Image|endswith": "\\AnyDesk.exe"}},
    )
    _rule(
        tmp_path,
        "unseen",
        "0b8c6a4e-4444-4c1d-9a51-3f0e2d6c7b8a",
        {"sel": {"Image|endswith": "\\rustdesk.exe"}},
    )
    _rule(
        tmp_path,
        "no_condition",
        "0b8c6a4e-5555-4c1d-9a51-3f0e2d6c7b8a",
        {"sel": {"Image|re": ".*screenconnect.*"}},
    )
    rows = [{"device.hostname": "H1", "process.file.path": r"C:\A\ANYDESK.EXE"}]
    ruleset = load_rules([tmp_path])
    ctx = make_context(connection_with({"process_activity": rows}))
    rules = sorted(ruleset.rules, key=lambda r: r.title)
    compiler = ctx.compiler("process_activity")
    data = pa.table({"process.file.path": [r"C:\A\ANYDESK.EXE", None]})
    kept = _candidates(compiler, rules, data)
    # the regular expression says nothing, so that rule is kept; the case differs but matches
    assert [r.title for r in kept] == ["no_condition", "seen"]
    findings = match_table(ctx, "process_activity", rules)
    assert [(f.rule.title, f.event_count) for f in findings] == [("seen", 1)]
