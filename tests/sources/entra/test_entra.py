"""Entra ID sign-in logs: Graph pages, Azure Monitor exports, Log Analytics rows."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.sources import read_sample
from farmhunt.sources.base import FileError, RecordError
from farmhunt.sources.entra.fields import entra_time
from farmhunt.sources.entra.parser import EntraSignInParser
from farmhunt.sources.registry import choose_parser
from farmhunt.store import Workspace
from tests.golden import check_golden, golden_cases, parse_sample

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
EXAMPLES = HERE.parents[2] / "examples" / "entra"


@pytest.mark.parametrize("sample,golden", golden_cases(HERE), ids=lambda p: p.name)
def test_golden(sample: Path, golden: Path, update_golden: bool) -> None:
    check_golden(sample, golden, update_golden, expected_format="entra_signin")


def _rows(name: str) -> list[dict[str, Any]]:
    return parse_sample(SAMPLES / name, expected_format="entra_signin")


def _by_id(outcomes: list[dict[str, Any]], sign_in_id: str) -> dict[str, Any]:
    for outcome in outcomes:
        row = outcome.get("row") or {}
        unmapped = row.get("unmapped", {})
        if sign_in_id in (unmapped.get("id"), unmapped.get("Id")):
            return row
    raise AssertionError(f"no row for {sign_in_id}")


# --------------------------------------------------------------------------- Graph page


def test_vpn_exit_sign_in_keeps_asn_geo_and_risk() -> None:
    row = _by_id(_rows("graph-signins-page.json"), "d1a0b2c3-4e5f-4a6b-8c7d-9e0f1a2b3c02")
    assert row["user.name"] == "daniel.kim@tailspin-tech.com"
    assert row["user.email_addr"] == "daniel.kim@tailspin-tech.com"
    assert row["user.uid"] == "a7c2e4f6-1b3d-4e5f-8a9c-0d2e4f6a8b12"
    assert row["user.full_name"] == "Daniel Kim"
    assert row["src_endpoint.ip"] == "146.70.45.118"
    assert row["src_endpoint.autonomous_system.number"] == 9009
    assert row["src_endpoint.location.country"] == "RO"
    assert row["src_endpoint.location.city"] == "Bucharest"
    assert row["risk_level"] == "Medium"
    assert row["unmapped.risk_event_types"] == ["anonymizedIPAddress"]
    assert row["unmapped.is_suspicious"] is True  # riskState atRisk
    assert (row["status_id"], row["status_code"]) == (1, "0")
    assert row["is_mfa"] is True
    assert row["service.name"] == "GitHub Enterprise Managed User"
    assert row["auth_protocol"] == "SAML"
    assert row["session.uid"] == "11b8d4f3-6c2e-4a0b-9f7d-3e5c7a9b1d22"
    assert (row["logon_type"], row["logon_type_id"], row["is_remote"]) == (
        "Interactive",
        99,
        True,
    )
    # 7 fractional digits are truncated to microseconds, not rejected
    assert row["time"] == "2024-06-03T14:11:09.551234+00:00"


def test_mfa_failure_and_conditional_access_block() -> None:
    outcomes = _rows("graph-signins-page.json")
    mfa = _by_id(outcomes, "d1a0b2c3-4e5f-4a6b-8c7d-9e0f1a2b3c03")
    assert (mfa["status_id"], mfa["status_code"]) == (2, "500121")
    assert mfa["status_detail"].startswith("Authentication failed during strong authentication")
    assert mfa["is_mfa"] is True
    assert mfa["src_endpoint.autonomous_system.number"] == 60068
    blocked = _by_id(outcomes, "d1a0b2c3-4e5f-4a6b-8c7d-9e0f1a2b3c04")
    assert blocked["src_endpoint.location.country"] == "CN"
    assert blocked["src_endpoint.location.region"] == "Liaoning"
    assert blocked["status_code"] == "53003"
    assert blocked["unmapped.conditional_access_status"] == "failure"
    assert blocked["risk_level"] == "High"
    assert blocked["unmapped.risk_event_types"] == ["unfamiliarFeatures", "newCountry"]
    policies = blocked["unmapped"]["appliedConditionalAccessPolicies"]
    assert {p["result"] for p in policies} == {"success", "failure"}


def test_managed_device_and_partial_record() -> None:
    outcomes = _rows("graph-signins-page.json")
    home = _by_id(outcomes, "d1a0b2c3-4e5f-4a6b-8c7d-9e0f1a2b3c01")
    assert home["src_endpoint.device.uid"] == "e5f7a9b1-3c5d-4e7f-9a1b-3c5d7e9f1a45"
    assert home["src_endpoint.device.name"] == "TT-MBP-0142"
    assert home["src_endpoint.device.os.name"] == "MacOs"
    assert home["src_endpoint.device.is_managed"] is True
    assert home["src_endpoint.device.is_compliant"] is True
    assert home["unmapped"]["deviceDetail.trustType"] == "Azure AD joined"
    partial = _by_id(outcomes, "d1a0b2c3-4e5f-4a6b-8c7d-9e0f1a2b3c20")
    assert partial["status_detail"].startswith("Error validating credentials")
    assert partial["src_endpoint.ip"] == "192.0.2.41"
    assert "src_endpoint.location.country" not in partial and "logon_type" not in partial


def test_laptop_farm_accounts_share_one_residential_ip() -> None:
    outcomes = _rows("graph-signins-page.json")
    farm = [o["row"] for o in outcomes if o["row"].get("src_endpoint.ip") == "68.2.114.37"]
    assert len({r["user.uid"] for r in farm}) == 3
    assert {r["src_endpoint.autonomous_system.number"] for r in farm} == {22773}
    assert {r["src_endpoint.device.is_managed"] for r in farm} == {False}


# --------------------------------------------------------------------------- Azure Monitor


def test_diagnostic_records_by_category() -> None:
    outcomes = _rows("eventhub-diagnostic-records.json")
    assert [o["table"] for o in outcomes] == [
        "authentication",
        "authentication",
        "authentication",
        "base_event",
    ]
    interactive, non_interactive, principal, audit = (o["row"] for o in outcomes)
    assert interactive["metadata.log_name"] == "SignInLogs"
    assert interactive["unmapped.risk_event_types"] == ["impossibleTravel", "unfamiliarFeatures"]
    assert interactive["src_endpoint.location.country"] == "RU"
    assert "http_request.user_agent" not in interactive
    assert (
        interactive["unmapped"]["azure_monitor.tenantId"] == "5b8d2c4e-7a1f-4e3b-9c6d-2f0a8e1b3d57"
    )
    assert non_interactive["logon_type"] == "Non-interactive"
    assert non_interactive["unmapped.conditional_access_status"] == "success"  # written as 0
    assert non_interactive["src_endpoint.device.name"] == "DESKTOP-R8K2L7M"
    assert non_interactive["is_mfa"] is False
    assert principal["logon_type"] == "Service principal"
    assert principal["user.name"] == "deploy-pipeline"
    assert principal["user.uid"] == "6e8a0c2e-4a6c-4e8a-0c2e-4a6c8e0a2c46"
    assert "user.email_addr" not in principal
    assert audit["metadata.log_name"] == "AuditLogs"
    assert audit["metadata.event_code"] == "User registered security info"
    assert audit["actor.user.name"] == "sofia.ramirez@tailspin-tech.com"
    assert audit["unmapped"]["properties.initiatedBy.user.ipAddress"] == "68.2.114.37"


def test_storage_account_lines_with_us_dates_and_numeric_fields() -> None:
    outcomes = _rows("storage-account-PT1H.json")
    assert len(outcomes) == 3 and all(o["table"] == "authentication" for o in outcomes)
    first, second, third = (o["row"] for o in outcomes)
    assert first["src_endpoint.autonomous_system.number"] == 22773  # "22773" as text
    assert first["unmapped.conditional_access_status"] == "success"
    assert second["metadata.original_time"] == "6/4/2024 3:19:40 PM"
    assert second["time"] == "2024-06-04T15:19:40+00:00"
    assert third["logon_type"] == "Non-interactive"


def test_log_analytics_rows_with_pascal_case_and_json_text() -> None:
    outcomes = _rows("log-analytics-signinlogs.json")
    rows = [o["row"] for o in outcomes]
    assert rows[0]["src_endpoint.ip"] == "146.70.45.118"
    assert rows[0]["src_endpoint.location.country"] == "RO"  # LocationDetails
    assert rows[0]["src_endpoint.device.os.name"] == "Windows10"  # DeviceDetail as JSON text
    assert rows[0]["unmapped.risk_event_types"] == ["anonymizedIPAddress"]  # JSON text
    assert rows[0]["metadata.log_name"] == "SignInLogs"
    assert rows[1]["status_code"] == "53003"
    assert rows[2]["user.name"] == "li.wei@tailspin-tech.com"


# --------------------------------------------------------------------------- bad input


def test_bad_records_are_quarantined_with_reasons_and_good_ones_kept() -> None:
    outcomes = _rows("bad-records.ndjson")
    reasons = {
        o["quarantine"]["record"]: o["quarantine"]["reason"] for o in outcomes if "quarantine" in o
    }
    assert "no timestamp" in reasons[2]
    assert reasons[3] == "autonomousSystemNumber 'AS60068 Datacamp' is not a number"
    assert reasons[4].startswith("invalid JSON")
    assert reasons[5] == "deviceDetail.isManaged 'maybe' is not true or false"
    assert reasons[6] == "createdDateTime 'not-a-date' is not a timestamp"
    assert reasons[7] == "Entra record is not a JSON object"
    assert [o["row"]["raw_source.record"] for o in outcomes if "row" in o] == [1, 8]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1/9/2007 9:41:00 AM", datetime(2007, 1, 9, 9, 41, tzinfo=UTC)),
        ("01/09/2007 09:41:00 PM", datetime(2007, 1, 9, 21, 41, tzinfo=UTC)),
        ("1/9/2007 12:05:00 AM", datetime(2007, 1, 9, 0, 5, tzinfo=UTC)),
        ("1/9/2007 10:41:00 AM +01:00", datetime(2007, 1, 9, 9, 41, tzinfo=UTC)),
        ("01/09/2007 09:41:00", datetime(2007, 1, 9, 9, 41, tzinfo=UTC)),
        ("2007-01-09T11:41:00+02:00", datetime(2007, 1, 9, 9, 41, tzinfo=UTC)),
        ("2007-01-09T09:41:00.535404056Z", datetime(2007, 1, 9, 9, 41, 0, 535404, tzinfo=UTC)),
    ],
)
def test_entra_time_formats(text: str, expected: datetime) -> None:
    assert entra_time(text, "time") == expected


def test_impossible_us_date_is_rejected() -> None:
    with pytest.raises(RecordError, match="not a timestamp"):
        entra_time("13/45/2024 9:00:00 AM", "time")


# --------------------------------------------------------------------------- detection


def test_detected_by_content_whatever_the_wrapper_or_name(tmp_path: Path) -> None:
    records = json.loads((SAMPLES / "eventhub-diagnostic-records.json").read_text())["records"]
    storage_lines = tmp_path / "PT1H.log"
    storage_lines.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert choose_parser(read_sample(str(storage_lines))).name == "entra_signin"
    graph = json.loads((SAMPLES / "graph-signins-page.json").read_text())["value"]
    bare_array = tmp_path / "download.gz"
    with gzip.open(bare_array, "wt") as handle:
        json.dump(graph, handle)
    assert choose_parser(read_sample(str(bare_array))).name == "entra_signin"
    subset = tmp_path / "subset.json"
    subset.write_text(
        json.dumps(
            {
                "value": [
                    {
                        "createdDateTime": "2024-06-04T16:00:00Z",
                        "userPrincipalName": "a@example.com",
                        "ipAddress": "192.0.2.1",
                    }
                ]
            }
        )
    )
    assert choose_parser(read_sample(str(subset))).name == "entra_signin"


def test_audit_logs_alone_and_graph_users_are_not_claimed(tmp_path: Path) -> None:
    records = json.loads((SAMPLES / "eventhub-diagnostic-records.json").read_text())["records"]
    audit_only = tmp_path / "auditlogs.json"
    audit_only.write_text(
        json.dumps({"records": [r for r in records if r["category"] == "AuditLogs"]})
    )
    assert EntraSignInParser().sniff(read_sample(str(audit_only))) == 0
    users = tmp_path / "users.json"
    users.write_text(
        json.dumps(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
                "value": [
                    {
                        "id": "3f6a1c2e-8b4d-4f7a-9e2c-1d5b7a9c3e01",
                        "userPrincipalName": "priya.shah@tailspin-tech.com",
                        "displayName": "Priya Shah",
                        "createdDateTime": "2023-02-01T10:00:00Z",
                        "accountEnabled": True,
                    }
                ],
            }
        )
    )
    assert EntraSignInParser().sniff(read_sample(str(users))) == 0


def test_unrecognised_file_is_not_forced_into_entra(tmp_path: Path) -> None:
    other = tmp_path / "activity.json"
    other.write_text(
        json.dumps(
            {
                "records": [
                    {
                        "time": "2024-06-05T15:33:47Z",
                        "category": "Administrative",
                        "operationName": "MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE",
                        "properties": {"statusCode": "Created"},
                    }
                ]
            }
        )
    )
    assert EntraSignInParser().sniff(read_sample(str(other))) == 0
    with pytest.raises(FileError):
        choose_parser(read_sample(str(other)))


def test_renamed_sample_is_still_entra(tmp_path: Path) -> None:
    renamed = tmp_path / "okta-export.json"  # a misleading name
    shutil.copy(SAMPLES / "graph-signins-page.json", renamed)
    assert choose_parser(read_sample(str(renamed))).name == "entra_signin"


# --------------------------------------------------------------------------- end to end


def test_ingest_into_the_store_and_query_it(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(SAMPLES)])
    assert {r.format for r in results} == {"entra_signin"}
    con = ws.connect()
    shared = con.execute(
        'SELECT "src_endpoint.ip", count(DISTINCT "user.uid") FROM authentication '
        'WHERE status_id = 1 GROUP BY 1 HAVING count(DISTINCT "user.uid") > 1'
    ).fetchall()
    assert shared == [("68.2.114.37", 3)]
    anonymized = con.execute(
        'SELECT DISTINCT "user.name" FROM authentication '
        "WHERE list_contains(\"unmapped.risk_event_types\", 'anonymizedIPAddress')"
    ).fetchall()
    assert anonymized == [("daniel.kim@tailspin-tech.com",)]
    countries = con.execute(
        'SELECT DISTINCT "src_endpoint.location.country" FROM authentication '
        "WHERE \"user.name\" = 'daniel.kim@tailspin-tech.com' ORDER BY 1"
    ).fetchall()
    assert [c for (c,) in countries] == ["CN", "RO", "RU", "US"]
    audit = con.execute("SELECT count(*) FROM base_event WHERE \"metadata.log_name\" = 'AuditLogs'")
    assert audit.fetchone() == (1,)
    quarantined = con.execute(
        "SELECT count(*) FROM quarantine WHERE \"raw_source.file\" LIKE '%bad-records.ndjson'"
    ).fetchone()
    assert quarantined == (6,)
    con.close()
    ws.close()


def test_examples_ingest_without_rejections(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(EXAMPLES)])
    assert results and all(r.format == "entra_signin" and r.status == "imported" for r in results)
    assert sum(r.rejected for r in results) == 0
    assert sum(r.stored for r in results) >= 10
    ws.close()


@pytest.mark.parametrize(
    ("field", "address", "reason"),
    [
        ("ipAddress", 2454695286, "ipAddress 2454695286 is a number, not an IP address"),
        ("ipAddress", ["146.70.45.118"], "is a list, not an IP address"),
        ("ipAddress", {"ip": "146.70.45.118"}, "is an object, not an IP address"),
        ("callerIpAddress", 7, "callerIpAddress 7 is a number, not an IP address"),
    ],
)
def test_an_address_that_is_not_one_is_quarantined_not_stored(
    tmp_path: Path, field: str, address: Any, reason: str
) -> None:
    """Addresses go through the one IP check every source uses (as Okta and GitHub)."""
    record = json.loads(
        gzip.decompress((SAMPLES / "signins.ndjson.gz").read_bytes()).split(b"\n")[0]
    )
    if field == "callerIpAddress":
        record = {"time": record["createdDateTime"], "category": "SignInLogs",
                  "operationName": "Sign-in activity", "callerIpAddress": address,
                  "properties": record}  # fmt: skip
    else:
        record[field] = address
    path = tmp_path / "signins.ndjson"
    path.write_text(json.dumps(record) + "\n")
    [outcome] = parse_sample(path, "entra_signin")
    assert reason in outcome["quarantine"]["reason"]
