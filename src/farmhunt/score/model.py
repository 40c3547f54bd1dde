"""The scoring model's parameters, in one place (documented in docs/scoring.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

LINK_WEIGHTS = {
    "payroll_account": 1.0,
    "phone": 0.9,
    "ship_address": 0.9,
    "kvm_serial": 0.8,
    "residential_ip": 0.7,
    "remote_tool_id": 0.9,
    "wifi_bssid": 0.8,
    "gateway_mac": 0.8,
    "wifi_ssid": 0.2,
    "household": 0.15,
}
"""Base weight of sharing one value of each kind, before rarity weighting."""


@dataclass(frozen=True)
class ScoringModel:
    rule_cap: float = 40.0
    """Most points one rule can add, however many events or subjects it found."""
    category_cap: float = 60.0
    """Most points one category (endpoint, network, identity …) can add."""
    agreement_floor: float = 10.0
    """Points a category needs to count as agreeing evidence."""
    agreement_bonus: float = 0.25
    """Each further agreeing category multiplies the evidence by 1 + this."""
    scale: float = 60.0
    """score = 100 × (1 − exp(−raw / scale)): the raw points that give a score of 63."""
    high: float = 60.0
    medium: float = 30.0
    cluster_points: float = 30.0
    """Points for membership in a strong candidate farm (scaled by its strength)."""
    link_weights: dict[str, float] = field(default_factory=lambda: dict(LINK_WEIGHTS))
    min_link: float = 0.5
    """Weakest link (after rarity weighting) that joins two workers into one cluster."""
    farm_strength: float = 1.0
    """Strength (sum of non-household links) at which a cluster earns its full points."""
