"""The run's memo: shared relations are stored once and dropped after their last user."""

from __future__ import annotations

from pathlib import Path

import ibis

from farmhunt.detect.analytics.identity import drop, materialize
from farmhunt.detect.engine import Context, make_context
from farmhunt.detect.loader import RuleSet
from farmhunt.detect.testing import connection_with


def _context(scratch: Path | None = None) -> Context:
    return make_context(connection_with({}), scratch=scratch)


def test_an_entry_is_released_once_no_remaining_analytic_reads_it() -> None:
    ctx = _context()
    released: list[str] = []
    ctx.remember("k", 1, users=["a"], release=lambda: released.append("k"))
    ctx.forget_unused({"a", "b"})
    assert ctx.memo == {"k": 1} and released == []
    ctx.forget_unused({"b"})
    assert "k" not in ctx.memo and released == ["k"]


def test_an_analytic_that_read_an_entry_keeps_it_for_its_later_rules() -> None:
    ctx = _context()
    ctx.remember("k", 1, users=["a"])
    ctx.running = "b"
    assert ctx.recall("k") == 1
    ctx.running = None
    ctx.forget_unused({"b"})
    assert ctx.memo == {"k": 1}


def test_entries_without_users_are_released_at_the_end_of_the_run() -> None:
    ctx = _context()
    ctx.memo["plain"] = 2  # modules that keep their own memo entries
    ctx.remember("k", 1, users=[])
    ctx.forget_unused({"a"})
    assert ctx.memo == {"plain": 2}
    ctx.close_memo()
    assert ctx.memo == {}


def test_parts_are_stored_in_the_scratch_database_and_the_file_removed(tmp_path: Path) -> None:
    ctx = _context(tmp_path / "scratch")
    parts = [
        ibis.memtable({"x": [1, 2]}, schema={"x": "int64"}),
        ibis.memtable({"x": [3]}, schema={"x": "int64"}),
    ]
    table = materialize(ctx, parts)
    assert sorted(table.x.to_pyarrow().to_pylist()) == [1, 2, 3]
    files = list((tmp_path / "scratch").glob("*.duckdb"))
    assert len(files) == 1
    drop(ctx, table)
    ctx.close_memo()
    assert list((tmp_path / "scratch").iterdir()) == []


def test_without_a_scratch_folder_parts_are_temporary_tables() -> None:
    ctx = _context()
    table = materialize(ctx, [ibis.memtable({"x": [1]}), ibis.memtable({"x": [2]})])
    assert table.count().to_pyarrow().as_py() == 2
    drop(ctx, table)
    left = ctx.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    assert left == []


def test_a_run_removes_its_scratch_database(tmp_path: Path) -> None:
    from farmhunt.detect.engine import run_rules

    ctx = _context(tmp_path)
    ctx.memo_database()
    assert list(tmp_path.glob("*.duckdb"))
    assert run_rules(ctx, RuleSet(rules=[])) == []
    assert list(tmp_path.glob("*.duckdb*")) == []
