"""Ranking metrics against ground truth (no dependency beyond the standard library)."""

from __future__ import annotations

from collections.abc import Sequence


def average_precision(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the precision-recall curve as average precision: the mean of the
    precision at each positive, ranking by score (ties share their group's precision)."""
    positives = sum(labels)
    if positives == 0:
        return 0.0
    pairs = sorted(zip(scores, labels, strict=True), key=lambda p: -p[0])
    total, seen, hits = 0.0, 0, 0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        group_hits = sum(1 for _, label in pairs[i:j] if label)
        seen += j - i
        hits += group_hits
        total += group_hits * (hits / seen)
        i = j
    return total / positives


def precision_recall(flagged: set[str], truth: set[str]) -> tuple[float, float]:
    true_positives = len(flagged & truth)
    precision = true_positives / len(flagged) if flagged else 1.0
    recall = true_positives / len(truth) if truth else 1.0
    return precision, recall


def farms_found_whole(clusters: Sequence[set[str]], farms: Sequence[set[str]]) -> int:
    """Farms whose members all sit in one candidate farm that holds no honest worker
    beyond one (a flatmate of the facilitator may share the address)."""
    found = 0
    for farm in farms:
        for cluster in clusters:
            if farm <= cluster and len(cluster - farm) <= 1:
                found += 1
                break
    return found
