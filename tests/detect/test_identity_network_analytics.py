"""Identity and network analytics: what the inline rule tests cannot show (settings,
allow-lists, rules that must agree with each other, helpers)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from farmhunt.detect.analytics import run_analytic
from farmhunt.detect.analytics.colocation import household_key
from farmhunt.detect.analytics.hours import _hours_text, offset_text
from farmhunt.detect.engine import make_context
from farmhunt.detect.loader import load_rules
from farmhunt.detect.model import Finding
from farmhunt.detect.testing import connection_with
from farmhunt.settings import AllowSettings, Settings, parse_settings

RULES = load_rules()


def run(
    rule_id: str, tables: dict[str, list[dict[str, Any]]], settings: Any = None
) -> list[Finding]:
    ctx = make_context(connection_with(tables), settings)
    return run_analytic(ctx, RULES.by_id(rule_id))


PEOPLE = {
    "worker_links": [
        {"identifier": "ann.lee@example.com", "worker_id": "E1"},
        {"identifier": "NWL-LT-1", "worker_id": "E1"},
    ],
    "workers": [
        {
            "employee_id": "E1",
            "email": "ann.lee@example.com",
            "full_name": "Ann Lee",
            "work_country": "US",
            "timezone": "America/Chicago",
        }
    ],
}
IPS = [
    {"ip": "82.6.79.125", "country": "GB", "kind": "residential", "provider": "Virgin Media"},
    {"ip": "123.114.64.218", "country": "CN", "kind": "residential", "provider": "China Unicom"},
    {"ip": "185.156.46.70", "country": "US", "kind": "vpn", "provider": "Datacamp"},
    {"ip": "37.120.130.154", "country": "CA", "kind": "vpn", "provider": "M247"},
    {"ip": "73.15.54.233", "country": "US", "kind": "residential", "provider": "Comcast"},
]


def sign_in(ip: str, time: str) -> dict[str, Any]:
    return {"time": time, "user.email_addr": "ann.lee@example.com", "src_endpoint.ip": ip}


def travel(worker: str, country: str, start: str, end: str) -> Settings:
    return parse_settings(
        f"allow:\n  travel:\n    - {{worker: {worker}, country: {country}, "
        f"from: {start}, to: {end}}}\n"
    )


# -- allow.travel -------------------------------------------------------------------------


@pytest.mark.parametrize("worker", ["E1", "ann.lee@example.com", "ANN.LEE@example.com"])
def test_known_travel_excuses_the_visited_country_on_its_days(worker: str) -> None:
    tables = {
        **PEOPLE,
        "ip_info": IPS,
        "authentication": [
            sign_in("82.6.79.125", "2025-11-04T10:00:00Z"),
            sign_in("82.6.79.125", "2025-11-05T10:00:00Z"),
        ],
    }
    rule = "identity.sign_in_from_unexpected_country"
    assert run(rule, tables), "without travel on record the UK sign-ins are reported"
    assert not run(rule, tables, travel(worker, "GB", "2025-11-03", "2025-11-06"))


def test_travel_elsewhere_or_on_other_days_excuses_nothing() -> None:
    tables = {
        **PEOPLE,
        "ip_info": IPS,
        "authentication": [
            sign_in("123.114.64.218", "2025-11-04T10:00:00Z"),
            sign_in("82.6.79.125", "2025-11-09T10:00:00Z"),
            sign_in("82.6.79.125", "2025-11-09T11:00:00Z"),
        ],
    }
    # a trip to the UK does not excuse China, nor UK sign-ins after the trip
    trip = travel("E1", "GB", "2025-11-03", "2025-11-06")
    found = run("identity.sign_in_from_operator_country", tables, trip)
    assert [f.evidence["countries"][0]["country"] for f in found] == ["CN"]
    assert run("identity.sign_in_from_unexpected_country", tables, trip)


def test_working_hours_leave_out_known_travel_days() -> None:
    # Tokyo hours for six days; the trip on record covers them all
    rows = [
        {"time": f"2025-11-{3 + d:02d}T{h:02d}:07:00Z", "user.email_addr": "ann.lee@example.com"}
        for d in range(6)
        for h in (0, 2, 4, 6, 8, 10)
    ]
    tables = {**PEOPLE, "authentication": rows}
    rule = "identity.working_hours_of_another_timezone"
    found = run(rule, tables)
    assert found and "roster says America/Chicago (UTC−6)" in found[0].explanation
    assert not run(rule, tables, travel("E1", "JP", "2025-11-02", "2025-11-09"))


# -- allow.ignore_ips ---------------------------------------------------------------------


def test_ignored_addresses_are_left_out() -> None:
    rows = [sign_in("185.156.46.70", f"2025-11-03T1{i}:00:00Z") for i in range(5)]
    rows += [sign_in("37.120.130.154", f"2025-11-04T1{i}:00:00Z") for i in range(5)]
    tables = {**PEOPLE, "ip_info": IPS, "authentication": rows}
    assert run("identity.sign_ins_mostly_via_vpn", tables)
    settings = Settings(
        allow=AllowSettings(
            ignore_ips=parse_settings(
                "allow:\n  ignore_ips: [185.156.46.0/24, 37.120.130.154]\n"
            ).allow.ignore_ips
        )
    )
    assert not run("identity.sign_ins_mostly_via_vpn", tables, settings)


# -- allow.remote_tools -------------------------------------------------------------------


def test_approved_remote_tool_domains_are_not_reported() -> None:
    tables = {
        "dns_activity": [
            {"device.hostname": "NWL-LT-1", "query.hostname": "router15.teamviewer.com"},
            {"device.hostname": "NWL-LT-2", "query.hostname": "boot.net.anydesk.com"},
        ]
    }
    rule = "network.remote_access_infrastructure"
    assert {f.subject for f in run(rule, tables)} == {"NWL-LT-1", "NWL-LT-2"}
    approved = parse_settings("allow:\n  remote_tools: [TeamViewer]\n")
    found = run(rule, {**tables, **PEOPLE}, approved)
    assert [f.subject for f in found] == ["NWL-LT-2"]
    assert "AnyDesk" in found[0].explanation


def test_vpn_addresses_are_findings_about_the_address_and_say_so() -> None:
    tables = {
        "ip_info": [{"ip": "10.9.5.223", "kind": "corporate", "reason": "corporate VPN pool"}],
        "network_activity": [
            {"src_endpoint.ip": "10.9.5.223", "tls.sni": "rs-ny.rustdesk.com"},
        ],
    }
    (finding,) = run("network.remote_access_infrastructure", tables)
    assert finding.subject == "10.9.5.223" and finding.subject_type == "ip"
    assert finding.worker_id is None
    assert "VPN's session log" in finding.explanation


# -- rules that must agree ----------------------------------------------------------------


def test_the_two_vpn_tiers_share_their_thresholds() -> None:
    strong = RULES.by_id("identity.sign_ins_mostly_via_vpn").params
    weak = RULES.by_id("identity.occasional_vpn_sign_ins").params
    shared = (
        "kinds",
        "min_sign_ins",
        "strong_share",
        "mixed_share",
        "min_exits",
    )
    assert {k: strong[k] for k in shared} == {k: weak[k] for k in shared}
    assert (strong["tier"], weak["tier"]) == ("strong", "weak")


def test_the_hours_rules_share_one_computation() -> None:
    from farmhunt.detect.analytics.hours import SHAPE_PARAMS

    a = RULES.by_id("identity.working_hours_of_another_timezone").params
    b = RULES.by_id("identity.night_time_activity").params
    assert {k: a.get(k) for k in SHAPE_PARAMS} == {k: b.get(k) for k in SHAPE_PARAMS}


def test_the_shared_address_rules_split_at_three_households() -> None:
    farm = RULES.by_id("network.shared_residential_ip").params
    pair = RULES.by_id("network.residential_ip_shared_by_two_households").params
    assert pair["max_households"] + 1 == farm["min_households"]


# -- helpers ------------------------------------------------------------------------------


def test_unclassified_private_addresses_are_not_the_internet() -> None:
    # enrichment has not run: the address's own text says it is private
    tables = {
        "network_activity": [
            {
                "device.hostname": "NWL-LT-1",
                "src_endpoint.ip": ip,
                "dst_endpoint.port": 3389,
                "connection_info.direction_id": 1,
            }
            for ip in ("192.168.1.4", "10.1.2.3", "172.20.0.9", "100.64.1.1", "127.0.0.1")
        ]
    }
    assert not run("network.rdp_from_internet", tables)
    tables["network_activity"].append(
        {
            "device.hostname": "NWL-LT-1",
            "src_endpoint.ip": "58.36.160.86",
            "dst_endpoint.port": 3389,
            "connection_info.direction_id": 1,
        }
    )
    assert [f.subject for f in run("network.rdp_from_internet", tables)] == ["NWL-LT-1"]


def test_household_keys_ignore_spelling() -> None:
    assert household_key("12 Elm Street, Austin, TX 78701") == household_key(
        "12 ELM ST., Austin, TX 78701"
    )
    assert household_key("12 Elm St Apt 4, Austin") != household_key("12 Elm St Apt 5, Austin")
    assert household_key("  ") is None


def test_offsets_and_hours_read_like_a_clock() -> None:
    assert offset_text(9) == "UTC+9"
    assert offset_text(-6) == "UTC−6"
    assert offset_text(5.5) == "UTC+5:30"
    hours = [0] * 24
    for h in (22, 23, 0, 1, 2, 3, 4, 5):
        hours[h] = 5
    assert _hours_text(hours, 2) == "22–06"


def test_travel_dates_are_inclusive() -> None:
    trip = travel("E1", "gb", "2025-11-04", "2025-11-04").allow.travel[0]
    assert (trip.country, trip.start, trip.end) == ("GB", date(2025, 11, 4), date(2025, 11, 4))


def test_approved_remote_tool_ports_are_not_reported() -> None:
    from farmhunt.detect.engine import match_table

    rule = RULES.by_id("network.remote_access_port")
    con = connection_with(
        {
            "network_activity": [
                {"device.hostname": "NWL-LT-1", "dst_endpoint.port": 5938},
                {"device.hostname": "NWL-LT-2", "dst_endpoint.port": 7070},
            ]
        }
    )
    subjects = [f.subject for f in match_table(make_context(con), "network_activity", [rule])]
    assert sorted(subjects) == ["NWL-LT-1", "NWL-LT-2"]
    approved = parse_settings("allow:\n  remote_tools: [TeamViewer]\n")
    found = match_table(make_context(con, approved), "network_activity", [rule])
    assert [f.subject for f in found] == ["NWL-LT-2"]
