"""Evaluation: the whole pipeline against the simulator's ground truth.

``farmhunt evaluate`` simulates companies over several seeds and intensities, runs
ingest → detect → score on each, and measures worker-level precision, recall and
PR-AUC, how many farms were found whole, and whether every fraudulent worker ranks above
every benign look-alike (docs/evaluation.md).
"""
