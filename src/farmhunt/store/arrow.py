"""Rows to Arrow tables with the store's exact schema, and atomic Parquet writes."""

from __future__ import annotations

import os
from collections.abc import Sequence
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


def _with_json_text(row: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """The row with its JSON columns as text (a copy, the caller's row is untouched)."""
    # A shallow copy and a few assignments: rebuilding the row key by key cost more
    # than the JSON itself (a third of the conversion of a Windows chunk).
    changed: dict[str, Any] | None = None
    for name in names:
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            if changed is None:
                changed = dict(row)
            changed[name] = _prepare(value, "json")
    return row if changed is None else changed


def to_arrow(table: Table, rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Build an Arrow table of ``table``'s full schema from row dicts.

    Unknown column names are a parser bug and raise KeyError; a value the column type
    cannot hold raises :class:`BadValue` naming the row, so the caller can quarantine it.
    """
    present: set[str] = set().union(*rows) if rows else set()
    unknown = present - table.column_set
    if unknown:
        raise KeyError(f"table {table.name} has no column {sorted(unknown)[0]!r}")
    json_names = table.json_columns & present
    if json_names:
        rows = [_with_json_text(row, json_names) for row in rows]
    schema = table.arrow_schema()
    try:
        return _build(schema, list(rows), present)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
        for column in table.columns:
            if column.name not in present:
                continue
            values = [r.get(column.name) for r in rows]
            try:
                pa.array(values, type=column.arrow_type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                raise _locate(column.name, column.arrow_type, values, exc) from exc
        raise


def _build(schema: pa.Schema, rows: list[dict[str, Any]], present: set[str]) -> pa.Table:
    """The table from the columns the rows hold, the schema's others as typed nulls.

    A chunk fills a third to a half of a table's columns; converting only those, rather
    than looking up every schema column in every row, halves the cost of the step.
    """
    if len(present) == len(schema):
        return pa.Table.from_pylist(rows, schema=schema)
    held = pa.Table.from_pylist(rows, schema=pa.schema([f for f in schema if f.name in present]))
    count = len(rows)
    columns = [
        held.column(f.name) if f.name in present else pa.nulls(count, f.type) for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _locate(name: str, arrow_type: pa.DataType, values: list[Any], exc: Exception) -> BadValue:
    for index, value in enumerate(values):
        try:
            pa.array([value], type=arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as one:
            return BadValue(index, name, value, str(one).splitlines()[0])
    return BadValue(0, name, None, str(exc).splitlines()[0])


def write_atomic(data: pa.Table, path: Path) -> None:
    """Write Parquet to a temporary name, fsync, then rename into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(data, tmp, compression="zstd")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
