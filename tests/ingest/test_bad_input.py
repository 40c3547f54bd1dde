"""Bad input ends in quarantine records or one clear error; good records around it are kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.ingest.helpers import ingest, ndjson, ocsf_event, pids, query


def _quarantine(ws: Path) -> list[tuple[int, str, str]]:
    return query(ws, 'SELECT "raw_source.record", reason, raw_data FROM quarantine ORDER BY 1')


def test_truncated_and_garbled_lines_are_quarantined_with_their_line(tmp_path: Path) -> None:
    good = ndjson([ocsf_event(0)])
    truncated = json.dumps(ocsf_event(1))[:40] + "\n"
    sample = tmp_path / "x.jsonl"
    sample.write_text(good + truncated + "\n" + ndjson([ocsf_event(2)]) + "}{\n")
    [result] = ingest(tmp_path / "ws", sample)
    assert (result.stored, result.rejected) == (2, 2)
    assert pids(tmp_path / "ws") == [1000, 1002]
    rows = _quarantine(tmp_path / "ws")
    assert [r[0] for r in rows] == [2, 5]
    assert all("invalid JSON" in r[1] for r in rows)
    assert rows[0][2].startswith('{"class_uid"')


def test_wrong_encoding_line_is_quarantined(tmp_path: Path) -> None:
    line = json.dumps(ocsf_event(1)).replace("proc1", "caf\u00e9").encode("latin-1")
    sample = tmp_path / "x.jsonl"
    sample.write_bytes(ndjson([ocsf_event(0)]).encode() + line + b"\n")
    [result] = ingest(tmp_path / "ws", sample)
    assert (result.stored, result.rejected) == (1, 1)
    [(number, reason, _)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "not valid UTF-8" in reason and "0xe9" in reason


def test_truncated_json_array_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    text = json.dumps([ocsf_event(i) for i in range(3)])
    sample = tmp_path / "x.json"
    sample.write_text(text[: text.rindex("{") + 30])
    [result] = ingest(tmp_path / "ws", sample)
    assert pids(tmp_path / "ws") == [1000, 1001]
    assert result.rejected == 1
    [(number, reason, _)] = _quarantine(tmp_path / "ws")
    assert number == 3 and "the file ends inside this record" in reason


def test_ten_megabyte_line_is_quarantined_and_neighbours_stored(tmp_path: Path) -> None:
    sample = tmp_path / "x.jsonl"
    with open(sample, "w") as handle:
        handle.write(ndjson([ocsf_event(0)]))
        handle.write('{"junk": "' + "A" * (10 * 1024 * 1024) + "\n")
        handle.write(ndjson([ocsf_event(1)]))
    [_result] = ingest(tmp_path / "ws", sample)
    assert pids(tmp_path / "ws") == [1000, 1001]
    [(number, reason, raw)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "larger than the 8,388,608-byte limit" in reason
    assert len(raw) <= 4096, "quarantine keeps only the beginning of a huge record"


def test_line_over_the_record_limit_is_skipped_without_reading_it_whole(tmp_path: Path) -> None:
    sample = tmp_path / "x.jsonl"
    big = json.dumps({**ocsf_event(1), "pad": "B" * 300_000})
    sample.write_text(ndjson([ocsf_event(0)]) + big + "\n" + ndjson([ocsf_event(2)]))
    [_result] = ingest(tmp_path / "ws", sample, max_record_bytes=100_000)
    assert pids(tmp_path / "ws") == [1000, 1002]
    [(number, reason, raw)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "larger than the 100,000-byte limit" in reason
    assert len(raw) <= 4096


def test_value_that_does_not_fit_its_column_quarantines_only_that_row(tmp_path: Path) -> None:
    bad = ocsf_event(1)
    bad["status_id"] = 2**40  # int32 column
    sample = tmp_path / "x.jsonl"
    sample.write_text(ndjson([ocsf_event(0), bad, ocsf_event(2)]))
    [_result] = ingest(tmp_path / "ws", sample)
    assert pids(tmp_path / "ws") == [1000, 1002]
    [(number, reason, _)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "status_id" in reason


def test_binary_empty_and_unknown_files_get_one_clear_error(tmp_path: Path) -> None:
    binary = tmp_path / "blob.dat"
    binary.write_bytes(b"\x00\x13\x37\xe0" + os.urandom(5000))
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    unknown = tmp_path / "other.json"
    unknown.write_text(ndjson([{"hello": "world", "n": 1}]))
    prose = tmp_path / "notes.log"
    prose.write_text("Dear team,\nthese are not logs.\n")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(5000))
    results = ingest(tmp_path / "ws", binary, empty, unknown, prose, photo)
    assert [r.status for r in results] == ["error", "empty", "error", "error", "skipped"]
    messages = [r.message for r in results]
    assert "binary file" in messages[0]
    assert "empty file" in messages[1]
    assert "JSON records of no known source" in messages[2] and "hello" in messages[2]
    assert "no known log format" in messages[3]
    assert messages[4] == "not a log: a JPEG image"  # plainly not a log (test_not_logs)
    assert all("\n" not in m for m in messages)


def test_forcing_a_format_reads_a_file_detection_would_not(tmp_path: Path) -> None:
    sample = tmp_path / "x.jsonl"
    event = ocsf_event(0)
    del event["metadata"]  # no longer looks like OCSF to the sniffer
    sample.write_text(ndjson([event]))
    [refused] = ingest(tmp_path / "ws", sample)
    assert refused.status == "error"
    [forced] = ingest(tmp_path / "ws", sample, format="ocsf")
    assert (forced.status, forced.stored) == ("imported", 1)
    [unknown] = ingest(tmp_path / "ws", sample, format="nope")
    assert unknown.status == "error" and "unknown format 'nope'" in unknown.message
