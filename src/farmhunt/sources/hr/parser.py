"""HR roster and device inventory CSV exports → the ``workers`` and ``devices`` tables.

Each row of a roster becomes one ``workers`` row (each row of an inventory one
``devices`` row) with its fields validated: a bad date, email or time zone quarantines
that row with the reason and the others are stored. Columns farmhunt has no field for
are kept in ``unmapped``; ``raw_data`` holds the row as ``{header: cell}``.

A re-export of the roster is a new import; every version is kept. A row's ``time`` is
the export's snapshot date when it has a column for one, else the time of the import,
and identity resolution uses the latest row per ``employee_id``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import orjson

from farmhunt.sources.base import (
    FileError,
    Parser,
    RawRecord,
    RecordError,
    Rejected,
    Row,
    Sample,
    Stream,
)
from farmhunt.sources.framing import HEAD_BYTES
from farmhunt.sources.hr.checks import (
    check_email,
    check_timezone,
    e164,
    parse_date,
    region_of,
)
from farmhunt.sources.hr.csvfile import (
    DEVICES,
    WORKERS,
    Layout,
    detect_layout,
    iter_text_lines,
)
from farmhunt.sources.hr.csvrows import csv_rows
from farmhunt.sources.hr.fields import DEVICE_BY_NAME, ROSTER_BY_NAME, Field
from farmhunt.sources.hr.mapping import ColumnMap

COLUMN_MAP_OPTION = "column_map"
"""Parser option (``IngestOptions.parser_options``): a :class:`ColumnMap` to apply."""
IMPORTED_AT_OPTION = "imported_at"
"""Stream option the pipeline sets: when the import started (the rows' default time)."""


@dataclass(frozen=True)
class HrRecord:
    """One data row of an export, its cells already assigned to fields."""

    table: str
    values: dict[str, str]
    """Canonical field → cell text (stripped, several headers joined), empty ones left out."""
    headers: dict[str, str]
    """Canonical field → the header(s) it is read from, for messages."""
    unmapped: dict[str, str]
    """Non-empty cells of columns no field claims, by header."""
    time: datetime | None
    mapping: ColumnMap | None


def _given_mapping(options: dict[str, Any]) -> ColumnMap | None:
    value = options.get(COLUMN_MAP_OPTION)
    return value if isinstance(value, ColumnMap) else None


class _CsvExportParser(Parser):
    """Shared framing of roster and inventory exports; subclasses build the rows."""

    table: ClassVar[str]
    line_oriented = False  # a re-export is a new snapshot, never an append
    reads_options = (COLUMN_MAP_OPTION,)

    def sniff(self, sample: Sample) -> float:
        if sample.text is None or sample.json_kind is not None:
            return 0.0
        layout = detect_layout(
            sample.text, _given_mapping(sample.options), len(sample.head) < HEAD_BYTES
        )
        if layout is None or layout.table != self.table:
            return 0.0
        return layout.score

    def frame(self, stream: Stream) -> Iterator[RawRecord | Rejected]:
        mapping = _given_mapping(stream.options)
        imported_at = stream.options.get(IMPORTED_AT_OPTION)
        csv.field_size_limit(max(csv.field_size_limit(), stream.max_record_bytes))
        oversized: set[int] = set()
        lines = iter_text_lines(stream.binary, stream.encoding, stream.max_record_bytes, oversized)
        head: list[str] = []
        size = 0
        for line in lines:
            head.append(line)
            size += len(line)
            if size >= HEAD_BYTES:
                break
        complete = size < HEAD_BYTES
        layout = detect_layout("".join(head), mapping, complete)
        if layout is None or layout.table != self.table:
            raise FileError(
                f"no {self.title.lower()} header found in the first rows (columns such as "
                f"{self.example_columns}); use --column-map to name the columns"
            )
        if layout.ambiguous:
            names = ", ".join(repr(name) for name in layout.ambiguous)
            raise FileError(
                f"the header names {names} more than once: which column holds that field "
                "is ambiguous (one would be dropped); rename one column in the export"
            )
        yield from self._records(
            layout, _chain(head, lines), oversized, imported_at, stream.max_record_bytes
        )

    example_columns: ClassVar[str] = ""

    def _records(
        self,
        layout: Layout,
        lines: Iterator[str],
        oversized: set[int],
        imported_at: Any,
        limit: int,
    ) -> Iterator[RawRecord | Rejected]:
        header = layout.header
        by_name = DEVICE_BY_NAME if self.table == DEVICES else ROSTER_BY_NAME
        claimed = {i for cells in layout.columns.values() for i in cells}
        rows_seen = 0
        for parsed in csv_rows(lines, layout.delimiter, len(header)):
            start, row = parsed.line, parsed.cells
            if row is None:
                yield Rejected(start, parsed.error or "malformed CSV", parsed.text)
                continue
            rows_seen += 1
            if rows_seen <= layout.header_row + 1:
                continue  # title rows and the header itself
            if start in oversized:
                yield Rejected(
                    start,
                    f"row is larger than the {limit:,}-byte limit"
                    " (raise --max-record-bytes if it is genuine)",
                )
                continue
            if not any(cell.strip() for cell in row):
                continue
            text = _row_text(header, row)
            extra = [cell for cell in row[len(header) :] if cell.strip()]
            if extra:
                yield Rejected(
                    start,
                    f"row has {len(row)} cells but the header has {len(header)} "
                    "(a stray delimiter or quote?)",
                    text,
                )
                continue
            if len(row) < len(header):
                yield Rejected(
                    start,
                    f"row has {len(row)} cells but the header has {len(header)} "
                    "(a cut row, or a line break outside quotes?)",
                    text,
                )
                continue
            values: dict[str, str] = {}
            headers: dict[str, str] = {}
            for name, cells in layout.columns.items():
                headers[name] = " + ".join(header[i] for i in cells)
                parts = [row[i].strip() for i in cells if i < len(row) and row[i].strip()]
                if parts:
                    values[name] = by_name[name].join.join(parts)
            unmapped = {
                header[i]: row[i]
                for i in range(min(len(row), len(header)))
                if i not in claimed and row[i].strip()
            }
            value = HrRecord(
                self.table,
                values,
                headers,
                unmapped,
                imported_at if isinstance(imported_at, datetime) else None,
                layout.mapping,
            )
            yield RawRecord(start, value, text)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        value = record.value
        if not isinstance(value, HrRecord) or value.table != self.table:
            raise RecordError(f"not a {self.table} row")
        return [(self.table, self.build(value))]

    def build(self, record: HrRecord) -> dict[str, Any]:
        raise NotImplementedError

    def _common(self, record: HrRecord, fields: dict[str, Field]) -> dict[str, Any]:
        """Text, email and date fields validated; the columns every HR table shares."""
        row: dict[str, Any] = {}
        order = record.mapping.date_order if record.mapping else "MDY"
        for name, text in record.values.items():
            kind = fields[name].kind
            if kind == "email":
                row[name] = check_email(text, name)
            elif kind == "date":
                row[name] = parse_date(text, name, order)
            elif kind == "timezone":
                row[name] = check_timezone(text, name)
            else:
                row[name] = text
        snapshot = row.pop("snapshot_date", None)
        row["time"] = snapshot or record.time
        if record.unmapped:
            row["unmapped"] = record.unmapped
        if record.mapping is not None:
            if record.mapping.product:
                row["metadata.product.name"] = record.mapping.product
            if record.mapping.vendor:
                row["metadata.product.vendor_name"] = record.mapping.vendor
        return {k: v for k, v in row.items() if v is not None}


def _chain(head: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from head
    yield from rest


def _row_text(header: tuple[str, ...], row: list[str]) -> str:
    """The row as a JSON object {header: cell} (extra cells under ``_extra``)."""
    data: dict[str, Any] = {h: (row[i] if i < len(row) else "") for i, h in enumerate(header)}
    if len(row) > len(header):
        data["_extra"] = row[len(header) :]
    return orjson.dumps(data).decode()


IDENTIFYING = frozenset({"email", "personal_email", "username", "github_login"})
"""Roster fields that name an account events can carry: a worker needs one."""


class HrRosterParser(_CsvExportParser):
    name = "hr_roster"
    title = "HR roster export (CSV: one row per worker)"
    product = "HR roster"
    vendor = "HRIS"
    table = WORKERS
    example_columns = "Employee ID, Work Email, Hire Date, Department"

    def build(self, record: HrRecord) -> dict[str, Any]:
        if "employee_id" not in record.values:
            column = record.headers.get("employee_id", "?")
            raise RecordError(f"employee_id is missing (column {column!r} is empty)")
        if not IDENTIFYING & record.values.keys():
            # a worker no event can ever be linked to; most often a cut or merged row
            raise RecordError(f"row has none of {', '.join(sorted(IDENTIFYING))}")
        row = self._common(record, ROSTER_BY_NAME)
        if "full_name" not in row:
            given = row.get("first_name") or row.get("preferred_name")
            parts = [p for p in (given, row.get("last_name")) if p]
            if parts:
                row["full_name"] = " ".join(parts)
        if "phone" in row:
            region = (record.mapping.phone_region if record.mapping else None) or region_of(
                row.get("work_country")
            )
            number = e164(row["phone"], region)
            if number:
                row["phone_e164"] = number
        return row


class DeviceInventoryParser(_CsvExportParser):
    name = "device_inventory"
    title = "Device inventory export (CSV: one row per laptop or device)"
    product = "Device inventory"
    vendor = "IT asset management"
    table = DEVICES
    example_columns = "Asset Tag, Serial Number, Assigned To, Ship To Address"

    def build(self, record: HrRecord) -> dict[str, Any]:
        values = record.values
        if not any(k in values for k in ("asset_id", "serial_number", "hostname", "device_uid")):
            raise RecordError("row has no asset_id, serial_number, hostname or device_uid")
        row = self._common(record, DEVICE_BY_NAME)
        owner = row.get("owner")
        if "owner_email" not in row and isinstance(owner, str) and "@" in owner:
            row["owner_email"] = check_email(owner, "owner")
        return row
