"""Rows to Arrow tables with the store's exact schema, and atomic Parquet writes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from farmhunt.schema.model import Table


class BadValue(ValueError):
    """A row has a value its column's type cannot hold."""

    def __init__(self, row_index: int, column: str, value: Any, why: str) -> None:
        super().__init__(f"column {column}: {str(value)[:60]!r} ({why})")
        self.row_index = row_index


def _prepare(value: Any, kind: str) -> Any:
    if kind == "json" and value is not None and not isinstance(value, str):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    return value


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICKS = {
    "s": timedelta(seconds=1),
    "ms": timedelta(milliseconds=1),
    "us": timedelta(microseconds=1),
}
"""Timestamp units whose ticks are whole microseconds: Python can count them exactly."""


@dataclass(frozen=True)
class _Field:
    """How one schema column is converted: worked out once per table, not per chunk."""

    name: str
    type: pa.DataType
    json: bool
    tick: timedelta | None
    """The tick of a UTC timestamp column (counted in Python, see :func:`_ticks`)."""

    @property
    def special(self) -> bool:
        """Converted on its own: its values need Python's hand before pyarrow's."""
        return self.json or self.tick is not None


@dataclass(frozen=True)
class _Layout:
    """The conversion of rows holding one set of columns."""

    struct: pa.StructType
    """The plain columns held, converted row-wise in one call."""
    plain: tuple[str, ...]
    special: tuple[_Field, ...]


@dataclass
class _Plan:
    table: Table
    fields: tuple[_Field, ...]
    layouts: dict[frozenset[str], _Layout]
    nulls: dict[tuple[int, int], pa.Array]
    """Null columns of small chunks, by (field index, rows): arrays are immutable, so
    chunks of one size share them instead of allocating the same nulls again."""

    def null(self, index: int, count: int) -> pa.Array:
        if count > _SHARED_NULL_ROWS:
            return pa.nulls(count, self.fields[index].type)
        found = self.nulls.get((index, count))
        if found is None:
            if len(self.nulls) >= _SHARED_NULLS:
                self.nulls.clear()
            found = self.nulls[(index, count)] = pa.nulls(count, self.fields[index].type)
        return found

    def layout(self, present: frozenset[str]) -> _Layout:
        found = self.layouts.get(present)
        if found is None:
            if len(self.layouts) >= _LAYOUTS_PER_TABLE:
                self.layouts.clear()
            plain = [f for f in self.fields if f.name in present and not f.special]
            found = _Layout(
                pa.struct([pa.field(f.name, f.type) for f in plain]),
                tuple(f.name for f in plain),
                tuple(f for f in self.fields if f.name in present and f.special),
            )
            self.layouts[present] = found
        return found


_LAYOUTS_PER_TABLE = 256
_SHARED_NULL_ROWS = 256
_SHARED_NULLS = 4096
"""At most this many shared null columns per table (a few MiB at most)."""
_PLANS: dict[int, _Plan] = {}


def _plan(table: Table) -> _Plan:
    cached = _PLANS.get(id(table))
    if cached is not None and cached.table is table:
        return cached
    fields = []
    for field in table.arrow_schema():
        kind = field.type
        tick = None
        if pa.types.is_timestamp(kind) and kind.tz in ("UTC", "+00:00"):
            tick = _TICKS.get(kind.unit)
        fields.append(_Field(field.name, kind, field.name in table.json_columns, tick))
    plan = _Plan(table, tuple(fields), {}, {})
    _PLANS[id(table)] = plan  # holding the table keeps its id from being reused
    return plan


def _ticks(values: list[Any], tick: timedelta) -> list[Any] | None:
    """UTC datetimes as integer ticks since the epoch, or None if any value is another kind.

    pyarrow converts an aware datetime by calling its ``utcoffset()`` from C, which made
    the event-time column the dearest of all (docs/performance.md). For
    datetimes whose zone is UTC itself the integer is the same floor of the time since
    the epoch, so Python computes it; anything else is left to pyarrow.
    """
    out: list[Any] = []
    append = out.append
    for value in values:
        if value is None:
            append(None)
        elif type(value) is datetime and value.tzinfo is UTC:
            append((value - _EPOCH) // tick)
        else:
            return None
    return out


_CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError)


def to_arrow(table: Table, rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Build an Arrow table of ``table``'s full schema from row dicts.

    Unknown column names are a parser bug and raise KeyError; a value the column type
    cannot hold raises :class:`BadValue` naming the row, so the caller can quarantine it.
    The rows given are never modified.

    The plain columns the rows hold are converted in one ``pa.array`` call, as a struct
    of them; JSON and UTC timestamp columns one by one (their values are prepared in
    Python first); the columns no row holds are typed nulls. Each ``pa.array`` call costs
    a few microseconds before its first value, and an osquery host log gives a few
    dozen rows per table: a call per column made that fixed cost most of the work.
    """
    present = frozenset().union(*rows) if rows else frozenset()
    unknown = present - table.column_set
    if unknown:
        raise KeyError(f"table {table.name} has no column {sorted(unknown)[0]!r}")
    plan = _plan(table)
    layout = plan.layout(present)
    converted: dict[str, pa.Array] = {}
    try:
        if layout.plain:
            children = pa.array(rows, type=layout.struct).flatten()
            converted = dict(zip(layout.plain, children, strict=True))
        for field in layout.special:
            converted[field.name] = _column(_values(rows, field), field)
    except _CONVERSION_ERRORS as exc:
        raise _bad_value(plan, rows, present, exc) from exc
    count = len(rows)
    arrays = [
        converted[f.name] if f.name in present else plan.null(i, count)
        for i, f in enumerate(plan.fields)
    ]
    return pa.Table.from_arrays(arrays, schema=table.arrow_schema())


def _values(rows: Sequence[dict[str, Any]], field: _Field) -> list[Any]:
    name = field.name
    values = [row.get(name) for row in rows]
    if field.json:
        return [_prepare(v, "json") for v in values]
    return values


def _column(values: list[Any], field: _Field) -> pa.Array:
    if field.tick is not None:
        ticks = _ticks(values, field.tick)
        if ticks is not None:
            return pa.array(ticks, type=field.type)
    return pa.array(values, type=field.type)


def _bad_value(
    plan: _Plan, rows: Sequence[dict[str, Any]], present: frozenset[str], exc: Exception
) -> Exception:
    """The first column (in schema order) whose values do not convert, as a BadValue."""
    for field in plan.fields:
        if field.name not in present:
            continue
        values = _values(rows, field)
        try:
            _column(values, field)
        except _CONVERSION_ERRORS:
            return _locate(field.name, field.type, values, exc)
    return exc


def _locate(name: str, arrow_type: pa.DataType, values: list[Any], exc: Exception) -> BadValue:
    for index, value in enumerate(values):
        try:
            pa.array([value], type=arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as one:
            return BadValue(index, name, value, str(one).splitlines()[0])
    return BadValue(0, name, None, str(exc).splitlines()[0])


def write_atomic(data: pa.Table, path: Path) -> None:
    """Write Parquet to a temporary name, fsync, then rename into place.

    The columns are made contiguous first: a batch of small files' chunks arrives as a
    table of a thousand pieces per column, and the Parquet writer's cost per piece made
    writing it nearly twice as dear as copying it together (same rows, same row groups).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(data.combine_chunks(), tmp, compression="zstd")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
