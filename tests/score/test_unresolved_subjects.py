"""With no HR roster, the findings' accounts and hosts are ranked, labelled as such.

The findings are those a first trial on public-shaped samples gives without a roster
(a remote-control tool and its infrastructure on one laptop, IdP-flagged sign-ins).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.schema.tables import FINDINGS_TABLE
from farmhunt.score.run import score_workspace
from farmhunt.score.subjects import rank_subjects
from farmhunt.store import Workspace
from farmhunt.store.arrow import to_arrow

AT = datetime(2024, 6, 3, 14, 0, tzinfo=UTC)


def _finding(rule: str, category: str, weight: float, subject: str, kind: str) -> dict[str, Any]:
    return {
        "finding_id": f"{rule}:{subject}",
        "rule_id": rule,
        "rule_kind": "match",
        "title": rule.split(".")[-1].replace("_", " "),
        "category": category,
        "severity": "medium",
        "weight": weight,
        "worker_id": None,
        "subject": subject,
        "subject_type": kind,
        "device": subject if kind == "hostname" else None,
        "first_seen": AT,
        "last_seen": AT,
        "event_count": 1,
        "event_uids": [],
        "tables": [],
        "explanation": "",
    }


FINDINGS = [
    _finding("endpoint.remote_access_tool_process", "endpoint", 40, "LT-0193", "hostname"),
    _finding("network.remote_access_infrastructure", "network", 40, "LT-0193", "hostname"),
    _finding("identity.idp_flagged_sign_in", "identity", 20, "maria@example.com", "email"),
    _finding("identity.idp_flagged_sign_in", "identity", 20, "kevin@example.com", "email"),
]


def test_subjects_are_ranked_with_the_worker_model() -> None:
    ranked = rank_subjects([*FINDINGS, {**FINDINGS[0], "worker_id": "E1001"}])
    assert [(s.subject, s.findings) for s in ranked] == [
        ("LT-0193", 2),
        ("kevin@example.com", 1),
        ("maria@example.com", 1),
    ]
    assert ranked[0].risk.categories == ["endpoint", "network"]
    assert ranked[0].risk.score > ranked[1].risk.score > 0


def test_table_report_without_a_roster_ranks_the_subjects(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws", create=True) as ws:
        ws.replace_derived(FINDINGS_TABLE.name, to_arrow(FINDINGS_TABLE, FINDINGS))
        assert score_workspace(ws).risks == []  # no roster: no worker to score
    result = CliRunner().invoke(app, ["report", "-w", str(tmp_path / "ws"), "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "Unresolved subjects ranked by risk" in result.output
    assert "top 2 of 3" in result.output
    assert "LT-0193" in result.output and "hostname" in result.output
    assert "Workers ranked by risk" not in result.output  # an empty table says nothing
