"""The "did you mean" hint of every configuration and rule-file error, in one place.

A misspelt key (``max_kmhh``) that is silently ignored leaves a default in force that the
author did not choose; naming the closest known key turns that into a one-line fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name most like ``name``, or None when none is close enough."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None
