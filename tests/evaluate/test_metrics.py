"""Evaluation metrics against hand-computed values."""

from __future__ import annotations

import math

from farmhunt.evaluate.metrics import average_precision, farms_found_whole, precision_recall


def test_average_precision_matches_hand_computation() -> None:
    # ranking: P N P N  → precision at positives 1/1 and 2/3 → AP = (1 + 2/3) / 2
    assert math.isclose(
        average_precision([0.9, 0.8, 0.7, 0.1], [True, False, True, False]), (1 + 2 / 3) / 2
    )
    assert average_precision([0.9, 0.8], [True, True]) == 1.0
    assert average_precision([0.1, 0.9], [True, False]) == 0.5
    assert average_precision([0.5, 0.5], [False, False]) == 0.0


def test_ties_share_their_groups_precision() -> None:
    # all tied: precision of the whole group (1/2) for the single positive
    assert average_precision([0.5, 0.5], [True, False]) == 0.5


def test_precision_recall_and_farms_found_whole() -> None:
    assert precision_recall({"a", "b"}, {"a", "c"}) == (0.5, 0.5)
    assert precision_recall(set(), {"a"}) == (1.0, 0.0)
    farms = [{"a", "b", "c"}, {"d", "e"}]
    assert farms_found_whole([{"a", "b", "c", "x"}, {"d"}], farms) == 1
    assert farms_found_whole([{"a", "b", "c", "x", "y"}], farms) == 0
