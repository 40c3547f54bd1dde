"""Roster phone numbers: line types, invalid input never raises, VoIP prefix lists."""

from __future__ import annotations

import pytest

from farmhunt.enrich.indicators import PrefixSet
from farmhunt.enrich.phone import PhoneInfo, classify_phone


def test_us_numbers_carry_no_voip_information() -> None:
    info = classify_phone("+1 (415) 555-0134", "US")
    assert info.line_type == "fixed_line_or_mobile"
    assert info.valid and not info.is_voip
    assert info.e164 == "+14155550134"
    assert info.region == "US"
    assert "no VoIP information" in info.reason


def test_uk_56_numbers_are_voip() -> None:
    info = classify_phone("+44 56 1234 5678", "US")
    assert (info.line_type, info.is_voip, info.region) == ("voip", True, "GB")
    assert info.e164 == "+445612345678"


@pytest.mark.parametrize(
    ("raw", "region", "line_type", "e164", "found"),
    [
        ("(415) 555-0134", "US", "fixed_line_or_mobile", "+14155550134", "US"),
        ("020 7946 0958", "GB", "fixed_line", "+442079460958", "GB"),
        ("0044 20 7946 0958", "GB", "fixed_line", "+442079460958", "GB"),
        ("+1 800 555 0199", None, "toll_free", "+18005550199", "US"),
        ("+49 30 123456", "US", "fixed_line", "+4930123456", "DE"),
        ("+44 7400 123456", "US", "mobile", "+447400123456", "GB"),
        ("+1 (415) 555-0134 ext. 12", "US", "fixed_line_or_mobile", "+14155550134", "US"),
    ],
)
def test_line_types(raw: str, region: str | None, line_type: str, e164: str, found: str) -> None:
    info = classify_phone(raw, region)
    assert (info.line_type, info.e164, info.region, info.valid) == (line_type, e164, found, True)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "empty"),
        ("", "empty"),
        ("   ", "empty"),
        ("hello", "not a phone number"),
        ("N/A", "not a phone number"),
        ("555-0134", "no country code and no region to assume"),
        ("+" + "9" * 300, "too long"),
        ("\x1b[31m+1 415\x00", "cannot be read"),
    ],
)
def test_unreadable_numbers_are_invalid_never_an_exception(raw: str | None, reason: str) -> None:
    info = classify_phone(raw, None)
    assert info.line_type == "invalid"
    assert not info.valid and not info.is_voip and info.e164 is None
    assert reason in info.reason


def test_a_number_that_parses_but_does_not_exist_is_not_valid() -> None:
    info = classify_phone("+91 20 7063318", "IN")
    assert info.e164 == "+91207063318"
    assert not info.valid
    assert info.line_type == "unknown"
    assert "not a valid IN number" in info.reason


def test_unknown_default_region_is_ignored_not_fatal() -> None:
    assert classify_phone("+1 415 555 0134", "ZZ").valid
    assert classify_phone("415 555 0134", "ZZ").line_type == "invalid"


def test_listed_voip_prefixes_mark_a_number_voip_with_the_list_line() -> None:
    prefixes = PrefixSet([("1415555", "intel/voip_prefixes.txt:4")])
    info = classify_phone("+1 (415) 555-0134", "US", prefixes)
    assert info.is_voip
    assert info.line_type == "fixed_line_or_mobile"  # what libphonenumber says stays
    assert "in listed VoIP block +1415555 (intel/voip_prefixes.txt:4)" in info.reason
    other = classify_phone("+1 (212) 555-0134", "US", prefixes)
    assert not other.is_voip


def test_as_row_has_the_fields() -> None:
    row = classify_phone("+44 56 1234 5678").as_row()
    assert set(row) == {f for f in PhoneInfo.__dataclass_fields__}
