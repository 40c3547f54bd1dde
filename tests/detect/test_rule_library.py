"""The built-in rule library: every rule valid, documented, and passing its own tests."""

from __future__ import annotations

import pytest

from farmhunt.detect.loader import load_rules
from farmhunt.detect.model import FBI_GUIDANCE
from farmhunt.detect.testing import run_test

RULESET = load_rules()
CASES = [(rule, test) for rule in RULESET.rules for test in rule.tests]


def test_every_rule_has_positive_and_negative_tests() -> None:
    for rule in RULESET.rules:
        kinds = {t.expect for t in rule.tests}
        assert kinds == {True, False}, f"{rule.source}: needs positive and negative tests"


def test_every_rule_explains_itself() -> None:
    for rule in RULESET.rules:
        assert rule.description and rule.triage and rule.false_positives, rule.source
        assert rule.fbi_guidance in FBI_GUIDANCE, rule.source
        assert rule.source.startswith("rules/") and rule.id.split(".")[0] == rule.category, (
            f"{rule.source}: id {rule.id} should start with its category {rule.category}"
        )


@pytest.mark.parametrize(
    "rule,test",
    CASES,
    ids=[f"{r.id}-{'pos' if t.expect else 'neg'}{i}" for i, (r, t) in enumerate(CASES)],
)
def test_rule_inline_test(rule: object, test: object) -> None:
    outcome = run_test(rule, test, RULESET)  # type: ignore[arg-type]
    assert outcome.passed, outcome.detail


def test_docs_rules_reference_is_current() -> None:
    from pathlib import Path

    from farmhunt.detect.docs import render_rules_markdown

    docs = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert docs.read_text(encoding="utf-8") == render_rules_markdown(RULESET), (
        "docs/rules.md is stale: run `farmhunt rules docs --output docs/rules.md`"
    )
