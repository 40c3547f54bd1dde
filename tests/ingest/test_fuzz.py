"""Fuzzing ingest with damaged copies of every real-shaped sample.

Each golden sample of every source is cut at its structural boundaries (EVTX chunks,
gzip members) and at random points, has bytes flipped, NUL runs inserted (copytruncate
rotation) and an oversized record spliced in. Whatever the damage, ingest must not raise
(a file it cannot read is one clear error line) and every record it read must have one
fate: ``read == stored + quarantined + empty + skipped`` (:class:`Tally`). The budget is
bounded (hypothesis with a fixed seed and a fixed number of examples) so CI stays fast
and a failure reproduces.
"""

from __future__ import annotations

import gzip
import json
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from farmhunt.ingest.model import FileResult
from tests.ingest.helpers import ingest

SOURCES = Path(__file__).parent.parent / "sources"
SAMPLES = sorted(p for p in SOURCES.glob("*/samples/*") if p.is_file())
BY_NAME = {f"{p.parent.parent.name}/{p.name}": p for p in SAMPLES}
EVTX_HEADER, EVTX_CHUNK = 4096, 65536
RECORD_LIMIT = 64 * 1024  # small, so an oversized record costs little here

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _check(tmp: Path, name: str, data: bytes) -> FileResult:
    """Ingest one damaged file into a fresh workspace; the invariant must hold."""
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / name
    path.write_bytes(data)
    [result] = ingest(tmp / "ws", path, workers=1, max_record_bytes=RECORD_LIMIT)
    if result.status == "error":
        assert result.message and "\n" not in result.message.strip(), result.message
        assert "Traceback" not in result.message
    else:
        assert result.tally.balanced(), (name, result.status, result.tally)
    return result


def _gzip_members(data: bytes) -> list[int]:
    """Offsets where each gzip member ends (rotated logs are often several members)."""
    ends, at = [], 0
    while at < len(data) and data[at : at + 2] == b"\x1f\x8b":
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            member.decompress(data[at:])
        except zlib.error:
            break
        if not member.eof:
            break
        at = len(data) - len(member.unused_data)
        ends.append(at)
    return ends


def _boundaries(path: Path, data: bytes) -> list[int]:
    """Structural cut points of a sample: EVTX chunk edges, gzip member edges, and the
    middle of each, plus the last byte."""
    cuts: set[int] = {len(data) - 1, len(data) // 2}
    if data[:8] == b"ElfFile\x00":
        (chunks,) = struct.unpack_from("<H", data, 42)
        for k in range(chunks + 1):
            edge = EVTX_HEADER + k * EVTX_CHUNK
            cuts.update({edge, edge + EVTX_CHUNK // 2, edge + 512})
    if data[:2] == b"\x1f\x8b":
        cuts.update({10, 11, len(data) - 8, len(data) - 4})
        for end in _gzip_members(data):
            cuts.update({end, end - 4, end + 10})
    return sorted(c for c in cuts if 0 < c < len(data))


_CLEAN: dict[str, FileResult] = {}


def _clean(tmp: Path, name: str) -> FileResult:
    """The undamaged sample's result, once per sample."""
    if name not in _CLEAN:
        _CLEAN[name] = _check(tmp, BY_NAME[name].name, BY_NAME[name].read_bytes())
    return _CLEAN[name]


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_sample_cut_at_its_boundaries(name: str, tmp_path: Path) -> None:
    path = BY_NAME[name]
    data = path.read_bytes()
    for i, cut in enumerate(_boundaries(path, data)):
        _check(tmp_path / f"cut{i}", path.name, data[:cut])


@FUZZ
@given(st.sampled_from(sorted(BY_NAME)), st.floats(0.0, 1.0))
def test_cut_anywhere(tmp_path_factory: pytest.TempPathFactory, name: str, at: float) -> None:
    data = BY_NAME[name].read_bytes()
    _check(tmp_path_factory.mktemp("cut"), BY_NAME[name].name, data[: int(len(data) * at)])


@FUZZ
@given(
    st.sampled_from(sorted(BY_NAME)),
    st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(1, 255)), min_size=1, max_size=8),
)
def test_bytes_flipped(
    tmp_path_factory: pytest.TempPathFactory, name: str, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(BY_NAME[name].read_bytes())
    for at, mask in flips:
        data[min(len(data) - 1, int(len(data) * at))] ^= mask
    _check(tmp_path_factory.mktemp("flip"), BY_NAME[name].name, bytes(data))


def _line_records(data: bytes) -> bool:
    """NDJSON whose every line is a whole record, or Zeek TSV: formats where padding
    between lines or one extra line touches no other record."""
    if data.startswith(b"#separator"):
        return True
    try:
        lines = [line for line in data.decode("utf-8").splitlines() if line.strip()]
        return len(lines) > 1 and all(isinstance(json.loads(line), dict) for line in lines)
    except ValueError:
        return False


TEXT = sorted(n for n, p in BY_NAME.items() if not p.name.endswith((".evtx", ".gz")))


@FUZZ
@given(st.sampled_from(TEXT), st.floats(0.0, 1.0), st.integers(1, 9000), st.booleans())
def test_nul_runs(
    tmp_path_factory: pytest.TempPathFactory, name: str, at: float, run: int, at_line: bool
) -> None:
    data = BY_NAME[name].read_bytes()
    where = int(len(data) * at)
    if at_line:  # copytruncate pads whole lines' worth of NULs after a newline
        where = data.find(b"\n", where) + 1 or len(data)
    damaged = _check(
        tmp_path_factory.mktemp("nul"),
        BY_NAME[name].name,
        data[:where] + b"\x00" * run + data[where:],
    )
    if at_line and _line_records(data):  # padding between whole records costs nothing
        clean = _clean(tmp_path_factory.mktemp("clean"), name)
        assert damaged.tally.stored == clean.tally.stored, (damaged.tally, clean.tally)


@FUZZ
@given(st.sampled_from(TEXT), st.floats(0.0, 1.0), st.integers(RECORD_LIMIT, 4 * RECORD_LIMIT))
def test_oversized_record(
    tmp_path_factory: pytest.TempPathFactory, name: str, at: float, size: int
) -> None:
    data = BY_NAME[name].read_bytes()
    where = data.find(b"\n", int(len(data) * at)) + 1 or len(data)
    huge = b'{"padding": "' + b"A" * size + b'"}\n'
    damaged = _check(
        tmp_path_factory.mktemp("big"), BY_NAME[name].name, data[:where] + huge + data[where:]
    )
    if _line_records(data) and not data.startswith(b"#"):  # only the oversized line is lost
        clean = _clean(tmp_path_factory.mktemp("clean"), name)
        assert damaged.tally.stored == clean.tally.stored, (damaged.tally, clean.tally)
        assert damaged.tally.quarantined == clean.tally.quarantined + 1


def _members(header: list[bytes], rows: list[bytes], parts: int) -> tuple[bytes, list[int]]:
    """The log as ``parts`` gzip members (how rotating shippers append), the header in
    the first, and the byte offset where each member ends."""
    step = -(-len(rows) // parts)
    data, ends = b"", []
    for i in range(0, len(rows), step):
        data += gzip.compress(b"".join((header if i == 0 else []) + rows[i : i + step]), mtime=0)
        ends.append(len(data))
    return data, ends


@pytest.mark.parametrize("member", [0, 1, 2])
@pytest.mark.parametrize("where", ["at_the_boundary", "inside_the_next_member"])
def test_gzip_cut_at_or_after_each_member_boundary_keeps_the_whole_members(
    tmp_path: Path, member: int, where: str
) -> None:
    lines = (SOURCES / "zeek/samples/conn.log").read_bytes().splitlines(keepends=True)
    header = [line for line in lines if line.startswith(b"#") and b"#close" not in line]
    rows = [line for line in lines if not line.startswith(b"#")]
    data, ends = _members(header, rows, 3)
    cut = ends[member] + (0 if where == "at_the_boundary" else 40)
    log = tmp_path / "conn.log.gz"
    log.write_bytes(data[:cut])
    whole_rows = len(gzip.decompress(data[: ends[member]]).splitlines()) - len(header)
    assert 0 < whole_rows < len(rows) or member == 2

    [result] = ingest(tmp_path / "ws", log, workers=1)

    assert result.status == "imported", result
    assert result.stored >= whole_rows  # every record of a whole member is kept
