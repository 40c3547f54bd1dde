"""A workspace's DuckDB connection is bounded in memory and spills inside the workspace."""

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
        assert _setting(ws, "memory_limit") == "953.6 MiB"  # 1 GB, not 80% of the machine
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
