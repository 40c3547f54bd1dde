"""Turning source values into store values, strictly and in one place.

Sources write timestamps a dozen ways (RFC 3339 with any precision, epoch seconds,
milliseconds, microseconds or nanoseconds, Windows ``SystemTime`` with 7 fractional
digits, osquery's ``calendarTime``); these helpers accept them all and raise
:class:`RecordError` with a clear reason when a value is not what it claims, so the
record is quarantined instead of stored wrong.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from farmhunt.sources.base import RecordError
from farmhunt.timerange import EARLIEST, latest

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FRACTION = re.compile(r"\.(\d+)")
_CALENDAR = "%a %b %d %H:%M:%S %Y UTC"
_SEPARATOR = re.compile(r"[\\/]")
_COMPACT_DATE = re.compile(r"((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")


def parse_time(value: Any, field: str = "time") -> datetime:
    """Parse a timestamp into an aware UTC datetime, or raise RecordError."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool) or value is None or value == "":
        raise RecordError(f"{field} is missing")
    if isinstance(value, (int, float)):
        return from_epoch(value, field)
    if isinstance(value, str):
        text = value.strip()
        if len(text) >= 10 and text[4] == "-":
            # RFC 3339 / ISO 8601 as most sources write it: one C call, no regexes
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                pass
            else:
                return (
                    parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
                )
        compact = _COMPACT_DATE.fullmatch(text)
        if compact:
            # YYYYMMDD (Windows InstallDate, HR exports), not 1970 epoch seconds.
            year, month, day = (int(g) for g in compact.groups())
            try:
                return datetime(year, month, day, tzinfo=UTC)
            except ValueError:
                raise RecordError(f"{field} {text!r} is not a date") from None
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return from_epoch(float(text) if "." in text else int(text), field)
        try:
            return _parse_iso(text)
        except ValueError:
            pass
        try:
            return datetime.strptime(text, _CALENDAR).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise RecordError(f"{field} {str(value)[:60]!r} is not a timestamp")


def _parse_iso(text: str) -> datetime:
    cleaned = text.replace(" UTC", "Z")
    if cleaned.endswith(("z", "Z")):
        cleaned = cleaned[:-1] + "+00:00"
    match = _FRACTION.search(cleaned)
    if match and len(match.group(1)) > 6:
        cleaned = cleaned[: match.start(1)] + match.group(1)[:6] + cleaned[match.end(1) :]
    parsed = datetime.fromisoformat(cleaned)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_UNITS = (1, 1_000, 1_000_000, 1_000_000_000)
"""Seconds, milliseconds, microseconds, nanoseconds: divisors to seconds."""


def from_epoch(value: float, field: str = "time") -> datetime:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, as the one unit in which
    the number is a plausible event time (:mod:`farmhunt.timerange`), else RecordError.

    The plausible ranges of the four units do not overlap (1990 to tomorrow is 6.3e8 to
    1.8e9 seconds, the others a thousand times apart), so at most one unit fits and
    nothing is guessed. A number that fits none (``9999-12-31`` in milliseconds, 2.5e14,
    was read as microseconds and stored as 1978) is refused with its value, never read
    in another unit.
    """
    number = float(value)
    upto = latest().timestamp()
    low = EARLIEST.timestamp()
    if number == number:  # not NaN
        for divisor in _UNITS:
            if low <= number / divisor <= upto:
                if isinstance(value, int):  # exact: a float has no room for nanoseconds
                    return _EPOCH + timedelta(microseconds=value * 1_000_000 // divisor)
                return _EPOCH + timedelta(seconds=number / divisor)
    raise RecordError(
        f"{field} {str(value)[:40]} is a number, not a plausible epoch time (in seconds, "
        "milliseconds, microseconds or nanoseconds it is never between 1990 and tomorrow)"
    )


def opt_time(value: Any, field: str = "time") -> datetime | None:
    """Like :func:`parse_time` but None (not an error) for empty or zero values."""
    if value in (None, "", 0, "0"):
        return None
    return parse_time(value, field)


def opt_int(value: Any, field: str = "value") -> int | None:
    """An integer from int or numeric text; None when empty; RecordError when not a number."""
    if value is None or value == "" or value == "-":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    text = str(value).strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(float(text))
    except ValueError:
        raise RecordError(f"{field} {text[:40]!r} is not a number") from None


def opt_float(value: Any, field: str = "value") -> float | None:
    if value is None or value == "" or value == "-":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RecordError(f"{field} {str(value)[:40]!r} is not a number") from None


def opt_str(value: Any) -> str | None:
    """Text, with empty strings and placeholders ('-', '(null)') as None."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if text in ("", "-", "(null)", "null"):
        return None
    return text


def opt_ip(value: Any, field: str = "ip") -> str | None:
    """An IP address as text, or None when empty; RecordError for anything else.

    A number (``12345``), a list (``[1, 2]``) or a name stored as an address would
    be counted, compared and classified as one by every later stage: only text that
    parses as IPv4 or IPv6 (an IPv6 zone suffix and brackets allowed) is an address.
    """
    if value is None or value == "" or value == "-":
        return None
    if not isinstance(value, str):
        kind = (
            "a list"
            if isinstance(value, list)
            else "an object"
            if isinstance(value, dict)
            else "a number"
        )
        shown = str(value)[:40]
        raise RecordError(f"{field} {shown} is {kind}, not an IP address")
    text = value.strip()
    try:
        ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        raise RecordError(f"{field} {text[:40]!r} is not an IP address") from None
    return text


def opt_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "t", "y"):
        return True
    if text in ("0", "false", "no", "f", "n"):
        return False
    return None


def dig(record: Any, path: str) -> Any:
    """Follow a dotted path through nested dicts; None where it does not exist."""
    current = record
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def basename(path: str | None) -> str | None:
    """File name of a Windows or POSIX path."""
    if not path:
        return None
    return _SEPARATOR.split(path.rstrip("\\/"))[-1] or None
