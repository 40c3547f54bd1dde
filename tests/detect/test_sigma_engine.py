"""The Sigma engine: every modifier and condition form, on real DuckDB, through Ibis."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import RuleError, load_rules
from farmhunt.detect.lolrmm import export_lolrmm
from farmhunt.detect.testing import connection_with
from tests.detect.correlation_files import correlation_file

PROCESSES = [
    {
        "device.hostname": "H1",
        "process.file.path": r"C:\Program Files (x86)\AnyDesk\AnyDesk.exe",
        "process.cmd_line": r'"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --service',
        "process.user.name": "NWL\\alice",
        "process.pid": 4242,
    },
    {
        "device.hostname": "H2",
        "process.file.path": r"C:\Windows\System32\cmd.exe",
        "process.cmd_line": "cmd.exe /c whoami",
        "process.user.name": "NWL\\bob",
        "process.pid": 10,
    },
    {
        "device.hostname": "H3",
        "process.file.path": r"C:\Tools\remote_host.exe",
        "process.cmd_line": "remote_host.exe --foo",
        "process.pid": 77,
    },
    {
        "device.hostname": "H4",
        "process.file.path": r"C:\Tools\remoteXhost.exe",
        "process.cmd_line": "remoteXhost.exe",
        "process.pid": 78,
    },
]


def _sigma_file(
    tmp_path: Path,
    detection: str,
    logsource: str = "category: process_creation",
    name: str = "rule.yml",
) -> Path:
    path = tmp_path / name
    rule = {
        "title": "test rule",
        "id": "5d7f3c8e-0b4a-4c1d-9a51-3f0e2d6c7b8a",
        "status": "test",
        "logsource": {"product": "windows", **yaml.safe_load(logsource)},
        "detection": yaml.safe_load(detection),
        "level": "high",
    }
    path.write_text(yaml.safe_dump(rule))
    return path


def _hits(
    tmp_path: Path,
    detection: str,
    rows: list[dict[str, Any]] | None = None,
    table: str = "process_activity",
    logsource: str = "category: process_creation",
) -> set[str]:
    ruleset = load_rules([_sigma_file(tmp_path, detection, logsource)])
    ctx = make_context(connection_with({table: rows if rows is not None else PROCESSES}))
    return {f.subject for f in run_rules(ctx, ruleset)}


@pytest.mark.parametrize(
    "detection,expected",
    [
        ("sel:\n  Image|endswith: '\\anydesk.exe'\ncondition: sel", {"H1"}),
        ("sel:\n  CommandLine|contains: WHOAMI\ncondition: sel", {"H2"}),
        ("sel:\n  Image|startswith: 'c:\\tools\\'\ncondition: sel", {"H3", "H4"}),
        ("sel:\n  Image: 'C:\\Windows\\System32\\CMD.exe'\ncondition: sel", {"H2"}),
        # `_` is a literal character, not a one-character wildcard
        ("sel:\n  Image|endswith: '\\remote_host.exe'\ncondition: sel", {"H3"}),
        ("sel:\n  Image: '*remote?host.exe'\ncondition: sel", {"H3", "H4"}),
        ("sel:\n  CommandLine|contains|all: [anydesk, --service]\ncondition: sel", {"H1"}),
        ("sel:\n  CommandLine|contains|all: [anydesk, --nope]\ncondition: sel", set()),
        ("sel:\n  CommandLine|re: '^remote[_X]host'\ncondition: sel", {"H3", "H4"}),
        ("sel:\n  CommandLine|re|i: '^REMOTE_HOST'\ncondition: sel", {"H3"}),
        ("sel:\n  ProcessId: 4242\ncondition: sel", {"H1"}),
        ("sel:\n  ProcessId|gte: 77\ncondition: sel", {"H1", "H3", "H4"}),
        ("sel:\n  User: null\ncondition: sel", {"H3", "H4"}),
        ("sel:\n  User|exists: true\ncondition: sel", {"H1", "H2"}),
        (
            "a:\n  Image|contains: tools\nb:\n  Image|contains: remotex\ncondition: a and not b",
            {"H3"},
        ),
        ("a:\n  Image|contains: tools\nb:\n  Image|contains: remotex\ncondition: a and b", {"H4"}),
        (
            "s1:\n  Image|contains: anydesk\ns2:\n  Image|contains: cmd\ncondition: 1 of s*",
            {"H1", "H2"},
        ),
        (
            "s1:\n  Image|contains: 'c:'\ns2:\n  Image|contains: tools\ncondition: all of s*",
            {"H3", "H4"},
        ),
        (
            "s1:\n  Image|contains: tools\nf:\n  Image|contains: remoteX\n"
            "condition: (s1 and not f) or s1",
            {"H3", "H4"},
        ),
        ("keywords:\n  - whoami\ncondition: keywords", {"H2"}),
        # remote_host.exe is Chrome Remote Desktop's host in the LOLRMM catalog
        ("sel:\n  Image|endswith|expand: '\\%rmm_executables%'\ncondition: sel", {"H1", "H3"}),
    ],
)
def test_modifiers_and_conditions(tmp_path: Path, detection: str, expected: set[str]) -> None:
    rows = [dict(r, raw_data=r["process.cmd_line"]) for r in PROCESSES]
    assert _hits(tmp_path, detection, rows) == expected


def test_cidr_and_numeric_fields_on_network_events(tmp_path: Path) -> None:
    rows = [
        {"device.hostname": "A", "dst_endpoint.ip": "10.20.3.4", "dst_endpoint.port": 7070},
        {"device.hostname": "B", "dst_endpoint.ip": "10.24.0.1", "dst_endpoint.port": 443},
        {"device.hostname": "C", "dst_endpoint.ip": "8.8.8.8", "dst_endpoint.port": 7070},
    ]
    detection = "sel:\n  DestinationIp|cidr: 10.20.0.0/14\ncondition: sel"
    assert _hits(tmp_path, detection, rows, "network_activity", "category: network_connection") == {
        "A"
    }
    detection = "sel:\n  DestinationPort: 7070\ncondition: sel"
    assert _hits(tmp_path, detection, rows, "network_activity", "category: network_connection") == {
        "A",
        "C",
    }


def test_list_columns_match_any_element(tmp_path: Path) -> None:
    rows = [
        {"device.hostname": "K", "peripheral_device.vendor_id_list": ["1d6b", "LNX"]},
        {"device.hostname": "L", "peripheral_device.vendor_id_list": ["046d"]},
    ]
    detection = "sel:\n  peripheral_device.vendor_id_list: lnx\ncondition: sel"
    assert _hits(
        tmp_path,
        detection,
        rows,
        "peripheral_device_query",
        "{service: peripheral_device_query, product: farmhunt}",
    ) == {"K"}


def test_errors_name_file_and_line_and_are_all_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        textwrap.dedent("""\
        id: x.one
        kind: match
        title: t
        description: d
        severity: urgent
        weight: 300
        category: endpoint
        fbi_guidance: remote_access
        false_positives: []
        triage: t
        logsource: {product: farmhunt, service: process_activity}
        detection:
          sel: {process.nonexistent: x}
          condition: sel
        tests: {positive: [], negative: []}
        ---
        id: x.two
        kind: analytic
        analytic: no_such_analytic
        title: t
        description: d
        severity: low
        weight: 5
        category: hiring
        fbi_guidance: nope
        false_positives: []
        triage: t
        tests: {positive: [], negative: []}
        """)
    )
    with pytest.raises(RuleError) as caught:
        load_rules([bad])
    text = "\n".join(caught.value.errors)
    # each error names the line of the offending key, not the start of the rule
    assert f"{bad}:5: severity 'urgent'" in text
    assert f"{bad}:6: weight must be" in text
    assert f"{bad}:13: field 'process.nonexistent'" in text
    assert f"{bad}:25: fbi_guidance 'nope'" in text
    assert "unknown analytic 'no_such_analytic'" in text
    assert "needs at least one positive test" in text


def test_lolrmm_rule_set_loads_unchanged_and_finds_the_tools(tmp_path: Path) -> None:
    count = export_lolrmm(tmp_path / "lolrmm")
    assert count > 400
    ruleset = load_rules([tmp_path / "lolrmm"])
    assert len(ruleset.rules) == count
    ctx = make_context(
        connection_with(
            {
                "process_activity": PROCESSES,
                "network_activity": [
                    {
                        "device.hostname": "H9",
                        "dst_endpoint.hostname": "relay-1a2b3c4d.net.anydesk.com",
                    },
                    {"device.hostname": "H8", "dst_endpoint.hostname": "www.example.com"},
                ],
            }
        )
    )
    findings = run_rules(ctx, ruleset)
    titles = {(f.subject, f.rule.title) for f in findings}
    assert ("H1", "Potential AnyDesk RMM Tool Process Activity") in titles
    assert ("H9", "Potential AnyDesk RMM Tool Network Activity") in titles
    assert not {s for s, _ in titles} & {"H2", "H8"}
    anydesk = next(f for f in findings if f.subject == "H1")
    assert anydesk.rule.attack == ("T1219",) and anydesk.event_uids == ["process_activity-1"]


def _api(rows: list[tuple[str, str, str, int]]) -> list[dict[str, Any]]:
    return [
        {
            "actor.user.name": who,
            "api.operation": op,
            "resource.name": repo,
            "time": f"2025-11-03T10:{minute:02d}:00Z",
        }
        for who, op, repo, minute in rows
    ]


CORRELATIONS = {
    "event_count": (
        "correlation: {type: event_count, rules: [base_clone], group-by: "
        "[actor.user.name], timespan: 10m, condition: {gte: 3}}"
    ),
    "value_count": (
        "correlation: {type: value_count, rules: [base_clone], group-by: "
        "[actor.user.name], timespan: 10m, condition: {gte: 3, field: resource.name}}"
    ),
    "temporal": (
        "correlation: {type: temporal, rules: [base_zip, base_clone], group-by: "
        "[actor.user.name], timespan: 5m}"
    ),
    "temporal_ordered": (
        "correlation: {type: temporal_ordered, rules: [base_clone, base_zip], "
        "group-by: [actor.user.name], timespan: 5m}"
    ),
}


@pytest.mark.parametrize("kind", sorted(CORRELATIONS))
def test_correlations(tmp_path: Path, kind: str) -> None:
    path = correlation_file(tmp_path, f"title: corr\nname: corr_rule\n{CORRELATIONS[kind]}\n")
    ruleset = load_rules([path])
    rows = _api(
        [
            ("mal", "git.clone", "a", 0),
            ("mal", "git.clone", "b", 2),
            ("mal", "git.clone", "c", 4),
            ("mal", "repo.download_zip", "c", 6),
            ("ok", "git.clone", "a", 0),
            ("ok", "git.clone", "a", 3),
            ("ok", "git.clone", "a", 30),
            ("ok", "repo.download_zip", "a", 20),
            ("rev", "repo.download_zip", "a", 0),
            ("rev", "git.clone", "a", 1),
        ]
    )
    ctx = make_context(connection_with({"api_activity": rows}))
    fired = {f.subject for f in run_rules(ctx, ruleset) if f.rule.kind == "correlation"}
    expected = {
        "event_count": {"mal"},  # ok has 2 clones in any 10 minutes
        "value_count": {"mal"},  # ok clones one repository
        "temporal": {"mal", "rev"},  # both rules within 5 minutes, any order
        "temporal_ordered": {"mal"},  # rev has them the wrong way round
    }[kind]
    assert fired == expected
