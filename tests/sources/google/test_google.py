"""Google Workspace Reports API: sign-ins, Drive exfiltration signals, other applications."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.sources import read_sample
from farmhunt.sources.google.reports import GoogleWorkspaceReportsParser, parameters
from farmhunt.sources.registry import choose_parser
from farmhunt.store import Workspace
from tests.golden import check_golden, golden_cases, parse_sample

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"


@pytest.mark.parametrize("sample,golden", golden_cases(HERE), ids=lambda p: p.name)
def test_golden(sample: Path, golden: Path, update_golden: bool) -> None:
    check_golden(sample, golden, update_golden, expected_format="google_workspace")


def _rows(name: str) -> list[dict[str, Any]]:
    return [o for o in parse_sample(SAMPLES / name) if "row" in o]


def _by_code(rows: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return [o["row"] for o in rows if o["row"].get("metadata.event_code") == code]


def test_login_page_maps_sign_ins_with_status_mfa_and_place() -> None:
    rows = _rows("login-activities-page.json")
    assert {o["table"] for o in rows} == {"authentication"}
    ok = _by_code(rows, "login_success")
    first = ok[0]
    assert first["activity_id"] == 1 and first["status_id"] == 1
    assert first["user.email_addr"] == "michael.chen@example.com"
    assert first["actor.user.uid"] == "104838472649873211234"
    assert first["src_endpoint.ip"] == "198.51.100.23"
    assert first["src_endpoint.location.country"] == "US"
    assert first["src_endpoint.location.region"] == "US-TX"
    assert first["src_endpoint.autonomous_system.number"] == 7922
    assert first["is_mfa"] is True
    assert first["unmapped.is_suspicious"] is False
    assert first["time"] == "2025-10-06T14:02:11.418000+00:00"
    flagged = [r for r in ok if r.get("unmapped.is_suspicious")]
    assert [r["src_endpoint.location.country"] for r in flagged] == ["SG"]
    saml_login = ok[-1]
    assert saml_login["auth_protocol"] == "SAML" and saml_login["logon_type"] == "saml"

    failure = _by_code(rows, "login_failure")[0]
    assert failure["status_id"] == 2
    assert failure["status_detail"] == "login_failure_invalid_password"
    assert failure["is_mfa"] is False  # password only

    logout = _by_code(rows, "logout")[0]
    assert logout["activity_id"] == 2 and logout["activity_name"] == "Logoff"


def test_an_activity_with_two_events_makes_two_rows_each_with_its_own_raw_data() -> None:
    rows = _rows("login-activities-page.json")
    challenge = _by_code(rows, "login_challenge")[0]
    verification = _by_code(rows, "login_verification")[0]
    assert challenge["activity_id"] == 99 and challenge["status_id"] == 1
    assert verification["is_mfa"] is True
    for row, name in ((challenge, "login_challenge"), (verification, "login_verification")):
        raw = json.loads(row["raw_data"])
        assert [e["name"] for e in raw["events"]] == [name]
        assert raw["id"]["uniqueQualifier"] == "4418827345190027913"
    assert challenge["metadata.uid"] != verification["metadata.uid"]


def test_suspicious_login_warning_names_the_affected_account() -> None:
    warning = _by_code(_rows("login-activities-page.json"), "suspicious_login")[0]
    assert warning["unmapped.is_suspicious"] is True
    assert warning["risk_details"] == "suspicious_login"
    assert warning["user.email_addr"] == "michael.chen@example.com"
    assert warning["unmapped"]["login_timestamp"] == 1759794512004000  # intValue string -> int
    assert warning["unmapped"]["event_type"] == "account_warning"


def test_drive_downloads_and_external_share() -> None:
    rows = _rows("drive-activities.ndjson")
    assert {o["table"] for o in rows} == {"file_hosting_activity"}
    downloads = _by_code(rows, "download")
    assert len(downloads) == 5
    assert {d["activity_id"] for d in downloads} == {2}
    one = downloads[1]
    assert one["file.name"] == "customer-export-2025Q3.xlsx"
    assert one["file.uid"] == "1Zk8aB3nV0xC7mL2qW9eR4tY6uI1oP5s"
    assert one["file.type"] == "msexcel"
    assert "file.owner.email_addr" not in one  # a shared drive owns it
    assert one["unmapped"]["owner"] == "Engineering"
    assert one["file.visibility"] == "shared_internally"
    assert one["actor.user.email_addr"] == "michael.chen@example.com"
    assert one["unmapped"]["shared_drive_id"] == "0AJf3kq8Zp1xUk9PVA"

    shares = _by_code(rows, "change_user_access")
    granted, revoked = shares
    assert granted["activity_id"] == 12 and granted["activity_name"] == "Share"
    assert granted["dst_user.email_addr"] == "kim.jh.dev88@gmail.com"
    assert granted["unmapped.visibility_change"] == "external"
    assert granted["unmapped.old_visibility"] == "private"
    assert granted["unmapped"]["new_value"] == ["can_edit"]
    assert revoked["activity_id"] == 13 and revoked["activity_name"] == "Unshare"
    link = _by_code(rows, "change_document_visibility")[0]
    assert link["activity_id"] == 12 and link["file.visibility"] == "people_with_link"
    assert _by_code(rows, "view")[0]["activity_id"] == 9
    assert _by_code(rows, "edit")[0]["activity_id"] == 3
    assert _by_code(rows, "copy")[0]["activity_id"] == 6
    assert _by_code(rows, "create")[0]["activity_id"] == 1


def test_other_applications_are_routed_not_rejected() -> None:
    outcomes = parse_sample(SAMPLES / "workspace-other-apps.json.gz")
    assert all("row" in o for o in outcomes)
    by_code = {o["row"]["metadata.event_code"]: o for o in outcomes}
    saml_fail = by_code["login_failure"]
    assert saml_fail["table"] == "authentication"
    assert saml_fail["row"]["service.name"] == "GitHub Enterprise Cloud"
    assert saml_fail["row"]["status_detail"] == "failure_app_not_configured_for_user"
    assert by_code["2sv_disable"]["table"] == "account_change"
    assert by_code["2sv_disable"]["row"]["activity_name"] == "MFA Factor Disable"
    assert by_code["recovery_email_edit"]["row"]["activity_id"] == 99
    grant = by_code["authorize"]
    assert grant["table"] == "api_activity"
    assert grant["row"]["resource.name"] == "rclone"
    assert grant["row"]["resource.type"] == "oauth_app"
    assert grant["row"]["resource.uid"].endswith(".apps.googleusercontent.com")
    assert grant["row"]["api.service.name"] == "token"
    assert grant["row"]["activity_id"] == 1
    assert grant["row"]["unmapped"]["scope"] == ["https://www.googleapis.com/auth/drive"]
    admin = by_code["CHANGE_USER_ORGANIZATION"]["row"]
    assert admin["activity_id"] == 3 and admin["resource.name"] == "michael.chen@example.com"


def test_bad_records_are_quarantined_with_reasons_and_good_ones_kept() -> None:
    outcomes = parse_sample(SAMPLES / "bad-and-partial.ndjson")
    reasons = [o["quarantine"]["reason"] for o in outcomes if "quarantine" in o]
    assert any("id.time is missing" in r for r in reasons)
    assert any("invalid JSON" in r for r in reasons)
    assert any("login_timestamp" in r and "not a number" in r for r in reasons)
    assert any("events is missing or not a list" in r for r in reasons)
    assert any("not a timestamp" in r for r in reasons)
    assert len(reasons) == 5
    stored = [o["row"] for o in outcomes if "row" in o]
    assert [r["metadata.event_code"] for r in stored] == ["login_success", "download", "view"]
    # an exporter's single-object "events" and a record without actor or IP still load
    assert stored[1]["file.name"] == "prod-db-credentials-rotation.txt"
    assert "actor.user.email_addr" not in stored[2]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_detected_by_content_whatever_the_name_or_wrapper(tmp_path: Path) -> None:
    page = json.loads((SAMPLES / "login-activities-page.json").read_text())
    items = page["items"]
    cases = {
        "export.txt": "\n".join(json.dumps(i) for i in items),
        "array.log": json.dumps(items, indent=1),
        "page-line.jsonl": json.dumps(page),
        # a subset of fields: no kind, no actor, no etag
        "subset.json": json.dumps(
            [{"id": i["id"], "events": i["events"], "ipAddress": "192.0.2.9"} for i in items]
        ),
    }
    for name, text in cases.items():
        sample = read_sample(str(_write(tmp_path / name, text)))
        assert choose_parser(sample).name == "google_workspace", name
    rows = parse_sample(tmp_path / "page-line.jsonl")
    assert len([o for o in rows if "row" in o]) == 8


def test_other_json_with_an_id_or_events_is_not_claimed(tmp_path: Path) -> None:
    okta = {
        "uuid": "a1",
        "published": "2025-10-06T14:02:11.418Z",
        "eventType": "user.session.start",
        "actor": {"id": "00u1", "alternateId": "m@example.com"},
    }
    github = {"@timestamp": 1759795712004, "action": "git.clone", "actor": "mchen-dev"}
    webhook = {"id": "evt_1", "events": ["push"], "created_at": "2025-10-06T14:02:11Z"}
    for i, value in enumerate((okta, github, webhook)):
        sample = read_sample(str(_write(tmp_path / f"x{i}.json", json.dumps(value))))
        assert GoogleWorkspaceReportsParser().sniff(sample) == 0.0


def test_end_to_end_into_the_store(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(SAMPLES)])
    assert {r.format for r in results} == {"google_workspace"}
    con = ws.connect()
    downloads = con.execute(
        'select count(*), count(distinct "file.uid") from file_hosting_activity '
        "where activity_id = 2 and \"actor.user.email_addr\" = 'michael.chen@example.com'"
    ).fetchone()
    assert downloads == (6, 5)
    external = con.execute(
        'select "metadata.event_code", "dst_user.email_addr", "file.visibility" '
        "from file_hosting_activity "
        "where \"unmapped.visibility_change\" = 'external' and activity_id = 12 order by time"
    ).fetchall()
    assert external == [
        ("change_user_access", "kim.jh.dev88@gmail.com", "shared_externally"),
        ("change_document_visibility", None, "people_with_link"),
    ]
    flagged = con.execute(
        'select "src_endpoint.ip" from authentication where "unmapped.is_suspicious" '
        'and "src_endpoint.ip" is not null'
    ).fetchall()
    assert flagged == [("203.0.113.77",)]
    quarantined = con.execute("select count(*) from quarantine").fetchone()
    assert quarantined == (5,)


def test_gzip_sample_is_really_gzip() -> None:
    with gzip.open(SAMPLES / "workspace-other-apps.json.gz", "rt") as fh:
        assert isinstance(json.load(fh), list)


def test_a_page_the_framing_cannot_unwrap_and_an_empty_last_page(tmp_path: Path) -> None:
    page = json.loads((SAMPLES / "login-activities-page.json").read_text())
    odd = dict(page, pageInfo={"resultsPerPage": 7})  # an extra object beside items
    last = {"kind": "admin#reports#activities", "etag": '"x/y"'}  # no items: the end
    path = _write(tmp_path / "pages.jsonl", json.dumps(odd) + "\n" + json.dumps(last) + "\n")
    outcomes = parse_sample(path, expected_format="google_workspace")
    assert len(outcomes) == 8 and all("row" in o for o in outcomes)
    for o in outcomes:  # each row's evidence is its own activity with its own event
        raw = json.loads(o["row"]["raw_data"])
        assert [e["name"] for e in raw["events"]] == [o["row"]["metadata.event_code"]]


def test_parameter_value_types() -> None:
    params = parameters(
        [
            {"name": "n", "intValue": "42"},
            {"name": "ns", "multiIntValue": ["1", "2"]},
            {"name": "b", "boolValue": False},
            {"name": "m", "multiValue": ["a", "b"]},
            {"name": "msg", "messageValue": {"parameter": [{"name": "city", "value": "Reno"}]}},
            {"name": "msgs", "multiMessageValue": [{"parameter": [{"name": "k", "value": "v"}]}]},
            {"name": "empty"},
        ]
    )
    assert params == {
        "n": 42,
        "ns": [1, 2],
        "b": False,
        "m": ["a", "b"],
        "msg": {"city": "Reno"},
        "msgs": [{"k": "v"}],
        "empty": None,
    }


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        (3325256704, "ipAddress 3325256704 is a number, not an IP address"),
        (["198.51.100.23"], "is a list, not an IP address"),
        ({"v4": "198.51.100.23"}, "is an object, not an IP address"),
        ("www.example.com", "'www.example.com' is not an IP address"),
    ],
)
def test_an_address_that_is_not_one_is_quarantined_not_stored(
    tmp_path: Path, address: Any, reason: str
) -> None:
    """``ipAddress`` goes through the one IP check every source uses: a number, list or
    object would otherwise be stored, counted and compared as an address."""
    page = json.loads((SAMPLES / "login-activities-page.json").read_text())
    page["items"] = page["items"][:1]
    page["items"][0]["ipAddress"] = address
    path = tmp_path / "login.json"
    path.write_text(json.dumps(page))
    [outcome] = parse_sample(path, "google_workspace")
    assert reason in outcome["quarantine"]["reason"]
