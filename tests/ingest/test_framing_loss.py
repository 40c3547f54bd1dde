"""Framing never ends a file early: whatever follows a record the JSON reader cannot take
is read, or counted in quarantine with its line and reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.ingest.helpers import ingest, ndjson, ocsf_event, pids, query

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


def _events(*numbers: int) -> bytes:
    return ndjson([ocsf_event(i) for i in numbers]).encode()


def test_nul_padding_between_lines_is_skipped_and_the_next_event_kept(tmp_path: Path) -> None:
    # copytruncate: the writer goes on at its old offset, leaving a run of NULs where
    # the truncated content was, directly followed by its next line
    sample = tmp_path / "x.jsonl"
    sample.write_bytes(_events(0, 1) + b"\x00" * 8192 + _events(2, 3))
    [result] = ingest(tmp_path / "ws", sample)
    assert pids(tmp_path / "ws") == [1000, 1001, 1002, 1003]
    assert result.rejected == 0
    assert "8,192 NUL bytes skipped" in result.message


def test_nul_padding_at_the_start_does_not_hide_the_format(tmp_path: Path) -> None:
    sample = tmp_path / "x.jsonl"
    sample.write_bytes(b"\x00" * 8192 + _events(0, 1))
    [result] = ingest(tmp_path / "ws", sample)
    assert result.status == "imported" and pids(tmp_path / "ws") == [1000, 1001]


def test_nul_run_inside_a_line_quarantines_the_cut_fragment_only(tmp_path: Path) -> None:
    cut = json.dumps(ocsf_event(1))[:50].encode()
    sample = tmp_path / "x.jsonl"
    sample.write_bytes(_events(0) + cut + b"\x00" * 300 + _events(2))
    [result] = ingest(tmp_path / "ws", sample)
    assert result.records == 3 and pids(tmp_path / "ws") == [1000, 1002]
    [(number, reason, text)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "run of NUL bytes" in reason and "\x00" not in text


def test_a_first_record_larger_than_the_sniffed_head_does_not_hide_the_format(
    tmp_path: Path,
) -> None:
    big = ocsf_event(0)
    big["process"]["cmd_line"] = "A" * 200_000
    sample = tmp_path / "x.jsonl"
    sample.write_bytes(ndjson([big]).encode() + _events(1, 2))
    [result] = ingest(tmp_path / "ws", sample)
    assert result.format == "ocsf" and pids(tmp_path / "ws") == [1000, 1001, 1002]


def test_an_oversized_first_line_is_quarantined_and_the_file_still_sniffed(
    tmp_path: Path,
) -> None:
    big = ocsf_event(0)
    big["process"]["cmd_line"] = "A" * 5_000_000
    sample = tmp_path / "x.jsonl"
    sample.write_bytes(ndjson([big]).encode() + _events(1, 2))
    [result] = ingest(tmp_path / "ws", sample, max_record_bytes=1_000_000)
    assert result.format == "ocsf" and pids(tmp_path / "ws") == [1001, 1002]
    [(number, reason, text)] = _quarantine(tmp_path / "ws")
    assert number == 1 and "larger than the 1,000,000-byte limit" in reason
    assert text.startswith('{"class_uid"') and len(text) <= 4096


def test_duplicated_key_with_different_values_is_quarantined_with_its_name(
    tmp_path: Path,
) -> None:
    # {"device": {"hostname": "WS-0001", "hostname": "WS-9999"}}: a parser keeps the
    # last silently, another tool may keep the first
    twice = json.dumps(ocsf_event(1)).replace(
        '"hostname": "WS-0001"', '"hostname": "WS-0001", "hostname": "WS-9999"'
    )
    same = json.dumps(ocsf_event(2)).replace(
        '"activity_id": 1', '"activity_id": 1, "activity_id": 1'
    )
    sample = tmp_path / "x.jsonl"
    sample.write_text(ndjson([ocsf_event(0)]) + twice + "\n" + same + "\n")
    [result] = ingest(tmp_path / "ws", sample)
    assert pids(tmp_path / "ws") == [1000, 1002] and result.rejected == 1
    [(number, reason, _)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "'hostname' appears twice" in reason


def test_duplicated_key_in_an_array_element_is_quarantined(tmp_path: Path) -> None:
    twice = json.dumps(ocsf_event(1)).replace(
        '"activity_id": 1', '"activity_id": 1, "activity_id": 2'
    )
    sample = tmp_path / "x.json"
    sample.write_text(f"[{json.dumps(ocsf_event(0))},\n{twice}]")
    [result] = ingest(tmp_path / "ws", sample)
    assert pids(tmp_path / "ws") == [1000] and result.rejected == 1
    [(number, reason, _)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "'activity_id' appears twice" in reason


def test_default_limit_quarantines_a_12_mb_record_and_reads_on(tmp_path: Path) -> None:
    # a 12 MB record cost 800 MB of memory to store; the default limit now refuses it
    big = ocsf_event(1)
    big["process"]["cmd_line"] = "A" * 12_000_000
    sample = tmp_path / "x.jsonl"
    sample.write_bytes(_events(0) + ndjson([big]).encode() + _events(2))
    [result] = ingest(tmp_path / "ws", sample)
    assert pids(tmp_path / "ws") == [1000, 1002]
    [(number, reason, text)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "larger than the 8,388,608-byte limit" in reason
    assert result.rejected == 1 and len(text) <= 4096


def _utf16(text: str, broken_line: int) -> bytes:
    """UTF-16-LE text (as PowerShell writes it) with a lone surrogate in one line."""
    lines = text.encode("utf-16-le").split("\n".encode("utf-16-le"))
    lines[broken_line] = lines[broken_line][:20] + b"\x00\xdc" + lines[broken_line][20:]
    return b"\xff\xfe" + "\n".encode("utf-16-le").join(lines)


def test_a_broken_utf16_character_costs_its_line_only(tmp_path: Path) -> None:
    sample = tmp_path / "x.jsonl"
    sample.write_bytes(_utf16(ndjson([ocsf_event(i) for i in range(3)]), 1))
    [result] = ingest(tmp_path / "ws", sample)
    assert pids(tmp_path / "ws") == [1000, 1002] and result.rejected == 1
    [(number, reason, _)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "not valid utf-16" in reason


def test_a_broken_utf16_character_costs_its_array_element_only(tmp_path: Path) -> None:
    text = "[\n" + ",\n".join(json.dumps(ocsf_event(i)) for i in range(3)) + "\n]\n"
    sample = tmp_path / "x.json"
    sample.write_bytes(_utf16(text, 2))
    [result] = ingest(tmp_path / "ws", sample)
    assert pids(tmp_path / "ws") == [1000, 1002] and result.rejected == 1
    [(number, reason, _)] = _quarantine(tmp_path / "ws")
    assert number == 2 and "invalid JSON at line 3" in reason
