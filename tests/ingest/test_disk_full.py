"""A full disk is the workspace's problem, not the input's.

Seen filling a small disk during ``ingest``: every file after the disk filled ended as
``cannot read: [Errno 28] Error writing bytes to file…``, which sends the analyst to
look at log files that are fine. The file's line must say the workspace could not be
written, and why; the command then ends on that same cause. Once space is freed, the
next run imports what was not committed.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from farmhunt.ingest import pipeline
from farmhunt.ingest.pipeline import FileResult, IngestOptions, ingest_paths
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
    monkeypatch.setattr(pipeline, "write_atomic", _disk_full)

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
        patched.setattr(pipeline, "write_atomic", _disk_full)
        _ingest_on_a_full_disk(tmp_path / "ws", log)

    [result] = ingest(tmp_path / "ws", log, workers=1)

    assert result.status != "error"
    assert pids(tmp_path / "ws") == [1000 + i for i in range(5)]
