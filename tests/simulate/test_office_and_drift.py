"""The office (corporate egress in sign-ins, its own Zeek sensor) and the lone
impostor's drift toward the operators' hours and personal-device request."""

from __future__ import annotations

import csv
import ipaddress
import json
from pathlib import Path
from statistics import mean
from zoneinfo import ZoneInfo

import pytest
import yaml

from farmhunt.enrich.build import enrich_workspace
from farmhunt.ingest.model import IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.settings import load_settings
from farmhunt.simulate.activities import SignIn
from farmhunt.simulate.behaviour import day_activities, days_of
from farmhunt.simulate.company import build_company
from farmhunt.simulate.config import INTENSITIES, SimConfig
from farmhunt.simulate.run import TELEMETRY, simulate
from farmhunt.store import Workspace

CONFIG = SimConfig(workers=60, days=5, seed=7)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("office")
    simulate(CONFIG, out)
    return out


def test_office_sign_ins_come_from_the_corporate_egress(simulated: Path, tmp_path: Path) -> None:
    truth = json.loads((simulated / "truth.json").read_text())
    office = truth["office"]
    members = {truth["workers"][m]["email"] for m in office["members"]}
    assert members
    egress = [
        ipaddress.ip_network(c)
        for c in yaml.safe_load((simulated / "farmhunt.yaml").read_text())["network"][
            "corporate_egress"
        ]
    ]
    assert any(ipaddress.ip_address(office["public_ip"]) in net for net in egress)
    with Workspace(tmp_path / "ws", create=True) as ws:
        ingest_paths(ws, [str(simulated / TELEMETRY)], IngestOptions())
        enrich_workspace(ws, load_settings(simulated / "farmhunt.yaml"))
        con = ws.connect()
        rows = con.execute(
            'SELECT DISTINCT lower("user.email_addr"), "src_endpoint.ip" FROM authentication'
        ).fetchall()
        kinds = dict(con.execute("SELECT ip, kind FROM ip_info").fetchall())
    from_office = {email for email, ip in rows if ip == office["public_ip"]}
    assert from_office and from_office <= members
    # hybrid: the members also sign in from home on the other days
    assert {email for email, ip in rows if email in from_office and ip != office["public_ip"]}
    assert kinds[office["public_ip"]] == "corporate"


def test_the_office_sensor_sees_the_laptops_in_the_office(simulated: Path) -> None:
    company = build_company(CONFIG)
    office = company.office
    assert office is not None
    conn = sorted((simulated / TELEMETRY / "zeek" / "office").rglob("conn*.log"))
    assert conn
    sources = set()
    for log in conn:
        lines = log.read_text().splitlines()
        fields = next(line for line in lines if line.startswith("#fields")).split("\t")[1:]
        for line in lines:
            if not line.startswith("#"):
                sources.add(dict(zip(fields, line.split("\t"), strict=True))["id.orig_h"])
    assert sources and all(ip.startswith(office.lan_prefix + ".") for ip in sources)
    # the VPN concentrator's sensor never sees the office LAN
    for log in (simulated / TELEMETRY / "zeek").glob("*/conn*.log"):
        assert office.lan_prefix + "." not in log.read_text()


def test_lone_impostor_drifts_toward_the_operators_hours() -> None:
    config = SimConfig(workers=30, days=21, seed=4, intensity=INTENSITIES["default"])
    company = build_company(config)
    lone = next(w for w in company.workers if w.role == "lone")
    zone = ZoneInfo(lone.operator_tz or "")
    starts: dict[int, float] = {}
    for index, day in enumerate(days_of(company)):
        mine = [
            a
            for a in day_activities(company, day, [lone])
            if isinstance(a, SignIn) and a.mfa and a.worker_id == lone.worker_id
        ]
        if mine:
            first = min(a.time for a in mine).astimezone(zone)
            starts[index] = first.hour + first.minute / 60
    early = [h for i, h in starts.items() if i < 5]
    late = [h for i, h in starts.items() if i >= 15]
    assert early and late

    def distance(hour: float) -> float:
        """Hours from 09:00 in the operators' zone, the short way round the clock."""
        return abs((hour - 9 + 12) % 24 - 12)

    assert mean(distance(h) for h in early) > 4
    assert mean(distance(h) for h in late) < 1.5
    assert "time_zone_drift" in lone.behaviours


def test_lone_impostor_asked_for_a_personal_device(simulated: Path) -> None:
    truth = json.loads((simulated / "truth.json").read_text())["workers"]
    lone = {v["email"] for v in truth.values() if v["role"] == "lone"}
    assert lone
    with (simulated / TELEMETRY / "hr" / "device_inventory.csv").open(newline="") as handle:
        rows = {r["owner_email"]: r for r in csv.DictReader(handle)}
    for email, row in rows.items():
        if email in lone:
            assert row["shipped_to"] == "" and row["shipped_on"] == ""
            assert "personal device" in row["status"]
        else:
            assert row["shipped_on"] and row["status"] == "Deployed"
    # and the laptop never reports: no osquery host, no Windows events under its name
    hosts = {v["hostname"] for v in truth.values() if v["role"] == "lone"}
    assert not hosts & {p.name for p in (simulated / TELEMETRY / "osquery").iterdir()}
