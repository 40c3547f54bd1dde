"""The workspace: DuckDB bounded in memory and spilling inside it; manifest commits durable."""

from __future__ import annotations

from pathlib import Path

import pytest

from farmhunt.store import Workspace
from farmhunt.store.workspace import WorkspaceError


def _setting(ws: Workspace, name: str) -> str:
    row = ws.connect().execute(f"SELECT current_setting('{name}')").fetchone()
    assert row is not None
    return str(row[0])


def test_connection_is_bounded_and_spills_into_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FARMHUNT_MEMORY_LIMIT", raising=False)
    with Workspace(tmp_path / "ws", create=True) as ws:
        assert _setting(ws, "memory_limit") == "732.4 MiB"  # 768 MB, not 80% of the machine
        assert _setting(ws, "temp_directory").startswith(str(tmp_path / "ws"))


def test_memory_limit_can_be_raised_and_a_bad_value_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Workspace(tmp_path / "ws", create=True) as ws:
        monkeypatch.setenv("FARMHUNT_MEMORY_LIMIT", "3GB")
        assert _setting(ws, "memory_limit").startswith("2.7")  # 3 GB is 2.7 GiB
        monkeypatch.setenv("FARMHUNT_MEMORY_LIMIT", "lots")
        with pytest.raises(WorkspaceError, match="FARMHUNT_MEMORY_LIMIT"):
            ws.connect()


def test_starting_an_import_leaves_commits_fully_synchronous(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws", create=True) as ws:
        manifest = ws.manifest
        import_id = manifest.start_import(
            path="x.log",
            fmt="ocsf",
            content_sha256="c",
            head_sha256="h",
            size=1,
            line_oriented=True,
            resumed_from=None,
            start_record=0,
        )
        manifest.reopen(import_id)
        assert manifest.get(import_id).status == "running"
        # 2 is FULL: chunk commits still wait for the disk
        assert manifest._db.execute("PRAGMA synchronous").fetchone() == (2,)


def test_scratch_tables_live_in_a_file_that_is_removed_afterwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Intermediate tables larger than the memory limit go to a compressed scratch file,
    # beside the store's views, and nothing of it stays behind.
    monkeypatch.setenv("FARMHUNT_MEMORY_LIMIT", "64MB")
    big = "SELECT md5(CAST(i AS VARCHAR)) || md5(CAST(-i AS VARCHAR)) AS v FROM range(2000000) t(i)"
    scratch = tmp_path / "ws" / ".duckdb-tmp"
    with Workspace(tmp_path / "ws", create=True) as ws, ws.scratch_connect() as con:
        con.execute(f"CREATE TABLE big AS {big}")
        con.execute("CHECKPOINT")
        where = con.execute("SELECT database_name FROM duckdb_tables() WHERE table_name = 'big'")
        assert where.fetchall() == [("scratch",)]
        assert con.execute("SELECT count(DISTINCT v) FROM big").fetchone() == (2_000_000,)
        assert con.execute("SELECT count(*) FROM workers").fetchone() == (0,)  # store views
        files = list(scratch.glob("scratch-*.duckdb"))
        assert len(files) == 1 and files[0].stat().st_size > 32_000_000
    assert list(scratch.glob("scratch-*")) == []
