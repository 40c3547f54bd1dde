"""When each worker is active: events per hour of the day, in UTC and in the claimed zone.

A worker's activity is every event that names them as a person (sign-ins, SaaS actions,
processes run as their account), put on the worker by ``worker_links`` through the one
definition of which column holds which identity
(:func:`farmhunt.enrich.identity.event_identifiers_sql`). The store counts them per worker
and hour in one aggregate query; only those counts reach Python, where each hour is put
in the worker's roster time zone (daylight saving included).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow as pa

from farmhunt.enrich.identity import PERSON_TYPES, event_identifiers_sql
from farmhunt.timerange import latest, plausible

WORK_DAY = (9, 17)
"""The claimed working day, local hours [start, end): 09:00 to 17:00."""


@dataclass
class Activity:
    timezone: str | None
    utc: list[int] = field(default_factory=lambda: [0] * 24)
    local: list[int] | None = None
    events: int = 0
    work_hours_local: list[int] = field(default_factory=list)
    work_hours_utc: list[int] = field(default_factory=list)
    off_hours_share: float | None = None
    """Share of the events outside the claimed working day (local time)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "events": self.events,
            "utc": self.utc,
            "local": self.local,
            "work_day": {"start": WORK_DAY[0], "end": WORK_DAY[1]},
            "work_hours_local": self.work_hours_local,
            "work_hours_utc": self.work_hours_utc,
            "off_hours_share": self.off_hours_share,
        }


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def hourly_counts(
    con: duckdb.DuckDBPyConnection, workers: list[str]
) -> dict[str, list[tuple[datetime, int]]]:
    """worker → [(hour, events)], for the given workers' person identifiers."""
    if not workers:
        return {}
    con.register("__report_workers", pa.table({"worker_id": sorted(set(workers))}))
    types = ", ".join(f"'{t}'" for t in PERSON_TYPES)
    try:
        rows = con.execute(
            f"""
            WITH ev AS ({event_identifiers_sql()})
            SELECT l.worker_id, date_trunc('hour', ev.time) AS hour,
                   count(DISTINCT ev.event_uid) AS events
            FROM ev JOIN worker_links l
              ON l.identifier_type = ev.identifier_type AND l.identifier = ev.identifier
            WHERE ev.identifier_type IN ({types}) AND ev.time IS NOT NULL
              AND l.worker_id IN (SELECT worker_id FROM __report_workers)
            GROUP BY 1, 2
            """
        ).fetchall()
    except duckdb.Error:
        return {}
    finally:
        con.unregister("__report_workers")
    out: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for worker, hour, events in rows:
        out[worker].append((hour, int(events)))
    return out


def activity(
    hours: list[tuple[datetime, int]], timezone: str | None, fallback: datetime
) -> Activity:
    """The hour-of-day histograms of one worker, with the claimed working day (its UTC
    hours are those of the middle of the worker's activity, else of ``fallback``)."""
    zone = _zone(timezone)
    result = Activity(timezone=timezone if zone else None)
    # A stored time outside the plausible range (a workspace made before ingest
    # quarantined them) is no working hour, and near the calendar's ends a zone
    # conversion overflows.
    upto = latest()
    hours = [(hour, events) for hour, events in hours if plausible(hour, upto)]
    local = [0] * 24
    for hour, events in hours:
        at = hour.astimezone(UTC)
        result.utc[at.hour] += events
        result.events += events
        if zone is not None:
            local[at.astimezone(zone).hour] += events
    if zone is None:
        return result
    result.local = local
    result.work_hours_local = list(range(*WORK_DAY))
    reference = _middle(hours, fallback)
    result.work_hours_utc = sorted(
        {
            datetime.combine(reference.date(), datetime.min.time(), zone)
            .replace(hour=h)
            .astimezone(UTC)
            .hour
            for h in range(*WORK_DAY)
        }
    )
    if result.events:
        inside = sum(local[h] for h in range(*WORK_DAY))
        result.off_hours_share = round(1 - inside / result.events, 3)
    return result


def _middle(hours: list[tuple[datetime, int]], fallback: datetime) -> datetime:
    if not hours:
        return fallback
    times = sorted(h for h, _ in hours)
    first, last = times[0], times[-1]
    return first + timedelta(seconds=(last - first).total_seconds() / 2)
