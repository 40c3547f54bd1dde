"""truth.json against what the written files show: every hiring-trail behaviour it names
is in the roster, and every one the roster shows is named (for several seeds)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from farmhunt.simulate.config import SimConfig
from farmhunt.simulate.run import TELEMETRY, simulate

HIRING = {
    "voip_phone",
    "shared_phone",
    "shared_payroll_account",
    "shared_ship_address",
    "laptop_shipped_elsewhere",
}


def _digits(phone: str) -> str:
    return "+" + "".join(c for c in phone if c.isdigit())


def _observed(out: Path) -> dict[str, set[str]]:
    """Each worker's hiring-trail facts, read back from the roster, the device inventory
    and the VoIP indicator list the simulator wrote."""
    with (out / TELEMETRY / "hr" / "roster.csv").open(newline="") as handle:
        roster = list(csv.DictReader(handle))
    with (out / TELEMETRY / "hr" / "device_inventory.csv").open(newline="") as handle:
        shipped = {r["owner_email"]: r["shipped_to"] for r in csv.DictReader(handle)}
    prefixes = tuple(
        line.strip()
        for line in (out / "indicators" / "voip_prefixes.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    phones = Counter(_digits(r["phone"]) for r in roster)
    payroll = Counter(r["payroll_account"] for r in roster)
    ships = Counter(r["ship_address"] for r in roster)
    facts: dict[str, set[str]] = {}
    for r in roster:
        present = {
            "voip_phone": _digits(r["phone"]).startswith(prefixes),
            "shared_phone": phones[_digits(r["phone"])] > 1,
            "shared_payroll_account": payroll[r["payroll_account"]] > 1,
            "shared_ship_address": ships[r["ship_address"]] > 1,
            # an empty ship-to is a laptop never shipped (the hire asked for their own)
            "laptop_shipped_elsewhere": shipped[r["email"]] not in ("", r["home_address"]),
        }
        facts[r["employee_id"]] = {name for name, yes in present.items() if yes}
    return facts


@pytest.mark.parametrize("seed", [3, 5, 8, 13])
def test_truth_names_exactly_the_hiring_trail_the_roster_shows(seed: int, tmp_path: Path) -> None:
    simulate(SimConfig(seed=seed, days=1), tmp_path)
    truth = json.loads((tmp_path / "truth.json").read_text())["workers"]
    observed = _observed(tmp_path)
    for worker_id, entry in truth.items():
        if not entry["fraudulent"]:
            continue
        named = set(entry["behaviours"]) & HIRING
        assert named == observed[worker_id], worker_id


def test_a_shared_value_is_shared_by_two_farm_members_at_least(tmp_path: Path) -> None:
    simulate(SimConfig(seed=3, days=1, farms=3), tmp_path)
    truth = json.loads((tmp_path / "truth.json").read_text())
    for farm in truth["farms"].values():
        for behaviour in ("shared_phone", "shared_payroll_account", "shared_ship_address"):
            holders = [m for m in farm["members"] if behaviour in truth["workers"][m]["behaviours"]]
            assert len(holders) != 1, (farm["members"], behaviour)


def _network_ids(out: Path) -> dict[str, set[tuple[str, str]]]:
    """(kind, value) of the Wi-Fi BSSIDs and gateway MACs each host's osquery log shows."""
    seen: dict[str, set[tuple[str, str]]] = {}
    for log in (out / TELEMETRY / "osquery").rglob("*.log"):
        for line in log.read_text().splitlines():
            record = json.loads(line)
            for row in record["snapshot"]:
                host = record["decorations"]["hostname"]
                if "bssid" in row:
                    seen.setdefault(host, set()).add(("bssid", row["bssid"]))
                if row.get("name") == "DefaultGatewayMac":
                    seen.setdefault(host, set()).add(("gateway", row["data"]))
    return seen


@pytest.mark.parametrize("seed", [3, 8])
def test_truth_names_the_shared_wifi_and_router_the_laptops_show(seed: int, tmp_path: Path) -> None:
    simulate(SimConfig(seed=seed, days=2), tmp_path)
    truth = json.loads((tmp_path / "truth.json").read_text())
    workers = truth["workers"]
    seen = _network_ids(tmp_path)
    holders = Counter(value for ids in seen.values() for value in ids)
    for entry in workers.values():
        ids = seen.get(entry["hostname"], set())
        shared = {kind for kind, value in ids if holders[(kind, value)] > 1}
        if entry["fraudulent"]:
            named = {"shared_wifi", "shared_router"} & set(entry["behaviours"])
            expected = {"shared_wifi" if k == "bssid" else "shared_router" for k in shared}
            assert named == expected, entry["hostname"]
        elif shared:  # honest laptops share a router only with someone at their home
            assert "shared_home" in entry["benign_traits"], entry["hostname"]
