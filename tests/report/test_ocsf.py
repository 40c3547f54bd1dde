"""OCSF: one Detection Finding (2004) per finding, with real OCSF 1.8 attributes only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from farmhunt.report import render
from farmhunt.report.ocsf_report import detection_finding
from tests.report.conftest import XSS_HOST, all_findings

VOCABULARY = json.loads((Path(__file__).parent / "ocsf_1_8_attributes.json").read_text())


def _events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    text = render(doc, "ocsf")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def _unknown(node: Any, kind: str, path: str) -> list[str]:
    """Attributes of ``node`` (an object of OCSF type ``kind``) that 1.8 does not define."""
    if isinstance(node, list):
        return [p for i, item in enumerate(node) for p in _unknown(item, kind, f"{path}[{i}]")]
    allowed = set(VOCABULARY["objects"][kind])
    problems = []
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        if key not in allowed:
            problems.append(where)
        elif key in VOCABULARY["json_attributes"]:
            continue
        elif isinstance(value, (dict, list)) and key in VOCABULARY["types"]:
            if isinstance(value, list) and value and not isinstance(value[0], dict):
                continue
            problems += _unknown(value, VOCABULARY["types"][key], where)
    return problems


def test_every_attribute_is_an_ocsf_1_8_attribute(doc: dict[str, Any]) -> None:
    events = _events(doc)
    assert events
    for event in events:
        assert _unknown(event, "detection_finding", "") == []


def test_the_class_and_its_identifiers(doc: dict[str, Any]) -> None:
    events = _events(doc)
    assert len(events) == len(all_findings(doc))
    enums = VOCABULARY["enums"]
    for event in events:
        assert (event["class_uid"], event["category_uid"], event["activity_id"]) == (2004, 2, 1)
        assert event["type_uid"] == 200401 and event["status_id"] == 1
        assert event["severity_id"] in enums["severity_id"] and event["severity_id"] > 0
        assert event["finding_info"]["analytic"]["type_id"] in enums["analytic_type_id"]
        assert event["metadata"]["version"] == "1.8.0"
        assert event["metadata"]["product"]["name"] == "farmhunt"
        assert event["metadata"]["product"]["vendor_name"] == "farmhunt"
        assert event["time"] == event["finding_info"]["created_time"] == 1762776000000
        assert isinstance(event["start_time"], int) and event["start_time"] <= event["end_time"]
    uids = [e["finding_info"]["uid"] for e in events]
    assert len(set(uids)) == len(uids)


def test_findings_keep_their_events_rule_and_worker(doc: dict[str, Any]) -> None:
    by_uid = {e["finding_info"]["uid"]: e for e in _events(doc)}
    worker = next(w for w in doc["workers"] if w["findings"])
    finding = worker["findings"][0]
    event = by_uid[finding["finding_id"]]
    info = event["finding_info"]
    assert [r["uid"] for r in info["related_events"]] == finding["event_uids"]
    assert info["related_events_count"] == finding["event_count"]
    assert info["analytic"]["uid"] == finding["rule_id"]
    assert [e["uid"] for e in event["evidences"]] == [
        e["metadata.uid"] for e in finding["evidence"]
    ]
    assert event["actor"]["user"]["uid"] == worker["worker_id"]
    assert event["actor"]["user"]["email_addr"] == worker["email"]
    assert event["risk_score"] == round(worker["score"])
    assert event["risk_level_id"] == {"low": 1, "medium": 2, "high": 3}[worker["level"]]
    assert event["unmapped"]["farmhunt"]["triage"] == finding["triage"]


def test_unattributed_findings_have_no_actor_or_risk(doc: dict[str, Any]) -> None:
    [event] = [e for e in _events(doc) if e["resources"][0]["uid"] == XSS_HOST]
    assert "actor" not in event and "risk_score" not in event
    assert event["device"]["hostname"] == XSS_HOST
    assert event["evidences"][0]["device"]["hostname"] == XSS_HOST


@pytest.mark.parametrize(
    ("technique", "key"), [("T1219", "technique"), ("T1021.001", "sub_technique")]
)
def test_attack_ids_land_in_technique_or_sub_technique(
    doc: dict[str, Any], technique: str, key: str
) -> None:
    finding = {**all_findings(doc)[0], "attack": [technique]}
    event = detection_finding(finding, None, doc["generated_at"])
    assert event["finding_info"]["attacks"] == [{key: {"uid": technique}}]
