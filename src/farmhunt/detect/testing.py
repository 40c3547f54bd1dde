"""Running a rule's inline tests: its events in a throwaway DuckDB, the rule over them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import RuleSet
from farmhunt.detect.model import Rule, RuleTest
from farmhunt.enrich.indicators import indicators_from_lists
from farmhunt.schema import DERIVED_TABLES, STORE_TABLES
from farmhunt.sources.coerce import coerce
from farmhunt.store.arrow import to_arrow

TEST_START = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)
ALL_TABLES = {**STORE_TABLES, **DERIVED_TABLES}


@dataclass
class TestOutcome:
    rule: Rule
    test: RuleTest
    passed: bool
    detail: str


def connection_with(tables: dict[str, list[dict[str, Any]]]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with every store table, holding the given rows."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, spec in ALL_TABLES.items():
        rows = []
        for index, given in enumerate(tables.get(name, [])):
            row = {k: coerce(spec.column(k), v) for k, v in given.items()}
            if spec.has_column("time"):
                row.setdefault("time", TEST_START + timedelta(minutes=index))
            if spec.has_column("metadata.uid"):
                row.setdefault("metadata.uid", f"{name}-{index + 1}")
            rows.append(row)
        data = to_arrow(spec, rows) if rows else pa.Table.from_batches([], spec.arrow_schema())
        con.register(name, data)
    return con


def run_test(rule: Rule, test: RuleTest, ruleset: RuleSet) -> TestOutcome:
    con = connection_with(test.tables)
    ctx = make_context(con, indicators=indicators_from_lists(test.indicators, "test"))
    # a rule that is off by default (a correlation's building block) is still tested
    needed = [replace(rule, enabled=True)]
    if rule.kind == "correlation":
        needed += [ruleset.by_id(ref.reference) for ref in rule.sigma.rules]
    subset = RuleSet(rules=needed)
    findings = [f for f in run_rules(ctx, subset) if f.rule.id == rule.id]
    fired = bool(findings)
    if fired != test.expect:
        got = "; ".join(f.explanation for f in findings[:2]) or "no finding"
        return TestOutcome(
            rule,
            test,
            False,
            f"expected {'a finding' if test.expect else 'no finding'}, got: {got}",
        )
    if test.expect and test.subject and not any(f.subject == test.subject for f in findings):
        return TestOutcome(
            rule,
            test,
            False,
            f"no finding about {test.subject!r}; got "
            + ", ".join(sorted({f.subject for f in findings})),
        )
    return TestOutcome(rule, test, True, "")


def run_all_tests(ruleset: RuleSet) -> list[TestOutcome]:
    return [run_test(rule, test, ruleset) for rule in ruleset.rules for test in rule.tests]
