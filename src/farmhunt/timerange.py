"""Which event times are plausible: one definition for ingest and every later stage.

Logs carry placeholder and corrupted times: ``0001-01-01`` (a .NET ``DateTime`` left at
its default), ``9999-12-31`` ("never expires"), a clock reset to 1970 or 1980, a year
mistyped as 2205. Such a time is not when anything happened; stored as an event time it
ranks first or last in every timeline, and near the ends of the calendar a time-zone
conversion overflows (one event at 0001-01-01 crashed every report). Ingest therefore
quarantines a record whose event time is outside this range, with a reason `stats`
counts, and the report reads a stored time outside it (a workspace made before this
check) as no time at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from farmhunt.schema import TABLES

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
"""No telemetry farmhunt reads predates this: earlier times are clock resets or
placeholders."""

AHEAD = timedelta(days=1)
"""How far past this machine's clock an event may be (clock skew between hosts)."""

TOO_EARLY = "event time before 1990: a placeholder or reset clock, not when it happened"
TOO_LATE = "event time more than a day in the future: a placeholder or wrong clock"

RELATIVE_TOO_EARLY = "before 1990: a relative time (seconds since the capture began) or unset clock"
"""A Zeek ``ts`` (or ``_write_ts``) before 1990; the reason reads ``<field> is <this>``."""
RELATIVE_TOO_LATE = "after tomorrow: not epoch seconds (Zeek writes ts in seconds)"
"""A Zeek ``ts`` past tomorrow; the reason reads ``<field> is <this>``."""

EARLY = "before 1990"
LATE = "after tomorrow"


def latest(now: datetime | None = None) -> datetime:
    """The latest plausible event time: a day after ``now`` (default: the clock)."""
    return (now or datetime.now(UTC)) + AHEAD


def plausible(when: datetime, upto: datetime | None = None) -> bool:
    """Whether ``when`` can be the time of an event (a naive time is read as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return EARLIEST <= when <= (upto or latest())


def implausible_reason(rows: list[tuple[str, dict[str, Any]]], upto: datetime) -> str | None:
    """Why a record's rows cannot be stored as events (None when they can): the first
    event row whose ``time`` is outside the plausible range names it.

    Only event tables are checked: the ``time`` of an HR roster or inventory row is the
    date its export declares itself "as of", chosen by whoever made it, not an observed
    event."""
    for table, row in rows:
        if table not in TABLES:
            continue
        when = row.get("time")
        if isinstance(when, datetime) and when.tzinfo is not None:
            if when < EARLIEST:
                return TOO_EARLY
            if when > upto:
                return TOO_LATE
    return None


def implausible_time_sql() -> tuple[str, list[str]]:
    """How ``stats`` finds the quarantine rows refused for an implausible time: a SQL
    expression on ``reason`` that is :data:`EARLY`, :data:`LATE` or NULL, and its
    parameters in order.

    The reasons are matched whole (ingest's) or by their fixed ending (Zeek's, which
    name the field first), never by a word inside them: a reason can quote a value from
    the log, and a log line must not be able to count itself here."""
    side = (
        "CASE WHEN reason = ? OR suffix(reason, ?) THEN ? "
        "WHEN reason = ? OR suffix(reason, ?) THEN ? END"
    )
    params = [TOO_EARLY, f" is {RELATIVE_TOO_EARLY}", EARLY]
    params += [TOO_LATE, f" is {RELATIVE_TOO_LATE}", LATE]
    return side, params
