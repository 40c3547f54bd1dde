"""``farmhunt stats``: what ingest could not store, and the implausible times among it.

The quarantine table lists the most frequent reasons; real exports produce many
(each parser names the field and value it refused), so the table says how many reasons
and records it left out rather than ending silently. Events refused for an implausible
time (before 1990, after tomorrow: :mod:`farmhunt.timerange`, Zeek's relative ``ts``)
get their own table per source format: they are whole periods of activity missing from
every timeline, easy to overlook among parse errors.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from farmhunt.termsafe import text
from farmhunt.timerange import EARLY, LATE, implausible_time_sql

TOP_REASONS = 15
"""Reasons the quarantine table shows; the rest are counted on one line."""

_EXAMPLE = """arg_min("raw_source.file" || ':' || "raw_source.record",
    ("raw_source.file", "raw_source.record"))"""
"""One real file:record of a group (the first by file then record, from the same row)."""


def show_quarantine(con: Any, console: Console, limit: int = TOP_REASONS) -> None:
    """Print the quarantine by reason (top ``limit``) and the implausible-time table."""
    rows = con.execute(
        f"SELECT reason, count(*), {_EXAMPLE} FROM quarantine GROUP BY reason ORDER BY 2 DESC, 1"
    ).fetchall()
    if not rows:
        console.print("Quarantine is empty.")
        return
    table = Table("records", "reason", "e.g. file:record", title="Quarantine")
    for reason, count, example in rows[:limit]:
        table.add_row(f"{count:,}", text(reason, limit=120), text(example))
    console.print(table)
    left = rows[limit:]
    if left:
        records = sum(count for _, count, _ in left)
        console.print(
            f"{len(left):,} more reasons not shown ({records:,} records; "
            f"{len(rows):,} reasons in all)."
        )
    _show_implausible(con, console)


def _show_implausible(con: Any, console: Console) -> None:
    side, params = implausible_time_sql()
    rows = con.execute(
        f'SELECT "raw_source.format", {side} AS side, count(*), {_EXAMPLE} '
        "FROM quarantine WHERE side IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2 DESC",
        params,
    ).fetchall()
    if not rows:
        console.print("No event was refused for an implausible time.")
        return
    per_format: dict[str, dict[str, Any]] = {}
    for fmt, kind, count, example in rows:
        entry = per_format.setdefault(str(fmt), {EARLY: 0, LATE: 0, "example": example})
        entry[kind] = count
    table = Table(
        "source format",
        EARLY,
        LATE,
        "e.g. file:record",
        title="Implausible event times (quarantined, not in any timeline)",
    )
    early = late = 0
    for fmt, entry in per_format.items():
        early += entry[EARLY]
        late += entry[LATE]
        table.add_row(text(fmt), f"{entry[EARLY]:,}", f"{entry[LATE]:,}", text(entry["example"]))
    console.print(table)
    console.print(
        f"{early + late:,} events with an implausible time: {early:,} {EARLY} "
        f"(a placeholder, reset clock or relative time), {late:,} {LATE}."
    )
