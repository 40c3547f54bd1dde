"""End to end: a simulated blatant company through ingest, identity resolution,
enrichment and detection; the identity and network rules find the injected workers
(by worker id, against truth.json) and leave the benign look-alikes at most weak
findings."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from farmhunt.detect.model import Finding
from farmhunt.detect.run import detect_workspace
from farmhunt.enrich.build import enrich_workspace
from farmhunt.enrich.identity import resolve
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.settings import load_settings
from farmhunt.simulate.config import INTENSITIES, SimConfig
from farmhunt.simulate.run import simulate
from farmhunt.store.workspace import Workspace

SEED = int(os.environ.get("FARMHUNT_E2E_SEED", "11"))
AREA = ("identity", "network")
WEAK = 15
"""Rules at or below this weight are the weak ones a benign look-alike may get."""


class Scan:
    def __init__(self, findings: list[Finding], truth: dict[str, Any]) -> None:
        self.findings = [f for f in findings if f.rule.category in AREA]
        self.truth = truth
        self.workers: dict[str, dict[str, Any]] = truth["workers"]

    def found(self, rule_id: str) -> set[str]:
        return {f.worker_id for f in self.findings if f.rule.id == rule_id and f.worker_id}

    def of(self, rule_id: str) -> list[Finding]:
        return [f for f in self.findings if f.rule.id == rule_id]

    def with_behaviour(self, behaviour: str) -> set[str]:
        return {w for w, t in self.workers.items() if behaviour in t["behaviours"]}

    def with_trait(self, trait: str) -> set[str]:
        return {w for w, t in self.workers.items() if trait in t["benign_traits"]}

    @property
    def fraudulent(self) -> set[str]:
        return {w for w, t in self.workers.items() if t["fraudulent"]}

    @property
    def honest(self) -> set[str]:
        return set(self.workers) - self.fraudulent

    def weights(self) -> dict[str, float]:
        """Per worker, the sum of each rule's weight once (how scoring counts a rule)."""
        rules: dict[str, dict[str, float]] = defaultdict(dict)
        for f in self.findings:
            if f.worker_id:
                rules[f.worker_id][f.rule.id] = f.rule.weight
        return {w: sum(r.values()) for w, r in rules.items()}


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    out: Path = tmp_path_factory.mktemp("identity-network")
    config = SimConfig(
        workers=30, days=10, seed=SEED, intensity=INTENSITIES["blatant"], scenario="blatant"
    )
    simulate(config, out)
    ws = Workspace(out / "ws", create=True)
    ingest_paths(ws, [str(out / "telemetry")])
    resolve(ws)
    settings = load_settings(out / "farmhunt.yaml")
    enrich_workspace(ws, settings)
    result = detect_workspace(ws, settings=settings)
    return Scan(result.findings, json.loads((out / "truth.json").read_text()))


def test_vpn_exits_find_every_impostor_and_only_them(scan: Scan) -> None:
    found = scan.found("identity.sign_ins_mostly_via_vpn")
    assert found == scan.with_behaviour("vpn_sign_ins")
    # the consumer-VPN users get the weak profile, not the strong one
    assert scan.with_trait("consumer_vpn") <= scan.found("identity.occasional_vpn_sign_ins")


def test_sign_ins_from_the_operators_networks(scan: Scan) -> None:
    slipped = scan.with_behaviour("operator_network_sign_in")
    assert slipped and scan.found("identity.sign_in_from_operator_country") == slipped
    for finding in scan.of("identity.sign_in_from_operator_country"):
        countries = {c["country"] for c in finding.evidence["countries"]}
        assert countries <= {"CN", "RU", "KP"} and finding.event_uids


def test_working_hours_of_the_operators_zone(scan: Scan) -> None:
    found = scan.found("identity.working_hours_of_another_timezone")
    assert found == scan.with_behaviour("operator_hours")
    for finding in scan.of("identity.working_hours_of_another_timezone"):
        # UTC+8 to UTC+10 per truth; the fit may land an hour early or late
        assert 7 <= finding.evidence["fitted_offset_hours"] <= 11
        assert "roster says America/" in finding.explanation


def test_the_night_shift_is_only_a_weak_night_profile(scan: Scan) -> None:
    night = scan.with_trait("night_shift")
    assert night and night <= scan.found("identity.night_time_activity")
    assert not night & scan.found("identity.working_hours_of_another_timezone")
    assert not scan.found("identity.night_time_activity") & scan.fraudulent - night


def test_farms_share_a_residential_address(scan: Scan) -> None:
    farms = scan.truth["farms"]
    members = {m for farm in farms.values() for m in farm["members"]}
    assert scan.found("network.shared_residential_ip") == members
    for finding in scan.of("network.shared_residential_ip"):
        farm = scan.workers[finding.worker_id or ""]["farm"]
        shared = finding.evidence["shared_ips"][0]
        assert shared["ip"] == farms[farm]["public_ip"]
        others = {o["worker_id"] for o in shared["others"]}
        assert others <= set(farms[farm]["members"]) - {finding.worker_id}
        assert len(others) >= 2


def test_a_couple_at_one_address_stays_weak(scan: Scan) -> None:
    couple = scan.with_trait("shared_home")
    assert couple and couple <= scan.found("network.residential_ip_shared_by_two_households")
    assert not couple & scan.found("network.shared_residential_ip")
    for finding in scan.of("network.residential_ip_shared_by_two_households"):
        if finding.worker_id in couple:
            assert "same home address" in finding.explanation


def test_two_places_at_once(scan: Scan) -> None:
    returning = scan.found("identity.account_shared_across_countries")
    assert returning and returning <= scan.with_behaviour("operator_network_sign_in")
    assert scan.found("identity.impossible_travel") <= scan.fraudulent


def test_remote_access_infrastructure_on_the_network(scan: Scan) -> None:
    tools = scan.with_behaviour("remote_access_tool")
    attributed = scan.found("network.remote_access_infrastructure")
    assert attributed and attributed <= tools
    # the approved support tool (TeamViewer, IT staff) is not reported
    assert not attributed & scan.with_trait("it_support")
    assert all(
        "TeamViewer" not in f.explanation for f in scan.of("network.remote_access_infrastructure")
    )
    # the VPN concentrator's view: findings about pool addresses, not guesses at workers
    pool = [f for f in scan.of("network.remote_access_infrastructure") if f.subject_type == "ip"]
    assert all(f.worker_id is None and "VPN's session log" in f.explanation for f in pool)


def test_benign_look_alikes_get_at_most_weak_findings(scan: Scan) -> None:
    for finding in scan.findings:
        if finding.worker_id in scan.honest:
            traits = scan.workers[finding.worker_id]["benign_traits"]
            assert finding.rule.weight <= WEAK, (finding.rule.id, finding.worker_id, traits)
    weights = scan.weights()
    assert max((weights.get(w, 0) for w in scan.honest), default=0) <= 2 * WEAK
    assert min(weights.get(w, 0) for w in scan.fraudulent) >= 60


def test_findings_explain_themselves(scan: Scan) -> None:
    for finding in scan.findings:
        assert finding.explanation and finding.event_uids, finding.rule.id
        assert finding.first_seen is not None and finding.last_seen is not None
        json.dumps(finding.evidence)  # JSON-able
