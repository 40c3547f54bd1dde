"""Candidate farms from shared attributes, weighted by rarity, households kept apart."""

from __future__ import annotations

from farmhunt.detect.testing import connection_with
from farmhunt.score.clusters import find_clusters, normalize_address, shared_attributes
from farmhunt.score.model import ScoringModel

MODEL = ScoringModel()


def _worker(
    i: int, home: str, ship: str | None = None, phone: str | None = None, payroll: str | None = None
) -> dict[str, object]:
    return {
        "employee_id": f"E{i}",
        "email": f"w{i}@example.com",
        "home_address": home,
        "ship_address": ship or home,
        "phone_e164": phone or f"+1415555{i:04d}",
        "payroll_account": payroll or f"acct-{i}",
    }


def _con(
    workers: list[dict[str, object]], sign_ins: list[tuple[int, str]], kinds: dict[str, str]
) -> object:
    auth = [
        {"user.email_addr": f"w{i}@example.com", "src_endpoint.ip": ip}
        for i, ip in sign_ins
        for _ in range(3)
    ]
    links = [
        {"identifier": f"w{w['employee_id'][1:]}@example.com", "worker_id": w["employee_id"]}
        for w in workers
    ]
    ip_info = [{"ip": ip, "kind": kind} for ip, kind in kinds.items()]
    return connection_with(
        {"workers": workers, "authentication": auth, "worker_links": links, "ip_info": ip_info}
    )


def test_address_normalisation() -> None:
    assert normalize_address("12 Oak Street, Apt #4, Phoenix") == normalize_address(
        "12 oak st apt 4 phoenix"
    )


def test_farm_found_whole_household_and_office_not_farms() -> None:
    workers = [_worker(i, f"{i} Main St, Town") for i in range(40)]
    for i in (1, 2, 3):  # a farm: three hires shipped to one address, one residential IP
        workers[i]["ship_address"] = "77 Farm Rd, Phoenix"
    workers[5]["home_address"] = workers[6]["home_address"] = "9 Couple Ln"
    workers[5]["ship_address"] = workers[6]["ship_address"] = "9 Couple Ln"
    sign_ins = [
        (1, "73.15.0.9"),
        (2, "73.15.0.9"),
        (3, "73.15.0.9"),
        (5, "68.104.1.1"),
        (6, "68.104.1.1"),
    ]
    sign_ins += [(i, "12.130.0.1") for i in range(10, 40)]  # the office: corporate
    kinds = {"73.15.0.9": "residential", "68.104.1.1": "residential", "12.130.0.1": "corporate"}
    con = _con(workers, sign_ins, kinds)
    attributes = shared_attributes(con, MODEL)  # type: ignore[arg-type]
    clusters = find_clusters(attributes, MODEL)
    farms = [c for c in clusters if c.farm_strength > 0]
    assert [c.members for c in farms] == [["E1", "E2", "E3"]]
    kinds_shared = {a.kind for a in farms[0].shared}
    assert kinds_shared == {"ship_address", "residential_ip"}
    couple = [a for a in attributes if a.workers == {"E5", "E6"}]
    assert couple and all("household" in a.note for a in couple)
    assert not any(a.value == "12.130.0.1" for a in attributes)


def test_a_value_many_workers_share_weighs_little() -> None:
    workers = [_worker(i, f"{i} Main St") for i in range(50)]
    for w in workers[:30]:
        w["payroll_account"] = "shared-payroll-vendor"
    workers[40]["payroll_account"] = workers[41]["payroll_account"] = "rare-account"
    attributes = {a.value: a for a in shared_attributes(_con(workers, [], {}), MODEL)}  # type: ignore[arg-type]
    assert attributes["rare-account"].weight > 3 * attributes["shared-payroll-vendor"].weight
