"""From a :class:`WinEvent` to OCSF rows: the dispatch by channel and the shared helpers.

Each channel family module (:mod:`.sysmon`, :mod:`.security`, :mod:`.rdp`,
:mod:`.devices`) declares, as data, which raw field fills which column, and a mapper per
event id. Events of those channels that have no mapper, and events of every other
channel, are kept in ``base_event`` with their fields in ``unmapped``: nothing is
dropped and nothing is rejected only because farmhunt has no mapping for it yet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from farmhunt.schema import Column, get_table
from farmhunt.sources.base import RecordError, Row
from farmhunt.sources.coerce import coerce
from farmhunt.sources.rows import event as event_row
from farmhunt.sources.values import opt_int
from farmhunt.sources.windows.model import WinEvent, blank_to_none


@dataclass
class Mapped:
    """What a mapper makes of an event: the table, activity, columns and fields used."""

    table: str
    activity_id: int
    columns: dict[str, Any]
    used: set[str]


Mapper = Callable[[WinEvent], Mapped]


@dataclass(frozen=True)
class Family:
    """A group of channels mapped by one module."""

    channels: frozenset[str]
    """Channel names, lower case."""
    product: str
    """``metadata.product.name`` of its events."""
    mappers: Mapping[int, Mapper]
    fields: Mapping[int, tuple[str, ...]]
    """Each event id's EventData field names in manifest order (PowerShell exports
    carry the values without names)."""


def take(ev: WinEvent, table: str, spec: Mapping[str, str]) -> tuple[dict[str, Any], set[str]]:
    """Columns from the event's fields by a ``{raw field: column}`` map, typed per column.

    Empty placeholders ('-', '') are skipped; a value that cannot have the column's
    type quarantines the record with the field's name in the reason.
    """
    columns: dict[str, Any] = {}
    used: set[str] = set()
    data = ev.data
    for raw, name, column in _resolved(table, spec):
        if raw not in data:
            continue
        used.add(raw)
        value = blank_to_none(data[raw])
        if value is None:
            continue
        try:
            columns[name] = coerce(column, value)
        except RecordError as exc:
            raise RecordError(f"{raw}: {exc}") from None
    return columns, used


_RESOLVED: dict[tuple[str, int], tuple[Mapping[str, str], tuple[tuple[str, str, Column], ...]]] = {}


def _resolved(table: str, spec: Mapping[str, str]) -> tuple[tuple[str, str, Column], ...]:
    """``spec`` with each column's schema entry looked up once, not per event.

    Specs are module constants: the cache holds each one (so its id cannot be reused by
    another) and checks identity; a spec built per call is resolved without caching.
    """
    key = (table, id(spec))
    entry = _RESOLVED.get(key)
    if entry is not None and entry[0] is spec:
        return entry[1]
    schema = get_table(table)
    found = tuple((raw, name, schema.column(name)) for raw, name in spec.items())
    if len(_RESOLVED) < 256:
        _RESOLVED[key] = (spec, found)
    return found


def int_field(ev: WinEvent, name: str) -> int | None:
    """An integer field (decimal or 0x hex), None when absent; RecordError when not a number."""
    return opt_int(ev.get(name), name)


_PRODUCT_DEFAULT = "Windows"


def to_rows(ev: WinEvent, families: list[Family]) -> list[Row]:
    """The row for one event: mapped when its channel and id are known, else base_event."""
    channel = (ev.channel or "").lower()
    family = next((f for f in families if channel in f.channels), None)
    mapper = family.mappers.get(ev.event_id) if family else None
    mapped = mapper(ev) if mapper is not None else Mapped("base_event", 0, {}, set())
    unmapped = {k: v for k, v in ev.data.items() if k not in mapped.used and v is not None}
    for key, value in (
        ("record_id", ev.record_id),
        ("provider_name", ev.provider),
        ("user_sid", ev.user_sid),
        ("activity_id", ev.activity_id),
        ("process_id", ev.process_id),
    ):
        if value is not None and key not in mapped.used:
            unmapped.setdefault(key, value)
    unmapped.update(ev.extra)
    columns: dict[str, Any] = {
        "metadata.log_name": ev.channel,
        "metadata.event_code": str(ev.event_id),
        "metadata.original_time": ev.original_time,
        "metadata.product.name": family.product if family else _PRODUCT_DEFAULT,
        "device.hostname": ev.computer,
        "device.os.name": "Windows",
        "message": first_line(ev.message),
    }
    columns.update(mapped.columns)
    if unmapped:
        columns["unmapped"] = unmapped
    return [event_row(mapped.table, mapped.activity_id, ev.time, columns)]


def first_line(text: str | None) -> str | None:
    if not text:
        return None
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line or None
