"""GitHub audit log: clones, ZIP downloads, visibility changes, keys, with their facts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.sources import read_sample
from farmhunt.sources.base import RawRecord
from farmhunt.sources.github.audit import GitHubAuditLogParser
from farmhunt.sources.registry import choose_parser
from farmhunt.store import Workspace
from tests.golden import check_golden, golden_cases, parse_sample

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
STREAM = SAMPLES / "audit-stream-2025-10-07.json.log.gz"


@pytest.mark.parametrize("sample,golden", golden_cases(HERE), ids=lambda p: p.name)
def test_golden(sample: Path, golden: Path, update_golden: bool) -> None:
    check_golden(sample, golden, update_golden, expected_format="github_audit")


def _rows(path: Path) -> list[dict[str, Any]]:
    outcomes = parse_sample(path)
    assert all(o.get("table") == "api_activity" for o in outcomes if "row" in o)
    return [o["row"] for o in outcomes if "row" in o]


def _action(rows: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["api.operation"] == action]


def test_clone_burst_keeps_repository_visibility_actor_ip_and_transport() -> None:
    clones = _action(_rows(STREAM), "git.clone")
    assert len(clones) == 6
    assert {c["resource.visibility"] for c in clones} == {"non-public"}
    assert {c["actor.user.name"] for c in clones} == {"mchen-dev"}
    assert {c["actor.user.email_addr"] for c in clones} == {"michael.chen@example.com"}
    assert {c["src_endpoint.ip"] for c in clones} == {"203.0.113.77"}
    assert {c["src_endpoint.location.country"] for c in clones} == {"SG"}
    first = clones[0]
    assert first["resource.name"] == "example-corp/payments-api"
    assert first["resource.type"] == "repository"
    assert first["resource.uid"] == "701233410"
    assert first["resource.owner.name"] == "example-corp"
    assert first["actor.user.uid"] == "143877201"
    assert first["activity_id"] == 2 and first["activity_name"] == "Read"
    assert first["time"] == "2025-10-07T01:30:02.114000+00:00"
    assert first["metadata.original_time"] == "1759800602114"
    assert [c["unmapped.transport_protocol"] for c in clones] == [
        "ssh",
        "http",
        "http",
        "ssh",
        "http",
        "http",
    ]
    http = clones[1]
    assert http["unmapped.hashed_token"] == "k2V7xq9Zb1mNf4Rt8YpLw3Hs6Jd0Ca5EuGi2Ko7Qv1="
    assert http["unmapped.programmatic_access_type"] == "Personal access token (classic)"
    assert http["http_request.user_agent"] == "git/2.45.1.windows.1"
    assert http["unmapped"]["token_scopes"] == "repo,read:org"
    # an empty "user" and user_id 0 (GitHub's "nobody") do not become a resource
    assert [r["type"] for r in http["resources"]] == ["repository", "organization", "enterprise"]


def test_visibility_change_zip_download_keys_and_push() -> None:
    rows = _rows(STREAM)
    change = _action(rows, "repo.access")[0]
    assert change["resource.visibility"] == "public"
    assert change["unmapped.previous_visibility"] == "private"
    assert change["activity_id"] == 3
    zip_ = _action(rows, "repo.download_zip")[0]
    assert zip_["resource.name"] == "example-corp/auth-service"
    assert zip_["resource.visibility"] == "private"
    assert zip_["activity_id"] == 2
    ssh_key, deploy_key = _action(rows, "public_key.create")
    assert ssh_key["resource.type"] == "ssh_key" and ssh_key["resource.name"] == "build-box-2"
    assert ssh_key["unmapped.key_fingerprint"].startswith("SHA256:8nQ2")
    assert ssh_key["activity_id"] == 1
    assert ssh_key["resource.owner.name"] == "mchen-dev"  # a personal key, not the org's
    assert deploy_key["resource.type"] == "repository"
    assert deploy_key["resource.name"] == "example-corp/infra-terraform"
    assert deploy_key["resources"][1] == {
        "type": "deploy_key",
        "name": "ci-sync",
        "uid": "SHA256:Jc4mX0tR8kQ3vN6bL1yW9zH5pF2sD7gA4eU0iO3rT6w",
    }
    push = _action(rows, "git.push")[0]
    assert push["activity_id"] == 3 and push["unmapped.transport_protocol"] == "ssh"
    assert push["actor.user.name"] == "sokafor"
    fork = _action(rows, "private_repository_forking.enable")[0]
    assert fork["resource.name"] == "example-corp/ml-models" and fork["activity_id"] == 3


def test_rest_page_ui_export_and_event_hub_wrapper() -> None:
    rest = _rows(SAMPLES / "rest-org-audit-log.json")
    made_private = _action(rest, "repo.access")[0]
    assert made_private["resource.visibility"] == "private"
    assert made_private["unmapped.previous_visibility"] == "public"
    transfer = _action(rest, "repo.transfer_outgoing")[0]
    assert transfer["unmapped"]["new_nwo"] == "mchen-dev/ml-models"
    created = _action(rest, "repo.create")[0]
    assert created["resource.visibility"] == "internal"  # visibility wins over public_repo
    joined = _action(rest, "org.add_member")[0]
    assert joined["resource.type"] == "organization"
    assert {"type": "user", "name": "mchen-dev", "uid": "143877201"} in joined["resources"]

    ui = _rows(SAMPLES / "ui-export.json")
    team = _action(ui, "team.add_repository")[0]
    assert {"type": "team", "name": "example-corp/platform"} in team["resources"]
    hook = _action(ui, "hook.create")[0]
    assert hook["unmapped"]["data"]["hook_id"] == 512884301
    assert _action(ui, "repo.add_member")[0]["activity_id"] == 1

    hub = _rows(SAMPLES / "eventhub-capture.json")
    assert [r["status_id"] for r in hub] == [1, 2]
    assert hub[1]["status_detail"] == "404"
    assert hub[0]["unmapped"]["route"] == "/repos/{owner}/{repo}/tarball/{ref}"
    assert hub[0]["resource.visibility"] == "non-public"
    # a call naming no repository says nothing about an organization's visibility
    assert hub[1]["resource.type"] == "organization"
    assert "resource.visibility" not in hub[1]
    assert hub[1]["unmapped"]["public_repo"] is False


def test_bad_records_are_quarantined_and_partial_ones_kept() -> None:
    outcomes = parse_sample(SAMPLES / "bad-and-partial.ndjson")
    reasons = {
        o["quarantine"]["record"]: o["quarantine"]["reason"] for o in outcomes if "quarantine" in o
    }
    assert reasons[2] == "@timestamp and created_at are both missing"
    assert reasons[3].startswith("invalid JSON")
    assert "not a timestamp" in reasons[4]
    assert reasons[5] == "actor is a dict, expected text"
    assert "actor_id 'mchen' is not a number" in reasons[6]
    assert reasons[8] == "action is missing or not text"
    rows = [o["row"] for o in outcomes if "row" in o]
    assert [r["raw_source.record"] for r in rows] == [1, 7, 9]
    partial = rows[1]
    assert partial["time"] == "2025-10-07T01:33:10.457000+00:00"
    assert partial["resource.owner.name"] == "example-corp"  # from the repository's name
    assert "actor.user.name" not in rows[2]


def test_detected_by_content_in_any_wrapper(tmp_path: Path) -> None:
    with gzip.open(STREAM, "rt") as fh:
        events = [json.loads(line) for line in fh]
    cases = {
        "a.txt": "\n".join(json.dumps(e) for e in events),
        "b.json": json.dumps(events, indent=2),
        "c.json": json.dumps({"records": events}),
        "d.log": json.dumps(
            [
                {"action": e["action"], "@timestamp": e["@timestamp"], "repo": e.get("repo")}
                for e in events
            ]
        ),
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert choose_parser(read_sample(str(path))).name == "github_audit", name


def test_other_logs_with_an_action_key_are_not_claimed(tmp_path: Path) -> None:
    others = {
        "okta": {
            "uuid": "1",
            "published": "2025-10-07T01:30:02.114Z",
            "eventType": "user.session.start",
            "actor": {"id": "00u1", "alternateId": "m@example.com"},
        },
        "slack": {
            "id": "0123",
            "date_create": 1759800602,
            "action": "user_login",
            "actor": {"type": "user", "user": {"id": "W1", "email": "m@example.com"}},
        },
        "cloudflare": {
            "action": {"type": "login", "result": True},
            "actor": {"email": "m@example.com", "ip": "192.0.2.1"},
            "when": "2025-10-07T01:30:02Z",
        },
        "nested_actor": {
            "action": "user.session.start",
            "created_at": "2025-10-07T01:30:02Z",
            "actor": {"login": "m"},
        },
        "prose_action": {"action": "File downloaded", "created_at": 1759800602114, "actor": "m"},
    }
    for name, value in others.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(value), encoding="utf-8")
        assert GitHubAuditLogParser().sniff(read_sample(str(path))) == 0.0, name


def test_end_to_end_into_the_store(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(SAMPLES)])
    assert {r.format for r in results} == {"github_audit"}
    con = ws.connect()
    burst = con.execute(
        'select "actor.user.email_addr", count(distinct "resource.name") from api_activity '
        "where \"api.operation\" in ('git.clone', 'repo.download_zip') "
        "and \"resource.visibility\" <> 'public' group by 1 order by 1 nulls first"
    ).fetchall()
    # the identity-less clone comes from the partial records of bad-and-partial.ndjson
    assert burst == [(None, 1), ("michael.chen@example.com", 6)]
    exposed = con.execute(
        'select "resource.name", "actor.user.name", "raw_source.file" from api_activity '
        "where \"api.operation\" = 'repo.access' and \"unmapped.previous_visibility\" = 'private' "
        "and \"resource.visibility\" = 'public' order by 2 nulls last"
    ).fetchall()
    assert exposed == [
        ("example-corp/ml-models", "mchen-dev", str(STREAM)),
        ("example-corp/ml-models", None, str(SAMPLES / "bad-and-partial.ndjson")),
    ]
    assert con.execute("select count(*) from quarantine").fetchone() == (6,)


@pytest.mark.parametrize("bad", [12345, "12345", [1, 2], "host.example.com"])
def test_actor_ip_that_is_no_address_is_quarantined_not_stored(bad: Any) -> None:
    from farmhunt.sources.base import RecordError

    event = {
        "@timestamp": 1759801018410,
        "action": "git.clone",
        "actor": "mchen-dev",
        "actor_ip": bad,
        "repo": "example-corp/payments-api",
    }
    with pytest.raises(RecordError, match=r"actor_ip .* not an IP address"):
        GitHubAuditLogParser().normalize(RawRecord(1, event, json.dumps(event)))
