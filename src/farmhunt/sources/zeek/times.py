"""Zeek's ``ts``: epoch seconds, read as such, and only when it is a plausible date.

Zeek writes ``ts`` as epoch seconds (TSV, and JSON by default), as ISO 8601 text
(``JSON::TS_ISO8601``, the json-streaming-logs package) or as integer milliseconds
(``JSON::TS_MILLIS``). The generic epoch reader of :mod:`farmhunt.sources.values`
guesses the unit from the magnitude, which turns a damaged or hostile ``ts`` of year
10000 (2.5e11 seconds) into a 1978 date. Here the unit is never guessed from the size:
a number is seconds, except a JSON *integer* that is a plausible date only when read
as milliseconds (what ``JSON::TS_MILLIS`` writes, and seconds that large are years
past 50000).

A time before 1990 or after tomorrow is not stored: it is a relative time (Zeek reading
a trace with a clock that starts at 0, ``ts`` 12.3 is 12 seconds into the capture), a
log written before Zeek knew the time (``_write_ts`` of 1970), or a broken value.
Storing it as 1970 would put the event outside every time window without a word; the
entry is quarantined instead, with a reason that says which case it looks like, and
``farmhunt stats`` counts the quarantine by reason.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime, timedelta

from farmhunt.sources.base import RecordError
from farmhunt.sources.values import parse_time
from farmhunt.timerange import RELATIVE_TOO_EARLY, RELATIVE_TOO_LATE

EARLIEST = 631_152_000.0
"""1990-01-01T00:00:00Z in epoch seconds: no Zeek log is older (Bro began in 1995)."""

LEEWAY = 86_400.0
"""How far ahead of this machine's clock a time may be (sensor clocks drift, zones)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TOO_EARLY = RELATIVE_TOO_EARLY
TOO_LATE = RELATIVE_TOO_LATE


def latest() -> float:
    """The latest plausible time, in epoch seconds: tomorrow by this machine's clock."""
    return _time.time() + LEEWAY


def plausible(seconds: float) -> bool:
    """Whether epoch ``seconds`` are a date a Zeek sensor can have written."""
    return EARLIEST <= seconds <= latest()


def zeek_time(value: object, field: str = "ts") -> datetime:
    """``ts`` (or ``_write_ts``) as an aware UTC datetime, or RecordError with the reason."""
    if isinstance(value, bool) or value is None or value == "":
        raise RecordError(f"{field} is missing")
    if isinstance(value, int):
        seconds = float(value)
        if not plausible(seconds) and plausible(value / 1000):
            seconds = value / 1000  # JSON::TS_MILLIS
        return _checked(seconds, field)
    if isinstance(value, float):
        return _checked(value, field)
    if isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            pass
        else:
            if text.lower() in ("nan", "inf", "+inf", "-inf", "infinity", "-infinity"):
                raise RecordError(f"{field} {text[:40]!r} is not a timestamp")
            return _checked(seconds, field)
        if len(text) >= 10 and text[4] == "-":  # JSON::TS_ISO8601
            parsed = parse_time(text, field)
            return _checked(parsed.timestamp(), field, parsed)
    raise RecordError(f"{field} {str(value)[:60]!r} is not a timestamp")


def _checked(seconds: float, field: str, parsed: datetime | None = None) -> datetime:
    if seconds != seconds:  # NaN
        raise RecordError(f"{field} is not a number")
    if seconds < EARLIEST:
        raise RecordError(f"{field} is {TOO_EARLY}")
    if seconds > latest():
        raise RecordError(f"{field} is {TOO_LATE}")
    return parsed if parsed is not None else _EPOCH + timedelta(seconds=seconds)
