"""``--format ocsf``: one OCSF 1.8 Detection Finding (class 2004) per finding, as JSON lines.

Each finding becomes a *Create* (activity 1) of a *New* (status 1) Detection Finding:
``finding_info`` carries the rule (``analytic``), the time span and the ids of the events
behind it (``related_events``, the store's ``metadata.uid``); ``evidences`` carries the
events the report fetched; the worker is the ``actor.user`` and the laptop the ``device``
(Host profile); ``risk_score`` and ``risk_level_id`` are the worker's. What OCSF has no
attribute for (points, false positives, triage) is in ``unmapped.farmhunt``.
"""

from __future__ import annotations

from typing import Any

import orjson

from farmhunt import __version__
from farmhunt.report.values import epoch_ms
from farmhunt.schema.model import OCSF_VERSION

CLASS_UID = 2004
CATEGORY_UID = 2
ACTIVITY_CREATE = 1

SEVERITY_IDS = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
RISK_LEVEL_IDS = {"low": 1, "medium": 2, "high": 3}
"""farmhunt level → OCSF risk_level_id (0 Info, 1 Low, 2 Medium, 3 High, 4 Critical)."""
ANALYTIC_TYPES = {"match": (1, "Rule"), "correlation": (1, "Rule"), "analytic": (99, "Analytic")}

EVIDENCE_COLUMNS = (
    "device.hostname",
    "device.uid",
    "src_endpoint.ip",
    "src_endpoint.hostname",
    "src_endpoint.port",
    "dst_endpoint.ip",
    "dst_endpoint.hostname",
    "dst_endpoint.port",
    "process.name",
    "process.cmd_line",
    "process.pid",
    "process.file.path",
    "user.name",
    "user.email_addr",
    "user.uid",
)
"""Event columns copied into an evidence's objects (device, endpoints, process, user)."""


def _nest(paths: dict[str, Any]) -> dict[str, Any]:
    """{"a.b": 1, "a.c": 2} → {"a": {"b": 1, "c": 2}}."""
    out: dict[str, Any] = {}
    for path, value in paths.items():
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def _evidence(event: dict[str, Any]) -> dict[str, Any]:
    fields = event["fields"]
    item: dict[str, Any] = {"uid": event["metadata.uid"], "name": event["table"]}
    item.update(_nest({c: fields[c] for c in EVIDENCE_COLUMNS if c in fields}))
    users = {
        c.removeprefix("actor."): fields[c]
        for c in ("actor.user.name", "actor.user.email_addr", "actor.user.uid")
        if c in fields
    }
    if users:
        item["actor"] = _nest(users)
    item["data"] = {
        "time": event["time"],
        "raw_source": {
            "file": event["raw_source.file"],
            "record": event["raw_source.record"],
            "format": event["raw_source.format"],
        },
        "fields": fields,
    }
    return item


def _attacks(ids: list[str]) -> list[dict[str, Any]]:
    attacks = []
    for technique in ids:
        if "." in technique:
            attacks.append({"sub_technique": {"uid": technique}})
        else:
            attacks.append({"technique": {"uid": technique}})
    return attacks


def detection_finding(
    finding: dict[str, Any], worker: dict[str, Any] | None, created: str
) -> dict[str, Any]:
    """One finding as an OCSF Detection Finding event."""
    created_ms = epoch_ms(created)
    type_id, type_name = ANALYTIC_TYPES.get(finding["rule_kind"], (99, "Other"))
    known = {e["metadata.uid"]: e for e in finding["evidence"]}
    related = []
    for uid in finding["event_uids"]:
        related_event: dict[str, Any] = {"uid": uid}
        if uid in known and known[uid]["type_uid"] is not None:
            related_event["type_uid"] = known[uid]["type_uid"]
        related.append(related_event)
    info: dict[str, Any] = {
        "uid": finding["finding_id"],
        "title": finding["title"],
        "desc": finding["description"] or finding["explanation"],
        "types": [finding["category"]],
        "created_time": created_ms,
        "first_seen_time": epoch_ms(finding["first_seen"]),
        "last_seen_time": epoch_ms(finding["last_seen"]),
        "analytic": {"uid": finding["rule_id"], "name": finding["title"], "type_id": type_id},
        "related_events": related,
        "related_events_count": finding["event_count"],
        "data_sources": finding["tables"],
    }
    info["analytic"]["type"] = type_name
    if finding["attack"]:
        info["attacks"] = _attacks(finding["attack"])
    severity = finding["severity"] or "informational"
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Detection Finding: Create",
        "time": created_ms,
        "start_time": info["first_seen_time"],
        "end_time": info["last_seen_time"],
        "count": finding["event_count"],
        "severity_id": SEVERITY_IDS.get(severity, 0),
        "severity": severity.capitalize(),
        "status_id": 1,
        "status": "New",
        "is_alert": True,
        "message": finding["explanation"],
        "finding_info": {k: v for k, v in info.items() if v is not None},
        "evidences": [_evidence(e) for e in finding["evidence"]],
        "resources": [
            {"uid": finding["subject"], "name": finding["subject"], "type": finding["subject_type"]}
        ],
        "metadata": {
            "version": OCSF_VERSION,
            "uid": finding["finding_id"],
            "profiles": ["host"],
            "product": {"name": "farmhunt", "vendor_name": "farmhunt", "version": __version__},
        },
        "unmapped": {
            "farmhunt": {
                "rule_source": finding["source"],
                "weight": finding["weight"],
                "points": finding["points"],
                "fbi_guidance": finding["fbi_guidance"],
                "false_positives": finding["false_positives"],
                "triage": finding["triage"],
                "matched": finding["matched"],
                "evidence_omitted": finding["evidence_omitted"],
            }
        },
    }
    if finding["device"]:
        event["device"] = {"hostname": finding["device"], "type_id": 0, "type": "Unknown"}
    if worker is not None:
        user = {
            "uid": worker["worker_id"],
            "full_name": worker["full_name"],
            "email_addr": worker["email"],
        }
        event["actor"] = {"user": {k: v for k, v in user.items() if v}}
        if worker["score"] is not None:
            event["risk_score"] = round(worker["score"])
        if worker["level"] in RISK_LEVEL_IDS:
            event["risk_level_id"] = RISK_LEVEL_IDS[worker["level"]]
            event["risk_level"] = worker["level"].capitalize()
        event["unmapped"]["farmhunt"]["cluster_id"] = worker["cluster_id"]
    return event


def render_ocsf(doc: dict[str, Any]) -> str:
    """Every finding (workers' by rank, then unattributed) as one JSON line each."""
    lines = []
    for worker in doc["workers"]:
        for finding in worker["findings"]:
            lines.append(detection_finding(finding, worker, doc["generated_at"]))
    for finding in doc["unattributed"]:
        lines.append(detection_finding(finding, None, doc["generated_at"]))
    return "".join(orjson.dumps(line).decode() + "\n" for line in lines)
