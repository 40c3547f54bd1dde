"""Working hours that fit another time zone.

North Korean IT workers keep their own working day (UTC+8 to UTC+10) while claiming a
US home, so their sign-ins, git pushes, drive edits and laptop activity fall in the
claimed zone's night. This analytic takes every timestamp attributed to a worker
(through ``worker_links``), counts the hours in which they were active (an hour of one
day counts once, however many events it holds), and compares the shape with the
roster's time zone:

1. an hour is *outside* when it is not within ``work_start - margin`` to
   ``work_end + margin`` in the roster zone; a day with at least
   ``min_outside_per_day`` outside hours is an *outside day*;
2. the time zone the outside days fit is the UTC offset that puts most of their active
   hours inside an ordinary ``work_start``–``work_end`` working day (ties broken by the
   offset that centres the activity);
3. a worker is reported when outside days are frequent enough (``min_outside_days``,
   ``min_outside_share`` of all active hours), span a real working day
   (``min_outside_hours`` distinct hours of the day), fit the inferred zone well
   (``min_fit``) and that zone is at least ``min_gap_hours`` from the roster's.

Benign look-alikes, and what is done about them:

- **night shift**: a night shift is a working day at the roster zone's night. When at
  least ``night_share`` of all active hours lie in the roster zone's night
  (``night_start``–``night_end``), the profile is a *night profile*: ``profile: night``
  reports it (a weak rule: an analyst confirms the shift with HR), ``profile:
  elsewhere`` does not. The limit: an operator at UTC+8 who claims US Eastern time works
  19:30–07:00 there, nearly a night shift; such a worker may get only the weak finding,
  and the other rules (VPN exits, shared addresses, remote-access tools) must carry it.
- **travel**: a worker abroad keeps the hours of where they are. Days inside an
  ``allow.travel`` entry, and days with a sign-in from a country other than the
  roster's (from a network whose location is the person's, not a VPN exit), are left
  out before the hours are counted.
- **late evenings**: an hour or two of evening work does not span ``min_outside_hours``
  distinct hours, and a few such days do not reach ``min_outside_share``.

The heavy part (attribution, hour buckets, outside days, histograms) runs in the
engine; Python receives at most 24 rows per worker and fits the offset.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir

from farmhunt.detect.analytics import analytic
from farmhunt.detect.analytics.identity import (
    SIGN_IN_IDENTIFIERS,
    Person,
    drop,
    materialize,
    narrow,
    plural,
    roster,
    sign_ins,
    subject_of,
    travel_table,
    with_worker,
)
from farmhunt.detect.context import MAX_UIDS, Context
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.params import params_of

DEFAULT_SOURCES: tuple[dict[str, Any], ...] = (
    {"table": "authentication", "identifiers": list(SIGN_IN_IDENTIFIERS)},
    {"table": "api_activity", "identifiers": ["actor.user.email_addr", "actor.user.name"]},
    {"table": "file_hosting_activity", "identifiers": ["actor.user.email_addr"]},
    {"table": "process_activity", "identifiers": ["device.hostname"]},
)

EXAMPLE_ZONES = (
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Atlantic/South_Georgia",
    "Atlantic/Azores",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Kyiv",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Seoul",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Pacific/Auckland",
    "Pacific/Tongatapu",
    "Pacific/Kiritimati",
)
"""Well-known zones, one per offset, to name an inferred offset in explanations."""


@dataclass(frozen=True)
class Shape:
    """A worker's active hours, and the zone they fit."""

    worker: Person
    roster_offset: float
    active_days: int
    hours: int
    outside_days: int
    outside_hours: int
    roster_local: list[int]
    """Active days per hour of the day, in the roster zone (index 0 = 00:00 local)."""
    outside_utc: list[int]
    """Active days per UTC hour, on outside days only."""
    first: datetime
    last: datetime


def utc_offset_hours(zone: str, when: datetime) -> float | None:
    try:
        offset = ZoneInfo(zone).utcoffset(when)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return offset.total_seconds() / 3600 if offset is not None else None


def offset_text(hours: float) -> str:
    sign = "+" if hours >= 0 else "−"
    whole = int(abs(hours))
    minutes = round((abs(hours) - whole) * 60)
    return f"UTC{sign}{whole}" + (f":{minutes:02d}" if minutes else "")


def zone_like(offset: int, when: datetime) -> str | None:
    for zone in EXAMPLE_ZONES:
        if utc_offset_hours(zone, when) == offset:
            return zone
    return None


def _in_window(hour: float, start: float, end: float) -> bool:
    """Whether ``hour`` (0–24) lies in [start, end), the window may wrap midnight."""
    hour %= 24
    if start <= end:
        return start <= hour < end
    return hour >= start or hour < end


def _activity(ctx: Context, sources: Iterable[dict[str, Any]], rule: Rule) -> list[ir.Table]:
    """(worker_id, time, uid, table) of every attributed event, one relation per source."""
    p = params_of(rule, HoursParams)
    logon_types = list(p.logon_types)
    system_users = list(p.system_users)
    system = "(^|\\\\)(" + "|".join(re.escape(u.lower()) for u in system_users) + ")$"
    parts = []
    for source in sources:
        table = str(source["table"])
        columns = [str(c) for c in source.get("identifiers", [])]
        t = ctx.table(table)
        wanted = ["metadata.uid", "time", *columns]
        if table == "authentication":
            wanted.append("logon_type_id")
        if "process.user.name" in t.columns:
            wanted.append("process.user.name")
        t = narrow(t, wanted)
        if "logon_type_id" in t.columns:
            t = t.filter(t.logon_type_id.isnull() | t.logon_type_id.isin(logon_types))
        if "process.user.name" in t.columns and system_users:
            t = t.filter(~t["process.user.name"].lower().re_search(system).fill_null(False))
        t = with_worker(ctx, t, columns)
        parts.append(
            t.filter(t.worker_id.notnull()).select(
                worker_id=t.worker_id,
                time=t.time,
                uid=t["metadata.uid"],
                table=ibis.literal(table),
            )
        )
    return parts


def _away_days(ctx: Context, rule: Rule, people: dict[str, Person]) -> ir.Table | None:
    """(worker_id, day) a worker was abroad: a sign-in from another country, from a
    network whose location is the person's."""
    skip = list(params_of(rule, HoursParams).away_skip_kinds)
    homes = [{"__hw": p.worker_id, "__hc": p.country} for p in people.values() if p.country]
    if not homes:
        return None
    home = ibis.memtable(homes, schema={"__hw": "string", "__hc": "string"})
    s = sign_ins(ctx)
    s = s.filter(s.worker_id.notnull() & s.country.notnull() & ~s.kind.isin(skip) & ~s.is_proxy)
    s = s.join(home, s.worker_id == home.__hw)
    s = s.filter(s.country != s.__hc)
    return s.select(worker_id=s.worker_id, day=s.time.date()).distinct()


SHAPE_PARAMS = (
    "sources",
    "logon_types",
    "system_users",
    "work_start",
    "work_end",
    "margin_hours",
    "min_outside_per_day",
    "away_skip_kinds",
)
"""The parameters the hours depend on: rules that agree on them share one computation."""


def shapes(ctx: Context, rule: Rule) -> tuple[list[Shape], ir.Table | None]:
    """Every worker's hours, ready to fit; and the events of their outside days (for
    event ids). Rules with the same :data:`SHAPE_PARAMS` share one computation."""
    p = params_of(rule, HoursParams)
    key = "hours:" + json.dumps({k: getattr(p, k) for k in SHAPE_PARAMS}, sort_keys=True)
    if key not in ctx.memo:
        found = _shapes(ctx, rule)
        events = found[1]
        ctx.remember(
            key,
            found,
            users=["foreign_working_hours"],
            release=None if events is None else lambda: drop(ctx, events),
        )
    kept: tuple[list[Shape], ir.Table | None] = ctx.recall(key)
    return kept


def _shapes(ctx: Context, rule: Rule) -> tuple[list[Shape], ir.Table | None]:
    people = roster(ctx)
    sources = params_of(rule, HoursParams).sources
    activity = _activity(ctx, sources, rule)
    if not activity:
        return [], None

    # the roster zone's offset per worker, at the middle of their activity
    spans: dict[str, tuple[datetime, datetime]] = {}
    for part in activity:  # one source at a time: a union of them held memory
        rows = (
            part.group_by("worker_id")
            .aggregate(first=part.time.min(), last=part.time.max())
            .to_pyarrow()
            .to_pylist()
        )
        for row in rows:
            first, last = spans.get(row["worker_id"], (row["first"], row["last"]))
            spans[row["worker_id"]] = (min(first, row["first"]), max(last, row["last"]))
    offsets: dict[str, float] = {}
    for worker_id, (first, last) in spans.items():
        person = people.get(worker_id)
        if person is None or not person.timezone:
            continue
        middle = first + (last - first) / 2
        offset = utc_offset_hours(person.timezone, middle)
        if offset is not None:
            offsets[worker_id] = offset
    if not offsets:
        return [], None
    zone = ibis.memtable(
        [{"__zw": w, "__zm": round(o * 60)} for w, o in offsets.items()],
        schema={"__zw": "string", "__zm": "int64"},
    )

    travel = travel_table(ctx, people)
    away_days = _away_days(ctx, rule, people)
    away = None if away_days is None else materialize(ctx, [away_days])

    def local(part: ir.Table) -> ir.Table:
        """One source's events off known trips and away days, with their hours."""
        a = part.mutate(day=part.time.date())
        if travel is not None:
            tr = travel.select(__tw=travel.worker_id, __ts=travel.start, __te=travel.end)
            a = a.anti_join(tr, [a.worker_id == tr.__tw, a.day >= tr.__ts, a.day <= tr.__te])
        if away is not None:
            aw = away.select(__aw=away.worker_id, __ad=away.day)
            a = a.anti_join(aw, [a.worker_id == aw.__aw, a.day == aw.__ad])
        a = a.join(zone, a.worker_id == zone.__zw)
        a = a.mutate(utc_hour=a.time.hour())
        minutes = a.utc_hour.cast("int64") * 60 + a.__zm
        return a.mutate(local_hour=(((minutes % 1440) + 1440) % 1440) // 60)

    # every event of every source, read several times: stored once, one source at a time
    a = materialize(ctx, [local(part) for part in activity])
    try:
        return _fit(ctx, rule, people, offsets, a)
    finally:
        drop(ctx, a)
        if away is not None:
            drop(ctx, away)


def _fit(
    ctx: Context,
    rule: Rule,
    people: dict[str, Person],
    offsets: dict[str, float],
    a: ir.Table,
) -> tuple[list[Shape], ir.Table]:
    """The hours of every worker from their events ``a`` (with day, UTC and local hour),
    and their outside days' events (a table of their own: ``a`` is dropped after)."""
    p = params_of(rule, HoursParams)
    work_start = p.work_start
    work_end = p.work_end
    margin = p.margin_hours
    per_day = p.min_outside_per_day
    buckets = a.group_by(["worker_id", "day", "utc_hour", "local_hour"]).aggregate(
        first=a.time.min(), last=a.time.max()
    )
    lo, hi = work_start - margin, work_end + margin
    inside = _window_expr(buckets.local_hour, lo, hi)
    buckets = buckets.mutate(outside=~inside)
    days = buckets.group_by(["worker_id", "day"]).aggregate(
        n_out=buckets.outside.cast("int64").sum()
    )
    days = days.mutate(outside_day=days.n_out >= per_day)
    marks = days.select(__dw=days.worker_id, __dd=days.day, outside_day=days.outside_day)
    buckets = buckets.join(
        marks, [buckets.worker_id == marks.__dw, buckets.day == marks.__dd]
    ).drop("__dw", "__dd")
    summary = (
        buckets.group_by("worker_id")
        .aggregate(
            active_days=buckets.day.nunique(),
            hours=buckets.count(),
            outside_days=buckets.day.nunique(where=buckets.outside_day),
            outside_hours=buckets.outside.cast("int64").sum(),
            first=buckets.first.min(),
            last=buckets.last.max(),
        )
        .to_pyarrow()
        .to_pylist()
    )
    local = (
        buckets.group_by(["worker_id", "local_hour"])
        .aggregate(n=buckets.count())
        .to_pyarrow()
        .to_pylist()
    )
    outside = buckets.filter(buckets.outside_day)
    utc = (
        outside.group_by(["worker_id", "utc_hour"])
        .aggregate(n=outside.count())
        .to_pyarrow()
        .to_pylist()
    )
    local_of: dict[str, list[int]] = defaultdict(lambda: [0] * 24)
    for row in local:
        local_of[row["worker_id"]][int(row["local_hour"])] = int(row["n"])
    utc_of: dict[str, list[int]] = defaultdict(lambda: [0] * 24)
    for row in utc:
        utc_of[row["worker_id"]][int(row["utc_hour"])] = int(row["n"])
    out = []
    for row in summary:
        worker = row["worker_id"]
        out.append(
            Shape(
                worker=people[worker],
                roster_offset=offsets[worker],
                active_days=int(row["active_days"]),
                hours=int(row["hours"]),
                outside_days=int(row["outside_days"]),
                outside_hours=int(row["outside_hours"]),
                roster_local=list(local_of[worker]),
                outside_utc=list(utc_of[worker]),
                first=row["first"],
                last=row["last"],
            )
        )
    flagged_days = buckets.filter(buckets.outside_day).select("worker_id", "day").distinct()
    fd = flagged_days.select(__fw=flagged_days.worker_id, __fd=flagged_days.day)
    events = a.join(fd, [a.worker_id == fd.__fw, a.day == fd.__fd])
    return out, materialize(ctx, [events.select("worker_id", "time", "uid", "table")])


def _window_expr(hour: ir.IntegerValue, start: float, end: float) -> ir.BooleanValue:
    start %= 24
    end %= 24
    if start <= end:
        return (hour >= start) & (hour < end)
    return (hour >= start) | (hour < end)


@dataclass(frozen=True)
class Fit:
    offset: int
    fit: float
    """Share of the outside days' active hours inside the working day at ``offset``."""
    gap: float
    """Hours between the fitted offset and the roster zone's, on the clock (0–12)."""
    outside_share: float
    night_share: float
    roster_day_share: float


def fit_offset(shape: Shape, rule: Rule) -> Fit | None:
    p = params_of(rule, HoursParams)
    work_start = p.work_start
    work_end = p.work_end
    night_start = p.night_start
    night_end = p.night_end
    total_out = sum(shape.outside_utc)
    if total_out == 0 or shape.hours == 0:
        return None
    # the activity's circular centre in UTC, to break ties between equal fits
    angle_x = sum(n * math.cos(2 * math.pi * h / 24) for h, n in enumerate(shape.outside_utc))
    angle_y = sum(n * math.sin(2 * math.pi * h / 24) for h, n in enumerate(shape.outside_utc))
    centre_utc = (math.atan2(angle_y, angle_x) * 24 / (2 * math.pi)) % 24
    middle = (work_start + work_end) / 2
    best: tuple[float, float, int] | None = None
    for offset in range(-11, 15):
        inside = sum(
            n
            for h, n in enumerate(shape.outside_utc)
            if _in_window(h + 0.5 + offset, work_start, work_end)
        )
        share = inside / total_out
        off_centre = abs(((centre_utc + offset - middle) + 12) % 24 - 12)
        key = (round(share, 2), -off_centre, offset)
        if best is None or key > best:
            best = key
    assert best is not None
    offset = best[2]
    inside = sum(
        n
        for h, n in enumerate(shape.outside_utc)
        if _in_window(h + 0.5 + offset, work_start, work_end)
    )
    gap = abs(((offset - shape.roster_offset) + 12) % 24 - 12)
    night = sum(
        n for h, n in enumerate(shape.roster_local) if _in_window(h + 0.5, night_start, night_end)
    )
    day = sum(
        n for h, n in enumerate(shape.roster_local) if _in_window(h + 0.5, work_start, work_end)
    )
    return Fit(
        offset=offset,
        fit=inside / total_out,
        gap=gap,
        outside_share=shape.outside_hours / shape.hours,
        night_share=night / shape.hours,
        roster_day_share=day / shape.hours,
    )


def _hours_text(counts: list[int], threshold: int) -> str:
    """Runs of active hours of the day, as '19–06'."""
    active = [n >= threshold for n in counts]
    if not any(active):
        return "none"
    if all(active):
        return "all day"
    start = next(i for i in range(24) if active[i] and not active[i - 1])
    runs = []
    i = start
    for _ in range(24):
        if active[i % 24] and not active[(i - 1) % 24]:
            run_start = i % 24
        if active[i % 24] and not active[(i + 1) % 24]:
            runs.append(f"{run_start:02d}–{(i + 1) % 24:02d}")
        i += 1
    return ", ".join(runs)


@dataclass(frozen=True)
class HoursParams:
    profile: Literal["elsewhere", "night"] = "elsewhere"
    """``elsewhere``: hours that fit another time zone; ``night``: a night shift at home."""
    sources: tuple[dict[str, Any], ...] = DEFAULT_SOURCES
    """Activity read: each ``{table:, identifiers: [columns naming the person]}``."""
    logon_types: tuple[int, ...] = (2, 7, 10, 11)
    """Windows logon types that are a person at the keyboard (interactive, unlock, RDP)."""
    system_users: tuple[str, ...] = ("system", "local service", "network service")
    """Service accounts whose activity is not a person's."""
    work_start: float = 8.0
    """Start of the working day, local hour."""
    work_end: float = 19.0
    """End of the working day, local hour."""
    margin_hours: float = 1.0
    """Hours either side of the working day that still count as inside it."""
    min_outside_per_day: int = 2
    """Hours outside the working day that make a day an outside day."""
    min_active_days: int = 5
    """Active days a worker needs before their hours are judged."""
    min_active_hours: int = 20
    """Active hours a worker needs before their hours are judged."""
    min_outside_days: int = 3
    """Outside days a worker needs."""
    min_outside_share: float = 0.3
    """Share of active hours outside the working day a worker needs."""
    min_outside_hours: int = 5
    """Active hours outside the working day a worker needs."""
    min_fit: float = 0.7
    """Share of active hours the fitted zone's working day must hold."""
    min_gap_hours: float = 5.0
    """Hours between the fitted zone and the roster's zone."""
    night_start: float = 21.0
    """Start of the night, local hour (``profile: night``)."""
    night_end: float = 7.0
    """End of the night, local hour (``profile: night``)."""
    night_share: float = 0.9
    """Share of active hours at night that is a night shift (``profile: night``)."""
    away_skip_kinds: tuple[str, ...] = ("vpn", "hosting", "cloud", "corporate", "venue")
    """ip_info kinds whose sign-ins do not show a worker abroad."""


@analytic("foreign_working_hours", params=HoursParams)
def foreign_working_hours(ctx: Context, rule: Rule) -> list[Finding]:
    """Workers whose active hours fit a time zone far from the roster's (see module)."""
    p = params_of(rule, HoursParams)
    profile = p.profile
    min_days = p.min_active_days
    min_hours = p.min_active_hours
    min_outside_days = p.min_outside_days
    min_outside_share = p.min_outside_share
    min_outside_hours = p.min_outside_hours
    min_fit = p.min_fit
    min_gap = p.min_gap_hours
    night_share = p.night_share

    found, events = shapes(ctx, rule)
    chosen: list[tuple[Shape, Fit]] = []
    for shape in found:
        if shape.active_days < min_days or shape.hours < min_hours:
            continue
        if shape.outside_days < min_outside_days:
            continue
        distinct_outside = sum(
            1
            for h, n in enumerate(shape.outside_utc)
            if n >= 2 and not _in_window(h + 0.5 + shape.roster_offset, 7, 20)
        )
        if distinct_outside < min_outside_hours:
            continue
        fit = fit_offset(shape, rule)
        if fit is None or fit.outside_share < min_outside_share or fit.fit < min_fit:
            continue
        if fit.gap < min_gap:
            continue
        night = fit.night_share >= night_share
        if (profile == "night") != night:
            continue
        chosen.append((shape, fit))
    if not chosen or events is None:
        return []
    wanted = sorted(s.worker.worker_id for s, _ in chosen)
    sub = events.filter(events.worker_id.isin(wanted))
    ranked = sub.mutate(
        __rn=ibis.row_number().over(group_by=sub.worker_id, order_by=[sub.time, sub.uid, sub.table])
    )
    # ordered by the rank too: the engine returns a worker's rows in any order
    rows = (
        ranked.filter(ranked.__rn < MAX_UIDS)
        .select("worker_id", "uid", "table", "__rn")
        .order_by(["worker_id", "__rn"])
        .to_pyarrow()
        .to_pylist()
    )
    uids: dict[str, list[str]] = defaultdict(list)
    tables: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["uid"]:
            uids[row["worker_id"]].append(row["uid"])
        tables[row["worker_id"]].add(row["table"])
    findings = []
    for shape, fit in chosen:
        person = shape.worker
        subject, subject_type = subject_of(person, person.worker_id)
        middle = shape.first + (shape.last - shape.first) / 2
        like = zone_like(fit.offset, middle)
        zone = person.timezone or "?"
        hours_local = _hours_text(shape.roster_local, max(2, shape.active_days // 4))
        start, end = int(p.work_start), int(p.work_end)
        if profile == "night":
            explanation = (
                f"{subject} is active at night in the roster's zone {zone} "
                f"({offset_text(shape.roster_offset)}): {round(100 * fit.night_share)}% of "
                f"{plural(shape.hours, 'active hour')} on {plural(shape.active_days, 'day')} fall "
                f"between {int(p.night_start):02d}:00 and "
                f"{int(p.night_end):02d}:00 local (active {hours_local}). "
                f"That is a night shift, or a working day at {offset_text(fit.offset)}"
                + (f" ({like}-like)" if like else "")
                + ": confirm the shift with HR."
            )
        else:
            explanation = (
                f"{subject}'s activity fits {offset_text(fit.offset)}"
                + (f" ({like}-like)" if like else "")
                + f", roster says {zone} ({offset_text(shape.roster_offset)}): on "
                f"{shape.outside_days} of {plural(shape.active_days, 'active day')}, "
                f"{round(100 * fit.fit)}% of the active hours fall in a "
                f"{start:02d}:00–{end:02d}:00 day at {offset_text(fit.offset)}; "
                f"{round(100 * fit.outside_share)}% of all "
                f"{plural(shape.hours, 'active hour')} are outside the roster zone's working day "
                f"(active {hours_local} local)."
            )
        findings.append(
            Finding(
                rule=rule,
                subject=subject,
                subject_type=subject_type,
                first_seen=shape.first,
                last_seen=shape.last,
                event_count=shape.outside_hours,
                event_uids=uids.get(person.worker_id, []),
                explanation=explanation,
                evidence={
                    "roster_timezone": person.timezone,
                    "roster_offset_hours": shape.roster_offset,
                    "fitted_offset_hours": fit.offset,
                    "fitted_zone_like": like,
                    "gap_hours": round(fit.gap, 1),
                    "fit": round(fit.fit, 3),
                    "active_days": shape.active_days,
                    "active_hours": shape.hours,
                    "outside_days": shape.outside_days,
                    "outside_share": round(fit.outside_share, 3),
                    "night_share": round(fit.night_share, 3),
                    "roster_day_share": round(fit.roster_day_share, 3),
                    "active_days_per_local_hour": shape.roster_local,
                    "roster_row": person.row_uid,
                },
                worker_id=person.worker_id,
                tables=sorted(tables.get(person.worker_id, set()) | {"workers"}),
            )
        )
    return findings
