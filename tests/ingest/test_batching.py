"""Small files are committed together; the guarantees hold across a shared commit."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from farmhunt.ingest import commit, plan, reading
from farmhunt.ingest.model import IngestOptions
from farmhunt.sources.registry import get_parser
from farmhunt.store import Workspace
from tests.ingest.helpers import ingest, ndjson, ocsf_event, pids


def _small_files(folder: Path, count: int, per_file: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for f in range(count):
        path = folder / f"host{f:02d}.jsonl"
        path.write_text(ndjson([ocsf_event(f * per_file + i) for i in range(per_file)]))
        paths.append(path)
    return paths


def test_small_files_share_parquet_files_and_every_import_completes(tmp_path: Path) -> None:
    paths = _small_files(tmp_path / "logs", 12, 5)
    results = ingest(tmp_path / "ws", *paths, chunk_rows=20)
    assert [r.stored for r in results] == [5] * 12
    assert pids(tmp_path / "ws") == [1000 + i for i in range(60)]
    written = sorted((tmp_path / "ws" / "tables" / "process_activity").glob("*.parquet"))
    assert len(written) == 3, "60 rows of 12 files in chunks of 20 rows: three files"
    assert sum(pq.read_metadata(p).num_rows for p in written) == 60
    with Workspace(tmp_path / "ws") as ws:
        imports = ws.manifest.imports()
        assert {(i.status, i.stored, i.records_done) for i in imports} == {("complete", 5, 5)}


def test_crash_before_a_shared_commit_resumes_the_pending_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _small_files(tmp_path / "logs", 6, 4)
    real_commit = commit.Batch.commit
    calls = {"n": 0}

    def crashing_commit(self: commit.Batch) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the process dies before the second commit")
        real_commit(self)

    monkeypatch.setattr(commit.Batch, "commit", crashing_commit)
    with pytest.raises(RuntimeError):
        ingest(tmp_path / "ws", *paths, chunk_rows=10)
    committed = pids(tmp_path / "ws")
    assert committed == [1000 + i for i in range(len(committed))] and 0 < len(committed) < 24
    with Workspace(tmp_path / "ws") as ws:
        statuses = [i.status for i in ws.manifest.imports()]
    assert "complete" in statuses and "running" in statuses

    monkeypatch.setattr(commit.Batch, "commit", real_commit)
    again = ingest(tmp_path / "ws", *paths, chunk_rows=10)
    assert {r.status for r in again} <= {"skipped", "imported", "resumed"}
    assert pids(tmp_path / "ws") == [1000 + i for i in range(24)], "nothing lost or doubled"
    with Workspace(tmp_path / "ws") as ws:
        done = {i.path: i.status for i in ws.manifest.imports() if i.status == "complete"}
    assert sorted(done) == sorted(str(p) for p in paths)


def test_a_file_extending_one_earlier_in_the_same_run_is_an_append(tmp_path: Path) -> None:
    first = tmp_path / "a.jsonl"
    first.write_text(ndjson([ocsf_event(i) for i in range(4)]))
    longer = tmp_path / "b.jsonl"
    longer.write_text(ndjson([ocsf_event(i) for i in range(10)]))
    one, two = ingest(tmp_path / "ws", first, longer)
    assert (one.status, one.stored) == ("imported", 4)
    assert (two.status, two.stored) == ("appended", 6)
    assert pids(tmp_path / "ws") == [1000 + i for i in range(10)]


def test_an_import_whose_rows_a_parsing_process_wrote_completes_at_once(tmp_path: Path) -> None:
    """Large chunks reach the batch already written; neither they nor the import's
    completion may wait in it for small files' rows, or every later file of the run
    would be checked against a growing list of pending imports."""
    path = tmp_path / "big.jsonl"
    path.write_text(ndjson([ocsf_event(i) for i in range(5)]))
    options = IngestOptions()
    with Workspace(tmp_path / "ws", create=True) as ws:
        batch = commit.Batch(ws, options.chunk_rows)
        job = plan.plan_file(ws, str(path), options, lambda **_: None)
        assert isinstance(job, plan.Job)
        batch.track(job)

        def emit(segment: commit.Segment) -> None:
            batch.add(commit.write_segment(ws.root, segment))

        outcome = reading.produce(job, get_parser(job.format), options, emit, None)
        commit.finalize(ws, job, outcome, batch)
        assert batch.segments == [] and not batch.holds(content=job.content)
        assert ws.manifest.get(job.import_id).status == "complete"
    assert pids(tmp_path / "ws") == [1000 + i for i in range(5)]
