"""The events behind findings, fetched by ``metadata.uid``: never a whole event table.

A finding names its events (``event_uids``, the first 100) and the tables they are in.
The report fetches at most ``per_finding`` of them per finding, one query per table for
all findings at once (the wanted ids are a registered list the table is semi-joined on),
and keeps each event's key fields, where it came from and its original record. A roster
or inventory row's time is shown only when it is the export's own date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

from farmhunt.enrich.facts.times import data_date
from farmhunt.report.values import json_value, plain
from farmhunt.schema import STORE_TABLES

PER_FINDING = 20
"""Events shown per finding (a finding keeps up to 100 ids; the rest are counted)."""

RAW_LIMIT = 16_000
"""Characters of an event's original record kept in a report."""

BOOKKEEPING = frozenset(
    {
        "time",
        "class_uid",
        "class_name",
        "category_uid",
        "category_name",
        "activity_id",
        "type_uid",
        "metadata.uid",
        "metadata.version",
        "raw_data",
        "raw_source.file",
        "raw_source.record",
        "raw_source.format",
        "unmapped",
    }
)
"""Columns an event's ``fields`` leave out: they are shown on their own or are ids."""

REFERENCE_TABLES = frozenset({"workers", "devices"})
"""HR roster and device inventory: a row's ``time`` is the export's snapshot date, or the
clock of the import when the export has none; only the former is shown, so scanning the
same files again gives the same report."""


def wanted_uids(findings: Iterable[dict[str, Any]], per_finding: int) -> dict[str, set[str]]:
    """table → the event ids to fetch from it (the first ``per_finding`` of each finding)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        uids = [u for u in (finding.get("event_uids") or []) if u][:per_finding]
        for table in finding.get("tables") or []:
            if table in STORE_TABLES and STORE_TABLES[table].has_column("metadata.uid"):
                wanted[table].update(uids)
    return wanted


def fetch_events(
    con: duckdb.DuckDBPyConnection, wanted: dict[str, set[str]]
) -> dict[str, dict[str, Any]]:
    """metadata.uid → evidence record, for the wanted ids of each table."""
    found: dict[str, dict[str, Any]] = {}
    for table, uids in sorted(wanted.items()):
        if not uids:
            continue
        con.register("__report_uids", pa.table({"uid": sorted(uids)}))
        try:
            cursor = con.execute(
                f'SELECT * FROM "{table}" WHERE "metadata.uid" IN (SELECT uid FROM __report_uids)'
            )
            names = [d[0] for d in cursor.description or []]
            for row in cursor.fetchall():
                event = evidence_record(table, dict(zip(names, row, strict=True)))
                found.setdefault(event["metadata.uid"], event)
        finally:
            con.unregister("__report_uids")
    return found


def evidence_record(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """One event as the report shows it: when, where from, key fields, original record."""
    spec = STORE_TABLES[table]
    raw = row.get("raw_data")
    raw_text = None if raw is None else str(raw)
    fields = {
        name: plain(json_value(value) if name in spec.json_columns else value)
        for name, value in row.items()
        if name not in BOOKKEEPING and value is not None and value != "" and value != []
    }
    when = row.get("time")
    if table in REFERENCE_TABLES:
        when = data_date(when)
    return {
        "time": plain(when),
        "table": table,
        "class_uid": row.get("class_uid"),
        "type_uid": row.get("type_uid"),
        "metadata.uid": row.get("metadata.uid"),
        "raw_source.file": row.get("raw_source.file"),
        "raw_source.record": row.get("raw_source.record"),
        "raw_source.format": row.get("raw_source.format"),
        "fields": fields,
        "raw_data": raw_text[:RAW_LIMIT] if raw_text is not None else None,
        "raw_data_truncated": raw_text is not None and len(raw_text) > RAW_LIMIT,
    }


def evidence_for(
    finding: dict[str, Any], events: dict[str, dict[str, Any]], per_finding: int
) -> list[dict[str, Any]]:
    """The fetched events of one finding, in time order."""
    uids = [u for u in (finding.get("event_uids") or []) if u][:per_finding]
    chosen = [events[u] for u in dict.fromkeys(uids) if u in events]
    return sorted(chosen, key=lambda e: (e["time"] or "", e["metadata.uid"] or ""))
