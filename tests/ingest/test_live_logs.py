"""A log still being written: its unfinished last line waits for the next import, and a
compressed copy cut short is completed by the whole file without loss or duplicates."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.ingest.helpers import ingest, ndjson, ocsf_event, pids, query

SAMPLES = Path(__file__).parent / "samples"


def _uids(ws: Path) -> dict[int, str]:
    rows = query(ws, 'SELECT "process.pid", "metadata.uid" FROM process_activity')
    return dict(rows)


def test_ndjson_unfinished_last_line_is_read_once_the_writer_finishes_it(
    tmp_path: Path,
) -> None:
    line = json.dumps(ocsf_event(3))
    log = tmp_path / "live.jsonl"
    log.write_text(ndjson([ocsf_event(i) for i in range(3)]) + line[:40])
    [first] = ingest(tmp_path / "ws", log)
    assert (first.records, first.stored, first.rejected) == (3, 3, 0)
    assert "unfinished last line" in first.message
    with log.open("a") as writer:
        writer.write(line[40:] + "\n" + ndjson([ocsf_event(4)]))
    [second] = ingest(tmp_path / "ws", log)
    assert second.status == "appended" and (second.stored, second.rejected) == (2, 0)
    assert pids(tmp_path / "ws") == [1000, 1001, 1002, 1003, 1004]
    assert query(tmp_path / "ws", "SELECT count(*) FROM quarantine") == [(0,)]


def test_ndjson_last_line_without_newline_that_parses_is_not_held(tmp_path: Path) -> None:
    log = tmp_path / "export.jsonl"
    log.write_text(ndjson([ocsf_event(0)]) + json.dumps(ocsf_event(1)))
    [result] = ingest(tmp_path / "ws", log)
    assert result.stored == 2 and "unfinished" not in result.message


def test_zeek_unfinished_last_line_is_read_once_complete(tmp_path: Path) -> None:
    lines = (SAMPLES / "zeek_dns_live.log").read_bytes().splitlines(keepends=True)
    header, records = lines[:8], lines[8:]
    log = tmp_path / "dns.log"
    log.write_bytes(b"".join(header + records[:3]) + records[3][:30])
    [first] = ingest(tmp_path / "ws", log)
    assert (first.records, first.stored, first.rejected) == (3, 3, 0)
    with log.open("ab") as writer:
        writer.write(records[3][30:] + b"".join(records[4:]))
    [second] = ingest(tmp_path / "ws", log)
    assert (second.stored, second.rejected) == (3, 0)
    assert query(tmp_path / "ws", "SELECT count(*) FROM quarantine") == [(0,)]


def test_truncated_gzip_then_the_whole_file_adds_exactly_the_missing_records(
    tmp_path: Path,
) -> None:
    whole = gzip.compress(ndjson([ocsf_event(i) for i in range(400)]).encode())
    log = tmp_path / "events.jsonl.gz"
    log.write_bytes(whole[: len(whole) // 2])
    [first] = ingest(tmp_path / "ws", log)
    assert first.rejected == 1 and 0 < first.stored < 400
    before = _uids(tmp_path / "ws")
    log.write_bytes(whole)
    [second] = ingest(tmp_path / "ws", log)
    assert second.status == "appended"
    assert pids(tmp_path / "ws") == [1000 + i for i in range(400)]
    after = _uids(tmp_path / "ws")
    assert all(after[pid] == uid for pid, uid in before.items())


def test_truncated_gzip_json_array_then_the_whole_file_adds_the_missing_records(
    tmp_path: Path,
) -> None:
    whole = gzip.compress(json.dumps([ocsf_event(i) for i in range(400)], indent=1).encode())
    log = tmp_path / "events.json.gz"
    log.write_bytes(whole[: len(whole) // 2])
    [first] = ingest(tmp_path / "ws", log)
    assert first.rejected == 1 and 0 < first.stored < 400
    log.write_bytes(whole)
    [second] = ingest(tmp_path / "ws", log)
    assert second.stored == 400 - first.stored
    assert pids(tmp_path / "ws") == [1000 + i for i in range(400)]
