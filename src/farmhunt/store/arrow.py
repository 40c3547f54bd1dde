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


def to_arrow(table: Table, rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Build an Arrow table of ``table``'s full schema from row dicts.

    Unknown column names are a parser bug and raise KeyError; a value the column type
    cannot hold raises :class:`BadValue` naming the row, so the caller can quarantine it.
    """
    for row in rows:
        for name in row:
            if not table.has_column(name):
                raise KeyError(f"table {table.name} has no column {name!r}")
    arrays = []
    for column in table.columns:
        values = [_prepare(r.get(column.name), column.type) for r in rows]
        try:
            arrays.append(pa.array(values, type=column.arrow_type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
            raise _locate(column.name, column.arrow_type, values, exc) from exc
    return pa.Table.from_arrays(arrays, schema=table.arrow_schema())


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
