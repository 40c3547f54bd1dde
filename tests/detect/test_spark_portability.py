"""Nothing in the engine blocks Spark: no distinct window aggregates in the SQL of the
correlations and analytics that count distinct values over sliding windows, and the
portable form finds exactly what the window form found on DuckDB."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pytest
import sqlglot
from sqlglot import exp

from farmhunt.detect import windows
from farmhunt.detect.analytics import endpoint, exfiltration, identity
from farmhunt.detect.correlate import correlation_expr, run_correlation
from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import RuleSet, load_rules
from farmhunt.detect.model import Finding
from farmhunt.detect.testing import connection_with

RULES = load_rules()


def _window_reference(
    t: ir.Table, *, keys: Sequence[str], order: str, value: str, seconds: int, name: str = "__n"
) -> ir.Table:
    """The form DuckDB accepts and Spark rejects: COUNT(DISTINCT) OVER a RANGE window."""
    frame = ibis.range_window(
        preceding=ibis.interval(seconds=seconds),
        following=0,
        group_by=[t[k] for k in keys] or None,
        order_by=t[order],
    )
    return t.mutate(**{name: t[value].nunique().over(frame)})


def _use_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    from farmhunt.detect import correlate

    for module in (correlate, endpoint, exfiltration, identity):
        monkeypatch.setattr(module, "distinct_in_range", _window_reference)


def _distinct_windows(sql: str) -> list[str]:
    """Window expressions whose aggregate is DISTINCT, in Spark SQL."""
    tree = sqlglot.parse_one(sql, read="spark")
    return [w.sql("spark") for w in tree.find_all(exp.Window) if w.this.find(exp.Distinct)]


def test_the_checker_catches_a_distinct_window() -> None:
    t = ibis.table({"k": "string", "t": "timestamp", "v": "string"}, name="events")
    sql = ibis.to_sql(_window_reference(t, keys=["k"], order="t", value="v", seconds=60), "pyspark")
    assert _distinct_windows(sql)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_distinct_in_range_equals_the_window_form(seed: int) -> None:
    rnd = random.Random(seed)
    base = datetime(2025, 11, 3, tzinfo=UTC)
    rows = [
        {
            "i": i,
            "k1": rnd.choice(["a", "b", None]),
            "k2": rnd.choice(["x", "y"]),
            # minutes, so many rows share an instant (snapshots, ties)
            "t": base + timedelta(minutes=rnd.randint(0, 90)),
            "v": rnd.choice(["p", "q", "r", "s", None]),
        }
        for i in range(400)
    ]
    t = ibis.memtable(pd.DataFrame(rows))
    for keys in (["k1"], ["k1", "k2"], []):
        for seconds in (0, 300, 1800):
            args: dict[str, Any] = {"keys": keys, "order": "t", "value": "v", "seconds": seconds}
            got = windows.distinct_in_range(t, **args).order_by("i").execute()
            want = _window_reference(t, **args).order_by("i").execute()
            assert got["__n"].tolist() == want["__n"].tolist(), (keys, seconds)


CORRELATION_RULES = """\
title: clone
name: base_clone
logsource: {product: farmhunt, service: api_activity}
detection: {sel: {api.operation: git.clone}, condition: sel}
---
title: zip
name: base_zip
logsource: {product: farmhunt, service: api_activity}
detection: {sel: {api.operation: repo.download_zip}, condition: sel}
---
title: values
name: c_value_count
correlation: {type: value_count, rules: [base_clone], group-by: [actor.user.name],
  timespan: 10m, condition: {gte: 3, field: resource.name}}
---
title: temporal
name: c_temporal
correlation: {type: temporal, rules: [base_zip, base_clone], group-by: [actor.user.name],
  timespan: 5m}
---
title: ordered
name: c_ordered
correlation: {type: temporal_ordered, rules: [base_clone, base_zip],
  group-by: [actor.user.name, resource.name], timespan: 5m}
---
title: count
name: c_event_count
correlation: {type: event_count, rules: [base_clone], group-by: [actor.user.name],
  timespan: 10m, condition: {gte: 3}}
"""


def _api_rows(seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    return [
        {
            "actor.user.name": rnd.choice(["ann", "bob", "cy", None]),
            "api.operation": rnd.choice(["git.clone", "repo.download_zip", "git.push"]),
            "resource.name": rnd.choice(["a", "b", "c", "d"]),
            "time": datetime(2025, 11, 3, 10, tzinfo=UTC) + timedelta(minutes=rnd.randint(0, 240)),
        }
        for _ in range(300)
    ]


def _summary(findings: list[Finding]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            f.rule.id,
            f.subject,
            f.first_seen,
            f.last_seen,
            f.event_count,
            tuple(sorted(f.event_uids)),
            repr(sorted(f.evidence.items())),
        )
        for f in findings
    )


@pytest.fixture(scope="module")
def correlations(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    path = tmp_path_factory.mktemp("corr") / "rules.yml"
    path.write_text(CORRELATION_RULES)
    return load_rules([path])


def test_correlation_sql_has_no_distinct_window(correlations: RuleSet) -> None:
    ctx = make_context(connection_with({}))
    for rule in correlations.of_kind("correlation"):
        sql = ibis.to_sql(correlation_expr(ctx, rule, correlations), dialect="pyspark")
        assert not _distinct_windows(sql), (rule.id, sql)


@pytest.mark.parametrize("seed", [7, 8])
def test_correlations_find_what_the_window_form_found(
    correlations: RuleSet, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = {"api_activity": _api_rows(seed)}
    rules = correlations.of_kind("correlation")

    def run() -> list[Finding]:
        ctx = make_context(connection_with(tables))
        return [f for rule in rules for f in run_correlation(ctx, rule, correlations)]

    portable = run()
    assert {f.rule.id for f in portable} >= {"c_value_count", "c_temporal", "c_event_count"}
    _use_reference(monkeypatch)
    assert _summary(portable) == _summary(run())


ANALYTIC_RULES = (
    "endpoint.concurrent_video_calls",
    "exfiltration.repo_bulk_download",
    "exfiltration.drive_download_spike",
    "identity.several_countries_within_hours",
    "identity.account_shared_across_countries",
)


def test_analytic_sql_has_no_distinct_window() -> None:
    ctx = make_context(connection_with({}))
    t = ibis.table({"__akey": "string", "time": "timestamp", "item": "string"}, name="x")
    a = ibis.table({"who": "string", "time": "timestamp", "country": "string"}, name="y")
    exprs = {
        "video calls (snapshots)": endpoint._concurrency(ctx, "process_query", 15),
        "video calls (starts)": endpoint._concurrency(ctx, "process_activity", 15),
        "sliding peaks": exfiltration.sliding_counts(t, "item", timedelta(hours=1)),
        "countries within hours": identity.country_counts(a, 8 * 3600),
    }
    for what, expr in exprs.items():
        sql = ibis.to_sql(expr, dialect="pyspark")
        assert not _distinct_windows(sql), (what, sql)


@pytest.mark.parametrize("rule_id", ANALYTIC_RULES)
def test_analytics_find_what_the_window_form_found(
    rule_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = RULES.by_id(rule_id)

    def run() -> list[list[tuple[Any, ...]]]:
        out = []
        for test in rule.tests:
            ctx = make_context(connection_with(test.tables))
            out.append(_summary(run_rules(ctx, RuleSet(rules=[rule]))))
        return out

    portable = run()
    assert any(portable), "the rule's positive tests find something"
    _use_reference(monkeypatch)
    assert portable == run()
