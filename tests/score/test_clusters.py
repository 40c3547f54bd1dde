"""Candidate farms from shared attributes, weighted by rarity, households kept apart."""

from __future__ import annotations

import json

from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import RuleSet, load_rules
from farmhunt.detect.testing import connection_with
from farmhunt.enrich.facts.addresses import address_text
from farmhunt.enrich.facts.contacts import payroll_key
from farmhunt.score.clusters import find_clusters, shared_attributes
from farmhunt.score.model import ScoringModel

MODEL = ScoringModel()
RULES = load_rules()


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
    assert address_text("12 Oak Street, Apt #4, Phoenix") == address_text("12 oak st apt 4 phoenix")


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
    rare, vendor = payroll_key("rare-account"), payroll_key("shared-payroll-vendor")
    assert rare is not None and vendor is not None
    assert attributes[rare].weight > 3 * attributes[vendor].weight


def _endpoint_rows(ids: dict[int, dict[str, dict[str, str]]]) -> list[dict[str, object]]:
    """base_event rows as the osquery parser writes them, one host per worker."""
    return [
        {"device.hostname": f"host-{i}", "unmapped": json.dumps(unmapped)}
        for i, unmapped in ids.items()
    ]


def _con_with_endpoints(
    workers: list[dict[str, object]], ids: dict[int, dict[str, dict[str, str]]]
) -> object:
    links = [
        {"identifier": f"host-{w['employee_id'][1:]}", "worker_id": w["employee_id"]}
        for w in workers
    ]
    return connection_with(
        {"workers": workers, "worker_links": links, "base_event": _endpoint_rows(ids)}
    )


def test_laptops_on_one_router_are_a_farm_a_couple_on_theirs_a_household() -> None:
    workers = [_worker(i, f"{i} Main St, Town") for i in range(40)]
    workers[5]["home_address"] = workers[6]["home_address"] = "9 Couple Ln"
    ids: dict[int, dict[str, dict[str, str]]] = {
        1: {"wifi": {"ssid": "NETGEAR-36", "bssid": "a0:40:a0:6a:8e:28"}},
        2: {"wifi": {"ssid": "NETGEAR-36", "bssid": "A0:40:A0:6A:8E:28"}},
        3: {"network": {"gateway_mac": "e8:9f:80:a1:b2:c3"}},
        4: {"network": {"gateway_mac": "e8:9f:80:a1:b2:c3"}},
        5: {"wifi": {"ssid": "Linksys42", "bssid": "50:c7:bf:00:00:01"}},
        6: {"wifi": {"ssid": "Linksys42", "bssid": "50:c7:bf:00:00:01"}},
        # two homes whose routers kept the same default name: a weak link only
        7: {"wifi": {"ssid": "xfinitywifi", "bssid": "b0:be:76:00:00:07"}},
        8: {"wifi": {"ssid": "xfinitywifi", "bssid": "b0:be:76:00:00:08"}},
        # the same TeamViewer id on two laptops
        9: {"remote_tool": {"product": "TeamViewer", "id": "1234567890"}},
        10: {"remote_tool": {"product": "TeamViewer", "id": "1234567890"}},
    }
    attributes = shared_attributes(_con_with_endpoints(workers, ids), MODEL)  # type: ignore[arg-type]

    def kinds(*members: str) -> set[str]:
        return {a.kind for a in attributes if a.workers == set(members)}

    assert kinds("E1", "E2") == {"wifi_bssid", "wifi_ssid"}
    assert kinds("E3", "E4") == {"gateway_mac"}
    assert kinds("E9", "E10") == {"remote_tool_id"}
    couple = [a for a in attributes if a.workers == {"E5", "E6"}]
    assert {a.kind for a in couple} == {"wifi_bssid", "wifi_ssid"}
    assert all("household" in a.note for a in couple)
    (ssid,) = [a for a in attributes if a.workers == {"E7", "E8"}]
    assert ssid.kind == "wifi_ssid" and ssid.weight < MODEL.min_link
    farms = {tuple(c.members) for c in find_clusters(attributes, MODEL) if c.farm_strength > 0}
    assert farms == {("E1", "E2"), ("E3", "E4"), ("E10", "E9")}


def test_one_address_spelled_two_ways_links_the_farm_as_the_hiring_rule_does() -> None:
    """The hiring rule took these for one place and the clusterer did not (``tx`` against
    ``texas``): the farm was flagged per hire but its workers were never linked."""
    workers = [_worker(i, f"{i} Main St, Town") for i in range(30)]
    workers[1]["ship_address"] = "123 Main Street, Apt 4, Austin, TX 78701"
    workers[2]["ship_address"] = "123 Main St #4 Austin Texas 78701"
    attributes = shared_attributes(_con(workers, [], {}), MODEL)  # type: ignore[arg-type]
    (shared,) = [a for a in attributes if a.kind == "ship_address"]
    assert shared.workers == {"E1", "E2"}
    assert [c.members for c in find_clusters(attributes, MODEL)] == [["E1", "E2"]]


def test_payroll_and_phone_written_differently_are_one_value() -> None:
    """Payroll accounts with and without separators and phone numbers with different
    punctuation (no E.164 form given) link their workers, as the hiring rules count them."""
    workers = [_worker(i, f"{i} Main St, Town") for i in range(30)]
    workers[3]["payroll_account"] = "DE89 3704 0044 0532 0130 00"
    workers[4]["payroll_account"] = "de89370400440532013000"
    for i, phone in ((5, "(415) 555-0199"), (6, "415.555.0199")):
        workers[i]["phone_e164"] = None
        workers[i]["phone"] = phone
    attributes = shared_attributes(_con(workers, [], {}), MODEL)  # type: ignore[arg-type]
    linked = {a.kind: a.workers for a in attributes}
    assert linked["payroll_account"] == {"E3", "E4"}
    assert linked["phone"] == {"E5", "E6"}


def test_the_hiring_rules_and_the_clusterer_see_the_same_shared_values() -> None:
    """One normaliser for both: what a hiring rule counts as one phone number or payroll
    account is what links the workers in a candidate farm."""
    workers = [_worker(i, f"{i} Main St, Town") for i in range(30)]
    workers[3]["payroll_account"] = "DE89 3704 0044 0532 0130 00"
    workers[4]["payroll_account"] = "de89-3704-0044-0532-0130-00"
    for i, phone in ((5, "(415) 555-0199"), (6, "415.555.0199")):
        workers[i]["phone_e164"] = None
        workers[i]["phone"] = phone
    con = _con(workers, [], {})
    linked = {a.kind: a.workers for a in shared_attributes(con, MODEL)}  # type: ignore[arg-type]
    ctx = make_context(con)  # type: ignore[arg-type]
    for rule_id, kind in (
        ("hiring.shared_payroll_account", "payroll_account"),
        ("hiring.shared_phone", "phone"),
    ):
        found = run_rules(ctx, RuleSet(rules=[RULES.by_id(rule_id)]))
        assert {f.worker_id for f in found} == linked[kind]


def test_an_identifier_naming_two_workers_links_neither_into_a_farm() -> None:
    """The clusterer joined ``worker_links`` directly: a shared kiosk account linked to two
    workers gave both of them its home IP, a farm link made of one ambiguous login."""
    workers = [_worker(i, f"{i} Main St, Town") for i in range(30)]
    auth = [{"user.name": "kiosk", "src_endpoint.ip": "73.15.0.9"} for _ in range(3)]
    links = [
        {"identifier": "kiosk", "worker_id": "E1"},
        {"identifier": "KIOSK", "worker_id": "E2"},
    ]
    ip_info = [{"ip": "73.15.0.9", "kind": "residential"}]
    con = connection_with(
        {"workers": workers, "authentication": auth, "worker_links": links, "ip_info": ip_info}
    )
    attributes = shared_attributes(con, MODEL)
    assert not [a for a in attributes if a.kind == "residential_ip"]


def test_a_sign_in_counts_once_however_many_links_its_identifier_has() -> None:
    """An identifier listed twice in ``worker_links`` (as an email and as a UPN) counted
    each sign-in twice towards "signed in repeatedly from this home"."""
    workers = [_worker(i, f"{i} Main St, Town") for i in range(30)]
    auth = [
        {"user.email_addr": f"w{i}@example.com", "src_endpoint.ip": "73.15.0.9"} for i in (1, 2)
    ]
    links = [
        {"identifier": f"w{i}@example.com", "identifier_type": kind, "worker_id": f"E{i}"}
        for i in (1, 2)
        for kind in ("email", "upn")
    ]
    ip_info = [{"ip": "73.15.0.9", "kind": "residential"}]
    con = connection_with(
        {"workers": workers, "authentication": auth, "worker_links": links, "ip_info": ip_info}
    )
    assert not [a for a in shared_attributes(con, MODEL) if a.kind == "residential_ip"]
