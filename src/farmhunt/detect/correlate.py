"""Sigma correlation rules (event_count, value_count, temporal, temporal_ordered).

The referenced match rules' events are gathered into one relation with the group-by
fields, then per group the events, distinct values or distinct rules within the
timespan before each event are counted in the engine (a window count, or for distinct
counts a range self-join that Spark accepts too). Only the groups that satisfy the condition
come back, each with the events of its first satisfying window as evidence.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
from sigma.correlations import SigmaCorrelationConditionOperator as Op

from farmhunt.detect.context import (
    MAX_UIDS,
    Context,
    accessor,
    jsonable,
    subject_expr,
)
from farmhunt.detect.loader import RuleSet
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.sigma_ibis import CompileError
from farmhunt.detect.subjects import subject_type, subjects_for
from farmhunt.detect.windows import distinct_in_range


def _condition(value: ir.Value, op: Op, count: int) -> ir.BooleanValue:
    return {
        Op.LT: value < count,
        Op.LTE: value <= count,
        Op.GT: value > count,
        Op.GTE: value >= count,
        Op.EQ: value == count,
        Op.NEQ: value != count,
    }[op]


def _events(ctx: Context, base: Rule, group_by: list[str], value_field: str | None) -> ir.Table:
    assert base.table is not None
    t = ctx.table(base.table)
    compiler = ctx.compiler(base.table)
    columns: dict[str, ir.Value] = {}
    for index, name in enumerate(group_by):
        column = compiler.column(name)
        columns[f"__g{index}"] = t[column].cast("string")
    subject, which = subject_expr(t, base.subject or subjects_for(base.table))
    columns["__v"] = (
        t[compiler.column(value_field)].cast("string")
        if value_field
        else ibis.null().cast("string")
    )
    return t.filter(compiler.compile(base.sigma, accessor(t))).select(
        __uid=t["metadata.uid"],
        __time=t["time"],
        __rule=ibis.literal(base.name),
        __subject=subject,
        __which=which,
        __table=ibis.literal(base.table),
        **columns,
    )


def correlation_events(ctx: Context, rule: Rule, ruleset: RuleSet) -> ir.Table:
    """The referenced match rules' events, with group keys ``__g0``…, value ``__v``."""
    corr = rule.sigma
    group_by = list(corr.group_by or [])
    value_field = corr.condition.fieldref if corr.type.name == "VALUE_COUNT" else None
    bases = [ruleset.by_id(ref.reference) for ref in corr.rules]
    try:
        parts = [_events(ctx, base, group_by, value_field) for base in bases]
    except CompileError as exc:
        raise CompileError(f"{rule.source}: {exc}") from exc
    union = parts[0]
    for part in parts[1:]:
        union = union.union(part)
    return union


def correlation_expr(ctx: Context, rule: Rule, ruleset: RuleSet) -> ir.Table:
    """Every event of the correlation with ``__n`` (the count over the window ending at
    it) and ``__ok`` (whether that window satisfies the condition).

    Event counts are a RANGE window count; distinct counts (value_count, temporal) come
    from :func:`~farmhunt.detect.windows.distinct_in_range`, because Spark rejects
    ``COUNT(DISTINCT …) OVER``.
    """
    corr = rule.sigma
    names = [ref.reference for ref in corr.rules]
    union = correlation_events(ctx, rule, ruleset)
    keys = [f"__g{i}" for i in range(len(corr.group_by or []))]
    seconds = int(corr.timespan.seconds)
    kind = corr.type.name
    if kind == "EVENT_COUNT":
        window = ibis.range_window(
            preceding=ibis.interval(seconds=seconds),
            following=0,
            group_by=[union[k] for k in keys] or None,
            order_by=union["__time"],
        )
        marked = union.mutate(__n=union["__uid"].count().over(window))
        ok = _condition(marked["__n"], corr.condition.op, corr.condition.count)
    else:
        value = "__v" if kind == "VALUE_COUNT" else "__rule"
        marked = distinct_in_range(union, keys=keys, order="__time", value=value, seconds=seconds)
        if kind == "VALUE_COUNT":
            ok = _condition(marked["__n"], corr.condition.op, corr.condition.count)
        else:  # TEMPORAL and TEMPORAL_ORDERED: every referenced rule within the timespan
            ok = marked["__n"] >= len(set(names))
    return marked.mutate(__ok=ok.fill_null(False))


def run_correlation(ctx: Context, rule: Rule, ruleset: RuleSet) -> list[Finding]:
    corr = rule.sigma
    names = [ref.reference for ref in corr.rules]
    group_by = list(corr.group_by or [])
    seconds = int(corr.timespan.seconds)
    kind = corr.type.name
    marked = correlation_expr(ctx, rule, ruleset)
    keys = [f"__g{i}" for i in range(len(group_by))]
    ok = _candidates(marked.filter(marked["__ok"]), keys, kind)
    # ties in time broken by event id: the evidence, and what temporal_ordered sees as
    # the order of simultaneous events, are the same on every run
    rows = ok.order_by(["__time", "__uid"]).to_pyarrow().to_pylist()
    ends: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        ends[tuple(row[k] for k in keys)].append(row)
    by_group: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    if ends:
        union = _near(correlation_events(ctx, rule, ruleset), ok, keys, seconds)
        for row in union.order_by(["__time", "__uid"]).to_pyarrow().to_pylist():
            by_group[tuple(row[k] for k in keys)].append(row)
    findings: list[Finding] = []
    for key, candidates in ends.items():
        found = _first_window(candidates, by_group[key], seconds, names, kind)
        if found is None:
            continue
        hit, events = found
        end = hit["__time"]
        subject = next((e["__subject"] for e in events if e["__subject"]), None)
        which = next((e["__which"] for e in events if e["__which"]), "device.hostname")
        grouped = dict(zip(group_by, key, strict=True))
        findings.append(
            Finding(
                rule=rule,
                subject=subject or "(unknown)",
                subject_type=subject_type(which),
                first_seen=events[0]["__time"],
                last_seen=end,
                event_count=len(events),
                event_uids=[e["__uid"] for e in events[:MAX_UIDS] if e["__uid"]],
                explanation=(
                    f"{rule.title}: {len(events)} events of {', '.join(sorted(set(names)))} "
                    f"within {corr.timespan.spec} for "
                    + ", ".join(f"{k}={v}" for k, v in grouped.items())
                    + (f" ({hit['__n']} counted)" if kind in ("EVENT_COUNT", "VALUE_COUNT") else "")
                ),
                evidence={
                    "group": grouped,
                    "count": hit["__n"],
                    "values": sorted({e["__v"] for e in events if e["__v"]})[:20],
                    "window_end": jsonable(end),
                },
                worker_id=ctx.worker_for(subject),
                tables=sorted({e["__table"] for e in events}),
            )
        )
    return findings


def _candidates(ok: ir.Table, keys: list[str], kind: str) -> ir.Table:
    """The window ends worth looking at: every satisfying one for ``temporal_ordered``
    (the order of the rules is checked per window), else only each group's first, which
    is the finding; a busy group otherwise brings every later window end into Python."""
    if kind == "TEMPORAL_ORDERED":
        return ok
    window = ibis.window(
        group_by=[ok[k] for k in keys] or None, order_by=[ok["__time"], ok["__uid"]]
    )
    ranked = ok.mutate(__first=ibis.row_number().over(window))
    return ranked.filter(ranked["__first"] == 0).drop("__first")


def _near(union: ir.Table, ok: ir.Table, keys: list[str], seconds: int) -> ir.Table:
    """The events of the groups with a satisfying window, from ``seconds`` before their
    first window end to their last: all any of those windows holds, without copying
    every event of the referenced rules into Python (groups are matched NULL-safely, as
    a group without a value is a group too)."""
    spans = ok.aggregate(
        by=keys, __lo=ok["__time"].min() - ibis.interval(seconds=seconds), __hi=ok["__time"].max()
    )
    predicates = [union[k].identical_to(spans[k]) for k in keys]
    predicates += [union["__time"] >= spans["__lo"], union["__time"] <= spans["__hi"]]
    return union.join(spans, predicates).select(*union.columns)


def _first_window(
    candidates: list[dict[str, Any]],
    events: list[dict[str, Any]],
    seconds: int,
    names: list[str],
    kind: str,
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The first satisfying window of one group and its events, oldest first.

    Each candidate ends a window the engine found satisfying; for ``temporal_ordered``
    the order of the rules is checked here, window by window, because a window with the
    rules the wrong way round says nothing about a later window in the same group.
    """
    times = [e["__time"] for e in events]
    for hit in candidates:
        end = hit["__time"]
        low = bisect.bisect_left(times, end - timedelta(seconds=seconds))
        high = bisect.bisect_right(times, end)
        window = events[low:high]
        if kind != "TEMPORAL_ORDERED" or _in_order(window, names):
            return hit, window
    return None


def _in_order(events: list[dict[str, Any]], names: list[str]) -> bool:
    """Whether the referenced rules fire in the listed order within the window."""
    position = 0
    for event in events:
        if position < len(names) and event["__rule"] == names[position]:
            position += 1
    return position == len(names)
