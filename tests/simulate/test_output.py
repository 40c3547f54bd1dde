"""What the simulator writes: ingestible with zero rejections, reproducible, truthful."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from farmhunt.ingest.model import IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.simulate.config import INTENSITIES, SimConfig
from farmhunt.simulate.run import TELEMETRY, simulate
from farmhunt.store import Workspace

CONFIG = SimConfig(workers=24, days=4, seed=5, farm_size=(3, 3), intensity=INTENSITIES["blatant"])


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    simulate(CONFIG, out)
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_writes_the_same_bytes(simulated: Path, tmp_path: Path) -> None:
    simulate(CONFIG, tmp_path / "again")
    assert _digest(tmp_path / "again") == _digest(simulated)


def test_everything_written_ingests_with_zero_rejections(simulated: Path, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws", create=True) as ws:
        results = ingest_paths(ws, [str(simulated / TELEMETRY)], IngestOptions())
        assert results
        not_imported = [(r.path, r.status, r.message) for r in results if r.status != "imported"]
        assert not_imported == []
        assert sum(r.rejected for r in results) == 0
        formats = {r.format for r in results if r.stored}
        assert {
            "okta",
            "entra_signin",
            "google_workspace",
            "github_audit",
            "osquery",
            "zeek-tsv",
            "hr_roster",
            "device_inventory",
        } <= formats
        con = ws.connect()
        [(farm_ips,)] = con.execute(
            'SELECT count(DISTINCT "src_endpoint.ip") FROM authentication'
        ).fetchall()
        assert farm_ips > 5


def test_truth_names_every_fraudulent_worker_and_farm(simulated: Path) -> None:
    truth = json.loads((simulated / "truth.json").read_text())
    workers = truth["workers"]
    assert len(workers) == CONFIG.workers
    fraud = {k for k, v in workers.items() if v["fraudulent"]}
    members = {m for farm in truth["farms"].values() for m in farm["members"]}
    assert members and members <= fraud
    lone = {k for k, v in workers.items() if v["role"] == "lone"}
    assert fraud == members | lone
    for farm_id, farm in truth["farms"].items():
        assert all(workers[m]["farm"] == farm_id for m in farm["members"])
        assert all("laptop_farm" in workers[m]["behaviours"] for m in farm["members"])
    assert not any(v["behaviours"] for k, v in workers.items() if k not in fraud)


def test_injected_kvm_and_tools_appear_in_endpoint_telemetry(
    simulated: Path, tmp_path: Path
) -> None:
    truth = json.loads((simulated / "truth.json").read_text())
    with Workspace(tmp_path / "ws", create=True) as ws:
        ingest_paths(ws, [str(simulated / TELEMETRY / "osquery")], IngestOptions())
        con = ws.connect()
        kvm_hosts = {
            r[0]
            for r in con.execute(
                'SELECT DISTINCT "device.hostname" FROM peripheral_device_query '
                "WHERE \"unmapped.usb_vendor_id\" = '1d6b' AND \"unmapped.usb_product_id\" = '0104'"
            ).fetchall()
        }
        tool_hosts = {
            r[0]
            for r in con.execute(
                'SELECT DISTINCT "device.hostname" FROM software_inventory_info '
                "WHERE regexp_replace(\"package.name\", '\\.app$', '') IN "
                "('AnyDesk', 'TeamViewer', 'RustDesk', 'Chrome Remote Desktop')"
            ).fetchall()
        }
    expected_kvm = {v["hostname"] for v in truth["workers"].values() if "ip_kvm" in v["behaviours"]}
    assert expected_kvm <= kvm_hosts
    expected_tools = {
        v["hostname"] for v in truth["workers"].values() if "remote_access_tool" in v["behaviours"]
    }
    assert expected_tools <= tool_hosts


def test_windows_logs_as_evtx_ingest_with_zero_rejections(tmp_path: Path) -> None:
    config = SimConfig(workers=12, days=2, seed=9, farms=1, farm_size=(3, 3))
    simulate(config, tmp_path / "sim", windows_evtx=True)
    evtx_files = list((tmp_path / "sim" / TELEMETRY / "windows").rglob("*.evtx"))
    assert evtx_files
    with Workspace(tmp_path / "ws", create=True) as ws:
        results = ingest_paths(ws, [str(tmp_path / "sim" / TELEMETRY / "windows")], IngestOptions())
        assert {r.format for r in results} == {"evtx"}
        assert sum(r.rejected for r in results) == 0 and sum(r.stored for r in results) > 100
