"""A folder holding a workspace is ingested without reading the workspace itself.

The workspace's Parquet files are OCSF tables: read as input they were imported again
on every run (805, then 1610, then 2415 events, each time with new uids).
"""

from __future__ import annotations

from pathlib import Path

from farmhunt.ingest.pipeline import WORKSPACE_SKIPPED
from tests.ingest.helpers import ingest, ndjson, ocsf_event, query


def _count(ws: Path) -> int:
    return int(query(ws, "SELECT count(*) FROM process_activity")[0][0])


def test_the_workspace_inside_the_input_folder_is_skipped(tmp_path: Path) -> None:
    logs = tmp_path / "case"
    logs.mkdir()
    (logs / "edr.jsonl").write_text(ndjson([ocsf_event(i) for i in range(5)]))
    ws = logs / "ws"
    counts = []
    for _ in range(3):
        results = ingest(ws, logs)
        counts.append(_count(ws))
    assert counts == [5, 5, 5]
    skipped = [r for r in results if r.message == WORKSPACE_SKIPPED]
    assert [(r.path, r.status) for r in skipped] == [(str(ws), "skipped")]


def test_another_workspace_or_a_file_inside_one_is_not_read(tmp_path: Path) -> None:
    sample = tmp_path / "edr.jsonl"
    sample.write_text(ndjson([ocsf_event(i) for i in range(3)]))
    other = tmp_path / "folder" / "old-case"
    ingest(other, sample)
    parquet = next((other / "tables").rglob("*.parquet"))
    ws = tmp_path / "ws"
    results = ingest(ws, tmp_path / "folder", parquet)
    assert [r.status for r in results] == ["skipped"]
    assert results[0].message == WORKSPACE_SKIPPED
    assert _count(ws) == 0
