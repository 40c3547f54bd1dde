"""Parsing runs with fewer collections, and the caller's settings come back."""

from __future__ import annotations

import gc

import pytest

from farmhunt.ingest.collector import THRESHOLDS, fewer_collections


def test_thresholds_raised_inside_and_restored_after_an_error() -> None:
    before = gc.get_threshold()
    assert before != THRESHOLDS
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold() == THRESHOLDS
        raise RuntimeError("a parser failed")
    assert gc.get_threshold() == before
