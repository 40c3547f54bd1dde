"""A compressed log cut short (copied mid-write, a full disk) keeps every record before the cut.

The expected counts come from decompressing the cut bytes with the compression
libraries' own incremental decompressors, independently of farmhunt's reader.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ingest.helpers import ingest, ndjson, ocsf_event, pids, query

EVENTS = [ocsf_event(i) for i in range(3000)]

Compress = Callable[[bytes], bytes]
Decompress = Callable[[bytes], bytes]

KINDS: dict[str, tuple[Compress, Decompress]] = {
    "gz": (gzip.compress, lambda cut: zlib.decompressobj(wbits=31).decompress(cut)),
    "xz": (lzma.compress, lambda cut: lzma.LZMADecompressor().decompress(cut)),
    # bzip2 decodes whole blocks only: small blocks so that a cut leaves some intact.
    "bz2": (
        lambda data: bz2.compress(data, compresslevel=1),
        lambda cut: bz2.BZ2Decompressor().decompress(cut),
    ),
}


def _quarantine(ws: Path) -> list[tuple[int, str]]:
    return query(ws, 'SELECT "raw_source.record", reason FROM quarantine ORDER BY 1')


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_cut_compressed_log_stores_the_records_before_the_cut(tmp_path: Path, kind: str) -> None:
    compress, decompress = KINDS[kind]
    packed = compress(ndjson(EVENTS).encode())
    cut = packed[: int(len(packed) * 0.7)]
    readable = decompress(cut)
    whole_lines = readable.count(b"\n")
    assert 0 < whole_lines < len(EVENTS), "the cut must leave some records, not all"
    sample = tmp_path / f"events.jsonl.{kind}"
    sample.write_bytes(cut)

    [result] = ingest(tmp_path / "ws", sample)

    assert result.status == "imported", result.message
    assert (result.stored, result.rejected) == (whole_lines, 1)
    assert pids(tmp_path / "ws") == [1000 + i for i in range(whole_lines)]
    [(number, reason)] = _quarantine(tmp_path / "ws")
    assert reason.startswith("compressed stream truncated")
    if readable.endswith(b"\n"):
        assert number == whole_lines + 1 and f"after record {whole_lines}" in reason
    else:
        assert number == whole_lines + 1 and f"in record {whole_lines + 1}" in reason
    [again] = ingest(tmp_path / "ws", sample)
    assert again.status == "skipped"


def test_cut_at_a_record_boundary_keeps_every_record_and_says_where(tmp_path: Path) -> None:
    # A stream flushed after a whole line and then cut: all data is readable, the
    # end-of-stream marker is missing.
    packer = zlib.compressobj(wbits=31)
    cut = packer.compress(ndjson(EVENTS[:5]).encode()) + packer.flush(zlib.Z_SYNC_FLUSH)
    sample = tmp_path / "events.jsonl.gz"
    sample.write_bytes(cut)
    [result] = ingest(tmp_path / "ws", sample)
    assert (result.stored, result.rejected) == (5, 1)
    [(number, reason)] = _quarantine(tmp_path / "ws")
    assert number == 6 and "truncated" in reason and "after record 5" in reason


def test_cut_json_array_gives_one_quarantine_record(tmp_path: Path) -> None:
    packed = gzip.compress(json.dumps(EVENTS[:400]).encode())
    cut = packed[: int(len(packed) * 0.5)]
    readable = zlib.decompressobj(wbits=31).decompress(cut).decode()
    complete = readable.count('"process": {')  # records whose last key was reached
    sample = tmp_path / "events.json.gz"
    sample.write_bytes(cut)
    [result] = ingest(tmp_path / "ws", sample)
    assert result.rejected == 1
    assert result.stored in (complete - 1, complete)  # the last may be cut inside "process"
    assert pids(tmp_path / "ws") == [1000 + i for i in range(result.stored)]
    [(number, reason)] = _quarantine(tmp_path / "ws")
    assert number == result.stored + 1 and reason.startswith("compressed stream truncated")


def test_file_cut_before_any_data_is_one_clear_error(tmp_path: Path) -> None:
    sample = tmp_path / "events.jsonl.gz"
    sample.write_bytes(gzip.compress(ndjson(EVENTS[:5]).encode())[:8])
    [result] = ingest(tmp_path / "ws", sample)
    assert result.status == "error"
    assert "truncated" in result.message and "before any data" in result.message


def test_corrupt_compressed_data_keeps_the_records_before_the_damage(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(ndjson(EVENTS).encode()))
    middle = len(packed) // 2
    packed[middle : middle + 64] = bytes(64)  # zeroed block, as on a damaged disk
    sample = tmp_path / "events.jsonl.gz"
    sample.write_bytes(bytes(packed))
    [result] = ingest(tmp_path / "ws", sample)
    assert result.status == "imported", result.message
    assert 0 < result.stored < len(EVENTS)
    assert result.stored + result.rejected == len(EVENTS)
    # the zeroes still inflate (to garbage): the member's CRC check is what fails, so
    # what parses is stored but flagged, and the garbage lines are quarantined
    assert f"{result.stored:,} records unverified" in result.message


def test_gzip_member_failing_its_crc_is_stored_unverified_and_the_next_member_read(
    tmp_path: Path,
) -> None:
    first = bytearray(gzip.compress(ndjson(EVENTS[:5]).encode()))
    first[-8] ^= 0xFF  # the member's CRC-32: its content can no longer be vouched for
    second = gzip.compress(ndjson(EVENTS[5:10]).encode())
    sample = tmp_path / "events.jsonl.gz"
    sample.write_bytes(bytes(first) + second)

    [result] = ingest(tmp_path / "ws", sample)

    assert (result.stored, result.rejected) == (10, 0)
    assert "5 records unverified" in result.message
    rows = query(
        tmp_path / "ws",
        """SELECT "process.pid", json_extract_string(unmapped, '$.compressed_integrity')
           FROM process_activity ORDER BY 1""",
    )
    assert rows == [(1000 + i, "unverified" if i < 5 else None) for i in range(10)]
