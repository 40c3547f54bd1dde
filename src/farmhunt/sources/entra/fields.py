"""Reading Entra sign-in records whatever the export spelled or nested them.

The same sign-in arrives as Microsoft Graph ``signIn`` JSON (camelCase), inside an Azure
Monitor diagnostic record's ``properties`` (camelCase, a few values of other types), or
as a Log Analytics row (PascalCase columns such as ``IPAddress``/``LocationDetails``,
nested objects sometimes serialized as JSON text). :class:`View` looks names up
case-insensitively, parses JSON text where an object is expected, and remembers which
source paths were mapped so everything else can be kept in ``unmapped``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from farmhunt.sources.base import RecordError
from farmhunt.sources.values import parse_time

STRUCTURED = frozenset(
    {
        "properties",
        "location",
        "locationdetails",
        "devicedetail",
        "status",
        "mfadetail",
        "networklocationdetails",
        "authenticationdetails",
        "authenticationprocessingdetails",
        "authenticationrequirementpolicies",
        "appliedconditionalaccesspolicies",
        "conditionalaccesspolicies",
        "riskeventtypes",
        "riskeventtypes_v2",
        "signineventtypes",
        "authenticationmethodsused",
        "sessionlifetimepolicies",
        "privatelinkdetails",
        "initiatedby",
        "targetresources",
        "additionaldetails",
    }
)
"""Keys whose value is an object or list, even when an export wrote it as JSON text."""


def decode_structured(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` with JSON-text values of :data:`STRUCTURED` keys parsed."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if (
            isinstance(value, str)
            and key.lower() in STRUCTURED
            and value.lstrip()[:1] in ("{", "[")
        ):
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError:
                parsed = value
            value = parsed if isinstance(parsed, (dict, list)) else value
        out[key] = value
    return out


class View:
    """Case-insensitive access to one JSON object, recording the paths it hands out."""

    def __init__(self, data: dict[str, Any], consumed: set[str], path: str = "") -> None:
        self.data = decode_structured(data)
        self.path = path
        self.consumed = consumed
        self._keys = {k.lower(): k for k in self.data}

    def has(self, name: str) -> bool:
        return name.lower() in self._keys

    def get(self, *names: str, consume: bool = True) -> Any:
        """The first of ``names`` present with a value (not None or ""), or None."""
        for name in names:
            key = self._keys.get(name.lower())
            if key is None:
                continue
            value = self.data[key]
            if value is None or value == "":
                continue
            if consume:
                self.consumed.add(self.path + key)
            return value
        return None

    def child(self, *names: str) -> View:
        """The nested object under the first of ``names`` that holds one (else empty)."""
        for name in names:
            key = self._keys.get(name.lower())
            if key is not None and isinstance(self.data[key], dict):
                return View(self.data[key], self.consumed, f"{self.path}{key}.")
        return View({}, self.consumed)

    def consume(self, *names: str) -> None:
        for name in names:
            key = self._keys.get(name.lower())
            if key is not None:
                self.consumed.add(self.path + key)


def leftovers(value: dict[str, Any], consumed: set[str], prefix: str = "") -> dict[str, Any]:
    """Fields not mapped to a column, flattened to dotted paths; empty values dropped."""
    out: dict[str, Any] = {}
    for key, inner in value.items():
        path = f"{prefix}{key}"
        if path in consumed:
            continue
        if isinstance(inner, dict) and inner:
            out.update(leftovers(inner, consumed, path + "."))
        elif inner not in (None, "", [], {}):
            out[path] = inner
    return out


_US_TIME = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?"
    r"(?:\s*([AaPp][Mm]))?(?:\s*([+-])(\d{2}):?(\d{2}))?"
)


def entra_time(value: Any, field: str) -> datetime:
    """A timestamp as Entra exports write it: ISO 8601 (7 fractional digits, offsets)
    or the US ``M/D/YYYY h:mm:ss AM`` form some Event Hub and storage exports use."""
    if isinstance(value, str):
        match = _US_TIME.fullmatch(value.strip())
        if match:
            return _us_time(match, value, field)
    return parse_time(value, field)


def _us_time(match: re.Match[str], value: str, field: str) -> datetime:
    month, day, year, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    micros = int((match.group(7) or "0")[:6].ljust(6, "0"))
    meridiem = (match.group(8) or "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            raise RecordError(f"{field} {value[:60]!r} is not a timestamp")
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    tz: timezone = UTC
    if match.group(9):
        sign = -1 if match.group(9) == "-" else 1
        offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        tz = timezone(sign * offset)
    try:
        parsed = datetime(year, month, day, hour, minute, second, micros, tzinfo=tz)
    except ValueError:
        raise RecordError(f"{field} {value[:60]!r} is not a timestamp") from None
    return parsed.astimezone(UTC)
