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
from datetime import datetime
from functools import lru_cache
from typing import Any

from farmhunt.schema import Column, get_table
from farmhunt.sources.base import RecordError, Row
from farmhunt.sources.coerce import coerce
from farmhunt.sources.rows import event as event_row
from farmhunt.sources.values import basename as path_basename
from farmhunt.sources.values import opt_int
from farmhunt.sources.windows.model import BLANK_MAX, BLANKS, WinEvent, blank_to_none


@dataclass(slots=True)
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


_MISSING = object()


def take(ev: WinEvent, table: str, spec: Mapping[str, str]) -> tuple[dict[str, Any], set[str]]:
    """Columns from the event's fields by a ``{raw field: column}`` map, typed per column.

    Empty placeholders ('-', '') are skipped; a value that cannot have the column's
    type quarantines the record with the field's name in the reason.

    This runs for every mapped event, once per spec entry: the placeholder test is
    inlined, text for a text column is stored as it is and decimal text for an integer
    column is converted here, each without a call to :func:`coerce` (same result).
    """
    columns: dict[str, Any] = {}
    used: set[str] = set()
    data = ev.data
    for raw, name, column, kind in _resolved(table, spec):
        value = data.get(raw, _MISSING)
        if value is _MISSING:
            continue
        used.add(raw)
        if isinstance(value, str):
            stripped = value.strip()
            if len(stripped) <= BLANK_MAX and stripped in BLANKS:
                continue
            if type(value) is str:
                if kind == _TEXT:
                    columns[name] = value
                    continue
                if kind == _INT and len(value) < 16 and value.isascii() and value.isdigit():
                    columns[name] = int(value)  # what opt_int makes of it, sooner
                    continue
        elif value is None:
            continue
        try:
            columns[name] = coerce(column, value)
        except RecordError as exc:
            raise RecordError(f"{raw}: {exc}") from None
    return columns, used


_TEXT, _INT, _OTHER = 1, 2, 0
"""Column kinds :func:`take` converts itself: text stored as it is, and whole numbers
short enough that ``int(float(text))`` in :func:`opt_int` is exact."""

Resolved = tuple[tuple[str, str, Column, int], ...]
_RESOLVED: dict[tuple[str, int], tuple[Mapping[str, str], Resolved]] = {}


def _resolved(table: str, spec: Mapping[str, str]) -> Resolved:
    """``spec`` with each column's schema entry and kind looked up once, not per event.

    Specs are module constants: the cache holds each one (so its id cannot be reused by
    another) and checks identity; a spec built per call is resolved without caching.
    """
    key = (table, id(spec))
    entry = _RESOLVED.get(key)
    if entry is not None and entry[0] is spec:
        return entry[1]
    schema = get_table(table)
    found = tuple(
        (raw, name, column, _kind(column))
        for raw, name in spec.items()
        for column in (schema.column(name),)
    )
    if len(_RESOLVED) < 256:
        _RESOLVED[key] = (spec, found)
    return found


def _kind(column: Column) -> int:
    if column.type == "string":
        return _TEXT
    if column.type in ("int", "bigint"):
        return _INT
    return _OTHER


def int_field(ev: WinEvent, name: str) -> int | None:
    """An integer field (decimal or 0x hex), None when absent; RecordError when not a number."""
    value = ev.data.get(name)
    if type(value) is str and len(value) < 16 and value.isascii() and value.isdigit():
        return int(value)  # what opt_int makes of short decimal text, sooner
    return opt_int(blank_to_none(value), name)


_PRODUCT_DEFAULT = "Windows"


def to_rows(ev: WinEvent, families: list[Family]) -> list[Row]:
    """The row for one event: mapped when its channel and id are known, else base_event."""
    family = _family_of(ev.channel, families)
    mapper = family.mappers.get(ev.event_id) if family else None
    mapped = mapper(ev) if mapper is not None else Mapped("base_event", 0, {}, set())
    used = mapped.used
    # The event's fields no mapping used, in their order: a copy without the used ones
    # (C-level copy and deletes) costs less than testing every field in Python.
    unmapped = ev.data.copy()
    for key in used:
        unmapped.pop(key, None)
    if None in unmapped.values():
        unmapped = {k: v for k, v in unmapped.items() if v is not None}
    # System fields no mapping used, in this order (written out: this runs per event)
    if ev.record_id is not None and "record_id" not in used:
        unmapped.setdefault("record_id", ev.record_id)
    if ev.provider is not None and "provider_name" not in used:
        unmapped.setdefault("provider_name", ev.provider)
    if ev.user_sid is not None and "user_sid" not in used:
        unmapped.setdefault("user_sid", ev.user_sid)
    if ev.activity_id is not None and "activity_id" not in used:
        unmapped.setdefault("activity_id", ev.activity_id)
    if ev.process_id is not None and "process_id" not in used:
        unmapped.setdefault("process_id", ev.process_id)
    if ev.extra:
        unmapped.update(ev.extra)
    product = family.product if family else _PRODUCT_DEFAULT
    row = _row_start(mapped.table, mapped.activity_id, ev.time)
    mapped_columns = mapped.columns
    if not mapped_columns.keys().isdisjoint(_OWN_KEYS):
        _fill_merged(row, ev, product, mapped_columns, unmapped)
        return [(mapped.table, row)]
    # No mapping sets these columns: each goes in as rows.event would place it (None
    # values left out), without a merged dict to build and walk first.
    if ev.channel is not None:
        row["metadata.log_name"] = ev.channel
    row["metadata.event_code"] = str(ev.event_id)
    if ev.original_time is not None:
        row["metadata.original_time"] = ev.original_time
    row["metadata.product.name"] = product
    if ev.computer is not None:
        row["device.hostname"] = ev.computer
    row["device.os.name"] = "Windows"
    if ev.message:
        message = first_line(ev.message)
        if message is not None:
            row["message"] = message
    for key, value in mapped_columns.items():
        if value is not None:
            row[key] = value
    if unmapped:
        row["unmapped"] = unmapped
    return [(mapped.table, row)]


_OWN_KEYS = frozenset(
    {
        "metadata.log_name",
        "metadata.event_code",
        "metadata.original_time",
        "metadata.product.name",
        "device.hostname",
        "device.os.name",
        "message",
        "unmapped",
    }
)
"""The columns :func:`to_rows` fills itself; a mapping that sets one (a device event's
message) takes the general path, where the mapping's value wins."""


def _fill_merged(
    row: dict[str, Any],
    ev: WinEvent,
    product: str,
    mapped_columns: dict[str, Any],
    unmapped: dict[str, Any],
) -> None:
    columns: dict[str, Any] = {
        "metadata.log_name": ev.channel,
        "metadata.event_code": str(ev.event_id),
        "metadata.original_time": ev.original_time,
        "metadata.product.name": product,
        "device.hostname": ev.computer,
        "device.os.name": "Windows",
        "message": first_line(ev.message),
    }
    columns.update(mapped_columns)
    if unmapped:
        columns["unmapped"] = unmapped
    for key, value in columns.items():
        if value is not None:
            row[key] = value


_CACHE_LIMIT = 1024
"""Entries per lookup cache below: channel names and table/activity pairs come from
input files, so the caches stop growing rather than hold whatever a file invents."""

_FAMILIES: dict[tuple[int, str | None], tuple[list[Family], Family | None]] = {}


def _family_of(channel: str | None, families: list[Family]) -> Family | None:
    """The family mapping ``channel`` (any case), looked up once per channel name."""
    key = (id(families), channel)
    entry = _FAMILIES.get(key)
    if entry is not None and entry[0] is families:
        return entry[1]
    lowered = (channel or "").lower()
    family = next((f for f in families if lowered in f.channels), None)
    if len(_FAMILIES) < _CACHE_LIMIT:
        _FAMILIES[key] = (families, family)
    return family


_STARTS: dict[tuple[str, int], Row] = {}


def _row_start(table: str, activity_id: int, time: datetime) -> dict[str, Any]:
    """A new row with the class columns :func:`~farmhunt.sources.rows.event` fills for
    ``table`` and ``activity_id``, built once per pair and copied per event."""
    key = (table, activity_id)
    start = _STARTS.get(key)
    if start is None:
        start = event_row(table, activity_id, time, {})
        if len(_STARTS) < _CACHE_LIMIT:
            _STARTS[key] = start
    row = start[1].copy()
    row["time"] = time
    return row


def first_line(text: str | None) -> str | None:
    if not text:
        return None
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line or None


def parse_hashes(value: Any) -> dict[str, str] | None:
    """Sysmon's ``SHA256=…,MD5=…,IMPHASH=…`` as ``{"SHA256": …, "MD5": …}``."""
    if not isinstance(value, str) or "=" not in value:
        return None
    hashes: dict[str, str] = {}
    for part in value.split(","):
        algorithm, sep, digest = part.partition("=")
        if not sep or not algorithm.strip() or not digest.strip():
            return None
        hashes[algorithm.strip().upper()] = digest.strip()
    return hashes


basename = lru_cache(maxsize=16384)(path_basename)
"""A path's file name, once per distinct path: a host runs the same images again and
again, and the name is split out with a regex."""
