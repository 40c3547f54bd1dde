"""What a roster phone number is: valid or not, its E.164 form, region and line type.

Fraudulent hires often give VoIP numbers (Google Voice, TextNow …) or share one number
between several identities. The line type comes from Google's libphonenumber metadata
(the ``phonenumbers`` package): VoIP, mobile, fixed line, toll-free … For the United
States and Canada that metadata cannot tell VoIP from other numbers (a number there is
``fixed_line_or_mobile``), so number blocks the analyst knows to be VoIP are given in
``voip_prefixes.txt`` (see :mod:`farmhunt.enrich.indicators`) and mark the number VoIP
with the list line as the reason. A number that cannot be read is kind ``invalid`` with
the reason, never an exception.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from farmhunt.enrich.indicators import PrefixSet

LINE_TYPES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}
"""libphonenumber's line types as farmhunt names them; plus ``invalid`` (unreadable)."""

_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "no country code and no region to assume",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}

MAX_INPUT = 250
"""Longer inputs are not phone numbers (libphonenumber refuses them too)."""


@dataclass(frozen=True, slots=True)
class PhoneInfo:
    """What is known about one phone number as the roster gives it."""

    raw: str
    e164: str | None
    region: str | None
    line_type: str
    valid: bool
    is_voip: bool
    reason: str

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def classify_phone(
    raw: str | None,
    default_region: str | None = "US",
    voip_prefixes: PrefixSet | None = None,
) -> PhoneInfo:
    """Read ``raw`` (international form, or national in ``default_region``)."""
    text = "" if raw is None else str(raw)
    region = default_region.upper() if default_region else None
    if region not in phonenumbers.SUPPORTED_REGIONS:
        region = None
    if not text.strip():
        return PhoneInfo(text, None, None, "invalid", False, False, "empty")
    if len(text) > MAX_INPUT:
        return PhoneInfo(text, None, None, "invalid", False, False, "too long to be a number")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        why = _PARSE_ERRORS.get(exc.error_type, str(exc))
        return PhoneInfo(text, None, None, "invalid", False, False, f"cannot be read: {why}")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    found_region = phonenumbers.region_code_for_number(number)
    valid = phonenumbers.is_valid_number(number)
    line_type = LINE_TYPES.get(phonenumbers.number_type(number), "unknown") if valid else "unknown"
    where = found_region or f"+{number.country_code}"
    reasons = []
    if valid:
        reasons.append(f"valid {where} number, line type {line_type} (libphonenumber)")
    elif phonenumbers.is_possible_number(number):
        reasons.append(f"not a valid {where} number (no such number range)")
    else:
        reasons.append(f"not a valid {where} number (wrong length)")
    is_voip = line_type == "voip"
    listed = voip_prefixes.lookup(e164) if voip_prefixes is not None else None
    if listed is not None:
        is_voip = True
        reasons.append(f"in listed VoIP block {listed[0]} ({listed[1]})")
    elif not is_voip and valid and number.country_code == 1:
        reasons.append("US/Canada numbers carry no VoIP information")
    return PhoneInfo(text, e164, found_region, line_type, valid, is_voip, "; ".join(reasons))
