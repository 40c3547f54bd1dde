"""Coercing a loosely typed value to a store column's type, or quarantining the record."""

from __future__ import annotations

from typing import Any

import orjson

from farmhunt.schema import Column
from farmhunt.sources.base import RecordError
from farmhunt.sources.values import opt_bool, opt_float, opt_int, opt_time


def coerce(column: Column, value: Any) -> Any:
    """``value`` as ``column``'s type; None stays None; RecordError when impossible."""
    if value is None:
        return None
    kind = column.type
    if kind == "string" and type(value) is str:
        return value  # most columns and values: answer before the other checks
    if kind in ("int", "bigint"):
        return opt_int(value, column.name)
    if kind == "float":
        return opt_float(value, column.name)
    if kind == "bool":
        return opt_bool(value)
    if kind == "timestamp":
        return opt_time(value, column.name)
    if kind == "strings":
        if isinstance(value, list):
            return [v if isinstance(v, str) else orjson.dumps(v).decode() for v in value]
        return [str(value)]
    if kind == "json":
        return value
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise RecordError(f"{column.name}: unsupported value {value!r:.60}")
