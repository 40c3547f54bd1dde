"""Parsing in worker processes stores exactly what parsing here stores, with the same
guarantees: input-order results, duplicates and appends recognised, crashes resumed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from farmhunt.ingest import commit, pipeline
from farmhunt.ingest.model import IngestOptions
from farmhunt.store import Workspace
from tests.ingest.helpers import ingest, ndjson, ocsf_event, pids, query


def _logs(folder: Path, count: int = 8, per_file: int = 30) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for f in range(count):
        path = folder / f"host{f:02d}.jsonl"
        lines = ndjson([ocsf_event(f * per_file + i, host=f"H{f}") for i in range(per_file)])
        if f == 3:
            lines += "{not json\n"  # one bad record: quarantined, its neighbours kept
        path.write_text(lines)
        paths.append(path)
    (folder / "blob.bin").write_bytes(bytes(range(256)) * 8)
    paths.insert(5, folder / "blob.bin")
    return paths


def _stored(ws: Path) -> list[tuple[object, ...]]:
    return query(
        ws,
        'SELECT "metadata.uid", "process.pid", "raw_source.record", raw_data '
        "FROM process_activity ORDER BY 1",
    )


def test_workers_store_what_a_single_process_stores(tmp_path: Path) -> None:
    paths = _logs(tmp_path / "logs")
    serial = ingest(tmp_path / "one", *paths, workers=1, chunk_rows=50)
    parallel = ingest(tmp_path / "two", *paths, workers=2, chunk_rows=50)
    assert [(r.path, r.status, r.stored, r.rejected) for r in parallel] == [
        (r.path, r.status, r.stored, r.rejected) for r in serial
    ]
    assert parallel[5].status == "error" and "binary file" in parallel[5].message
    # a worker's reading time reaches the result, so records/s is not reported as 0
    imported = [r for r in parallel if r.status == "imported"]
    assert imported and all(r.seconds > 0 for r in imported)
    assert _stored(tmp_path / "one") == _stored(tmp_path / "two")
    assert query(tmp_path / "two", "SELECT count(*) FROM quarantine") == [(1,)]
    with Workspace(tmp_path / "two") as ws:
        assert {(i.status, i.records_done) for i in ws.manifest.imports()} == {
            ("complete", 30),
            ("complete", 31),
        }


def test_duplicates_and_appends_within_a_parallel_run(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    first = folder / "a.jsonl"
    first.write_text(ndjson([ocsf_event(i) for i in range(20)]))
    copy = folder / "b-copy.jsonl"
    shutil.copy(first, copy)
    longer = folder / "c-longer.jsonl"
    longer.write_text(ndjson([ocsf_event(i) for i in range(35)]))
    results = ingest(tmp_path / "ws", first, copy, longer, workers=2)
    assert [(r.status, r.stored) for r in results] == [
        ("imported", 20),
        ("skipped", 0),
        ("appended", 15),
    ]
    assert pids(tmp_path / "ws") == [1000 + i for i in range(35)]


def test_a_crash_during_a_parallel_run_is_resumed_without_loss_or_doubles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [p for p in _logs(tmp_path / "logs") if p.suffix == ".jsonl"]
    real_commit = commit.Batch.commit
    calls = {"n": 0}

    def crashing_commit(self: commit.Batch) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the process dies")
        real_commit(self)

    monkeypatch.setattr(commit.Batch, "commit", crashing_commit)
    with pytest.raises(RuntimeError):
        ingest(tmp_path / "ws", *paths, workers=2, chunk_rows=40)
    assert 0 < len(pids(tmp_path / "ws")) < 240
    monkeypatch.setattr(commit.Batch, "commit", real_commit)
    ingest(tmp_path / "ws", *paths, workers=2, chunk_rows=40)
    assert pids(tmp_path / "ws") == [1000 + i for i in range(240)]
    with Workspace(tmp_path / "ws") as ws:
        complete = [i for i in ws.manifest.imports() if i.status == "complete"]
        assert sorted(i.path for i in complete) == sorted(str(p) for p in paths)


def test_large_inputs_use_workers_and_small_ones_do_not(tmp_path: Path) -> None:
    options = IngestOptions()
    small = _logs(tmp_path / "logs")
    assert pipeline.worker_count(options, [str(p) for p in small]) == 1
    assert pipeline.worker_count(IngestOptions(workers=3), []) == 3
    big = tmp_path / "big.jsonl"
    with open(big, "w") as handle:
        handle.write(json.dumps(ocsf_event(0)) + "\n")
        handle.truncate(pipeline.PARALLEL_MIN_BYTES)
    expected = 1 if (os.cpu_count() or 1) < 2 else os.cpu_count()
    assert pipeline.worker_count(options, [str(big), str(small[0])]) == expected
