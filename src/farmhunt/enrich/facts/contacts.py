"""Phone numbers and payroll accounts reduced for comparison, one rule each.

The hiring rules ("one phone number, several hires") and the farm clusterer (workers
linked by what they share) compare the same roster columns; written twice, they
disagreed on ``555-123-4567`` against ``(555) 123 4567`` and on a bank account written
with or without separators. Every rule, score and report asks these functions.
"""

from __future__ import annotations

import re

_NOT_DIGITS = re.compile(r"\D+")
_SEPARATORS = re.compile(r"[\s\-]+")

MIN_PHONE_DIGITS = 7
"""Fewer digits than this are not a number worth comparing (an extension, a typo)."""


def phone_key(e164: str | None, raw: str | None) -> str | None:
    """The number as compared: its E.164 form when the roster (or enrichment) gave one,
    else ``digits:`` and its digits, so punctuation and spacing never split one number."""
    text = (e164 or "").strip()
    if text:
        return text
    digits = _NOT_DIGITS.sub("", raw or "")
    return f"digits:{digits}" if len(digits) >= MIN_PHONE_DIGITS else None


def payroll_key(raw: object) -> str | None:
    """A payroll account as compared: lower case, without spaces and dashes (an IBAN is
    written in groups of four, a routing/account pair with a dash)."""
    if raw is None:
        return None
    text = _SEPARATORS.sub("", str(raw).strip().lower())
    return text or None
