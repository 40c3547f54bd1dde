"""The physical floor: DuckDB reading the raw files, no normalization at all.

Ingest is judged against the time DuckDB takes to read the very same files into Arrow:
JSON with ``read_json`` (every field, types inferred), Zeek TSV with ``read_csv`` over
the ``#fields`` columns (``#`` lines skipped), CSV with ``read_csv``. Each file is read
on its own, as farmhunt reads it (a directory's files need not share one schema).
DuckDB has no EVTX reader: EVTX files are counted with the ``evtx`` package and reported
separately. A second, lighter figure (``records only``) splits JSON files into records
without typing their fields (``read_ndjson_objects``): the cost of the bytes alone.
"""

from __future__ import annotations

import os
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from farmhunt.ingest.pipeline import expand_paths

GZIP_MAGIC = b"\x1f\x8b"
EVTX_MAGIC = b"ElfFile\x00"
BATCH_ROWS = 100_000
MEMORY_LIMIT = "2GB"
"""The floor must not take the machine's memory: DuckDB spills or fails above this."""


@dataclass
class FloorResult:
    records: int = 0
    """Records DuckDB read (JSON documents, TSV and CSV rows)."""
    seconds: float = 0.0
    files: Counter[str] = field(default_factory=Counter)
    """Files read per kind (json, zeek-tsv, csv)."""
    bytes: int = 0
    records_only_seconds: float = 0.0
    """JSON split into records without typing fields, plus TSV/CSV as above."""
    evtx_records: int = 0
    evtx_seconds: float = 0.0
    evtx_files: int = 0
    unread: list[str] = field(default_factory=list)
    """Files the floor could not read (kind unknown, or DuckDB failed), with the reason."""
    json_fallbacks: int = 0
    """JSON files whose nested keys clash by case (``LogonID``/``LogonId``), read with
    nested objects kept as JSON values (``maximum_depth=1``)."""

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["files"] = dict(self.files)
        data["records_per_second"] = self.rate
        return data


def file_kind(path: str) -> str:
    """json, zeek-tsv, csv, evtx, or unknown: by content, as the parsers decide."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith(EVTX_MAGIC):
        return "evtx"
    if head.startswith(GZIP_MAGIC):
        import gzip

        with gzip.open(path, "rb") as handle:
            head = handle.read(4096)
    text = head.lstrip()
    if text.startswith((b"{", b"[")):
        return "json"
    if text.startswith(b"#separator"):
        return "zeek-tsv"
    if b"," in head.split(b"\n", 1)[0]:
        return "csv"
    return "unknown"


def _compression(path: str) -> str:
    with open(path, "rb") as handle:
        return "gzip" if handle.read(2) == GZIP_MAGIC else "none"


def _zeek_fields(path: str) -> list[str]:
    import gzip

    with open(path, "rb") as raw:
        handle: Any = gzip.GzipFile(fileobj=raw) if _compression(path) == "gzip" else raw
        for line in handle:
            if line.startswith(b"#fields"):
                return list(str(line.decode("utf-8", "replace")).rstrip("\n").split("\t")[1:])
            if not line.startswith(b"#"):
                break
    return []


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DB-API Arrow output warns about a copy: rows only
        reader: Any = con.execute(sql, params).to_arrow_reader(BATCH_ROWS)
    return sum(batch.num_rows for batch in reader)


def _read_json(con: duckdb.DuckDBPyConnection, path: str, result: FloorResult) -> int:
    params = {"f": path, "c": _compression(path)}
    try:
        return _count(con, "SELECT * FROM read_json($f, compression=$c)", params)
    except duckdb.Error as exc:
        if "Duplicate name" not in str(exc):
            raise
    result.json_fallbacks += 1
    return _count(con, "SELECT * FROM read_json($f, compression=$c, maximum_depth=1)", params)


def _read_json_records(con: duckdb.DuckDBPyConnection, path: str, _: FloorResult) -> int:
    sql = "SELECT * FROM read_json_objects($f, compression=$c, format='auto')"
    return _count(con, sql, {"f": path, "c": _compression(path)})


def _read_zeek(con: duckdb.DuckDBPyConnection, path: str, _: FloorResult) -> int:
    names = _zeek_fields(path)
    if not names:
        raise ValueError("no #fields line")
    sql = (
        "SELECT * FROM read_csv($f, compression=$c, delim='\t', header=false, comment='#', "
        "quote='', escape='', auto_detect=false, columns=$cols)"
    )
    params = {"f": path, "c": _compression(path), "cols": dict.fromkeys(names, "VARCHAR")}
    return _count(con, sql, params)


def _read_csv(con: duckdb.DuckDBPyConnection, path: str, _: FloorResult) -> int:
    sql = "SELECT * FROM read_csv($f, compression=$c, header=true)"
    return _count(con, sql, {"f": path, "c": _compression(path)})


def _read_evtx(path: str) -> int:
    from evtx import PyEvtxParser

    return sum(1 for _ in PyEvtxParser(path).records())


Reader = Callable[[duckdb.DuckDBPyConnection, str, FloorResult], int]
READERS: dict[str, Reader] = {"json": _read_json, "zeek-tsv": _read_zeek, "csv": _read_csv}
RECORD_READERS: dict[str, Reader] = {**READERS, "json": _read_json_records}


def raw_read_floor(root: Path) -> FloorResult:
    """Read every file under ``root`` with DuckDB (EVTX with the evtx package)."""
    result = FloorResult()
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    read: list[tuple[str, str]] = []
    for path in expand_paths([str(root)]):
        kind = file_kind(path)
        started = time.perf_counter()
        if kind == "evtx":
            result.evtx_records += _read_evtx(path)
            result.evtx_seconds += time.perf_counter() - started
            result.evtx_files += 1
            continue
        if kind not in READERS:
            result.unread.append(f"{path}: not JSON, Zeek TSV, CSV or EVTX")
            continue
        try:
            count = READERS[kind](con, path, result)
        except (duckdb.Error, ValueError, OSError) as exc:
            result.unread.append(f"{path}: {str(exc).splitlines()[0][:200]}")
            continue
        result.seconds += time.perf_counter() - started
        result.records += count
        result.files[kind] += 1
        result.bytes += os.path.getsize(path)
        read.append((path, kind))
    for path, kind in read:
        started = time.perf_counter()
        RECORD_READERS[kind](con, path, result)
        result.records_only_seconds += time.perf_counter() - started
    con.close()
    return result
