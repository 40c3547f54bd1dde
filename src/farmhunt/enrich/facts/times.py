"""Times as findings show them, one helper per idea.

Analytics wrote ``iso`` and ``span`` several times with different signatures (one took
two times, one a list, one a duration); each idea now has one name here:
:func:`iso` (a value for evidence JSON), :func:`bounds` (earliest and latest of some
times), :func:`span` and :func:`day_span` (a period in a sentence), :func:`window_text`
(a window such as ``24h``) and :func:`data_date` (an export's own date, else None).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any


def iso(value: Any) -> Any:
    """A date or time as ISO 8601 text for evidence; any other value unchanged."""
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def bounds(values: Iterable[datetime | None]) -> tuple[datetime | None, datetime | None]:
    """The earliest and latest of the times given (None for none)."""
    present = [v for v in values if v is not None]
    return (min(present), max(present)) if present else (None, None)


def span(first: datetime | None, last: datetime | None) -> str:
    """A period to the minute: ``2025-01-02 09:00 to 2025-01-03 17:30 UTC``."""
    if first is None:
        return ""
    if last is None or last == first:
        return f"{first:%Y-%m-%d %H:%M} UTC"
    return f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"


def day_span(first: datetime, last: datetime) -> str:
    """A period as short as it reads: times within one day (``2025-01-02 09:00–09:40
    UTC``), dates across days (``2025-01-02 to 2025-01-05``)."""
    if first.date() == last.date():
        return f"{first:%Y-%m-%d %H:%M}" + (f"–{last:%H:%M}" if last != first else "") + " UTC"
    return f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"


def window_text(window: timedelta) -> str:
    """A window in its largest whole unit: ``1d``, ``6h``, ``15m``, ``90s``."""
    seconds = int(window.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def data_date(value: datetime | None) -> datetime | None:
    """A roster or inventory row's ``time`` when it is a date from the export, else None.

    The HR parser stores an export's snapshot date (a date: 00:00 UTC) as ``time``; an
    export without one is stamped with the clock of the import instead, which says
    nothing about the worker and would make every re-scan's findings end "today". Only
    a time at midnight UTC is taken as the export's own date.
    """
    if value is None:
        return None
    utc = value if value.tzinfo is None else value.astimezone(UTC)
    if (utc.hour, utc.minute, utc.second, utc.microsecond) != (0, 0, 0, 0):
        return None
    return value
