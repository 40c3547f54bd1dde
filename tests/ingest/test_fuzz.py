"""Damaged real-shaped samples of every format: no traceback, and every record has a fate.

Issue 15's fuzz suite. Each case takes a shipped sample (they cite their public
sources beside them) and damages it the way real deployments do: cut at any byte (a
copy taken while the writer was busy, a download that stopped, a gzip member cut in
two), a flipped byte (bad media, a bad transfer), a run of NUL bytes (copytruncate
rotation) or an oversized record pasted in. Whatever the damage, ``ingest`` must
return one result per file without raising, and every record it read must be
stored, quarantined, empty by design or already imported
(``tests.ingest.helpers.ingest`` checks the tally of every file that was read).

The budget is bounded (a fixed number of examples, no deadline), so the suite runs in
CI in seconds; ``--hypothesis-seed`` replays a failure.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingest.helpers import ingest

SOURCES = Path(__file__).parent.parent / "sources"

SAMPLES = [
    "windows/samples/nxlog.json",
    "windows/samples/otrf_mordor.json",
    "windows/samples/winlogbeat6.ndjson",
    "windows/samples/azure_monitor.json",
    "windows/samples/Security.evtx",
    "zeek/samples/conn.log",
    "zeek/samples/conn.09_00_00-10_00_00.log.gz",
    "zeek/samples/conn.json",
    "okta/samples/eventbridge-stream.ndjson",
    "okta/samples/system-log-export.ndjson.gz",
    "github/samples/rest-org-audit-log.json",
    "google/samples/drive-activities.ndjson",
    "entra/samples/signins.ndjson.gz",
    "osquery/samples/batch-format.log",
    "hr/samples/roster-default.csv",
]
"""One sample per format family and container (plain, gzip, JSON array, TSV, CSV, EVTX)."""

FUZZ = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _damage(data: bytes, kind: str, at: float, value: int) -> bytes:
    """``data`` damaged once at the relative position ``at``."""
    cut = int(len(data) * at)
    if kind == "truncate":
        return data[:cut]
    if kind == "flip":
        flipped = data[cut] ^ (value or 1) if cut < len(data) else 0
        return data[:cut] + bytes([flipped]) + data[cut + 1 :]
    if kind == "nul_run":
        return data[:cut] + b"\0" * (value * 64) + data[cut:]
    # an oversized record: a line far beyond the size limit the test sets
    return data[:cut] + b'\n{"EventID": 1, "x": "' + b"A" * 70_000 + b'"}\n' + data[cut:]


def _ingest_damaged(sample: str, damaged: bytes) -> None:
    name = Path(sample).name
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(damaged)
        results = ingest(Path(tmp) / "ws", path, workers=1, max_record_bytes=65_536)
    assert len(results) == 1
    result = results[0]
    assert result.status in {"imported", "error", "skipped", "empty"}, result
    if result.status == "error":
        assert result.message, result  # a clear line, never an empty failure


@pytest.mark.parametrize("sample", SAMPLES)
@FUZZ
@given(
    kind=st.sampled_from(["truncate", "flip", "nul_run", "oversized"]),
    at=st.floats(min_value=0.0, max_value=1.0),
    value=st.integers(min_value=0, max_value=255),
)
def test_damaged_sample_never_crashes_and_every_record_has_a_fate(
    sample: str, kind: str, at: float, value: int
) -> None:
    data = (SOURCES / sample).read_bytes()
    _ingest_damaged(sample, _damage(data, kind, at, value))


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
