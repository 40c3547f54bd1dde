"""One Windows event, whatever file it came from, and the helpers that read its values.

Every Windows format farmhunt reads (EVTX, the ``evtx`` tool's JSON, Winlogbeat /
Elastic Agent, NXLog, PowerShell ``Get-WinEvent``) is first turned into a
:class:`WinEvent`: the System fields every event has, plus its EventData or UserData
fields by name. The channel mappings (:mod:`.sysmon`, :mod:`.security`, :mod:`.rdp`,
:mod:`.devices`) only ever see a ``WinEvent``, so each mapping is written once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from farmhunt.sources.base import RecordError
from farmhunt.sources.values import opt_int, parse_time

_GUID = re.compile(
    r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?"
)


@dataclass(slots=True)
class WinEvent:
    """The parts of a Windows event the mappings use; ``data`` holds the event's fields."""

    event_id: int
    time: datetime
    original_time: str | None
    channel: str | None
    provider: str | None
    computer: str | None
    data: dict[str, Any] = field(default_factory=dict)
    record_id: int | None = None
    user_sid: str | None = None
    activity_id: str | None = None
    process_id: int | None = None
    message: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Source details kept in ``unmapped`` (e.g. a naive-time warning)."""

    def get(self, name: str) -> Any:
        """An event field, with Windows' placeholders for "nothing" read as None."""
        return blank_to_none(self.data.get(name))


def blank_to_none(value: Any) -> Any:
    """None for the values Windows writes when a field is empty: '-', '', '%%1793'
    (``<value not set>``) and the NULL SID ``S-1-0-0`` of failed logons."""
    if isinstance(value, str):
        stripped = value.strip()
        if len(stripped) <= BLANK_MAX and stripped in BLANKS:
            return None
    return value


BLANKS = frozenset({"", "-", "%%1793", "(null)", "NULL", "S-1-0-0"})
"""The texts :func:`blank_to_none` reads as None (after trimming). The test runs for
nearly every field of every event: a length check first spares hashing long values."""
BLANK_MAX = max(len(text) for text in BLANKS)


def norm_guid(value: Any) -> str | None:
    """A GUID as Windows renders it in event XML: braces, lower case.

    The EVTX reader prints GUIDs upper case without braces, Winlogbeat lower case with
    them; one form makes Sysmon ProcessGuid values join across formats.
    """
    if type(value) is str and len(value) == 38 and _CANONICAL_GUID.fullmatch(value):
        return value  # already in that form (Winlogbeat, NXLog): one C call
    return _norm_guid(value)


_CANONICAL_GUID = re.compile(
    r"\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}", re.ASCII
)


def _norm_guid(value: Any) -> str | None:
    value = blank_to_none(value)
    if value is None:
        return None
    text = str(value).strip()
    match = _GUID.fullmatch(text)
    return "{" + match.group(1).lower() + "}" if match else text


_EVTX_GUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def windows_guid_text(value: Any) -> Any:
    """The evtx library prints GUID-typed values as ``7A1C2F0E-…`` (upper case, no
    braces); Windows, Winlogbeat and NXLog print ``{7a1c2f0e-…}``. Other values pass."""
    if isinstance(value, str) and _EVTX_GUID.match(value):
        return "{" + value.lower() + "}"
    return value


def logon_id(value: Any) -> str | None:
    """A logon id (LUID) as Windows prints it, ``0x2f4a1c9``: PowerShell exports give
    the number in decimal, the other formats in hex; one form joins them."""
    if type(value) is str:
        return _cached_logon_id(value)
    return _logon_id(value)


def _logon_id(value: Any) -> str | None:
    value = blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return hex(value)
    text = str(value).strip()
    if text.isdigit():
        return hex(int(text))
    if text.lower().startswith("0x"):
        try:
            return hex(int(text, 16))
        except ValueError:
            return text
    return text


def event_id_of(value: Any) -> int:
    """The EventID from an int, text, or an ``{"#text": …}`` / ``{"Value": …}`` object."""
    value = text_of(value)
    if value is None or value == "":
        raise RecordError("event has no EventID")
    try:
        number = opt_int(value, "EventID")
    except RecordError:
        number = None
    if number is None or not 0 <= number <= 0xFFFF:
        raise RecordError(f"EventID {str(value)[:20]!r} is not an event id")
    return number


def text_of(value: Any) -> Any:
    """The text content of a JSON-rendered XML element (``#text`` or ``Value`` key)."""
    if isinstance(value, dict):
        for key in ("#text", "Value", "value"):
            if key in value:
                return value[key]
        return None
    return value


def event_time(value: Any, field: str = "TimeCreated") -> tuple[datetime, str | None]:
    """The event time (UTC) and its original text; RecordError when missing or bad."""
    original = None if value is None else str(value)
    return parse_time(value, field), original


def fast_time(value: Any, field: str) -> datetime:
    """:func:`parse_time`, answering the RFC 3339 text most exports write in one C call.

    Text without surrounding blanks that ``fromisoformat`` reads gives what
    :func:`parse_time` gives (it strips, then makes the same call); anything else goes
    through :func:`parse_time`, errors included.
    """
    if (
        type(value) is str
        and len(value) >= 10
        and value[4] == "-"
        and not value[0].isspace()
        and not value[-1].isspace()
    ):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parse_time(value, field)


def split_account(value: Any) -> tuple[str | None, str | None]:
    """``DOMAIN\\user`` as (user, domain); a bare name has no domain."""
    if type(value) is str:
        return _cached_account(value)
    return _split_account(value)


def _split_account(value: Any) -> tuple[str | None, str | None]:
    value = blank_to_none(value)
    if value is None:
        return None, None
    text = str(value)
    if "\\" in text:
        domain, _, user = text.partition("\\")
        return user or None, domain or None
    return text, None


# The same logon ids and accounts recur in event after event (a user's name in each
# of their launches, a session's logon id in each of its processes):
# the text forms, pure functions of the text, are computed once per distinct value.
_CACHE_SIZE = 16384
_cached_logon_id = lru_cache(maxsize=_CACHE_SIZE)(_logon_id)
_cached_account = lru_cache(maxsize=_CACHE_SIZE)(_split_account)
