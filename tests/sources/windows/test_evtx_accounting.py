"""EVTX files cut short or still growing: every record is stored, or quarantined with the
range it stands for, and a grown file adds only what is new.

The files are made by farmhunt's EVTX writer (50 logons, 20 records a chunk: chunks of
EventRecordIDs 1-20, 21-40 and 41-50) and cut or grown the way a copy of a live log is.
"""

from __future__ import annotations

import gzip
import sqlite3
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from farmhunt.ingest.model import IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.sources.windows.evtx_chunks import CHUNK_HEADER_SIZE, CHUNK_SIZE, FILE_HEADER_SIZE
from farmhunt.store import Workspace
from tests.golden import parse_sample
from tests.sources.windows import make_samples


def _log(count: int = 50) -> bytes:
    data, layout = make_samples.evtx_bytes(
        make_samples.many_logons(count), max_records_per_chunk=20
    )
    assert [c.record_count for c in layout.chunks] == [20] * (count // 20) + (
        [count % 20] if count % 20 else []
    )
    return data


def _file(tmp_path: Path, data: bytes, name: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _accounting(outcomes: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
    stored = [o["row"]["unmapped"]["record_id"] for o in outcomes if "row" in o]
    reasons = [o["quarantine"]["reason"] for o in outcomes if "quarantine" in o]
    return stored, reasons


def test_file_cut_at_a_chunk_boundary_reports_the_chunks_it_lost(tmp_path: Path) -> None:
    cut = _log()[: FILE_HEADER_SIZE + 2 * CHUNK_SIZE]
    stored, reasons = _accounting(parse_sample(_file(tmp_path, cut, "cut.evtx")))
    assert stored == list(range(1, 41))
    assert len(reasons) == 1
    assert "10 record(s) missing (EventRecordID 41-50)" in reasons[0]
    assert "the file ends after chunk 1, its header declares 3 chunks" in reasons[0]


def test_header_only_file_reports_every_declared_record(tmp_path: Path) -> None:
    header = _log()[:FILE_HEADER_SIZE]
    ws = Workspace(tmp_path / "ws", create=True)
    [result] = ingest_paths(ws, [str(_file(tmp_path, header, "header.evtx"))])
    assert (result.stored, result.rejected) == (0, 50)
    [(reason,)] = ws.connect().execute("SELECT reason FROM quarantine").fetchall()
    assert "50 record(s) missing (EventRecordID 1-50)" in reason
    assert "the file ends after its header, its header declares 3 chunks" in reason
    ws.close()


def test_cut_inside_the_first_chunk_reports_the_later_chunks_too(tmp_path: Path) -> None:
    cut = _log()[: FILE_HEADER_SIZE + CHUNK_SIZE // 4]
    ws = Workspace(tmp_path / "ws", create=True)
    [result] = ingest_paths(ws, [str(_file(tmp_path, cut, "cut.evtx"))])
    con = ws.connect()
    kept = con.execute('SELECT count(*) FROM authentication WHERE "unmapped" IS NOT NULL')
    stored = kept.fetchone()
    reasons = [r[0] for r in con.execute("SELECT reason FROM quarantine ORDER BY 1").fetchall()]
    assert stored is not None and 0 < stored[0] < 20
    assert result.stored == stored[0] and result.stored + result.rejected == 50
    assert any("30 record(s) missing (EventRecordID 21-50)" in r for r in reasons), reasons
    ws.close()


def _uids(ws: Workspace) -> list[str]:
    rows = ws.connect().execute('SELECT "metadata.uid" FROM authentication').fetchall()
    return [r[0] for r in rows]


def test_full_file_after_the_cut_one_adds_only_the_missing_records(tmp_path: Path) -> None:
    full = _log()
    ws = Workspace(tmp_path / "ws", create=True)
    [first] = ingest_paths(
        ws, [str(_file(tmp_path, full[: FILE_HEADER_SIZE + 2 * CHUNK_SIZE], "a.evtx"))]
    )
    [second] = ingest_paths(ws, [str(_file(tmp_path, full, "b.evtx"))])
    assert (first.stored, second.stored, second.rejected) == (40, 10, 0)
    assert second.status == "appended"
    uids = _uids(ws)
    assert len(uids) == len(set(uids)) == 50
    [again] = ingest_paths(ws, [str(tmp_path / "b.evtx")])
    assert again.status == "skipped" and len(_uids(ws)) == 50
    ws.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_cut_and_full_file_in_one_run_store_each_record_once(tmp_path: Path, workers: int) -> None:
    full = _log()
    _file(tmp_path / "in", full[: FILE_HEADER_SIZE + CHUNK_SIZE + CHUNK_SIZE // 3], "a.evtx")
    _file(tmp_path / "in", full, "b.evtx")
    ws = Workspace(tmp_path / "ws", create=True)
    first, second = ingest_paths(ws, [str(tmp_path / "in")], IngestOptions(workers=workers))
    assert second.status == "appended"
    assert first.stored + second.stored == 50
    assert len(set(_uids(ws))) == len(_uids(ws)) == 50
    ws.close()


def _grown_in_place(count: int, *, dirty: bool) -> bytes:
    """The log as Windows leaves it while still writing: the header rewritten last, and
    in a dirty file the open chunk's records checksum not yet updated."""
    data = bytearray(_log(count))
    if dirty:
        struct.pack_into("<I", data, 120, 1)
        struct.pack_into("<I", data, 124, zlib.crc32(bytes(data[:120])))
        last = FILE_HEADER_SIZE + (len(data) - FILE_HEADER_SIZE - 1) // CHUNK_SIZE * CHUNK_SIZE
        struct.pack_into("<I", data, last + 52, 0)
        struct.pack_into(
            "<I",
            data,
            last + 124,
            zlib.crc32(bytes(data[last : last + 120] + data[last + 128 : last + 512])),
        )
    return bytes(data)


def test_live_log_growing_in_place_adds_only_new_records(tmp_path: Path) -> None:
    """Windows writes a log in place: the file header and the open chunk's header change
    as records are added, so the earlier copy is not a byte prefix of the later one."""
    ws = Workspace(tmp_path / "ws", create=True)
    path = tmp_path / "Security.evtx"
    totals = []
    for count, dirty in ((30, True), (35, True), (50, False)):
        path.write_bytes(_grown_in_place(count, dirty=dirty))
        [result] = ingest_paths(ws, [str(path)])
        assert result.rejected == 0
        totals.append(result.stored)
    assert totals == [30, 5, 15]
    ids = ws.connect().execute('SELECT "unmapped" FROM authentication').fetchall()
    assert len(ids) == 50
    assert len(set(_uids(ws))) == 50
    ws.close()


@pytest.mark.parametrize(
    "chunk,count,span",
    [(0, 20, "1-20"), (1, 20, "21-40"), (2, 10, "41-50")],
)
def test_unreadable_chunk_counts_the_records_it_held(
    tmp_path: Path, chunk: int, count: int, span: str
) -> None:
    """The neighbouring chunks' headers (or, for the last chunk, the file header) say
    which EventRecordIDs a chunk whose signature is destroyed held."""
    data = bytearray(_log())
    at = FILE_HEADER_SIZE + chunk * CHUNK_SIZE
    data[at : at + 8] = b"XXXXXXXX"
    ws = Workspace(tmp_path / "ws", create=True)
    [result] = ingest_paths(ws, [str(_file(tmp_path, bytes(data), "log.evtx"))])
    assert (result.stored, result.rejected) == (50 - count, count)
    [(reason,)] = ws.connect().execute("SELECT reason FROM quarantine").fetchall()
    assert f"chunk {chunk} " in reason and "bad signature" in reason
    assert f"{count} record(s) lost (EventRecordID {span})" in reason
    ws.close()


def test_workspace_of_an_earlier_version_gains_the_record_stream_columns(tmp_path: Path) -> None:
    """Imports made before record streams were kept are still recognised by content;
    only a grown copy of them is read whole (nothing tells which records they held)."""
    full = _log()
    ws = Workspace(tmp_path / "ws", create=True)
    [first] = ingest_paths(ws, [str(_file(tmp_path, full[: FILE_HEADER_SIZE + CHUNK_SIZE], "a"))])
    ws.close()
    with sqlite3.connect(tmp_path / "ws" / "farmhunt.sqlite") as db:  # an earlier farmhunt's
        for column in ("records_size", "records_count", "records_sha256", "records_skipped"):
            db.execute(f"ALTER TABLE imports DROP COLUMN {column}")
    ws = Workspace(tmp_path / "ws")
    [again] = ingest_paths(ws, [str(tmp_path / "a")])
    [grown] = ingest_paths(ws, [str(_file(tmp_path, full, "b"))])
    assert (first.stored, again.status, grown.status, grown.stored) == (
        20,
        "skipped",
        "imported",
        50,
    )
    [later] = ingest_paths(ws, [str(_file(tmp_path, _log(60), "c"))])
    assert (later.status, later.stored) == ("appended", 10)
    ws.close()


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_truncated_gzip_of_a_log_still_counts_every_record(tmp_path: Path, keep: float) -> None:
    """A .evtx.gz copied while being written: the damaged compressed stream is named,
    and the records are counted by the EVTX headers, once."""
    packed = gzip.compress(_log())
    path = _file(tmp_path, packed[: int(len(packed) * keep)], "log.evtx.gz")
    ws = Workspace(tmp_path / "ws", create=True)
    [result] = ingest_paths(ws, [str(path)])
    assert result.stored + result.rejected == 50
    reasons = [r[0] for r in ws.connect().execute("SELECT reason FROM quarantine").fetchall()]
    assert any("compressed stream truncated" in r for r in reasons), reasons
    assert not any("Failed to parse record" in r for r in reasons), reasons
    ws.close()


def _set(offset: int, fmt: str, value: int) -> Any:
    def damage(data: bytearray) -> None:
        struct.pack_into(fmt, data, offset, value)

    return damage


_CHUNK1 = FILE_HEADER_SIZE + CHUNK_SIZE


@pytest.mark.parametrize(
    "damage",
    [
        _set(_CHUNK1 + 32, "<Q", 32),  # header says the chunk ends at 32: records 33-40 unread
        _set(_CHUNK1 + CHUNK_SIZE + 32, "<Q", 114),  # …or at 114, records it never held
        _set(FILE_HEADER_SIZE + 24, "<Q", 1025),  # a first id after the last
        _set(_CHUNK1 + 200, "<B", 0x55),  # the string table: the library reads nothing
        _set(_CHUNK1 + CHUNK_HEADER_SIZE + 8, "<Q", 1 << 47),  # a record's own id
    ],
)
def test_damaged_chunk_headers_still_count_every_record_once(tmp_path: Path, damage: Any) -> None:
    """Found by flipping bits in chunk headers: a header that fails its checksum cannot
    be believed about its record range, so what it held is counted from its neighbours
    (the next chunk's first EventRecordID, or the file header's next one)."""
    data = bytearray(_log())
    damage(data)
    ws = Workspace(tmp_path / "ws", create=True)
    [result] = ingest_paths(ws, [str(_file(tmp_path, bytes(data), "log.evtx"))])
    assert result.stored + result.rejected == 50
    ws.close()
