"""The narrowing before match rules run: a necessary condition, never a filter that drops
a row some rule matches."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from farmhunt.detect.engine import accessor, make_context, match_table
from farmhunt.detect.loader import load_rules
from farmhunt.detect.lolrmm import export_lolrmm
from farmhunt.detect.prefilter import exact, match_expr, necessary, table_needs
from farmhunt.detect.sigma_ibis import SigmaCompiler
from farmhunt.detect.testing import connection_with
from farmhunt.schema import STORE_TABLES

TYPES = {c.name: c.type for c in STORE_TABLES["process_activity"].columns}


def _rule(tmp_path: Path, detection: dict[str, Any], name: str = "r") -> Any:
    doc = {
        "title": name,
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        "logsource": {"product": "windows", "category": "process_creation"},
        "detection": detection,
        "level": "low",
    }
    (tmp_path / f"{name}.yml").write_text(yaml.safe_dump(doc))
    return load_rules([tmp_path / f"{name}.yml"]).rules[0]


@pytest.mark.parametrize(
    "detection,expected",
    [
        (
            {"s": {"Image|endswith": ["\\A.exe", "\\b.EXE"]}, "condition": "s"},
            {"process.file.path": {"\\\\a\\.exe$", "\\\\b\\.exe$"}},
        ),
        (  # and: the more selective side is enough
            {
                "a": {"Image|endswith": "\\x.exe"},
                "b": {"CommandLine|contains": ["-p", "-q", "-r"]},
                "condition": "a and b",
            },
            {"process.file.path": {"\\\\x\\.exe$"}},
        ),
        (  # or: both sides, per column
            {
                "a": {"Image": "C:\\Tools\\T.exe"},
                "b": {"CommandLine|startswith": "run "},
                "condition": "a or b",
            },
            {"process.file.path": {"^c:\\\\tools\\\\t\\.exe$"}, "process.cmd_line": {"^run "}},
        ),
        ({"s": {"Image|endswith": "\\x.exe"}, "condition": "not s"}, None),
        ({"s": {"ProcessId": 4}, "condition": "s"}, None),
        ({"s": {"CommandLine|re": "a.b"}, "condition": "s"}, None),
        (
            {"a": {"ProcessId": 4}, "b": {"Image|contains": "tool"}, "condition": "a and b"},
            {"process.file.path": {"tool"}},
        ),
        ({"k": ["whoami"], "condition": "k"}, None),
    ],
)
def test_necessary_condition_of_a_rule(
    tmp_path: Path, detection: dict[str, Any], expected: dict[str, set[str]] | None
) -> None:
    rule = _rule(tmp_path, detection)
    assert necessary(SigmaCompiler("process_activity", TYPES), rule.sigma) == expected


def test_one_rule_without_a_condition_disables_the_narrowing(tmp_path: Path) -> None:
    a = _rule(tmp_path, {"s": {"Image|endswith": "\\x.exe"}, "condition": "s"}, "a")
    b = _rule(tmp_path, {"s": {"ProcessId": 4}, "condition": "s"}, "bb")
    compiler = SigmaCompiler("process_activity", TYPES)
    assert table_needs(compiler, [a.sigma]) == {"process.file.path": {"\\\\x\\.exe$"}}
    assert table_needs(compiler, [a.sigma, b.sigma]) is None


def test_narrowing_keeps_every_row_a_rule_matches(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    _rule(rules_dir, {"s": {"Image|endswith": "\\AnyDesk.exe"}, "condition": "s"}, "ends")
    _rule(rules_dir, {"s": {"CommandLine|contains": "--SERVICE"}, "condition": "s"}, "contains")
    # Sigma: \\ is a backslash; a lone \ before ? or * would escape the wildcard
    _rule(rules_dir, {"s": {"Image": "*\\tools\\\\?.exe"}, "condition": "s"}, "wild")
    _rule(rules_dir, {"s": {"ParentImage|startswith": "c:\\x"}, "condition": "s"}, "starts")
    rows = [
        {"device.hostname": "A", "process.file.path": "C:\\P\\ANYDESK.EXE"},
        {"device.hostname": "B", "process.cmd_line": "x\n--service\ny"},  # line breaks
        {"device.hostname": "C", "process.file.path": "D:\\Tools\\r.exe"},
        {"device.hostname": "D", "process.parent_process.file.path": "C:\\X\\p.exe"},
        {"device.hostname": "E", "process.file.path": "C:\\P\\anydesk.exe.bak"},
        {"device.hostname": "F", "process.file.path": "C:\\Tools\\rr.exe"},
        {"device.hostname": "G"},
    ]
    ruleset = load_rules([rules_dir])
    ctx = make_context(connection_with({"process_activity": rows}))
    found = {(f.rule.title, f.subject) for f in match_table(ctx, "process_activity", ruleset.rules)}
    assert found == {("ends", "A"), ("contains", "B"), ("wild", "C"), ("starts", "D")}


@pytest.mark.parametrize(
    "value,simple",
    [
        ("C:\\x.exe", True),
        ("*\\x.exe", True),
        ("c:\\x*", True),
        ("*x*", True),
        ("a*b", False),
        ("*a*b", False),
        ("x?.exe", False),
        ("*", False),
    ],
)
def test_only_plain_or_star_ended_values_are_matched_by_one_expression(
    tmp_path: Path, value: str, simple: bool
) -> None:
    rule = _rule(tmp_path, {"s": {"Image": value}, "condition": "s"})
    found = exact(SigmaCompiler("process_activity", TYPES), rule.sigma)
    assert (found is not None) is simple


def test_lolrmm_rules_as_expressions_match_what_the_compiled_rules_match(
    tmp_path: Path,
) -> None:
    export_lolrmm(tmp_path / "lolrmm")
    rules = [r for r in load_rules([tmp_path / "lolrmm"]).rules if r.table == "network_activity"]
    rules += [r for r in load_rules([tmp_path / "lolrmm"]).rules if r.table == "process_activity"]
    hosts = ["relay-1.net.AnyDesk.com", "x\nrelay.net.anydesk.com", "anydesk.com.evil", None]
    paths = [
        "C:\\P\\AnyDesk.exe",
        "C:\\P\\anydesk.exe\n",
        "D:\\TeamViewer.exe",
        "x\\TEAMVIEWER.EXE",
    ]
    con = connection_with(
        {
            "network_activity": [{"dst_endpoint.hostname": h} for h in hosts],
            "process_activity": [
                {"process.file.path": p, "process.parent_process.file.path": q}
                for p in paths
                for q in (None, "C:\\Windows\\explorer.exe", "C:\\x\\rustdesk.exe")
            ],
        }
    )
    ctx = make_context(con)
    simple = 0
    for rule in rules:
        compiler = ctx.compiler(rule.table or "")
        found = exact(compiler, rule.sigma)
        if found is None:
            continue
        simple += 1
        t = ctx.table(rule.table or "")
        get = accessor(t)
        both = t.select(a=match_expr(found, get), b=compiler.compile(rule.sigma, get))
        rows = ctx.backend.to_pyarrow(both).to_pylist()
        assert all(r["a"] == r["b"] for r in rows), rule.title
    assert simple > 400, "nearly every LOLRMM rule is a list of *-ended strings"
