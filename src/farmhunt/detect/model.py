"""Rules and findings as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

RuleKind = Literal["match", "correlation", "analytic"]
Category = Literal["endpoint", "network", "identity", "saas", "hiring", "exfiltration"]
CATEGORIES: tuple[str, ...] = ("endpoint", "network", "identity", "saas", "hiring", "exfiltration")
SEVERITIES: tuple[str, ...] = ("informational", "low", "medium", "high", "critical")

FBI_GUIDANCE: dict[str, str] = {
    "least_privilege": "Enforce least privilege and limit who may install remote-desktop tools.",
    "remote_access": "Monitor for remote-access software, protocols and unusual network traffic.",
    "exfiltration": (
        "Monitor network, browser and SaaS logs for exfiltration to shared drives, cloud "
        "accounts and private code repositories."
    ),
    "concurrent_calls": (
        "Monitor endpoints for software that allows many concurrent audio/video calls."
    ),
    "identity_verification": (
        "Verify identities and hiring records: VoIP numbers, reused photos, phones and bank "
        "accounts across hires, laptops shipped to an address that is not the worker's home."
    ),
    "network_origin": (
        "Check where workers connect from: VPNs and hosting exits, locations inconsistent "
        "with the worker's claimed home, working hours of another time zone."
    ),
}
"""The FBI's guidance to employers on North Korean IT workers, one key per item."""


@dataclass(frozen=True)
class RuleTest:
    """An inline test: events per table, and whether the rule must fire on them."""

    expect: bool
    tables: dict[str, list[dict[str, Any]]]
    subject: str | None = None
    """When set, a positive test also requires a finding about this subject."""
    name: str = ""
    indicators: dict[str, list[str]] = field(default_factory=dict)
    """Indicator lists the test runs with (``domains``, ``tools``, ``anydesk_ids`` …), as
    if read from the analyst's files."""


@dataclass(frozen=True)
class Rule:
    """A loaded rule of any kind, with the metadata every finding carries."""

    id: str
    kind: RuleKind
    title: str
    description: str
    severity: str
    weight: float
    category: str
    fbi_guidance: str
    attack: tuple[str, ...]
    """ATT&CK technique ids; empty only when ``attack_none`` says why none fits."""
    false_positives: tuple[str, ...]
    triage: str
    source: str
    """File (and line) the rule came from."""
    table: str | None = None
    """The table a match rule reads."""
    sigma: Any = field(default=None, repr=False, compare=False)
    """The parsed pySigma rule or correlation rule."""
    analytic: str | None = None
    """Registered analytic name, for analytic rules."""
    params: dict[str, Any] = field(default_factory=dict)
    """Parameters for analytics (thresholds …), as written in the rule file."""
    typed_params: Any = field(default=None, init=False, repr=False, compare=False)
    """An analytic rule's ``params`` read into its analytic's parameter class at load
    (:func:`farmhunt.detect.analytics.with_params`). Not an ``__init__`` argument, so a copy
    with other ``params`` (``dataclasses.replace``) reads its own."""
    subject: tuple[str, ...] = ()
    """Columns naming who a finding is about, first non-null wins (default per table)."""
    tests: tuple[RuleTest, ...] = field(default=(), repr=False)
    name: str = ""
    """Sigma ``name`` a correlation can reference (defaults to the id)."""
    enabled: bool = True
    attack_none: str = ""
    """Why no ATT&CK technique fits (a rule file's ``attack: none`` with
    ``attack_none_reason``); empty when ``attack`` names techniques."""


@dataclass
class Finding:
    """One rule firing about one subject, with the events behind it."""

    rule: Rule
    subject: str
    subject_type: str
    first_seen: Any
    last_seen: Any
    event_count: int
    event_uids: list[str]
    explanation: str
    evidence: dict[str, Any] = field(default_factory=dict)
    device: str | None = None
    worker_id: str | None = None
    tables: list[str] = field(default_factory=list)
