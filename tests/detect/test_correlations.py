"""Sigma correlations: windows beyond the first, load-time checks of their fields."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import load_rules
from farmhunt.detect.testing import connection_with

BASES = """\
title: clone
name: base_clone
logsource: {product: farmhunt, service: api_activity}
detection:
  sel: {api.operation: git.clone}
  condition: sel
level: low
---
title: zip
name: base_zip
logsource: {product: farmhunt, service: api_activity}
detection:
  sel: {api.operation: repo.download_zip}
  condition: sel
level: low
---
"""


def _rules(tmp_path: Path, correlation: str) -> Path:
    path = tmp_path / "corr.yml"
    path.write_text(BASES + textwrap.dedent(correlation))
    return path


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
    fired = _fired(_rules(tmp_path, ORDERED), rows)
    assert set(fired) == {"late"}
    finding = fired["late"]
    # the evidence is the right-order window, not the first one
    assert finding.first_seen.strftime("%H:%M") == "10:20"
    assert finding.last_seen.strftime("%H:%M") == "10:21"
    assert finding.event_count == 2
