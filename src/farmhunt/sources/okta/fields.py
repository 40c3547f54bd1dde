"""Okta LogEvent field names, whatever case an export wrote them in, and its time.

Okta's API writes camelCase (``eventType``, ``actor.alternateId``), but data-lake and
SIEM exports (Athena/Glue tables, Snowflake, some Splunk add-ons) lower-case every
key (``eventtype``, ``actor.alternateid``), and some flatten nested objects to dotted
keys. Matching names case-sensitively read such exports as "not Okta" or lost their
fields; :func:`canonical_event` gives them Okta's own spelling once, before anything
reads them. The names are Okta's LogEvent object model
(developer.okta.com/docs/reference/api/system-log/#logevent-object).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from farmhunt.sources.base import RecordError
from farmhunt.sources.values import parse_time

_OBJECTS = {
    "LogEvent": "eventType legacyEventType displayMessage published uuid version severity "
    "actor client device authenticationContext securityContext outcome target transaction "
    "debugContext request",
    "Actor, Target": "id type alternateId displayName detailEntry signOnModeType",
    "Client, UserAgent, GeographicalContext": "userAgent rawUserAgent os browser zone "
    "ipAddress geographicalContext city state country postalCode geolocation lat lon",
    "Device": "os_platform os_version managed registered device_integrator "
    "disk_encryption_type screen_lock_type secure_hardware_present name",
    "AuthenticationContext": "authenticationProvider credentialProvider credentialType "
    "issuer interface authenticationStep rootSessionId externalSessionId",
    "SecurityContext, Outcome, Transaction, Request": "asNumber asOrg isp domain isProxy "
    "result reason detail debugData ipChain ip source",
    "debugData keys": "url requestUri threatSuspected risk behaviors logOnlySecurityData "
    "requestId dtHash deviceFingerprint policyType threatDetections",
}
"""Okta's spelling of the keys of each LogEvent object (space-separated)."""

OKTA_NAMES = tuple(name for names in _OBJECTS.values() for name in names.split())
_CANONICAL = {name.lower(): name for name in OKTA_NAMES}


def canonical_event(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` with Okta's spelling of every known key (unknown keys kept as written)
    and dotted keys (``actor.alternateid``) nested; the same object when already so."""
    if not any("." in key or _CANONICAL.get(key.lower(), key) != key for key in value):
        return value  # the API's own spelling, or an envelope: nothing to do (no copy)
    canonical: dict[str, Any] = _canonical(value)
    return canonical


def _canonical(value: Any) -> Any:
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, inner in value.items():
        parts = [_CANONICAL.get(part.lower(), part) for part in str(key).split(".")]
        target = out
        for part in parts[:-1]:
            nested = target.get(part)
            if not isinstance(nested, dict):
                nested = target[part] = {}
            target = nested
        target[parts[-1]] = _canonical(inner)
    return out


_NUMBER = re.compile(r"\s*-?\d+(\.\d+)?\s*")
_FIRST_OKTA_YEAR = datetime(2009, 1, 1, tzinfo=UTC)
"""Okta was founded in 2009: no System Log event is older."""


def published_time(value: Any) -> datetime:
    """``published`` as a time; a number only when it is a plausible epoch time.

    Okta writes ISO 8601 text. A lake export may turn it into epoch seconds or
    milliseconds, which are read as such (by magnitude) when the result falls between
    2009 and tomorrow; any other number (``1``, a row id) is not a time, and reading it
    as one stored the event in 1970 without a word: the record is quarantined instead.
    """
    time = parse_time(value, "published")
    numeric = isinstance(value, (int, float)) or (
        isinstance(value, str) and _NUMBER.fullmatch(value) is not None
    )
    if numeric and not _FIRST_OKTA_YEAR <= time <= datetime.now(UTC) + timedelta(days=1):
        raise RecordError(
            f"published {str(value)[:30]!r} is a number, not a plausible epoch time "
            f"(it would read as {time:%Y-%m-%d})"
        )
    return time
