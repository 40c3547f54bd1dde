"""Endpoint rules end to end: a simulated blatant company, ingested, resolved, enriched
and detected; the injected farm laptops are found, the benign look-alikes are spared.

The simulator's laptops report through osquery snapshots on every day they work (tools,
USB devices, displays, admin groups, listening ports); Windows laptops also write event
logs when the simulator renders them. Assertions on Windows-only rules apply when the
workspace holds those events.
"""

from __future__ import annotations

import json
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
from farmhunt.simulate.run import TELEMETRY, simulate
from farmhunt.store import Workspace

SEED = 26
"""A company whose farms use AnyDesk, Chrome Remote Desktop (Windows and macOS),
TeamViewer (the approved tool), PiKVM and JetKVM on Windows and macOS, plus a lone
impostor; checked to hold each case the assertions below need."""
SOFTWARE_ACCESS = {"AnyDesk", "Chrome Remote Desktop", "RustDesk", "Splashtop"}
KVM_ACCESS = {"PiKVM", "TinyPilot", "JetKVM"}
WEAK = 15.0
"""The most endpoint evidence weight a benign look-alike may collect."""


class Company:
    def __init__(self, truth: dict[str, Any], findings: list[Finding], tables: dict[str, int]):
        self.truth = truth
        self.workers: dict[str, dict[str, Any]] = truth["workers"]
        self.findings = [f for f in findings if f.rule.category == "endpoint"]
        self.tables = tables
        self.by_rule: dict[str, set[str]] = defaultdict(set)
        self.weight: dict[str, float] = defaultdict(float)
        for f in self.findings:
            if f.worker_id:
                self.by_rule[f.rule.id].add(f.worker_id)
                self.weight[f.worker_id] += f.rule.weight

    def farm(self, *, access: set[str] | None = None, os: str | None = None) -> set[str]:
        return {
            wid
            for wid, w in self.workers.items()
            if w["role"] == "farm"
            and (access is None or w["access"] in access)
            and (os is None or self.os_of(wid) == os)
        }

    def os_of(self, wid: str) -> str:
        host = self.workers[wid]["hostname"]
        return "macos" if "MacBook" in host or "-MBP-" in host else "windows"

    def benign(self) -> set[str]:
        return {wid for wid, w in self.workers.items() if not w["fraudulent"]}

    def with_behaviour(self, behaviour: str) -> set[str]:
        return {wid for wid, w in self.workers.items() if behaviour in w["behaviours"]}

    def with_trait(self, trait: str) -> set[str]:
        return {wid for wid, w in self.workers.items() if trait in w["benign_traits"]}


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Company:
    root = tmp_path_factory.mktemp("endpoint-e2e")
    out = root / "sim"
    config = SimConfig(workers=30, days=10, seed=SEED, intensity=INTENSITIES["blatant"])
    simulate(config, out)
    settings = load_settings(out / "farmhunt.yaml")
    with Workspace(root / "ws", create=True) as ws:
        results = ingest_paths(ws, [str(out / TELEMETRY)])
        assert results and not [r for r in results if getattr(r, "error", None)]
        resolve(ws)
        enrich_workspace(ws, settings)
        result = detect_workspace(ws, settings=settings)
        con = ws.connect()
        tables = {
            name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # type: ignore[index]
            for name in ("process_activity", "rdp_activity", "device_config_state_change")
        }
    truth = json.loads(Path(out / "truth.json").read_text(encoding="utf-8"))
    return Company(truth, result.findings, tables)


def test_the_company_holds_the_cases_the_test_needs(company: Company) -> None:
    assert company.farm(access={"AnyDesk"})
    assert company.farm(access={"TeamViewer"}), "a farm laptop on the approved tool"
    assert company.farm(access=KVM_ACCESS, os="macos")
    assert company.farm(access=KVM_ACCESS, os="windows")
    assert company.with_trait("it_support")


def test_unapproved_remote_tools_are_found_running_and_installed(company: Company) -> None:
    expected = company.farm(access=SOFTWARE_ACCESS)
    assert expected <= company.by_rule["endpoint.remote_access_tool_running"]
    assert expected <= company.by_rule["endpoint.remote_access_tool_installed"]
    assert expected <= company.by_rule["endpoint.remote_tool_with_owner_admin"]
    assert (
        company.farm(access={"AnyDesk"}) <= company.by_rule["endpoint.remote_access_tool_network"]
    )
    if company.tables["process_activity"]:  # Sysmon process starts on Windows laptops
        windows = company.farm(access=SOFTWARE_ACCESS, os="windows")
        assert windows <= company.by_rule["endpoint.remote_access_tool_process"]


def test_the_approved_tool_is_left_to_it_support(company: Company) -> None:
    """IT support's TeamViewer (allow.remote_tools) fires nothing, and neither does the
    same approved tool on a farm laptop: the allow list is the organisation's decision."""
    tool_rules = [
        "endpoint.remote_access_tool_process",
        "endpoint.remote_access_tool_running",
        "endpoint.remote_access_tool_installed",
        "endpoint.remote_access_tool_network",
        "endpoint.remote_access_tool_unattended_setup",
        "endpoint.multiple_remote_access_tools",
        "endpoint.remote_tool_with_owner_admin",
    ]
    spared = company.with_trait("it_support") | company.farm(access={"TeamViewer"})
    for rule in tool_rules:
        assert not company.by_rule[rule] & spared, rule


def test_ip_kvms_are_found_by_usb_identity_and_display(company: Company) -> None:
    assert company.farm(access=KVM_ACCESS) <= company.by_rule["endpoint.ipkvm_usb_device"]
    assert company.farm(access=KVM_ACCESS, os="macos") <= company.by_rule["endpoint.ipkvm_display"]
    assert not company.by_rule["endpoint.ipkvm_usb_id_only"], "factory strings were present"
    if company.tables["device_config_state_change"]:
        with_serial = company.farm(access={"PiKVM", "TinyPilot"}, os="windows")
        assert with_serial <= company.by_rule["endpoint.ipkvm_device_installed"]
        assert (
            company.farm(access={"JetKVM"}, os="windows")
            <= company.by_rule["endpoint.ipkvm_device_id_only_installed"]
        )
    kvm_rules = [r for r in company.by_rule if ".ipkvm_" in r or "linux_generated" in r]
    for rule in kvm_rules:
        assert company.by_rule[rule] <= company.farm(access=KVM_ACCESS), rule


def test_jigglers_and_concurrent_calls_are_found_on_farm_laptops(company: Company) -> None:
    jigglers = company.with_behaviour("mouse_jiggler")
    assert jigglers
    assert jigglers <= company.by_rule["endpoint.mouse_jiggler_installed"]
    assert jigglers <= company.by_rule["endpoint.mouse_jiggler_running"]
    assert company.farm() <= company.by_rule["endpoint.concurrent_video_calls"]
    assert company.by_rule["endpoint.concurrent_video_calls"] <= company.farm()


def test_inbound_rdp_and_its_foreign_client_clock(company: Company) -> None:
    if not company.tables["rdp_activity"]:
        pytest.skip("the simulator wrote no Windows event logs")
    rdp = company.with_behaviour("inbound_rdp")
    assert rdp
    assert rdp <= company.by_rule["endpoint.inbound_rdp_logon"]
    assert rdp <= company.by_rule["endpoint.inbound_rdp_session"]
    assert rdp <= company.by_rule["endpoint.rdp_client_timezone_mismatch"]
    for rule in ("inbound_rdp_logon", "inbound_rdp_session", "rdp_client_timezone_mismatch"):
        assert company.by_rule[f"endpoint.{rule}"] <= rdp, rule


def test_benign_look_alikes_get_at_most_weak_endpoint_findings(company: Company) -> None:
    for wid in company.benign():
        assert company.weight[wid] <= WEAK, (
            wid,
            company.workers[wid]["benign_traits"],
            sorted(f.rule.id for f in company.findings if f.worker_id == wid),
        )
    # engineers and IT staff with local admin: the weak least-privilege finding only
    admins = company.by_rule["endpoint.owner_local_admin"] & company.benign()
    assert admins and company.with_trait("it_support") <= admins


def test_every_endpoint_finding_is_explained_and_linked(company: Company) -> None:
    assert company.findings
    for f in company.findings:
        assert f.worker_id, f.explanation
        assert f.event_uids and f.explanation and f.device, f.rule.id
        assert f.first_seen <= f.last_seen, f.rule.id
