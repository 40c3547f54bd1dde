"""A worker's risk: findings capped per rule and per category, agreement across
categories, candidate-farm membership, mapped to 0–100 and decomposed back.

raw = (Σ over categories of min(Σ over rules of min(weight, rule_cap), category_cap))
      × (1 + agreement_bonus × (agreeing categories − 1)) + farm points
score = 100 × (1 − exp(−raw / scale)), cut to one decimal; the level is read off
that figure, so a shown score never contradicts its level (29.96 is "29.9", low).

Each finding's share of the score is its share of ``raw`` (after its rule and category
caps and the agreement multiplier), so the contributions add up to the score.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from farmhunt.score.clusters import Cluster
from farmhunt.score.model import ScoringModel


@dataclass
class Contribution:
    kind: str
    """finding or farm"""
    ref: str
    """finding_id or cluster_id"""
    rule_id: str
    title: str
    category: str
    weight: float
    points: float = 0.0
    """Points of the final 0–100 score."""


@dataclass
class WorkerRisk:
    worker_id: str
    score: float
    level: str
    raw: float
    categories: list[str]
    contributions: list[Contribution] = field(default_factory=list)
    cluster_id: str | None = None

    @property
    def explanation(self) -> str:
        top = sorted(self.contributions, key=lambda c: -c.points)[:3]
        parts = ", ".join(f"{c.title} (+{c.points:.0f})" for c in top)
        return (
            f"{self.level} risk ({shown(self.score)}/100) from {len(self.categories)} "
            f"categor{'y' if len(self.categories) == 1 else 'ies'}: {parts}"
        )


def stored_score(score: float) -> float:
    """The score as stored and shown: cut (not rounded) to one decimal.

    Rounding could lift 29.96 to "30.0", the first medium score, on a worker whose
    level is low; cutting never crosses a threshold, and the level is decided on this
    figure, so the figure and the level always agree.
    """
    return math.floor(round(score * 10, 6)) / 10


def shown(score: float) -> str:
    """A stored score as text, with its one decimal (``29.9``)."""
    return f"{score:.1f}"


def level_of(score: float, model: ScoringModel) -> str:
    if score >= model.high:
        return "high"
    if score >= model.medium:
        return "medium"
    return "low"


def score_worker(
    worker_id: str, findings: list[dict[str, Any]], cluster: Cluster | None, model: ScoringModel
) -> WorkerRisk:
    best: dict[str, dict[str, Any]] = {}
    for finding in findings:
        rule = finding["rule_id"]
        if rule not in best or finding["weight"] > best[rule]["weight"]:
            best[rule] = finding
    by_category: dict[str, list[Contribution]] = defaultdict(list)
    for finding in best.values():
        by_category[finding["category"]].append(
            Contribution(
                "finding",
                finding["finding_id"],
                finding["rule_id"],
                finding["title"],
                finding["category"],
                min(float(finding["weight"]), model.rule_cap),
            )
        )
    raw_parts: list[tuple[Contribution, float]] = []
    category_points: dict[str, float] = {}
    for category, items in by_category.items():
        total = sum(c.weight for c in items)
        factor = min(total, model.category_cap) / total if total else 0.0
        category_points[category] = total * factor
        raw_parts += [(c, c.weight * factor) for c in items]
    agreeing = [c for c, p in category_points.items() if p >= model.agreement_floor]
    multiplier = 1 + model.agreement_bonus * max(len(agreeing) - 1, 0)
    raw_parts = [(c, p * multiplier) for c, p in raw_parts]
    if cluster is not None and cluster.farm_strength > 0:
        strength = min(cluster.farm_strength / model.farm_strength, 1.0)
        points = model.cluster_points * strength
        raw_parts.append(
            (
                Contribution(
                    "farm",
                    cluster.cluster_id,
                    "score.candidate_farm",
                    f"Member of candidate farm {cluster.cluster_id} "
                    f"({len(cluster.members)} workers)",
                    "farm",
                    points,
                ),
                points,
            )
        )
    raw = sum(p for _, p in raw_parts)
    figure = stored_score(100 * (1 - math.exp(-raw / model.scale)) if raw > 0 else 0.0)
    for contribution, points in raw_parts:
        contribution.points = round(figure * points / raw, 2) if raw else 0.0
    return WorkerRisk(
        worker_id=worker_id,
        score=figure,
        level=level_of(figure, model),
        raw=round(raw, 2),
        categories=sorted(category_points),
        contributions=sorted((c for c, _ in raw_parts), key=lambda c: -c.points),
        cluster_id=cluster.cluster_id if cluster else None,
    )
