"""A full disk is the workspace's problem, not the input's.

Seen filling a small disk during ``ingest``: every file after the disk filled ended as
``cannot read: [Errno 28] Error writing bytes to file…``, which sends the analyst to
look at log files that are fine. The file's line must say the workspace could not be
written, and why; the command then ends on that same cause. Once space is freed, the
next run imports what was not committed.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from farmhunt.ingest import commit
from farmhunt.ingest.model import FileResult, IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.simulate.config import SimConfig
from farmhunt.simulate.run import simulate
from farmhunt.store import Workspace
from tests.ingest.helpers import ingest, ndjson, ocsf_event, pids


def _disk_full(*_args: object) -> None:
    raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: No space left on device")


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "edr.ndjson"
    log.write_text(ndjson([ocsf_event(i) for i in range(5)]))
    return log


def _ingest_on_a_full_disk(ws_dir: Path, log: Path) -> list[FileResult]:
    seen: list[FileResult] = []
    options = IngestOptions(workers=1, chunk_rows=2)
    with Workspace(ws_dir, create=True) as ws, pytest.raises(OSError):
        ingest_paths(ws, [str(log)], options, on_result=seen.append)
    return seen


def test_a_full_disk_is_reported_as_a_write_failure_of_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commit, "write_atomic", _disk_full)

    [result] = _ingest_on_a_full_disk(tmp_path / "ws", _log(tmp_path))

    assert result.status == "error"
    assert result.message is not None
    assert "cannot read" not in result.message
    assert result.message.startswith("cannot write the workspace: No space left on device")


def test_once_space_is_freed_the_same_file_is_imported_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _log(tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(commit, "write_atomic", _disk_full)
        _ingest_on_a_full_disk(tmp_path / "ws", log)

    [result] = ingest(tmp_path / "ws", log, workers=1)

    assert result.status != "error"
    assert pids(tmp_path / "ws") == [1000 + i for i in range(5)]


def _stored(ws_dir: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every stored event's uid and record number, per table."""
    with Workspace(ws_dir) as ws:
        con = ws.connect()
        tables = [
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        shot = {}
        for table in sorted(tables):
            columns = {r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()}
            if "metadata.uid" in columns:
                sql = f'SELECT "metadata.uid", "raw_source.record" FROM "{table}" ORDER BY 1'
                shot[table] = con.execute(sql).fetchall()
    return shot


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_real_full_disk_then_room_again_ends_in_the_clean_store(tmp_path: Path) -> None:
    """A real file system that fills up (a 400 KiB tmpfs) during the import of a small
    simulated company: one line naming the cause, and once there is room the same
    import ends with exactly the events of a clean run."""
    simulate(SimConfig(workers=15, days=2, seed=11), tmp_path / "company")
    logs = tmp_path / "company" / "telemetry"
    ingest(tmp_path / "clean", logs, workers=1)
    disk = tmp_path / "small-disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)], check=True)
    try:
        src = str(Path(__file__).resolve().parents[2] / "src")
        env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
        command = [sys.executable, "-m", "farmhunt", "ingest", str(logs), "-w", str(disk / "ws")]
        full = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert full.returncode == 2
        assert "Traceback" not in full.stdout + full.stderr
        assert "No space left on device" in full.stderr
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        ingest(disk / "ws", logs, workers=1)
        assert _stored(disk / "ws") == _stored(tmp_path / "clean")
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
