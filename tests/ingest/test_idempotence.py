"""Re-imports add nothing, appended logs add only their new lines, crashes lose nothing."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from farmhunt.ingest import commit, reading
from farmhunt.store import Workspace
from tests.ingest.helpers import ingest, ndjson, ocsf_event, pids, query

EVENTS = [ocsf_event(i) for i in range(10)]


def test_importing_the_same_content_twice_stores_nothing_new(tmp_path: Path) -> None:
    sample = tmp_path / "a.jsonl"
    sample.write_text(ndjson(EVENTS))
    copy = tmp_path / "renamed-copy.jsonl"
    shutil.copy(sample, copy)
    first, again, renamed = ingest(tmp_path / "ws", sample, sample, copy)
    assert first.stored == 10
    assert (again.status, again.stored) == ("skipped", 0)
    assert (renamed.status, renamed.stored) == ("skipped", 0)
    assert pids(tmp_path / "ws") == [1000 + i for i in range(10)]


def test_compressed_copy_of_an_imported_file_is_recognised(tmp_path: Path) -> None:
    sample = tmp_path / "a.jsonl"
    sample.write_text(ndjson(EVENTS))
    packed = tmp_path / "a.jsonl.gz"
    packed.write_bytes(gzip.compress(sample.read_bytes()))
    _first, second = ingest(tmp_path / "ws", sample, packed)
    assert second.status == "skipped"


def test_appended_log_imports_only_new_lines(tmp_path: Path) -> None:
    sample = tmp_path / "live.jsonl"
    sample.write_text(ndjson(EVENTS[:4]))
    [_first] = ingest(tmp_path / "ws", sample)
    with open(sample, "a") as handle:
        handle.write(ndjson(EVENTS[4:]))
    [second] = ingest(tmp_path / "ws", sample)
    assert (second.status, second.stored) == ("appended", 6)
    assert pids(tmp_path / "ws") == [1000 + i for i in range(10)]
    uids = query(tmp_path / "ws", 'SELECT count(DISTINCT "metadata.uid") FROM process_activity')
    assert uids == [(10,)]
    [(lines,)] = query(
        tmp_path / "ws",
        'SELECT list("raw_source.record" ORDER BY "raw_source.record") FROM process_activity',
    )
    assert lines == list(range(1, 11)), "line numbers continue across the append"


def test_modified_file_is_a_new_import_not_an_append(tmp_path: Path) -> None:
    sample = tmp_path / "live.jsonl"
    sample.write_text(ndjson(EVENTS[:4]))
    ingest(tmp_path / "ws", sample)
    sample.write_text(ndjson([ocsf_event(50), *EVENTS[1:4]]))
    [second] = ingest(tmp_path / "ws", sample)
    assert (second.status, second.stored) == ("imported", 4)


class _Crash(Exception):
    pass


def test_crash_mid_import_keeps_committed_chunks_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = tmp_path / "big.jsonl"
    sample.write_text(ndjson([ocsf_event(i) for i in range(100)]))
    real_flush = commit.ChunkWriter.flush
    calls = {"n": 0}

    def crashing_flush(self: commit.ChunkWriter) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            # the process dies after writing a Parquet file but before committing it
            self.ws.table_dir("process_activity").mkdir(parents=True, exist_ok=True)
            (self.ws.table_dir("process_activity") / "i1-c3.parquet").write_bytes(b"partial")
            raise _Crash
        real_flush(self)

    monkeypatch.setattr(commit.ChunkWriter, "flush", crashing_flush)
    with pytest.raises(_Crash):
        ingest(tmp_path / "ws", sample, chunk_rows=10)
    assert len(pids(tmp_path / "ws")) == 30, "three committed chunks are visible"

    monkeypatch.setattr(commit.ChunkWriter, "flush", real_flush)
    [resumed] = ingest(tmp_path / "ws", sample, chunk_rows=10)
    assert resumed.status == "resumed" and resumed.stored == 70
    assert pids(tmp_path / "ws") == [1000 + i for i in range(100)]
    for written in (tmp_path / "ws" / "tables").rglob("*"):
        if written.is_file():
            pq.read_metadata(written)  # the partial file was swept, every file is whole
    with Workspace(tmp_path / "ws") as ws:
        [row] = [i for i in ws.manifest.imports()]
        assert (row.status, row.stored, row.records_done) == ("complete", 100, 100)


def test_interrupt_marks_the_import_and_the_next_run_finishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = tmp_path / "big.jsonl"
    sample.write_text(ndjson([ocsf_event(i) for i in range(50)]))
    real_normalize = reading.iter_results

    def interrupted(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for n, item in enumerate(real_normalize(*args, **kwargs)):  # type: ignore[arg-type]
            if n == 25:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(reading, "iter_results", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest(tmp_path / "ws", sample, chunk_rows=10)
    with Workspace(tmp_path / "ws") as ws:
        assert ws.manifest.imports()[0].status == "interrupted"
    monkeypatch.setattr(reading, "iter_results", real_normalize)
    [done] = ingest(tmp_path / "ws", sample, chunk_rows=10)
    assert done.status == "resumed"
    assert pids(tmp_path / "ws") == [1000 + i for i in range(50)]


def test_readers_never_see_uncommitted_files(tmp_path: Path) -> None:
    sample = tmp_path / "a.jsonl"
    sample.write_text(ndjson(EVENTS))
    ingest(tmp_path / "ws", sample)
    stray = tmp_path / "ws" / "tables" / "process_activity" / "i9-c0.parquet"
    shutil.copy(next(stray.parent.glob("i1-*.parquet")), stray)
    assert len(pids(tmp_path / "ws")) == 10
    ingest(tmp_path / "ws", sample)  # a writer sweeps what no chunk committed
    assert not stray.exists()
