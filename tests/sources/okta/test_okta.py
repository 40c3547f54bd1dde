"""Okta System Log: sign-ins with their network facts, admin changes, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.sources import read_sample
from farmhunt.sources.base import RawRecord, RecordError
from farmhunt.sources.entra.parser import EntraSignInParser
from farmhunt.sources.okta.countries import country_code
from farmhunt.sources.okta.events import classify
from farmhunt.sources.okta.parser import OktaSystemLogParser, _bracket_pairs
from farmhunt.sources.registry import choose_parser
from farmhunt.store import Workspace
from tests.golden import check_golden, golden_cases, parse_sample

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
EXAMPLES = HERE.parents[2] / "examples" / "okta"


@pytest.mark.parametrize("sample,golden", golden_cases(HERE), ids=lambda p: p.name)
def test_golden(sample: Path, golden: Path, update_golden: bool) -> None:
    check_golden(sample, golden, update_golden, expected_format="okta")


def _rows(name: str) -> list[dict[str, Any]]:
    return parse_sample(SAMPLES / name, expected_format="okta")


def _by_uuid(outcomes: list[dict[str, Any]], uuid: str) -> tuple[str, dict[str, Any]]:
    for outcome in outcomes:
        row = outcome.get("row")
        if row and row.get("unmapped", {}).get("uuid") == uuid:
            return outcome["table"], row
    raise AssertionError(f"no row for {uuid}")


# --------------------------------------------------------------------------- sign-ins


def test_vpn_exit_keeps_proxy_flag_asn_and_geo() -> None:
    table, row = _by_uuid(_rows("system-log-api-page.json"), "7b6c2f91-1b3d-11ef-a4c0-2f6d1e8b9c31")
    assert table == "authentication"
    assert (row["activity_id"], row["status_id"]) == (1, 1)
    assert row["user.name"] == "james.carter@northwind-labs.com"
    assert row["user.uid"] == "00ub4sWz0cYpLmq9r5d7"
    assert row["src_endpoint.ip"] == "89.187.185.171"
    assert row["src_endpoint.is_proxy"] is True
    assert row["src_endpoint.autonomous_system.number"] == 60068
    assert row["src_endpoint.autonomous_system.name"] == "datacamp limited"
    assert row["src_endpoint.location.isp"] == "datacamp limited"
    assert row["src_endpoint.domain"] == "cdn77.com"
    assert row["src_endpoint.location.country"] == "US"  # "United States" as ISO code
    assert (row["src_endpoint.location.lat"], row["src_endpoint.location.long"]) == (
        34.0544,
        -118.2441,
    )
    assert row["session.uid"] == "idxQ3rZ9vKp2Lm7wXn4cTbYs8aE"
    assert row["http_request.user_agent"].startswith("Mozilla/5.0 (Windows NT 10.0")
    assert row["metadata.event_code"] == "user.session.start"


def test_sso_names_the_app_and_its_protocol() -> None:
    _, row = _by_uuid(_rows("system-log-api-page.json"), "7c2d8a45-1b3d-11ef-a4c0-2f6d1e8b9c31")
    assert row["service.name"] == "GitHub Enterprise Cloud - Organization"
    assert row["auth_protocol"] == "SAML"


def test_mfa_failures_are_failed_mfa_steps() -> None:
    outcomes = _rows("system-log-api-page.json")
    _, wrong_code = _by_uuid(outcomes, "7b0f5d23-1b3d-11ef-a4c0-2f6d1e8b9c31")
    assert wrong_code["is_mfa"] is True
    assert (wrong_code["status_id"], wrong_code["status_code"]) == (2, "FAILURE")
    assert wrong_code["status_detail"] == "INVALID_CREDENTIALS"
    assert wrong_code["severity_id"] == 3  # WARN
    _, denied = _by_uuid(outcomes, "7b41a8e0-1b3d-11ef-a4c0-2f6d1e8b9c31")
    assert denied["metadata.event_code"] == "user.mfa.okta_verify.deny_push"
    assert (denied["is_mfa"], denied["status_id"]) == (True, 2)
    assert denied["src_endpoint.device.os.name"] == "iOS"


def test_policy_evaluation_keeps_behaviours_and_risk() -> None:
    _, row = _by_uuid(_rows("system-log-api-page.json"), "7a9e4c12-1b3d-11ef-a4c0-2f6d1e8b9c31")
    assert row["status_id"] == 99 and row["status"] == "CHALLENGE"
    assert row["risk_level"] == "High"
    assert row["risk_details"] == "Anomalous Geo-Distance, Anomalous Device"
    assert "Velocity" in row["unmapped.behaviors"]
    assert "New Device" in row["unmapped.behaviors"]
    assert "New Country" not in row["unmapped.behaviors"]  # NEGATIVE in the record
    assert row["unmapped.is_suspicious"] is False


def test_log_only_security_data_device_and_forwarding_hops() -> None:
    _, row = _by_uuid(
        _rows("laptop-farm-and-foreign.ndjson"), "e5d935f0-1c23-11ef-ac23-8f2d7e4b5c97"
    )
    assert row["src_endpoint.location.country"] == "RO"
    assert row["src_endpoint.autonomous_system.number"] == 9009
    assert row["src_endpoint.is_proxy"] is True
    assert row["src_endpoint.intermediate_ips"] == ["203.0.113.77"]
    assert row["unmapped"]["request.ipChain"][1]["ip"] == "203.0.113.77"  # hop geo kept
    assert row["risk_level"] == "High"  # from logOnlySecurityData JSON text
    assert "New Country" in row["unmapped.behaviors"]
    assert row["src_endpoint.device.name"] == "DESKTOP-7Q2M4KD"
    assert row["src_endpoint.device.is_managed"] is False
    assert (row["status_id"], row["status_code"]) == (2, "DENY")


def test_foreign_failure_with_threat_suspected() -> None:
    _, row = _by_uuid(
        _rows("laptop-farm-and-foreign.ndjson"), "d4c824ef-1c12-11ef-9b12-7e1c6d3a4b86"
    )
    assert row["src_endpoint.location.country"] == "RU"
    assert row["src_endpoint.location.city"] == "Vladivostok"
    assert row["status_id"] == 2 and row["status_detail"] == "INVALID_CREDENTIALS"
    assert row["unmapped.is_suspicious"] is True
    assert row["risk_level"] == "Medium"
    assert "session.uid" not in row  # Okta wrote "unknown"


def test_laptop_farm_accounts_share_one_residential_ip() -> None:
    outcomes = _rows("laptop-farm-and-foreign.ndjson")
    farm = [
        o["row"]
        for o in outcomes
        if o.get("table") == "authentication" and o["row"].get("src_endpoint.ip") == "68.2.114.37"
    ]
    assert {r["user.name"] for r in farm} == {
        "james.carter@northwind-labs.com",
        "maria.lopez@northwind-labs.com",
        "kevin.wright@northwind-labs.com",
    }
    assert {r["src_endpoint.autonomous_system.name"] for r in farm} == {"cox communications inc."}
    assert {r["src_endpoint.is_proxy"] for r in farm} == {False}


def test_partial_records_are_stored() -> None:
    outcomes = _rows("laptop-farm-and-foreign.ndjson")
    _, bare = _by_uuid(outcomes, "f6ea4601-1c34-11ef-bd34-903e8f5c6da8")
    assert bare["src_endpoint.ip"] == "192.0.2.41"
    assert bare["user.email_addr"] == "alice.nguyen@northwind-labs.com"
    assert "src_endpoint.location.country" not in bare
    table, threat = _by_uuid(outcomes, "07fb5712-1c45-11ef-ce45-a14f906d7eb9")
    assert table == "api_activity" and threat["activity_id"] == 99
    assert threat["actor.user.name"] == "system@okta.com"
    assert threat["unmapped"]["debugContext.debugData.threatSuspected"] == "true"


def test_placeholders_and_address_from_the_chain() -> None:
    event = {
        "uuid": "0c1d2e3f-1c56-11ef-a1b2-c3d4e5f60718",
        "published": "2024-06-04T10:00:00.000Z",
        "eventType": "user.session.start",
        "actor": {"id": "unknown", "type": "User", "alternateId": "unknown", "displayName": "x"},
        "client": {"ipAddress": None, "userAgent": {"rawUserAgent": "UNKNOWN", "os": "Unknown"}},
        "securityContext": {"asNumber": "60068", "domain": ".", "isProxy": "true"},
        "request": {
            "ipChain": [{"ip": "198.51.100.9", "geographicalContext": {"country": "Japan"}}]
        },
        "outcome": {"result": "FAILURE", "reason": "VERIFICATION_ERROR"},
    }
    record = RawRecord(1, event, json.dumps(event))
    [(table, row)] = OktaSystemLogParser().normalize(record)
    assert table == "authentication"
    assert row["src_endpoint.ip"] == "198.51.100.9"
    assert row["src_endpoint.location.country"] == "JP"
    assert row["src_endpoint.autonomous_system.number"] == 60068  # numeric text
    assert row["src_endpoint.is_proxy"] is True  # "true" as text
    assert "src_endpoint.domain" not in row  # Okta's "." means none
    for column in ("user.uid", "user.name", "http_request.user_agent"):
        assert column not in row, column
    event["securityContext"] = {"isProxy": "sometimes"}
    with pytest.raises(RecordError, match="isProxy 'sometimes' is not true or false"):
        OktaSystemLogParser().normalize(RawRecord(1, event, json.dumps(event)))


# --------------------------------------------------------------------------- admin changes


def test_admin_changes_name_the_target_user_and_the_admin() -> None:
    outcomes = _rows("system-log-api-page.json")
    table, reset = _by_uuid(outcomes, "8d3e9b56-1b4e-11ef-b5d1-3a7e2f9c0d42")
    assert (table, reset["activity_id"]) == ("account_change", 11)  # MFA Factor Disable
    assert reset["user.name"] == "james.carter@northwind-labs.com"
    assert reset["actor.user.name"] == "dana.whitfield@northwind-labs.com"
    assert reset["src_endpoint.ip"] == "198.51.100.24"
    table, added = _by_uuid(outcomes, "8e4fac67-1b4e-11ef-b5d1-3a7e2f9c0d42")
    assert (table, added["activity_id"]) == ("group_management", 3)  # Add User
    assert added["group.name"] == "Engineering-Prod-Access"
    assert added["user.uid"] == "00ub4sWz0cYpLmq9r5d7"
    assert added["actor.user.uid"] == "00ub0oNGTSWTBKOLGLNR"
    assert added["src_endpoint.is_proxy"] is False
    table, enrolled = _by_uuid(outcomes, "a172df9a-1b5f-11ef-c6e2-4b8f3a0d1e53")
    assert (table, enrolled["activity_id"]) == ("account_change", 10)  # MFA Factor Enable
    assert enrolled["src_endpoint.location.country"] == "CN"
    table, assigned = _by_uuid(outcomes, "9061ce89-1b4e-11ef-b5d1-3a7e2f9c0d42")
    assert (table, assigned["activity_id"]) == ("api_activity", 1)
    assert assigned["api.operation"] == "application.user_membership.add"
    assert assigned["resource.type"] == "AppInstance"
    assert assigned["resource.name"] == "GitHub Enterprise Cloud - Organization"
    assert len(assigned["resources"]) == 3


@pytest.mark.parametrize(
    "event_type,expected",
    [
        ("user.session.start", ("authentication", 1)),
        ("user.session.end", ("authentication", 2)),
        ("user.session.impersonation.initiate", ("authentication", 99)),
        ("user.authentication.auth_via_richclient", ("authentication", 1)),
        ("user.lifecycle.suspend", ("account_change", 5)),
        ("user.account.lock", ("account_change", 9)),
        ("user.account.update_profile", ("account_change", 99)),
        ("group.user_membership.remove", ("group_management", 4)),
        ("system.api_token.create", ("api_activity", 1)),
        ("system.api_token.revoke", ("api_activity", 4)),
        ("zone.update", ("api_activity", 3)),
        ("security.threat.detected", ("api_activity", 99)),
    ],
)
def test_event_types_route_to_tables(event_type: str, expected: tuple[str, int]) -> None:
    assert classify(event_type) == expected


# --------------------------------------------------------------------------- wrappers


def test_event_hook_delivery_explodes_into_events_with_their_own_raw_data() -> None:
    outcomes = _rows("event-hook-delivery.json")
    assert len(outcomes) == 2
    for outcome in outcomes:
        raw = json.loads(outcome["row"]["raw_data"])
        assert raw["uuid"] == outcome["row"]["unmapped"]["uuid"]
        assert "eventTime" not in raw  # the row's evidence is its event, not the delivery
    assert len({o["row"]["metadata.uid"] for o in outcomes}) == 2


def test_eventbridge_envelope_is_unwrapped() -> None:
    outcomes = _rows("eventbridge-stream.ndjson")
    assert [o["table"] for o in outcomes] == ["authentication", "account_change"]
    assert outcomes[0]["row"]["user.name"] == "kevin.wright@northwind-labs.com"
    assert "detail-type" not in outcomes[0]["row"]["unmapped"]


# --------------------------------------------------------------------------- bad input


def test_bad_records_are_quarantined_with_reasons_and_good_ones_kept() -> None:
    outcomes = _rows("bad-records.ndjson")
    reasons = {
        o["quarantine"]["record"]: o["quarantine"]["reason"] for o in outcomes if "quarantine" in o
    }
    assert reasons[2] == "published is missing"
    assert "securityContext.asNumber 'AS22773-COX' is not a number" in reasons[3]
    assert reasons[4].startswith("invalid JSON")
    assert reasons[5] == "Okta record is not a JSON object"
    assert "is not a timestamp" in reasons[6]
    assert reasons[7] == "eventType is missing"
    stored = [o["row"]["raw_source.record"] for o in outcomes if "row" in o]
    assert stored == [1, 8]


def test_truncated_download_keeps_the_events_before_the_cut() -> None:
    outcomes = _rows("truncated-download.json")
    assert [o.get("table") for o in outcomes[:2]] == ["authentication", "authentication"]
    assert "the file ends inside this record" in outcomes[2]["quarantine"]["reason"]


# --------------------------------------------------------------------------- detection


def test_detected_by_content_whatever_the_file_is_called(tmp_path: Path) -> None:
    renamed = tmp_path / "export-2024-06.txt"
    shutil.copy(SAMPLES / "laptop-farm-and-foreign.ndjson", renamed)
    assert choose_parser(read_sample(str(renamed))).name == "okta"
    partial = tmp_path / "fields.json"
    partial.write_text(
        json.dumps(
            [{"eventType": "user.session.start", "published": "2024-06-04T08:30:00Z", "uuid": "u1"}]
        )
    )
    assert choose_parser(read_sample(str(partial))).name == "okta"


def test_okta_and_entra_do_not_claim_each_other() -> None:
    okta_sample = read_sample(str(SAMPLES / "system-log-api-page.json"))
    entra_sample = read_sample(str(HERE.parent / "entra" / "samples" / "graph-signins-page.json"))
    assert EntraSignInParser().sniff(okta_sample) == 0
    assert OktaSystemLogParser().sniff(entra_sample) == 0
    assert OktaSystemLogParser().sniff(okta_sample) >= 0.9


def test_other_json_with_an_event_type_is_not_claimed(tmp_path: Path) -> None:
    other = tmp_path / "cloudevents.json"
    other.write_text(json.dumps([{"eventType": "order.created", "id": "1", "data": {}}]))
    assert OktaSystemLogParser().sniff(read_sample(str(other))) == 0


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    "name,code",
    [
        ("United States", "US"),
        ("South Korea", "KR"),
        ("North Korea", "KP"),
        ("Korea, Democratic People's Republic of", "KP"),
        ("Republic of Lithuania", "LT"),
        ("Russia", "RU"),
        ("The Netherlands", "NL"),
        ("Türkiye", "TR"),
        ("Côte d'Ivoire", "CI"),
        ("Hong Kong", "HK"),
        ("us", "US"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_country_names_become_iso_codes(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_risk_text_with_commas_inside_values() -> None:
    pairs = _bracket_pairs("{reasons=Anomalous Device, New IP, level=HIGH}")
    assert pairs == {"reasons": "Anomalous Device, New IP", "level": "HIGH"}
    assert _bracket_pairs("{New Geo-Location=POSITIVE, Velocity=NEGATIVE}") == {
        "New Geo-Location": "POSITIVE",
        "Velocity": "NEGATIVE",
    }


# --------------------------------------------------------------------------- end to end


def test_ingest_into_the_store_and_query_it(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(SAMPLES)])
    assert {r.format for r in results} == {"okta"}
    con = ws.connect()
    shared = con.execute(
        'SELECT "src_endpoint.ip", count(DISTINCT "user.name") FROM authentication '
        "WHERE \"metadata.event_code\" = 'user.session.start' AND status_id = 1 "
        'GROUP BY 1 HAVING count(DISTINCT "user.name") > 1'
    ).fetchall()
    assert shared == [("68.2.114.37", 3)]
    proxied = con.execute(
        'SELECT DISTINCT "user.name", "src_endpoint.autonomous_system.number" '
        'FROM authentication WHERE "src_endpoint.is_proxy" ORDER BY 1, 2'
    ).fetchall()
    assert proxied == [
        ("james.carter@northwind-labs.com", 60068),
        ("kevin.wright@northwind-labs.com", 9009),
    ]
    foreign = con.execute(
        'SELECT DISTINCT "src_endpoint.location.country" FROM account_change '
        "WHERE \"src_endpoint.location.country\" != 'US'"
    ).fetchall()
    assert foreign == [("CN",)]
    quarantined = con.execute(
        "SELECT count(*) FROM quarantine WHERE \"raw_source.file\" LIKE '%bad-records.ndjson'"
    ).fetchone()
    assert quarantined == (6,)
    con.close()
    ws.close()


def test_examples_ingest_without_rejections(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(EXAMPLES)])
    assert results and all(r.format == "okta" and r.status == "imported" for r in results)
    assert sum(r.rejected for r in results) == 0
    assert sum(r.stored for r in results) >= 15
    ws.close()
