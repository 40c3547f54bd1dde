"""Scoring: findings and shared attributes turned into worker risk and candidate farms.

:mod:`clusters` links workers by what they share (a residential IP, a ship address, a
phone, a payroll account, a KVM serial), each link weighted by how rare the shared value
is in the company; :mod:`risk` combines a worker's findings (capped per rule and per
category, boosted when independent categories agree) and their farm into a 0–100 score
that decomposes into the findings that made it. The model is documented in
docs/scoring.md.
"""
