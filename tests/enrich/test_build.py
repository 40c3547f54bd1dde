"""Building ip_info and phone_info over a workspace: a simulated company end to end."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.enrich import build
from farmhunt.enrich.build import IP_INFO, PHONE_INFO, enrich_workspace, ip_columns
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.schema import STORE_TABLES
from farmhunt.settings import CONFIG_FILE, Settings, load_settings, parse_settings
from farmhunt.simulate.config import SimConfig
from farmhunt.simulate.run import TELEMETRY, simulate
from farmhunt.store import Workspace

CORPORATE = "12.130.0.0/21"  # the simulator's corporate block (networks.csv)


@dataclass
class Company:
    root: Path
    truth: dict[str, Any]
    vpn_exits: set[str]
    """VPN/hosting exits the simulator gave fraudulent workers."""
    farm_asns: dict[str, int]
    """Each farm's public address and the AS number of the ISP the simulator put it on."""


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Company:
    root = tmp_path_factory.mktemp("company")
    result = simulate(SimConfig(workers=20, days=2), root / "sim")
    with Workspace(root / "ws", create=True) as ws:
        results = ingest_paths(ws, [str(root / "sim" / TELEMETRY)])
        assert results and not [r for r in results if getattr(r, "error", None)]
    exits = {n.ip for w in result.company.workers if w.fraudulent for n in w.vpn_exits}
    truth = json.loads((root / "sim" / "truth.json").read_text(encoding="utf-8"))
    farm_asns = {f.net.ip: f.net.asn for f in result.company.farms}
    return Company(root, truth, exits, farm_asns)


@pytest.fixture
def workspace(company: Company, tmp_path: Path) -> Workspace:
    """A private copy of the ingested workspace (tests rebuild its derived tables)."""
    copy = tmp_path / "ws"
    shutil.copytree(company.root / "ws", copy)
    return Workspace(copy)


def settings() -> Settings:
    return parse_settings(f"network: {{corporate_egress: [{CORPORATE}]}}")


def test_ip_columns_come_from_the_schema() -> None:
    columns = {(c.table, c.column): c.asn_column for c in ip_columns()}
    assert ("authentication", "src_endpoint.ip") in columns
    assert ("network_activity", "dst_endpoint.ip") in columns
    assert columns[("authentication", "src_endpoint.ip")] == (
        "src_endpoint.autonomous_system.number"
    )
    # every event table with an address column is read, and no farmhunt-own table
    for name, table in STORE_TABLES.items():
        has_ip = any(c.endswith(".ip") or c.endswith("_ip") for c in table.column_names())
        read = any(t == name for t, _ in columns)
        assert read == (has_ip and table.class_uid is not None), name


def test_farm_ip_is_residential_and_vpn_exits_are_vpn_or_hosting(
    company: Company, workspace: Workspace
) -> None:
    # the simulator writes the company's own configuration beside its telemetry
    config = load_settings(company.root / "sim" / CONFIG_FILE)
    assert config.network.corporate_vpn_pools
    counts = enrich_workspace(workspace, config)
    con = workspace.connect()
    assert counts[IP_INFO] == con.execute(f"SELECT count(*) FROM {IP_INFO}").fetchone()[0]  # type: ignore[index]
    kinds = dict(con.execute(f"SELECT ip, kind FROM {IP_INFO}").fetchall())

    farms = company.truth["farms"]
    assert farms
    for farm in farms.values():
        assert kinds[farm["public_ip"]] == "residential", farm

    used_exits = company.vpn_exits & set(kinds)
    assert used_exits, "the fraudulent workers' VPN exits should appear in the events"
    assert {kinds[ip] for ip in used_exits} <= {"vpn", "hosting"}

    # each distinct address once, and every address of every IP column is there
    distinct = con.execute(f"SELECT count(DISTINCT ip), count(*) FROM {IP_INFO}").fetchone()
    assert distinct is not None and distinct[0] == distinct[1]
    missing = con.execute(
        f"SELECT count(*) FROM authentication a LEFT JOIN {IP_INFO} i "
        f'ON i.ip = a."src_endpoint.ip" WHERE a."src_endpoint.ip" IS NOT NULL AND i.ip IS NULL'
    ).fetchone()
    assert missing == (0,)
    # home LANs are private; the corporate VPN's pool (10.8.0.0/13) is corporate
    lan = [ip for ip in kinds if ip.startswith("192.168.")]
    assert {kinds[ip] for ip in lan} <= {"private"}
    pool = [ip for ip in kinds if ip_address(ip) in ip_network("10.8.0.0/13")]
    assert pool and {kinds[ip] for ip in pool} == {"corporate"}
    # the simulator's Okta events report AS numbers: kept, whichever ISP the farm is on
    assert company.farm_asns
    for ip, expected in company.farm_asns.items():
        asn = con.execute(f"SELECT asn FROM {IP_INFO} WHERE ip = ?", [ip]).fetchone()
        assert asn == (expected,), ip


def test_phone_info_has_every_roster_number(workspace: Workspace, tmp_path: Path) -> None:
    con = workspace.connect()
    first_us = con.execute(
        "SELECT employee_id, phone_e164 FROM workers WHERE phone_e164 LIKE '+1%' "
        "ORDER BY employee_id LIMIT 1"
    ).fetchone()
    assert first_us is not None
    intel = tmp_path / "intel"
    intel.mkdir()
    (intel / "voip_prefixes.txt").write_text(f"# test block\n{first_us[1][:8]}\n")
    config = parse_settings(f"indicators: {{paths: [{intel}]}}")
    counts = enrich_workspace(workspace, config)
    con = workspace.connect()
    pairs = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT employee_id, phone FROM workers "
        "WHERE phone IS NOT NULL)"
    ).fetchone()
    assert pairs == (counts[PHONE_INFO],)
    row = con.execute(
        f"SELECT e164, is_voip, reason FROM {PHONE_INFO} WHERE worker_id = ?", [first_us[0]]
    ).fetchone()
    assert row is not None
    assert row[0] == first_us[1] and row[1] is True
    assert "intel/voip_prefixes.txt:2" in row[2]
    types = dict(con.execute(f"SELECT line_type, count(*) FROM {PHONE_INFO} GROUP BY 1").fetchall())
    assert types.get("fixed_line_or_mobile", 0) > 0


def test_rebuilding_replaces_not_appends(workspace: Workspace) -> None:
    first = enrich_workspace(workspace, settings())
    second = enrich_workspace(workspace, settings())
    assert first == second
    con = workspace.connect()
    assert con.execute(f"SELECT count(*) FROM {IP_INFO}").fetchone() == (first[IP_INFO],)


def test_without_a_roster_table_phones_are_skipped(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = {k: v for k, v in STORE_TABLES.items() if k != "workers"}
    monkeypatch.setattr(build, "STORE_TABLES", tables)
    counts = enrich_workspace(workspace, Settings())
    assert counts[PHONE_INFO] == 0 and counts[IP_INFO] > 0


def test_empty_workspace(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws", create=True) as ws:
        assert enrich_workspace(ws, Settings()) == {IP_INFO: 0, PHONE_INFO: 0}
        assert ws.connect().execute(f"SELECT count(*) FROM {IP_INFO}").fetchone() == (0,)


def test_enrich_command(workspace: Workspace) -> None:
    (workspace.root / CONFIG_FILE).write_text(f"network: {{corporate_egress: [{CORPORATE}]}}\n")
    runner = CliRunner()
    result = runner.invoke(app, ["enrich", "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    assert f"settings: {workspace.root / CONFIG_FILE}" in result.output
    assert "residential" in result.output and "roster numbers" in result.output


def test_enrich_command_names_a_bad_key(workspace: Workspace, tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("network: {corporate_egres: [1.2.3.0/24]}\n")
    result = CliRunner().invoke(
        app, ["enrich", "--workspace", str(workspace.root), "--config", str(config)]
    )
    assert result.exit_code == 2
    assert "network.corporate_egres: unknown key; did you mean 'corporate_egress'?" in (
        result.output + (result.stderr if result.stderr_bytes is not None else "")
    )


def test_enrich_command_names_a_bad_indicator_line(workspace: Workspace, tmp_path: Path) -> None:
    intel = tmp_path / "intel"
    intel.mkdir()
    (intel / "vpn_cidrs.txt").write_text("185.156.46.0/24\n185.156.46.0/33\n")
    config = tmp_path / "farmhunt.yaml"
    config.write_text(f"indicators: {{paths: [{intel}]}}\n")
    result = CliRunner().invoke(
        app, ["enrich", "--workspace", str(workspace.root), "--config", str(config)]
    )
    assert result.exit_code == 2
    assert "vpn_cidrs.txt:2" in (result.output + (result.stderr or ""))


def test_addresses_of_several_columns_are_one_row_with_the_largest_as_number() -> None:
    from farmhunt.detect.testing import connection_with

    con = connection_with(
        {
            "authentication": [
                {"src_endpoint.ip": "203.0.113.5", "src_endpoint.autonomous_system.number": 64500},
                {"src_endpoint.ip": "198.51.100.7"},
                {"src_endpoint.ip": ""},
            ],
            "network_activity": [
                {"dst_endpoint.ip": "203.0.113.5", "dst_endpoint.autonomous_system.number": 64501},
                {"src_endpoint.ip": "203.0.113.5"},
            ],
            "user_session_query": [{"src_endpoint.ip": "192.0.2.9"}],
        }
    )
    build._gather_ips(con)
    rows = con.execute(build.distinct_ips_sql()).fetchall()
    assert rows == [("192.0.2.9", None), ("198.51.100.7", None), ("203.0.113.5", 64501)]
