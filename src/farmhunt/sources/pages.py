"""The wrappers that search and API exports put around events, recognised by content.

Users export the same events from many consoles: an API page (``{"value": [...]}``,
``{"items": [...]}``, ``{"records": [...]}``), an Elasticsearch/OpenSearch search or
scroll response (``{"took": …, "hits": {"total": …, "hits": [{"_index", "_id",
"_source": {…}}]}}``), or the Azure Log Analytics query API (``{"tables": [{"name":
"PrimaryResult", "columns": [{"name", "type"}], "rows": [[…], …]}]}``), where a record
is a row of values in column order. This module says which wrapper a document uses
(:func:`items_prefix`, from the file's head, so that :mod:`.json_split` can stream the
records of a large one) and takes apart a wrapper already in memory (:func:`unwrap`,
one NDJSON line of a scroll export). Both give the parsers the events themselves: the
``_source`` document of a hit, a row as an object keyed by its column names.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import Any

import ijson
import orjson

WRAPPER_KEYS = ("value", "items", "records", "Records", "data", "results", "logs")
"""Keys under which API exports nest their list of events, tried in this order."""

_WRAPPER_SET = frozenset(WRAPPER_KEYS)

HITS_PREFIX = "hits.hits.item"
"""Where an Elasticsearch/OpenSearch search response keeps its hits."""

TABLE_PREFIXES = ("tables.item.rows.item", "Tables.item.Rows.item")
"""Where the Log Analytics query API (and Kusto's v1 response) keeps its rows."""

TABLE_KEYS = (("columns", "rows"), ("Columns", "Rows"))
_COLUMN_NAME_KEYS = ("name", "ColumnName")
_COLUMN_TYPE_KEYS = ("type", "DataType", "ColumnType")
_TABLE_SIGNS = frozenset(k for pair in TABLE_KEYS for k in pair)

Columns = tuple[tuple[str, str], ...]
"""A table's ``(name, type)`` pairs, in order."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An element of a wrapper that is not a record, and why (quarantined as such)."""

    reason: str
    value: Any


def hit_document(hit: Any) -> Any:
    """The event an Elasticsearch hit carries (its ``_source``); the hit itself when it
    carries none (a search with ``_source: false`` has only fields, kept whole)."""
    if isinstance(hit, dict):
        source = hit.get("_source")
        if isinstance(source, dict) and ("_index" in hit or "_id" in hit):
            return source
    return hit


def table_columns(value: Any) -> Columns | None:
    """The ``(name, type)`` of each column of a table's ``columns`` list; None when it
    is not a list of named columns (its rows then cannot be read)."""
    if not isinstance(value, list) or not value:
        return None
    columns = []
    for column in value:
        if not isinstance(column, dict):
            return None
        name = next((column[k] for k in _COLUMN_NAME_KEYS if k in column), None)
        kind = next((column[k] for k in _COLUMN_TYPE_KEYS if k in column), "")
        if not isinstance(name, str) or not name:
            return None
        columns.append((name, kind if isinstance(kind, str) else ""))
    names = [name for name, _ in columns]
    if len(set(names)) != len(names):
        return None  # two values for one name: which is the event's is unknowable
    return tuple(columns)


def row_record(columns: Columns | None, row: Any) -> dict[str, Any] | Unreadable:
    """A table row as an event keyed by column name.

    A null cell is left out (the column does not apply to this event). A ``dynamic``
    cell (``LocationDetails``, ``EventData``) arrives as JSON text: it is read back
    into the object it was, as every other export writes it.
    """
    if columns is None:
        return Unreadable("table row without readable column names (columns missing)", row)
    if not isinstance(row, list):
        return Unreadable("table row is not a list of values", row)
    if len(row) != len(columns):
        return Unreadable(f"table row has {len(row)} values for {len(columns)} columns", row)
    record: dict[str, Any] = {}
    for (name, kind), cell in zip(columns, row, strict=True):
        if cell is None:
            continue
        if kind.lower() == "dynamic" and isinstance(cell, str) and cell[:1] in ("{", "["):
            with contextlib.suppress(orjson.JSONDecodeError):  # look-alike text stays text
                cell = orjson.loads(cell)
        record[name] = cell
    return record


def unwrap(value: Any) -> list[Any] | None:
    """If ``value`` is a page wrapping a list of events, return the events (an element
    that cannot be one is an :class:`Unreadable`); None when it is an event itself."""
    if not isinstance(value, dict):
        return None
    hits = value.get("hits")
    if isinstance(hits, dict) and isinstance(hits.get("hits"), list) and _is_search(value):
        return [hit_document(hit) for hit in hits["hits"]]
    for tables_key, (columns_key, rows_key) in zip(("tables", "Tables"), TABLE_KEYS, strict=True):
        tables = value.get(tables_key)
        if (
            isinstance(tables, list)
            and tables
            and value.keys() <= _QUERY_KEYS
            and all(isinstance(t, dict) and rows_key in t for t in tables)
        ):
            records: list[Any] = []
            for table in tables:
                columns = table_columns(table.get(columns_key))
                rows = table.get(rows_key)
                records.extend(row_record(columns, row) for row in rows or ())
            return records
    if value.keys().isdisjoint(_WRAPPER_SET):
        return None  # every NDJSON event is asked: most have none of the keys
    for key in WRAPPER_KEYS:
        inner = value.get(key)
        if isinstance(inner, list) and (not inner or isinstance(inner[0], dict)):
            others = [k for k in value if k != key]
            if all(_is_page_metadata(k, value[k]) for k in others):
                return inner
    return None


def _is_search(value: dict[str, Any]) -> bool:
    """A search response: ``hits`` and at most the members Elasticsearch and OpenSearch
    put beside it (an event with a ``hits`` field of its own is not one)."""
    return all(k in _SEARCH_KEYS for k in value)


_SEARCH_KEYS = frozenset(
    {"took", "timed_out", "_shards", "hits", "_scroll_id", "pit_id", "aggregations"}
    | {"terminated_early", "num_reduce_phases", "status", "profile", "_clusters"}
    | {"phase_took", "suggest"}
)
_QUERY_KEYS = frozenset({"tables", "Tables", "statistics", "render", "error"})
"""The members of a query API response: its tables, and what it adds when asked
(``statistics``, ``render``) or when the query partly failed (``error``)."""


def _is_page_metadata(key: str, value: Any) -> bool:
    """Keys that sit beside the list in an API page (paging, context, counts)."""
    return (
        key.startswith("@")
        or key.startswith("odata")
        or not isinstance(value, (dict, list))
        or (key in {"meta", "links", "paging", "page"})
    )


def items_prefix(head: bytes) -> str:
    """The ijson prefix of the event records in a JSON document, found from its head.

    ``item`` for a top-level array, ``<key>.item`` for an API page that nests them under
    a wrapper key, :data:`HITS_PREFIX` for a search response, one of
    :data:`TABLE_PREFIXES` for a query API response, and ``""`` (each top-level value is
    a record) otherwise.
    """
    candidate = None
    searching = False  # a search response's own members came first (``took`` …)
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head), multiple_values=True):
            if candidate is not None:
                if prefix == f"{candidate}.item" and event == "start_map":
                    return f"{candidate}.item"
                candidate = None
            if prefix == "" and event == "start_array":
                return "item"
            if prefix == "" and event == "map_key":
                searching = searching or value in _SEARCH_SIGNS
            if prefix == "hits.hits" and event == "start_array" and searching:
                return HITS_PREFIX
            if prefix in _TABLE_ITEMS and event == "map_key" and value in _TABLE_SIGNS:
                return _TABLE_ITEMS[prefix]
            if prefix in WRAPPER_KEYS and event == "start_array":
                candidate = prefix
            if prefix == "" and event == "end_map":
                break
    except (ijson.JSONError, ijson.IncompleteJSONError):
        pass
    return ""


_SEARCH_SIGNS = frozenset(("took", "timed_out", "_shards", "_scroll_id", "pit_id"))
_TABLE_ITEMS = {"tables.item": TABLE_PREFIXES[0], "Tables.item": TABLE_PREFIXES[1]}
