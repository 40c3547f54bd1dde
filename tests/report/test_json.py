"""The JSON report: valid against its shipped schema, documented, reproducible, and built
from the events findings name (never whole tables)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import jsonschema

from farmhunt import pipeline
from farmhunt.ingest.model import IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.report import SCHEMA_VERSION, build_report, json_schema, render
from farmhunt.report.evidence import PER_FINDING
from farmhunt.settings import load_settings
from farmhunt.simulate.run import TELEMETRY
from farmhunt.store import Workspace
from tests.report.conftest import (
    FORMULA_PROCESS,
    HOSTILE_HOSTS,
    NOW,
    XSS_HOST,
    Scanned,
    all_findings,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "report-json.md"


def test_output_validates_against_the_shipped_schema(doc: dict[str, Any]) -> None:
    parsed = json.loads(render(doc, "json"))
    validator = jsonschema.Draft202012Validator(json_schema())
    errors = sorted(validator.iter_errors(parsed), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert (
        parsed["schema_version"]
        == SCHEMA_VERSION
        == json_schema()["properties"]["schema_version"]["const"]
    )


def test_the_schema_rejects_what_it_does_not_document(doc: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    broken = json.loads(render(doc, "json"))
    broken["workers"][0]["secret"] = 1
    assert not validator.is_valid(broken)
    broken = json.loads(render(doc, "json"))
    broken["workers"][0]["findings"][0]["evidence"] = [{"time": "yesterday"}]
    assert not validator.is_valid(broken)


def test_generated_at_is_the_only_time_dependent_value(scanned: Scanned) -> None:
    from datetime import timedelta

    with Workspace(scanned.workspace) as ws:
        later = build_report(ws, now=NOW + timedelta(days=400))
    assert scanned.doc["generated_at"] == "2025-11-10T12:00:00.000Z"
    assert later["generated_at"] != scanned.doc["generated_at"]
    assert {**later, "generated_at": None} == {**scanned.doc, "generated_at": None}


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(set(a) | set(b))
            for d in _differences(a.get(k), b.get(k), f"{path}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_two_scans_of_the_same_files_give_the_same_report(scanned: Scanned) -> None:
    """Roster and inventory rows without a snapshot date are stamped with the import's
    clock; nothing of that clock may reach the report (findings, evidence, time range)."""
    with Workspace(scanned.root / "ws-again", create=True) as ws:
        ingest_paths(
            ws,
            [str(scanned.root / "sim" / TELEMETRY), str(scanned.root / "edr-export.jsonl")],
            IngestOptions(),
        )
        pipeline.analyse(ws, load_settings(scanned.root / "sim" / "farmhunt.yaml"))
        again = build_report(ws, now=NOW)
    first = json.loads(render(scanned.doc, "json"))
    second = json.loads(render(again, "json"))
    assert _differences(first, second) == []
    hiring = [f for f in all_findings(first) if f["category"] == "hiring"]
    assert hiring, "the simulated company has hiring findings"
    last = first["ingest"]["time_range"]["last"]
    assert all(f["last_seen"] is None or f["last_seen"] <= last for f in hiring)


def test_workers_are_ranked_and_points_decompose_the_score(doc: dict[str, Any]) -> None:
    ranks = [w["rank"] for w in doc["workers"] if w["rank"] is not None]
    assert ranks == sorted(ranks) and ranks[0] == 1
    scores = [w["score"] for w in doc["workers"] if w["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    for worker in doc["workers"]:
        total = sum(c["points"] for c in worker["contributions"])
        assert math.isclose(total, worker["score"], abs_tol=0.2)
        counted = {c["ref"]: c["points"] for c in worker["contributions"] if c["kind"] == "finding"}
        for finding in worker["findings"]:
            assert finding["worker_id"] == worker["worker_id"]
            assert finding["points"] == counted.get(finding["finding_id"])


def test_evidence_is_the_findings_own_events_with_their_origin(doc: dict[str, Any]) -> None:
    findings = all_findings(doc)
    with_events = [f for f in findings if f["evidence"]]
    assert len(with_events) > len(findings) / 2
    for finding in findings:
        assert len(finding["evidence"]) <= PER_FINDING
        uids = set(finding["event_uids"])
        assert {e["metadata.uid"] for e in finding["evidence"]} <= set(
            finding["event_uids"][:PER_FINDING]
        )
        for event in finding["evidence"]:
            assert event["metadata.uid"] in uids
            assert event["table"] in finding["tables"]
            assert event["raw_source.file"] and event["raw_source.record"] is not None
            assert event["raw_data"]
        shown = len(finding["evidence"])
        assert (
            finding["evidence_omitted"]
            == max(finding["event_count"], len(finding["event_uids"])) - shown
        )
        times = [e["time"] or "" for e in finding["evidence"]]  # undated roster rows first
        assert times == sorted(times)


def test_hostile_values_are_kept_exactly_as_logged(doc: dict[str, Any]) -> None:
    [xss] = [f for f in doc["unattributed"] if f["subject"] == XSS_HOST]
    assert xss["worker_id"] is None and xss["points"] is None
    assert {e["fields"]["process.name"] for e in xss["evidence"]} == {FORMULA_PROCESS}
    assert all(e["fields"]["device.hostname"] == XSS_HOST for e in xss["evidence"])


def test_fewer_events_per_finding_fetches_fewer(scanned: Scanned) -> None:
    with Workspace(scanned.workspace) as ws:
        small = build_report(ws, now=NOW, per_finding=1)
    for finding in all_findings(small):
        assert len(finding["evidence"]) == min(1, len(finding["event_uids"]))
    fetched = {e["metadata.uid"] for f in all_findings(small) for e in f["evidence"]}
    total = sum(small["ingest"]["events_by_table"].values())
    assert len(fetched) <= len(all_findings(small)) < total


def test_clusters_name_their_workers_and_what_they_share(doc: dict[str, Any]) -> None:
    assert doc["summary"]["farms"] >= 1
    scored = {w["worker_id"]: w for w in doc["workers"]}
    for cluster in doc["clusters"]:
        assert len(cluster["workers"]) == cluster["size"] >= 2
        for member in cluster["workers"]:
            assert scored[member]["cluster_id"] == cluster["cluster_id"]
        for shared in cluster["shared"]:
            assert set(shared["workers"]) <= set(cluster["workers"])
            if shared["kind"] == "residential_ip":
                assert shared["sign_ins"] >= 2 and shared["first_seen"] <= shared["last_seen"]


def test_ingest_summary_counts_what_the_store_holds(doc: dict[str, Any]) -> None:
    ingest = doc["ingest"]
    assert ingest["events"] == sum(ingest["events_by_table"].values())
    assert ingest["events"] == sum(ingest["events_by_source"].values())
    assert ingest["events_by_source"]["ocsf"] == len(HOSTILE_HOSTS) + 1  # XSS_HOST twice
    assert ingest["files"] >= 10 and ingest["quarantined"] == 0
    assert ingest["time_range"]["first"] < ingest["time_range"]["last"]


def _schema_names(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            out.add(key)
            _schema_names(value, out)
        for value in node.values():
            if isinstance(value, (dict, list)):
                _schema_names(value, out)
    elif isinstance(node, list):
        for value in node:
            _schema_names(value, out)
    return out


def test_every_property_of_the_schema_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_.]+)`", text))
    missing = sorted(_schema_names(json_schema(), set()) - documented)
    assert missing == []
    assert f'schema_version` | `"{SCHEMA_VERSION}"' in text or SCHEMA_VERSION in text
