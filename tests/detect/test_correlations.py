"""Correlation windows and load-time checks: correlation fields, log sources, ATT&CK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import RuleError, load_rules
from farmhunt.detect.testing import connection_with
from tests.detect.correlation_files import correlation_file


def _api(rows: list[tuple[str, str, str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "actor.user.name": who,
            "api.operation": op,
            "resource.name": repo,
            "time": f"2025-11-03T{hhmm}:00Z",
        }
        for who, op, repo, hhmm in rows
    ]


def _fired(path: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    ctx = make_context(connection_with({"api_activity": rows}))
    return {
        f.subject: f for f in run_rules(ctx, load_rules([path])) if f.rule.kind == "correlation"
    }


ORDERED = """\
title: clone then zip
name: ordered
correlation:
  type: temporal_ordered
  rules: [base_clone, base_zip]
  group-by: [actor.user.name]
  timespan: 5m
"""


def test_temporal_ordered_looks_past_a_first_window_in_the_wrong_order(tmp_path: Path) -> None:
    rows = _api(
        [
            # wrong order first, then the right order twenty minutes later
            ("late", "repo.download_zip", "a", "10:00"),
            ("late", "git.clone", "a", "10:01"),
            ("late", "git.clone", "b", "10:20"),
            ("late", "repo.download_zip", "b", "10:21"),
            # only ever the wrong order
            ("rev", "repo.download_zip", "a", "10:00"),
            ("rev", "git.clone", "a", "10:01"),
            ("rev", "repo.download_zip", "b", "10:20"),
            ("rev", "git.clone", "b", "10:21"),
        ]
    )
    fired = _fired(correlation_file(tmp_path, ORDERED), rows)
    assert set(fired) == {"late"}
    finding = fired["late"]
    # the evidence is the right-order window, not the first one
    assert finding.first_seen.strftime("%H:%M") == "10:20"
    assert finding.last_seen.strftime("%H:%M") == "10:21"
    assert finding.event_count == 2


def test_correlation_fields_are_checked_at_load_with_file_and_line(tmp_path: Path) -> None:
    path = correlation_file(
        tmp_path,
        """\
        title: bad group
        name: bad_group
        correlation:
          type: value_count
          rules: [base_clone]
          group-by:
            - NoSuchGroupField
          timespan: 10m
          condition:
            gte: 3
            field: resource.nmae
        """,
    )
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    errors = caught.value.errors
    # BASES has 16 lines; the correlation's `group-by` is its line 6, `field` its line 11
    assert any(
        e.startswith(f"{path}:22: correlation field 'NoSuchGroupField'") and "api_activity" in e
        for e in errors
    ), errors
    assert any(
        e.startswith(f"{path}:27: correlation field 'resource.nmae'")
        and "did you mean 'resource.name'" in e
        for e in errors
    ), errors


RULE = """\
id: x.attack
kind: match
title: t
description: d
severity: low
weight: 5
category: endpoint
fbi_guidance: remote_access
{attack}false_positives: []
triage: t
logsource: {{product: farmhunt, service: process_activity}}
detection:
  sel: {{process.file.name: x.exe}}
  condition: sel
tests:
  positive: [{{tables: {{process_activity: [{{process.file.name: x.exe}}]}}}}]
  negative: [{{tables: {{process_activity: [{{process.file.name: y.exe}}]}}}}]
"""


def test_a_misspelt_farmhunt_table_names_the_closest_and_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    typo = "service: proces_activity}"
    text = RULE.format(attack="attack: [T1219]\n").replace("service: process_activity}", typo)
    path.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if typo in row)
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    (error,) = caught.value.errors
    assert error.startswith(f"{path}:{line}: log source service 'proces_activity'")
    assert "did you mean 'process_activity'" in error and "network_activity" in error


@pytest.mark.parametrize(
    "attack,problem",
    [
        ("", "missing 'attack'"),
        ("attack: []\n", "attack must list ATT&CK technique ids"),
        ("attack: none\n", "needs `attack_none_reason:`"),
        ("attack: [T1219, remote]\n", "not ATT&CK technique ids: remote"),
        ("attack: [T1219]\nattack_none_reason: x\n", "goes with `attack: none` only"),
        ("attack: [T1219.002]\n", None),
        ("attack: none\nattack_none_reason: no technique fits\n", None),
    ],
)
def test_every_farmhunt_rule_names_a_technique_or_says_why_none_fits(
    tmp_path: Path, attack: str, problem: str | None
) -> None:
    path = tmp_path / "r.yml"
    path.write_text(RULE.format(attack=attack))
    if problem is None:
        (rule,) = load_rules([path]).rules
        assert rule.attack or rule.attack_none == "no technique fits"
        return
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    assert any(problem in e for e in caught.value.errors), caught.value.errors


COUNTED = """\
title: three clones
name: counted
correlation:
  type: event_count
  rules: [base_clone]
  group-by: [actor.user.name]
  timespan: 10m
  condition: {gte: 3}
"""


def test_event_count_evidence_is_the_first_window_of_each_group(tmp_path: Path) -> None:
    rows = _api(
        [
            ("ann", "git.clone", "early", "08:00"),  # long before any window
            ("ann", "git.clone", "a", "10:00"),
            ("ann", "git.clone", "b", "10:04"),
            ("ann", "git.clone", "c", "10:09"),  # first window: 10:00 to 10:09
            ("ann", "git.clone", "d", "10:12"),  # later windows, not the finding's
            ("ann", "git.clone", "e", "10:15"),
            ("bob", "git.clone", "a", "10:00"),  # two are not enough
            ("bob", "git.clone", "b", "10:05"),
            ("", "git.clone", "a", "11:00"),  # no user name (NULL): a group of its own
            ("", "git.clone", "b", "11:01"),
            ("", "git.clone", "c", "11:02"),
        ]
    )
    for number, row in enumerate(rows):
        row["metadata.uid"] = f"e{number:02d}"
        row["actor.user.name"] = row["actor.user.name"] or None
    fired = _fired(correlation_file(tmp_path, COUNTED), rows)
    assert set(fired) == {"ann", "(unknown)"}
    ann = fired["ann"]
    assert ann.event_uids == ["e01", "e02", "e03"]
    assert ann.first_seen.strftime("%H:%M") == "10:00"
    assert ann.last_seen.strftime("%H:%M") == "10:09"
    assert fired["(unknown)"].event_uids == ["e08", "e09", "e10"]
