"""The wording every configuration and rule-file error shares, in one place: the "did you
mean" hint, and the plain words for the kind of value that was given.

A misspelt key (``max_kmhh``) that is silently ignored leaves a default in force that the
author did not choose; naming the closest known key turns that into a one-line fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name most like ``name``, or None when none is close enough."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def kind_of(value: object, *, shown: bool = False) -> str:
    """What a wrong value is, in plain words ("a list", "nothing"); with ``shown``, a
    scalar's type comes with the value itself (``int 3``)."""
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}" if shown else type(value).__name__
