"""The risk model: caps, agreement across categories, farm points, exact decomposition."""

from __future__ import annotations

import math

import pytest

from farmhunt.score.clusters import Cluster
from farmhunt.score.model import ScoringModel
from farmhunt.score.risk import WorkerRisk, level_of, score_worker, shown

MODEL = ScoringModel()


def _finding(rule: str, category: str, weight: float, n: int = 0) -> dict[str, object]:
    return {
        "finding_id": f"{rule}-{n}",
        "rule_id": rule,
        "title": rule,
        "category": category,
        "weight": weight,
    }


def test_score_decomposes_exactly_into_its_findings() -> None:
    risk = score_worker(
        "w",
        [_finding("a", "endpoint", 30), _finding("b", "identity", 25), _finding("c", "hiring", 50)],
        None,
        MODEL,
    )
    assert math.isclose(sum(c.points for c in risk.contributions), risk.score, abs_tol=0.1)
    assert risk.level == "high" and risk.categories == ["endpoint", "hiring", "identity"]


def test_one_noisy_rule_cannot_dominate() -> None:
    many = [_finding("noisy", "endpoint", 35, n) for n in range(50)]
    one = score_worker("w", many[:1], None, MODEL)
    assert score_worker("w", many, None, MODEL).score == one.score
    huge = score_worker("w", [_finding("huge", "endpoint", 100)], None, MODEL)
    assert huge.raw == MODEL.rule_cap


def test_a_category_is_capped_and_agreement_across_categories_counts_more() -> None:
    same = [_finding(f"r{i}", "endpoint", 30) for i in range(4)]
    spread = [
        _finding("r0", "endpoint", 30),
        _finding("r1", "identity", 30),
        _finding("r2", "hiring", 30),
        _finding("r3", "exfiltration", 30),
    ]
    capped = score_worker("w", same, None, MODEL)
    assert capped.raw == MODEL.category_cap
    assert score_worker("w", spread, None, MODEL).score > capped.score


def test_farm_membership_adds_points_but_a_household_does_not() -> None:
    farm = Cluster("farm-x", ["w", "v", "u"], 3.0, 3.0)
    household = Cluster("farm-y", ["w", "v"], 0.6, 0.0)
    base = score_worker("w", [_finding("a", "endpoint", 20)], None, MODEL).score
    assert score_worker("w", [_finding("a", "endpoint", 20)], farm, MODEL).score > base
    assert score_worker("w", [_finding("a", "endpoint", 20)], household, MODEL).score == base


def test_levels_follow_the_thresholds() -> None:
    assert score_worker("w", [], None, MODEL).level == "low"
    assert score_worker("w", [_finding("a", "endpoint", 25)], None, MODEL).level == "medium"


def _scored(target: float) -> WorkerRisk:
    """A worker whose unrounded score is ``target`` (one or two endpoint findings)."""
    raw = -MODEL.scale * math.log(1 - target / 100)
    weights = [raw] if raw <= MODEL.rule_cap else [MODEL.rule_cap, raw - MODEL.rule_cap]
    findings = [_finding(f"r{i}", "endpoint", w) for i, w in enumerate(weights)]
    return score_worker("w", findings, None, MODEL)


@pytest.mark.parametrize(
    ("target", "figure", "level"),
    [
        (29.5, "29.5", "low"),
        (29.95, "29.9", "low"),
        (29.999, "29.9", "low"),
        (30.0, "30.0", "medium"),
        (59.5, "59.5", "medium"),
        (59.96, "59.9", "medium"),
        (60.0, "60.0", "high"),
    ],
)
def test_the_shown_score_never_contradicts_its_level(
    target: float, figure: str, level: str
) -> None:
    risk = _scored(target)
    assert shown(risk.score) == figure and risk.level == level
    assert level_of(float(figure), MODEL) == risk.level
    assert f"{level} risk ({figure}/100)" in risk.explanation
    assert math.isclose(sum(c.points for c in risk.contributions), risk.score, abs_tol=0.02)
