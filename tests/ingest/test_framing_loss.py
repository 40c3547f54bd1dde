"""Framing never ends a file early: whatever follows a record the JSON reader cannot take
is read, or counted in quarantine with its line and reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.ingest.helpers import ingest, ocsf_event, pids, query

SAMPLES = Path(__file__).parent / "samples"


def _quarantine(ws: Path) -> list[tuple[int, str, str]]:
    return query(ws, 'SELECT "raw_source.record", reason, raw_data FROM quarantine ORDER BY 1')


def test_int64_minimum_and_a_damaged_element_lose_nothing_after_them(tmp_path: Path) -> None:
    # NXLog writes Keywords as -9223372036854775808, which ijson's C backend refused
    # ("integer overflow"): the file was not even recognised, and read with --format
    # it ended at the first such record.
    sample = tmp_path / "events.json"
    shutil.copy(SAMPLES / "nxlog_array_int64.json", sample)
    [result] = ingest(tmp_path / "ws", sample)
    assert result.format == "nxlog-windows"
    assert (result.records, result.stored, result.rejected) == (6, 5, 1)
    [(number, reason, text)] = _quarantine(tmp_path / "ws")
    assert number == 4 and "invalid JSON at line 60" in reason
    assert '"Hostname": ,' in text


def test_forced_format_reads_past_the_int64_minimum(tmp_path: Path) -> None:
    sample = tmp_path / "events.json"
    shutil.copy(SAMPLES / "nxlog_array_int64.json", sample)
    [result] = ingest(tmp_path / "ws", sample, format="nxlog-windows")
    assert (result.records, result.stored, result.rejected) == (6, 5, 1)


def test_array_reads_on_after_an_element_with_broken_brackets(tmp_path: Path) -> None:
    events = [json.dumps(ocsf_event(i)) for i in range(4)]
    events[2] = events[2][:60] + ", ]]} broken"
    sample = tmp_path / "x.json"
    sample.write_text("[\n" + ",\n".join(events) + "\n]\n")
    [result] = ingest(tmp_path / "ws", sample)
    assert pids(tmp_path / "ws") == [1000, 1001, 1003]
    assert result.records == result.stored + result.rejected
    assert all("invalid JSON at line" in r[1] for r in _quarantine(tmp_path / "ws"))


def test_oversized_array_element_is_quarantined_and_the_next_read(tmp_path: Path) -> None:
    events = [ocsf_event(i) for i in range(3)]
    events[1]["process"]["cmd_line"] = "A" * 50_000
    sample = tmp_path / "x.json"
    sample.write_text(json.dumps(events, indent=1))
    ingest(tmp_path / "ws", sample, max_record_bytes=10_000)
    assert pids(tmp_path / "ws") == [1000, 1002]
    [(number, reason, text)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "larger than the 10,000-byte limit" in reason
    assert text.startswith("{") and len(text) <= 4096
