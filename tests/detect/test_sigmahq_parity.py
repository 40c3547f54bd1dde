"""Sigma parity: SigmaHQ's rules over real-shaped Windows events give the same hits in
farmhunt as in pySigma's SQLite backend (run as Zircolite runs it), event by event.

The events and rules are a shipped sample (tests/detect/sigmahq/README.md says where
each comes from). A rule whose hits differ must be listed in KNOWN_DIFFERENCES with
the reason, and a listed rule must still differ, so the list stays true.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from farmhunt.bench.sigma_peer import Parity, sigma_parity
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.store.workspace import Workspace

SAMPLE = Path(__file__).parent / "sigmahq"

KNOWN_DIFFERENCES: dict[str, str] = {}
"""Rule id → why farmhunt's hits differ from the SQLite backend's (none today)."""


@pytest.fixture(scope="module")
def parity(tmp_path_factory: pytest.TempPathFactory) -> Parity:
    with Workspace(tmp_path_factory.mktemp("parity") / "ws", create=True) as ws:
        results = ingest_paths(ws, [str(SAMPLE / "events.ndjson")])
        assert results and not [r for r in results if getattr(r, "error", None)]
        return sigma_parity(ws, SAMPLE / "rules")


def test_every_shipped_rule_loads_and_converts(parity: Parity) -> None:
    assert parity.ruleset is not None
    files = sorted((SAMPLE / "rules").glob("*.yml"))
    assert len(parity.ruleset.rules) == len(files)
    assert not parity.ruleset.skipped + parity.ruleset.unsupported + parity.ruleset.unreadable
    assert not parity.unconverted
    assert len(parity.farmhunt) == len(files)


def test_every_rule_hits_the_same_events_as_the_sqlite_backend(parity: Parity) -> None:
    differences = parity.differences()
    unexplained = {
        f"{rule} {parity.titles[rule]}: only farmhunt {len(a)}, only SQLite {len(b)}"
        for rule, (a, b) in differences.items()
        if rule not in KNOWN_DIFFERENCES
    }
    assert not unexplained
    assert set(KNOWN_DIFFERENCES) <= set(differences)
    ours, theirs = parity.fired()
    assert ours >= theirs
    assert ours >= 40  # the sample was chosen so that most of its rules fire
