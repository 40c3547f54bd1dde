"""Validating roster and inventory cells: dates, email addresses, time zones, phones.

A value that claims to be a date, an email or a time zone and is not one sends its row
to quarantine with the reason (:class:`RecordError`), so a typo in HR data is seen and
fixed rather than silently stored. Phone numbers are kept as given; their E.164 form is
added when the ``phonenumbers`` package can parse them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from farmhunt.sources.base import RecordError

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}

_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?")
_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?: .*)?")
_DAY_MONTH = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[-, ]+(\d{4})")
_MONTH_DAY = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})")


def parse_date(text: str, field: str, order: str = "MDY") -> datetime:
    """A calendar date as 00:00 UTC, from the spellings HR exports use.

    ISO (``2024-03-18``, with or without a time), ``18-Mar-2024``, ``Mar 18, 2024`` and
    numeric dates: ``18.03.2024`` is day-first; with ``/`` or ``-`` a part above 12
    decides, and ``order`` (``MDY`` by default, as US exports write) settles the rest.
    """
    value = text.strip()
    parts: tuple[int, int, int] | None = None
    if m := _ISO.fullmatch(value):
        parts = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _NUMERIC.fullmatch(value):
        first, sep, second, year_text = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        year = int(year_text) if len(year_text) == 4 else _century(int(year_text))
        day_first = sep == "." or first > 12 or (second <= 12 and order == "DMY")
        parts = (year, second, first) if day_first else (year, first, second)
    elif m := _DAY_MONTH.fullmatch(value):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            parts = int(m.group(3)), month, int(m.group(1))
    elif m := _MONTH_DAY.fullmatch(value):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            parts = int(m.group(3)), month, int(m.group(2))
    if parts is None:
        raise RecordError(f"{field} {value[:40]!r} is not a date")
    try:
        day = date(*parts)
    except ValueError:
        raise RecordError(f"{field} {value[:40]!r} is not a date") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _century(two_digits: int) -> int:
    return 2000 + two_digits if two_digits < 70 else 1900 + two_digits


_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_EMAIL = re.compile(rf"[^@\s<>()\[\],;:\"]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")


def check_email(text: str, field: str) -> str:
    """The address, stripped, or RecordError when it is not ``local@domain.tld``."""
    value = text.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise RecordError(f"{field} {value[:60]!r} is not an email address")
    return value


@cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def check_timezone(text: str, field: str = "timezone") -> str:
    """The IANA zone name (canonical case), or RecordError (``EST5`` is not one)."""
    value = text.strip()
    zones = _zones()
    if zones:
        found = zones.get(value.lower())
        if found is None:
            raise RecordError(f"{field} {value[:40]!r} is not an IANA zone")
        return found
    try:  # no zone list on this system (no tzdata): ask zoneinfo directly
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecordError(f"{field} {value[:40]!r} is not an IANA zone") from None
    return value


def e164(text: str, region: str | None) -> str | None:
    """The E.164 form (``+15125550142``) of a possible number, else None.

    ``region`` (ISO alpha-2) is assumed for numbers written without ``+``. None when
    the optional ``phonenumbers`` package is missing or the number is not valid.
    """
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover - phonenumbers is a dependency
        return None
    cleaned = text.strip().lstrip("'")
    try:
        number = phonenumbers.parse(cleaned, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(country: str | None) -> str | None:
    """A two-letter region for phone parsing from a work country, when it is one."""
    if country and len(country.strip()) == 2 and country.strip().isalpha():
        return country.strip().upper()
    return None
