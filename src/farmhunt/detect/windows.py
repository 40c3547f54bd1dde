"""Distinct counts over sliding time windows, in SQL every Ibis engine accepts.

``COUNT(DISTINCT x) OVER (PARTITION BY k ORDER BY t RANGE BETWEEN … PRECEDING AND
CURRENT ROW)`` is what a Sigma ``value_count`` or ``temporal`` correlation means, and
DuckDB runs it, but Spark rejects distinct window aggregates ("Distinct window functions
are not supported"). The same numbers come from a range self-join: each distinct
(group, time) anchor meets the distinct (group, time, value) rows within the span before
it, and a grouped ``COUNT(DISTINCT …)``, which every engine has, counts them.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir


def distinct_in_range(
    t: ir.Table,
    *,
    keys: Sequence[str],
    order: str,
    value: str,
    seconds: int,
    name: str = "__n",
) -> ir.Table:
    """``t`` with a column ``name``: per row, how many distinct non-null ``value`` values
    the rows of its group (equal ``keys``, NULL equal to NULL) hold whose ``order`` lies
    within ``seconds`` before the row's ``order``, inclusive, rows at the same instant
    included, as a RANGE window does. Rows whose ``order`` is NULL get NULL.
    """
    anchors = t.select(*keys, order).distinct()
    others = t.select(
        **{f"__o{i}": t[k] for i, k in enumerate(keys)},
        __ot=t[order],
        __ov=t[value],
    ).distinct()
    span = ibis.interval(seconds=seconds)
    joined = anchors.join(
        others,
        [
            *(anchors[k].identical_to(others[f"__o{i}"]) for i, k in enumerate(keys)),
            others["__ot"] <= anchors[order],
            others["__ot"] >= anchors[order] - span,
        ],
    )
    counts = joined.group_by([*keys, order]).aggregate(**{name: joined["__ov"].nunique()})
    counts = counts.rename({f"__c{i}": k for i, k in enumerate(keys)} | {"__ct": order})
    out = t.left_join(
        counts,
        [
            *(t[k].identical_to(counts[f"__c{i}"]) for i, k in enumerate(keys)),
            t[order] == counts["__ct"],
        ],
    )
    return out.select(*[out[c] for c in t.columns], out[name])
