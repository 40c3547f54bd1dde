"""Guards for the engine's version pins (see pyproject): fail loudly when they break."""

from __future__ import annotations

import ibis
import pyarrow as pa


def test_ibis_can_create_tables_on_duckdb() -> None:
    # ibis 12 with sqlglot >= 30.18 emits an empty DROP VIEW here and DuckDB rejects it.
    con = ibis.duckdb.connect()
    table = con.create_table("t", pa.table({"a": [1, 2, 3]}))
    assert table.a.sum().execute() == 6


def test_ibis_range_windows_with_distinct_counts_run_on_duckdb() -> None:
    con = ibis.duckdb.connect()
    t = con.create_table(
        "w",
        pa.table(
            {
                "g": ["x", "x", "x"],
                "v": ["a", "b", "a"],
                "ts": pa.array([0, 60_000, 120_000], pa.timestamp("ms")),
            }
        ),
    )
    window = ibis.range_window(
        preceding=ibis.interval(minutes=1), following=0, group_by=t.g, order_by=t.ts
    )
    counts = t.mutate(n=t.v.nunique().over(window)).order_by("ts").n.execute().tolist()
    assert counts == [1, 2, 2]
