"""Fewer garbage collections while parsing.

A parser buffers a chunk of row dicts (25,000 by default) before writing them, and
CPython's cyclic collector, started every 700 new container objects, walks those live
rows again and again, though parsing makes no reference cycles for it to reclaim: the
Zeek logs spent a measurable share of their CPU in collections that freed nothing
(docs/performance.md). Raising the thresholds keeps the collector for the cycles that do
occur but runs it about seventy times less often; the memory it could hold back is a
few young objects, not the rows, which are freed by reference counting.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (50_000, 100, 100)
"""gc thresholds while parsing: (young objects, young passes per middle, middle per old)."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with :data:`THRESHOLDS`, restoring the caller's afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
