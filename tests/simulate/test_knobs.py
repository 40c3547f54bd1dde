"""The intensity knobs: ``--set NAME=VALUE`` overrides one rate, checked, recorded in
truth, and felt in what is written; look-alike counts follow the company's size."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.simulate.behaviour import TOOL_SOFTWARE, _image, software
from farmhunt.simulate.company import Company, build_company, confounder_count
from farmhunt.simulate.config import INTENSITIES, RATE_NAMES, SimConfig, parse_rate_settings
from farmhunt.simulate.run import TELEMETRY, simulate

BASE = SimConfig(workers=20, days=4, seed=5, farms=2, farm_size=(3, 3))


def _tool_days(out: Path, config: SimConfig) -> dict[str, tuple[set[date], set[date]]]:
    """For each farm laptop driven by a remote-access tool: the days its osquery process
    snapshot was taken, and the days the tool ran (in that snapshot or in Sysmon)."""
    company = build_company(config)
    images = {
        w.device.hostname: _image(software()[TOOL_SOFTWARE[w.access]], w)
        for w in company.workers
        if w.role == "farm" and w.access in TOOL_SOFTWARE
    }
    snapshots: dict[str, set[date]] = defaultdict(set)
    running: dict[str, set[date]] = defaultdict(set)
    for log in (out / TELEMETRY / "osquery").rglob("*.log"):
        for line in log.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            host = record["decorations"]["hostname"]
            if host not in images or not record["name"].endswith("_processes"):
                continue
            day = datetime.fromtimestamp(record["unixTime"], UTC).date()
            snapshots[host].add(day)
            if any(row["path"] == images[host] for row in record["snapshot"]):
                running[host].add(day)
    for log in (out / TELEMETRY / "windows").rglob("*.ndjson"):
        for line in log.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            host = event["host"]["hostname"]
            data = event["winlog"].get("event_data", {})
            if host in images and data.get("Image") == images[host]:
                running[host].add(date.fromisoformat(event["@timestamp"][:10]))
    return {host: (snapshots[host], running[host]) for host in images}


def test_remote_tool_daily_zero_keeps_every_tool_quiet(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            str(tmp_path / "sim"),
            "--workers",
            "20",
            "--days",
            "4",
            "--seed",
            "5",
            "--set",
            "remote_tool_daily=0",
            "--set",
            "kvm_share=0",
        ],
    )
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "sim" / "truth.json").read_text())
    assert truth["intensity_rates"]["remote_tool_daily"] == 0
    assert truth["intensity_rates"]["kvm_share"] == 0
    assert truth["intensity"].startswith("default+")
    rates = INTENSITIES["default"].overridden({"remote_tool_daily": 0.0, "kvm_share": 0.0})
    days = _tool_days(tmp_path / "sim", replace(BASE, farm_size=(3, 5), intensity=rates))
    assert days, "no tool-driven farm laptop to look at"
    assert any(snaps for snaps, _ in days.values())
    assert {host: ran for host, (_, ran) in days.items() if ran} == {}


def test_remote_tool_daily_one_shows_the_tool_every_day(tmp_path: Path) -> None:
    rates = INTENSITIES["subtle"].overridden({"remote_tool_daily": 1.0, "kvm_share": 0.0})
    config = replace(BASE, farm_size=(3, 3), intensity=rates)
    simulate(config, tmp_path)
    days = _tool_days(tmp_path, config)
    assert days
    for host, (snaps, ran) in days.items():
        assert snaps, host
        assert snaps <= ran, host


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("remote_tol_daily=0.2", "did you mean remote_tool_daily"),
        ("nonsense=0.2", "valid names: " + ", ".join(RATE_NAMES)),
        ("jiggler=1.5", "between 0 and 1"),
        ("jiggler=-0.1", "between 0 and 1"),
        ("jiggler=nan", "between 0 and 1"),
        ("jiggler=often", "not a number"),
        ("jiggler", "NAME=VALUE"),
    ],
)
def test_a_bad_override_is_a_clear_error(item: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rate_settings([item])


def test_the_command_line_refuses_a_bad_override(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["simulate", str(tmp_path / "sim"), "--set", "operator_slp=0.5"]
    )
    assert result.exit_code == 2
    assert "operator_slip" in result.output
    assert not (tmp_path / "sim").exists()


def test_an_override_changes_only_that_rate() -> None:
    base = INTENSITIES["blatant"]
    changed = base.overridden(parse_rate_settings(["vpn_login=0.05", "vpn-login=0.1"]))
    assert changed.vpn_login == 0.1
    assert {k: v for k, v in changed.rates().items() if k != "vpn_login"} == {
        k: v for k, v in base.rates().items() if k != "vpn_login"
    }
    assert base.overridden({}) is base


def test_look_alike_counts_grow_with_the_company_but_never_below_the_minimum() -> None:
    small = build_company(SimConfig(workers=24, days=2, farm_size=(3, 3)))
    large = build_company(SimConfig(workers=400, days=2))

    def holders(company: Company, trait: str) -> int:
        return sum(trait in w.traits for w in company.workers)

    for trait in ("consumer_vpn", "night_shift", "traveller"):
        assert holders(small, trait) == confounder_count(trait, 24)
        assert holders(large, trait) == confounder_count(trait, 400)
        assert holders(large, trait) > holders(small, trait) >= 1
