"""Match rules sharing one scan: each rule's findings hold only its own rows and fields."""

from __future__ import annotations

from pathlib import Path

import yaml

from farmhunt.detect.engine import make_context, match_table
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
