"""Ranking the accounts and hosts findings name when no roster worker stands behind them.

Risk is scored per worker of the HR roster. Without a roster (a first trial, or a
team that keeps it out of the tool), every finding is unattributed and the ranking
was empty although findings existed. The subjects those findings name (an account,
a host, an address) are then ranked with the same model, caps and agreement bonus,
and shown clearly labelled as unresolved: one person may hide behind several of
them, and several people behind one, until a roster links them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from farmhunt.score.model import ScoringModel
from farmhunt.score.risk import WorkerRisk, score_worker


@dataclass(frozen=True)
class SubjectRisk:
    """An unresolved subject's risk, from its findings only (no farm membership)."""

    subject: str
    subject_type: str
    risk: WorkerRisk
    findings: int
    finding_ids: tuple[str, ...] = ()
    """The findings behind it, in the order given (the reports link to them)."""


def rank_subjects(
    findings: Iterable[dict[str, Any]], model: ScoringModel | None = None
) -> list[SubjectRisk]:
    """The subjects of findings that name no worker, highest risk first.

    ``findings`` are rows (or report records) with ``worker_id``, ``subject``,
    ``subject_type``, ``device``, ``finding_id``, ``rule_id``, ``title``, ``category``
    and ``weight``; those with a worker are left to the worker ranking.
    """
    model = model or ScoringModel()
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in findings:
        if finding.get("worker_id"):
            continue
        subject = finding.get("subject") or finding.get("device")
        if not subject:
            continue
        kind = finding.get("subject_type") or ("hostname" if finding.get("device") else "")
        grouped.setdefault((str(kind), str(subject)), []).append(finding)
    ranked = [
        SubjectRisk(
            subject,
            kind,
            score_worker(subject, rows, None, model),
            len(rows),
            tuple(str(r["finding_id"]) for r in rows if r.get("finding_id")),
        )
        for (kind, subject), rows in grouped.items()
    ]
    ranked.sort(key=lambda s: (-s.risk.score, s.subject_type, s.subject))
    return ranked
