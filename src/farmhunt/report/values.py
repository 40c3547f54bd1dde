"""Small conversions every report format shares: times, JSON text, plain values."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson

CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Characters a reader cannot see or that reorder text: C0/C1 controls but tab, new line
and carriage return (which lay text out), zero-width and bidirectional-override
characters. The set :mod:`farmhunt.termsafe` escapes for the terminal, less the three
layout characters the terminal flattens itself (so not the same pattern)."""


def visible(text: str) -> str:
    """``text`` with each :data:`CONTROL` character written as its escape (``\\x1b``,
    ``\\u202e``), as the terminal output shows it, instead of an invisible or
    placeholder glyph."""
    return CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and ``Z`` (``2025-11-03T01:43:34.094Z``)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def epoch_ms(value: str | None) -> int | None:
    """An ISO time of the report as OCSF's timestamp_t (milliseconds since the epoch)."""
    parsed = parse_iso(value)
    return None if parsed is None else round(parsed.timestamp() * 1000)


def json_value(text: Any) -> Any:
    """A JSON column's value: parsed when it is JSON text, kept as is otherwise."""
    if not isinstance(text, str):
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def plain(value: Any) -> Any:
    """A stored value as JSON can hold it (times as ISO text, lists as lists)."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, float) and value != value:  # NaN has no JSON form
        return None
    return value
