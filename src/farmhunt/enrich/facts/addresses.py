"""Addresses reduced for comparison: one normaliser for every rule, score and report.

A roster, an inventory and a shipping form write one place many ways (``Street`` or
``St``, ``Apt 4`` or ``#4``, ``Texas`` or ``TX``, with or without the country). Rules
that compare homes, the farm clusterer that links workers by a shared address and the
report that shows it must agree on what "the same place" is, or a rule fires on a
pair the clusterer does not link; so there is one :func:`address_key` and nothing
else normalises an address. Every input is attacker-controlled text: the normaliser
only lowercases, folds accents and maps words, never evaluates anything.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

STREET_WORDS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "avn": "ave",
    "road": "rd",
    "drive": "dr",
    "drv": "dr",
    "lane": "ln",
    "court": "ct",
    "boulevard": "blvd",
    "blv": "blvd",
    "place": "pl",
    "terrace": "ter",
    "highway": "hwy",
    "parkway": "pkwy",
    "pkway": "pkwy",
    "circle": "cir",
    "square": "sq",
    "trail": "trl",
    "crescent": "cres",
    "expressway": "expy",
    "freeway": "fwy",
    "mount": "mt",
    "saint": "st",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}
"""Spelled-out street words and directions to the USPS abbreviation (Publication 28)."""

UNIT_WORDS = frozenset({"apt", "apartment", "unit", "suite", "ste", "flat", "room", "rm"})
"""Words that introduce the unit part of an address (``Apt 4``, ``#4``, ``Suite 4``)."""

US_STATES = {
    "alabama": "al",
    "alaska": "ak",
    "arizona": "az",
    "arkansas": "ar",
    "california": "ca",
    "colorado": "co",
    "connecticut": "ct",
    "delaware": "de",
    "district of columbia": "dc",
    "florida": "fl",
    "georgia": "ga",
    "hawaii": "hi",
    "idaho": "id",
    "illinois": "il",
    "indiana": "in",
    "iowa": "ia",
    "kansas": "ks",
    "kentucky": "ky",
    "louisiana": "la",
    "maine": "me",
    "maryland": "md",
    "massachusetts": "ma",
    "michigan": "mi",
    "minnesota": "mn",
    "mississippi": "ms",
    "missouri": "mo",
    "montana": "mt",
    "nebraska": "ne",
    "nevada": "nv",
    "new hampshire": "nh",
    "new jersey": "nj",
    "new mexico": "nm",
    "new york": "ny",
    "north carolina": "nc",
    "north dakota": "nd",
    "ohio": "oh",
    "oklahoma": "ok",
    "oregon": "or",
    "pennsylvania": "pa",
    "rhode island": "ri",
    "south carolina": "sc",
    "south dakota": "sd",
    "tennessee": "tn",
    "texas": "tx",
    "utah": "ut",
    "vermont": "vt",
    "virginia": "va",
    "washington": "wa",
    "west virginia": "wv",
    "wisconsin": "wi",
    "wyoming": "wy",
}
"""US state names to their postal codes, so ``Phoenix, Arizona`` equals ``Phoenix, AZ``."""

COUNTRY_WORDS = frozenset(
    {
        "us",
        "usa",
        "u s",
        "u s a",
        "united states",
        "united states of america",
        "america",
        "uk",
        "united kingdom",
        "great britain",
        "england",
        "canada",
        "germany",
        "deutschland",
        "poland",
        "india",
        "brazil",
        "mexico",
        "philippines",
        "australia",
        "ukraine",
    }
)
"""Trailing country names dropped before comparing (a roster may or may not write them)."""

_ZIP_PLUS4 = re.compile(r"\b(\d{5})-\d{4}\b")
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_STATES = re.compile(r"\b(" + "|".join(sorted(US_STATES, key=len, reverse=True)) + r")\b")


@dataclass(frozen=True)
class AddressKey:
    """An address reduced for comparison: the building, and the unit within it."""

    building: str
    unit: str = ""

    def __str__(self) -> str:
        return self.building + (f" unit {self.unit}" if self.unit else "")


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def address_key(text: str | None) -> AddressKey | None:
    """Normalise an address so that spellings of one place compare equal.

    Case, accents and punctuation are ignored; street words and directions become
    their USPS abbreviations (Street → st, North → n); US state names become their
    codes; ZIP+4 becomes the ZIP; a trailing country is dropped; the unit
    (``Apt 4``, ``#4``, ``Suite 4``, ``Unit 4``) is kept apart, so that two people
    in one building compare by building. Returns None for an empty address.
    """
    if text is None or not str(text).strip():
        return None
    value = _ZIP_PLUS4.sub(r"\1", _plain(str(text))).replace("#", " unit ")
    parts = [_SPACES.sub(" ", _NON_WORD.sub(" ", p)).strip() for p in value.split(",")]
    parts = [p for p in parts if p]
    if len(parts) > 1:
        last = parts[-1]
        after_postcode = any(ch.isdigit() for ch in parts[-2])
        if last in COUNTRY_WORDS or (len(last) == 2 and last.isalpha() and after_postcode):
            parts = parts[:-1]
    words: list[str] = []
    unit: list[str] = []
    for part in parts:
        tokens = _STATES.sub(lambda m: US_STATES[m.group(1)], part).split()
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token in UNIT_WORDS and index + 1 < len(tokens):
                index += 1  # "Apt #4" reads "apt unit 4": one unit word introduces "4"
                while tokens[index] in UNIT_WORDS and index + 1 < len(tokens):
                    index += 1
                unit.append(tokens[index])
                index += 1
                continue
            words.append(STREET_WORDS.get(token, token))
            index += 1
    if not words:
        return None
    return AddressKey(" ".join(words), " ".join(unit))


def same_place(a: AddressKey | None, b: AddressKey | None) -> bool:
    """Whether two addresses are the same building (units are not compared)."""
    return a is not None and b is not None and a.building == b.building


def address_text(text: str | None) -> str | None:
    """The comparable form of an address as one string (building, then ``unit …``): the
    value the farm clusterer links workers by and the report matches back to a row."""
    key = address_key(text)
    return str(key) if key is not None else None
