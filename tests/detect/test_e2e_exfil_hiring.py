"""End to end: a small blatant company simulated, ingested, resolved, enriched and run
through the whole rule library; the exfiltration, SaaS and hiring rules must find the
workers the simulator injected and spare its benign look-alikes (a couple at one home,
a new hire cloning many repositories in week one, consumer-VPN users …)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest

from farmhunt.detect.model import Finding
from farmhunt.detect.run import detect_workspace
from farmhunt.enrich.build import enrich_workspace
from farmhunt.enrich.identity import resolve
from farmhunt.ingest.model import IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.settings import load_settings
from farmhunt.simulate.config import INTENSITIES, SimConfig
from farmhunt.simulate.run import TELEMETRY, simulate
from farmhunt.store import Workspace

MY_CATEGORIES = {"exfiltration", "saas", "hiring"}
WEAK = 15.0
"""The most a benign look-alike may collect from these rules together."""


@dataclass
class Run:
    findings: list[Finding]
    truth: dict[str, Any]
    workspace: Workspace

    def flagged(self, rule_id: str) -> set[str]:
        return {f.worker_id for f in self.findings if f.rule.id == rule_id and f.worker_id}

    def workers(self, *, behaviour: str | None = None, trait: str | None = None) -> set[str]:
        return {
            worker_id
            for worker_id, w in self.truth["workers"].items()
            if (behaviour is None or behaviour in w["behaviours"])
            and (trait is None or trait in w["benign_traits"])
        }

    @property
    def fraudulent(self) -> set[str]:
        return {k for k, w in self.truth["workers"].items() if w["fraudulent"]}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("e2e_exfil_hiring")
    config = SimConfig(workers=30, days=6, seed=11, intensity=INTENSITIES["blatant"])
    simulate(config, out)
    workspace = Workspace(out / "ws", create=True)
    # every source but the VPN concentrator's Zeek logs, which none of these rules read
    sources = sorted(str(p) for p in (out / TELEMETRY).iterdir() if p.name != "zeek")
    ingest_paths(workspace, sources, IngestOptions())
    resolve(workspace)
    settings = load_settings(out / "farmhunt.yaml")
    enrich_workspace(workspace, settings)
    result = detect_workspace(workspace, settings=settings)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    mine = [f for f in result.findings if f.rule.category in MY_CATEGORIES]
    return Run(mine, truth, workspace)


def test_the_company_has_what_the_rules_look_for(run: Run) -> None:
    assert run.workers(behaviour="exfiltration_observed")
    assert run.workers(trait="new_hire_cloner") and len(run.workers(trait="shared_home")) == 2
    assert run.workers(behaviour="personal_device_vpn_only")


def test_findings_name_a_worker_and_their_evidence(run: Run) -> None:
    assert run.findings
    for f in run.findings:
        assert f.worker_id, f.explanation
        assert f.event_uids and f.explanation and f.first_seen is not None, f.rule.id


def test_bulk_repository_pulls_are_the_exfiltrators_not_the_new_hire(run: Run) -> None:
    exfiltrators = run.workers(behaviour="exfiltration_observed")
    assert run.flagged("exfiltration.repo_bulk_download") == exfiltrators
    # the new hire really did clone many private repositories a day in week one
    (new_hire,) = run.workers(trait="new_hire_cloner")
    email = run.truth["workers"][new_hire]["email"]
    con = run.workspace.connect()
    busiest = con.execute(
        """SELECT max(n) FROM (SELECT count(DISTINCT "resource.name") AS n FROM api_activity
           WHERE "actor.user.email_addr" = ? AND "api.operation" = 'git.clone'
             AND "resource.visibility" <> 'public' GROUP BY CAST(time AS DATE))""",
        [email],
    ).fetchone()
    assert busiest is not None and busiest[0] >= 8
    assert new_hire not in run.flagged("exfiltration.repo_bulk_download")


def test_drive_bursts_and_personal_remotes_are_the_exfiltrators(run: Run) -> None:
    exfiltrators = run.workers(behaviour="exfiltration_observed")
    assert run.flagged("exfiltration.drive_download_spike") == exfiltrators
    pushed = run.flagged("exfiltration.git_push_to_personal_remote")
    # the personal remote is seen in Sysmon command lines: the Windows farm laptops
    windows = {
        w
        for w in exfiltrators
        if run.truth["workers"][w]["role"] == "farm"
        and run.truth["workers"][w]["hostname"].startswith("NWL-LT-")
    }
    assert windows and windows <= pushed <= exfiltrators
    assert not run.flagged("exfiltration.git_personal_remote_added") & pushed


def test_hiring_trail(run: Run) -> None:
    fraud = run.fraudulent
    shipped = run.workers(behaviour="laptop_shipped_elsewhere")
    assert run.flagged("hiring.laptop_shipped_away_from_home") == shipped
    farm_shipped = {w for w in shipped if run.truth["workers"][w]["role"] == "farm"}
    assert farm_shipped and run.flagged("hiring.shared_ship_address") == farm_shipped
    assert run.workers(behaviour="voip_phone") <= run.flagged("hiring.voip_phone") <= fraud
    assert run.flagged("hiring.managed_device_absent") == run.workers(
        behaviour="personal_device_vpn_only"
    )
    by_farm: dict[tuple[str, str], set[str]] = defaultdict(set)
    for worker_id, w in run.truth["workers"].items():
        for reuse in ("shared_phone", "shared_payroll_account"):
            if reuse in w["behaviours"]:
                by_farm[(reuse, w["farm"])].add(worker_id)
    for reuse, rule in (("shared_phone", "phone"), ("shared_payroll_account", "payroll_account")):
        expected = {
            w
            for (kind, _), group in by_farm.items()
            if kind == reuse and len(group) > 1
            for w in group
        }
        assert run.flagged(f"hiring.shared_{rule}") == expected
    assert not run.flagged("hiring.shared_home_address")


def test_benign_look_alikes_get_weak_findings_at_most(run: Run) -> None:
    weight: dict[str, float] = defaultdict(float)
    for f in run.findings:
        weight[f.worker_id or ""] += f.rule.weight
    look_alikes = {k for k, w in run.truth["workers"].items() if w["benign_traits"]}
    for worker_id in look_alikes:
        assert weight.get(worker_id, 0.0) <= WEAK, (
            worker_id,
            run.truth["workers"][worker_id]["benign_traits"],
            [f.explanation for f in run.findings if f.worker_id == worker_id],
        )
    couple = run.workers(trait="shared_home")
    assert not {f.worker_id for f in run.findings if f.rule.category == "hiring"} & couple
