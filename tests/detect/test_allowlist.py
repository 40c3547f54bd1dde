"""``allow.ignore_ips`` decided one way (exactly, by ipaddress) for every detection, and
the run's settings typed: a context made without a configuration has the defaults."""

from __future__ import annotations

from typing import Any

from farmhunt.detect.allowlist import is_ignored_ip
from farmhunt.detect.analytics import run_analytic
from farmhunt.detect.engine import make_context
from farmhunt.detect.loader import load_rules
from farmhunt.detect.testing import connection_with
from farmhunt.settings import Settings, parse_settings

RULES = load_rules()

SIGN_INS: dict[str, list[dict[str, Any]]] = {
    "worker_links": [{"identifier": "ann.lee@example.com", "worker_id": "E1"}],
    "workers": [
        {
            "employee_id": "E1",
            "email": "ann.lee@example.com",
            "work_country": "US",
            "timezone": "America/Phoenix",
        }
    ],
    "ip_info": [
        {"ip": "2600:1700:ab00::15", "country": "US", "kind": "residential"},
        {"ip": "2001:db8:ab12::5", "country": "CN", "kind": "residential"},
    ],
    "authentication": [
        {
            "time": "2025-11-03T14:39:00Z",
            "user.email_addr": "ann.lee@example.com",
            "src_endpoint.ip": "2600:1700:ab00::15",
            "src_endpoint.location.lat": 33.45,
            "src_endpoint.location.long": -112.07,
        },
        {
            "time": "2025-11-03T15:14:00Z",
            "user.email_addr": "ann.lee@example.com",
            "src_endpoint.ip": "2001:db8:ab12::5",
            "src_endpoint.location.lat": 40.12,
            "src_endpoint.location.long": 124.38,
        },
    ],
}


def test_an_ignored_ipv6_range_off_a_text_boundary_is_ignored() -> None:
    # 2001:db8:ab00::/40 read as text prefixes was "2001:db8:ab??:*", which no address
    # starts with: the sign-in from the ignored range still made a finding
    rule = RULES.by_id("identity.impossible_travel")
    assert run_analytic(make_context(connection_with(SIGN_INS)), rule)
    settings = parse_settings("allow:\n  ignore_ips: ['2001:db8:ab00::/40']\n")
    assert not run_analytic(make_context(connection_with(SIGN_INS), settings), rule)
    other = parse_settings("allow:\n  ignore_ips: ['2001:db8:ac00::/40']\n")
    assert run_analytic(make_context(connection_with(SIGN_INS), other), rule)


def test_the_address_test_is_exact_for_both_families() -> None:
    settings = parse_settings("allow:\n  ignore_ips: ['2001:db8:ab00::/40', 10.8.0.0/13]\n")
    assert is_ignored_ip(settings, "2001:0db8:ab12:0000::5")  # not in canonical form
    assert is_ignored_ip(settings, "10.15.255.1")
    assert not is_ignored_ip(settings, "10.16.0.1")
    assert not is_ignored_ip(settings, "2001:db8:ac00::1")
    assert not is_ignored_ip(settings, "not an address") and not is_ignored_ip(settings, None)


def test_a_context_without_configuration_has_the_default_settings() -> None:
    ctx = make_context(connection_with({}))
    assert ctx.settings == Settings()
    assert ctx.settings.allow.ignore_ips == ()
