"""The simulated company: deterministic, with the fraud and the look-alikes it promises."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from farmhunt.simulate.activities import InventorySnapshot, SignIn
from farmhunt.simulate.behaviour import day_activities, days_of
from farmhunt.simulate.company import build_company
from farmhunt.simulate.config import INTENSITIES, SimConfig
from farmhunt.simulate.world import blocks


def _all(config: SimConfig) -> list[object]:
    company = build_company(config)
    return [a for day in days_of(company) for a in day_activities(company, day)]


def test_same_seed_same_company_and_days() -> None:
    config = SimConfig(workers=25, days=4, seed=11)
    assert _all(config) == _all(config)
    assert _all(config) != _all(SimConfig(workers=25, days=4, seed=12))


def test_company_size_counts_the_fraudulent_hires() -> None:
    company = build_company(SimConfig(workers=40, farms=2, farm_size=(3, 3), lone_impostors=1))
    assert len(company.workers) == 40
    roles = Counter(w.role for w in company.workers)
    assert roles["farm"] == 6 and roles["lone"] == 1
    for farm in company.farms:
        members = [company.worker(m) for m in farm.members]
        assert all(m.farm_id == farm.farm_id and m.country == "US" for m in members)


def test_farm_workers_sign_in_from_the_farm_or_vpn_at_operator_hours() -> None:
    config = SimConfig(workers=40, days=10, intensity=INTENSITIES["blatant"])
    company = build_company(config)
    farm = company.farms[0]
    member = company.worker(farm.members[0])
    sign_ins = [
        a
        for d in days_of(company)
        for a in day_activities(company, d)
        if isinstance(a, SignIn) and a.worker_id == member.worker_id
    ]
    assert sign_ins
    kinds = Counter(s.net.kind for s in sign_ins)
    assert set(kinds) <= {"residential", "vpn", "operator"}
    assert any(s.net.ip == farm.net.ip for s in sign_ins)
    zone = ZoneInfo(member.operator_tz or "")
    operator_hours = sum(8 <= s.time.astimezone(zone).hour < 21 for s in sign_ins)
    assert operator_hours / len(sign_ins) > 0.6


def test_honest_workers_keep_their_own_office_hours() -> None:
    company = build_company(SimConfig(workers=30, days=7, farms=0, lone_impostors=0))
    hours = []
    for day in days_of(company):
        for a in day_activities(company, day):
            worker = company.worker(a.worker_id)
            if (
                isinstance(a, SignIn)
                and "night_shift" not in worker.traits
                and ("traveller" not in worker.traits)
            ):
                hours.append(a.time.astimezone(ZoneInfo(worker.timezone)).hour)
    assert sum(6 <= h <= 20 for h in hours) / len(hours) > 0.95


def test_kvm_farm_laptops_show_the_device_identity() -> None:
    config = SimConfig(workers=40, days=2, intensity=INTENSITIES["blatant"], farm_size=(6, 6))
    company = build_company(config)
    kvm_workers = {w.worker_id: w for w in company.workers if "ip_kvm" in w.behaviours}
    assert kvm_workers, "blatant intensity puts some laptops behind an IP-KVM"
    seen = {
        a.worker_id: {(u.vendor_id, u.product_id) for u in a.usb}
        for d in days_of(company)
        for a in day_activities(company, d)
        if isinstance(a, InventorySnapshot) and a.worker_id in kvm_workers
    }
    assert seen and all(("1d6b", "0104") in ids for ids in seen.values())


def test_simulated_networks_belong_to_the_providers_the_simulator_names() -> None:
    from geoip2fast import GeoIP2Fast  # type: ignore[import-untyped]

    geo = GeoIP2Fast(geoip2fast_data_file="geoip2fast-asn.dat.gz", verbose=False)
    for block in blocks():
        found = geo.lookup(str(block.network.network_address + 1))
        assert found.asn_name, f"{block.network} has no ASN in the offline database"
        assert found.country_code, block.network


def test_new_hire_cloner_clones_many_repositories_in_the_first_week() -> None:
    config = SimConfig(workers=40, days=10)
    company = build_company(config)
    cloner = next(w for w in company.workers if "new_hire_cloner" in w.traits)
    clones = [
        a
        for d in days_of(company)
        for a in day_activities(company, d)
        if a.worker_id == cloner.worker_id and getattr(a, "action", "") == "git.clone"
    ]
    assert len(clones) >= 6
    assert all(c.time.date() - cloner.hire_date < timedelta(days=7) for c in clones[:6])


def test_too_few_workers_for_the_farms_is_an_error_not_a_bigger_company() -> None:
    config = SimConfig(workers=10, farms=5)
    with pytest.raises(ValueError, match="--workers 30"):
        build_company(config)
    assert len(build_company(SimConfig(workers=30, farms=5)).workers) == 30
