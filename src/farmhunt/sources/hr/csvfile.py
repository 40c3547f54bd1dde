"""Reading HR and inventory CSV exports: delimiter, header row, lines, encodings.

Exports come from spreadsheets and HR systems in every dialect: ``,`` or ``;`` (European
Excel) or tab delimiters, a UTF-8 byte-order mark, Windows-1252 text, quoted cells with
newlines inside, a report title above the header. The layout is found by trying each
delimiter on the first rows and keeping the row that names the most known fields. Cells
are text and stay text: a cell such as ``=HYPERLINK(...)`` is stored exactly as written
and never evaluated.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from farmhunt.sources.hr.fields import (
    DEVICE_FIELDS,
    DEVICE_SIGNATURE,
    ROSTER_FIELDS,
    ROSTER_SIGNATURE,
    header_key,
)
from farmhunt.sources.hr.mapping import ColumnMap, mapping_for, resolve_columns

DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 20
"""How many rows from the top may precede the header (report titles, blank lines)."""

WORKERS, DEVICES = "workers", "devices"


@dataclass(frozen=True)
class Layout:
    """How one CSV file is laid out and which of its columns are which field."""

    table: str
    delimiter: str
    header_row: int
    """0-based index (among parsed rows) of the header row."""
    header: tuple[str, ...]
    columns: dict[str, tuple[int, ...]]
    mapping: ColumnMap | None
    score: float
    ambiguous: tuple[str, ...] = ()
    """Header names given to more than one column where a field reads that name: the
    field would silently take the first column only."""


def unique_headers(cells: list[str]) -> tuple[str, ...]:
    """Header cells made unique and non-empty, so each can key a JSON object."""
    seen: dict[str, int] = {}
    out = []
    for i, cell in enumerate(cells, 1):
        name = cell.strip().lstrip("\ufeff") or f"column_{i}"
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name} ({count})")
    return tuple(out)


def classify(header: list[str], mapping: ColumnMap | None) -> Layout | None:
    """What a header row is (roster or inventory) and how sure; None when neither."""
    keys = [header_key(h) for h in header]
    applied = mapping_for(keys, mapping)
    roster = resolve_columns(keys, ROSTER_FIELDS, applied)
    devices = resolve_columns(keys, DEVICE_FIELDS, applied)
    roster_ok = (
        "employee_id" in roster
        and ("email" in roster or "full_name" in roster or "last_name" in roster)
        and bool(ROSTER_SIGNATURE & roster.keys())
        and len(roster) >= 4
    )
    devices_ok = (
        ("asset_id" in devices or "serial_number" in devices)
        and bool(DEVICE_SIGNATURE & devices.keys())
        and len(devices) >= 3
    )
    if not roster_ok and not devices_ok:
        return None
    roster_rank = (len(roster), len(ROSTER_SIGNATURE & roster.keys()))
    device_rank = (len(devices), len(DEVICE_SIGNATURE & devices.keys()))
    table, columns = (
        (WORKERS, roster)
        if roster_ok and (not devices_ok or roster_rank >= device_rank)
        else (DEVICES, devices)
    )
    score = 0.95 if len(columns) >= 5 else 0.9
    counts = Counter(k for k in keys if k)
    ambiguous = tuple(
        dict.fromkeys(
            header[i].strip() for cells in columns.values() for i in cells if counts[keys[i]] > 1
        )
    )
    return Layout(table, "", 0, unique_headers(header), columns, applied, score, ambiguous)


def detect_layout(text: str, mapping: ColumnMap | None, complete: bool) -> Layout | None:
    """Find delimiter and header row in a file's beginning; None if not a known export.

    ``complete`` says whether ``text`` is the whole file; if not, its last (possibly
    cut) line is ignored.
    """
    if not complete and "\n" in text:
        text = text[: text.rfind("\n") + 1]
    best: Layout | None = None
    for delimiter in DELIMITERS:
        if delimiter not in text:
            continue
        rows = _first_rows(text, delimiter)
        for index, row in enumerate(rows):
            if len(row) < 3:
                continue
            layout = classify(row, mapping)
            if layout is None:
                continue
            found = Layout(
                layout.table,
                delimiter,
                index,
                layout.header,
                layout.columns,
                layout.mapping,
                layout.score,
                layout.ambiguous,
            )
            if best is None or len(found.columns) > len(best.columns):
                best = found
            break
    return best


def _first_rows(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass
    return rows


def iter_text_lines(
    binary: IO[bytes], encoding: str, limit: int, oversized: set[int]
) -> Iterator[str]:
    """Lines of text with their line endings (csv needs them for quoted newlines).

    UTF-8 lines that do not decode are read as Windows-1252 (Excel's "CSV" on Windows).
    A line longer than ``limit`` bytes is replaced by an empty line and its number added
    to ``oversized``, so the caller can report it without holding it in memory.
    """
    if encoding.startswith("utf-16"):
        text = io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")
        try:
            yield from text
        finally:
            text.detach()
        return
    number = 0
    while True:
        line = binary.readline(limit + 1)
        if not line:
            return
        number += 1
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if len(line) > limit and not line.endswith(b"\n"):
            while True:
                more = binary.readline(1 << 20)
                if not more or more.endswith(b"\n"):
                    break
            oversized.add(number)
            yield "\n"
            continue
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            yield line.decode("cp1252", errors="replace")
