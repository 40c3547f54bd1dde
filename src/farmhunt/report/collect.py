"""The report's content, read once from a workspace: every format renders this document.

The document is the JSON report itself (``docs/report-json.md``, schema
``report.schema.json``): what was ingested, the workers ranked by risk with their
findings and the events behind them, the candidate farms, the findings that no
worker could be linked to, and the accounts and hosts those name, ranked as
unresolved subjects (the only ranking there is without an HR roster). Reading it
touches the derived tables (scores, findings, clusters), the roster, aggregates of the
events, and only the events findings name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from farmhunt import __version__
from farmhunt.enrich.facts.addresses import address_text
from farmhunt.enrich.facts.roster import LATEST_WORKERS_SQL
from farmhunt.reference import remote_access_tools
from farmhunt.report.activity import activity, hourly_counts
from farmhunt.report.evidence import PER_FINDING, evidence_for, fetch_events, wanted_uids
from farmhunt.report.values import iso, json_value, parse_iso, plain
from farmhunt.schema import TABLES
from farmhunt.score.subjects import rank_subjects
from farmhunt.store.workspace import Workspace

SCHEMA_VERSION = "1.1"
"""Version of the JSON report's schema: minor for additions, major for changes."""

FINDING_COLUMNS = (
    "finding_id, rule_id, rule_kind, title, category, severity, weight, fbi_guidance, attack, "
    "worker_id, subject, subject_type, device, first_seen, last_seen, event_count, event_uids, "
    "tables, explanation, evidence, description, false_positives, triage, source"
)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Any]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def build_report(
    ws: Workspace, *, now: datetime | None = None, per_finding: int = PER_FINDING
) -> dict[str, Any]:
    """The report document of ``ws``; ``now`` fixes ``generated_at`` (tests, reproducible
    builds). Nothing else in it depends on the time it is made."""
    generated = (now or datetime.now(UTC)).astimezone(UTC)
    con = ws.connect()
    roster = {r["employee_id"]: r for r in _rows(con, LATEST_WORKERS_SQL)}
    findings = _rows(con, f"SELECT {FINDING_COLUMNS} FROM findings ORDER BY rule_id, subject")
    events = fetch_events(con, wanted_uids(findings, per_finding))
    scores = _rows(con, "SELECT * FROM scores ORDER BY rank, worker_id")
    clusters = _rows(con, "SELECT * FROM clusters ORDER BY cluster_id")

    points: dict[str, float] = {}
    for score in scores:
        for contribution in json_value(score["contributions"]) or []:
            if contribution.get("kind") == "finding":
                points[contribution["ref"]] = contribution.get("points", 0.0)
    by_worker: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unattributed = []
    for finding in findings:
        record = _finding(finding, events, per_finding, points)
        if finding["worker_id"]:
            by_worker[finding["worker_id"]].append(record)
        else:
            unattributed.append(record)

    ingest = ingest_summary(ws, con)
    scored = [s["worker_id"] for s in scores]
    unscored = sorted(set(by_worker) - set(scored))
    hours = hourly_counts(con, scored + unscored)
    middle = _middle_of(ingest["time_range"], generated)
    workers = [_worker(s, roster.get(s["worker_id"]), by_worker, hours, middle) for s in scores] + [
        _worker({"worker_id": w}, roster.get(w), by_worker, hours, middle) for w in unscored
    ]
    farm_records = [_cluster(c, roster, by_worker) for c in clusters]
    subjects = unresolved_subjects(unattributed)
    _seen_addresses(con, farm_records)
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "farmhunt", "version": __version__},
        "generated_at": iso(generated),
        "ingest": ingest,
        "summary": _summary(workers, farm_records, unattributed, subjects),
        "workers": workers,
        "clusters": farm_records,
        "unattributed": unattributed,
        "unresolved_subjects": subjects,
    }


def unresolved_subjects(unattributed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The accounts and hosts of unattributed findings, ranked by the worker model
    (:func:`farmhunt.score.subjects.rank_subjects`, as the table views rank them).

    Not people: one person may hide behind several, several behind one, until a
    roster links them; every format labels them so."""
    return [
        {
            "rank": rank,
            "subject": entry.subject,
            "subject_type": entry.subject_type,
            "score": entry.risk.score,
            "level": entry.risk.level,
            "raw": entry.risk.raw,
            "categories": list(entry.risk.categories),
            "findings": entry.findings,
            "finding_ids": list(entry.finding_ids),
            "explanation": entry.risk.explanation,
        }
        for rank, entry in enumerate(rank_subjects(unattributed), 1)
    ]


def _middle_of(span: dict[str, str | None], otherwise: datetime) -> datetime:
    """The middle of the stored events' time range (where a worker without activity of
    their own takes the UTC offset of their working day)."""
    first, last = parse_iso(span["first"]), parse_iso(span["last"])
    if first is None or last is None:
        return otherwise
    return first + (last - first) / 2


def _finding(
    row: dict[str, Any],
    events: dict[str, dict[str, Any]],
    per_finding: int,
    points: dict[str, float],
) -> dict[str, Any]:
    evidence = evidence_for(row, events, per_finding)
    return {
        "finding_id": row["finding_id"],
        "rule_id": row["rule_id"],
        "rule_kind": row["rule_kind"],
        "title": row["title"],
        "category": row["category"],
        "severity": row["severity"],
        "weight": row["weight"],
        "points": points.get(row["finding_id"]) if row["worker_id"] else None,
        "worker_id": row["worker_id"],
        "subject": row["subject"],
        "subject_type": row["subject_type"],
        "device": row["device"],
        "first_seen": iso(row["first_seen"]),
        "last_seen": iso(row["last_seen"]),
        "event_count": row["event_count"],
        "event_uids": list(row["event_uids"] or []),
        "tables": list(row["tables"] or []),
        "attack": list(row["attack"] or []),
        "fbi_guidance": row["fbi_guidance"],
        "explanation": row["explanation"],
        "description": row["description"],
        "false_positives": list(row["false_positives"] or []),
        "triage": row["triage"],
        "matched": plain(json_value(row["evidence"])),
        "source": row["source"],
        "evidence": evidence,
        "evidence_omitted": max(int(row["event_count"] or 0), len(row["event_uids"] or []))
        - len(evidence),
    }


def _location(person: dict[str, Any] | None) -> str | None:
    if not person:
        return None
    parts = [person.get(k) for k in ("work_city", "work_region", "work_country")]
    return ", ".join(str(p) for p in parts if p) or person.get("work_location")


def _worker(
    score: dict[str, Any],
    person: dict[str, Any] | None,
    by_worker: dict[str, list[dict[str, Any]]],
    hours: dict[str, list[tuple[datetime, int]]],
    middle: datetime,
) -> dict[str, Any]:
    worker_id = score["worker_id"]
    findings = sorted(
        by_worker.get(worker_id, []),
        key=lambda f: (-(f["points"] or 0), -(f["weight"] or 0), f["rule_id"], f["subject"]),
    )
    timezone = person.get("timezone") if person else None
    return {
        "worker_id": worker_id,
        "email": score.get("email") or (person or {}).get("email"),
        "full_name": score.get("full_name") or (person or {}).get("full_name"),
        "rank": score.get("rank"),
        "score": score.get("score"),
        "level": score.get("level"),
        "raw": score.get("raw"),
        "categories": list(score.get("categories") or []),
        "cluster_id": score.get("cluster_id"),
        "explanation": score.get("explanation"),
        "title": (person or {}).get("title"),
        "department": (person or {}).get("department"),
        "work_location": _location(person),
        "timezone": timezone,
        "contributions": plain(json_value(score.get("contributions"))) or [],
        "activity_hours": activity(hours.get(worker_id, []), timezone, middle).as_dict(),
        "findings": findings,
    }


def _tool_names() -> dict[str, str]:
    return {
        executable.lower(): tool.name
        for tool in remote_access_tools()
        for executable in tool.executables
    }


def _tools_in(value: Any, names: dict[str, str], found: set[str]) -> None:
    """Remote-access tools named anywhere in a finding's values (executables or paths)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("tool", "tools") and isinstance(item, str):
                found.add(item)
            else:
                _tools_in(item, names, found)
    elif isinstance(value, list):
        for item in value:
            _tools_in(item, names, found)
    elif isinstance(value, str):
        base = re.split(r"[\\/]", value.strip().strip('"'))[-1].lower()
        if base in names:
            found.add(names[base])


def _cluster(
    row: dict[str, Any],
    roster: dict[str, dict[str, Any]],
    by_worker: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    members = list(row["members"] or [])
    shared = [plain(a) for a in json_value(row["shared"]) or []]
    for attribute in shared:
        if attribute.get("kind") == "ship_address":
            _describe_address(attribute, roster)
    names = _tool_names()
    tools: set[str] = set()
    for member in members:
        for finding in by_worker.get(member, []):
            if finding["category"] == "endpoint":
                _tools_in(finding["matched"], names, tools)
                for event in finding["evidence"]:
                    _tools_in(event["fields"], names, tools)
    return {
        "cluster_id": row["cluster_id"],
        "workers": members,
        "size": row["size"],
        "strength": row["strength"],
        "farm": any(not a.get("note") for a in shared),
        "shared": shared,
        "remote_tools": sorted(tools),
        "explanation": row["explanation"],
    }


def _describe_address(attribute: dict[str, Any], roster: dict[str, dict[str, Any]]) -> None:
    """The shared ship address as a holder's roster wrote it, and its country."""
    for worker in sorted(attribute.get("workers") or []):
        person = roster.get(worker) or {}
        text = person.get("ship_address")
        if text and address_text(text) == attribute.get("value"):
            attribute["address"] = text
            tail = text.rsplit(",", 1)[-1].strip()
            country = tail if re.fullmatch(r"[A-Za-z]{2}", tail) else person.get("work_country")
            attribute["country"] = country.upper() if country else None
            return


def _seen_addresses(con: duckdb.DuckDBPyConnection, clusters: list[dict[str, Any]]) -> None:
    """First and last sign-in from each shared residential address (one aggregate)."""
    ips = sorted(
        {a["value"] for c in clusters for a in c["shared"] if a.get("kind") == "residential_ip"}
    )
    if not ips:
        return
    con.register("__report_ips", pa.table({"ip": ips}))
    try:
        seen = {
            ip: (first, last, count)
            for ip, first, last, count in con.execute(
                'SELECT "src_endpoint.ip", min(time), max(time), count(*) FROM authentication '
                'WHERE "src_endpoint.ip" IN (SELECT ip FROM __report_ips) GROUP BY 1'
            ).fetchall()
        }
    except duckdb.Error:
        seen = {}
    finally:
        con.unregister("__report_ips")
    for cluster in clusters:
        for attribute in cluster["shared"]:
            if attribute.get("kind") == "residential_ip" and attribute["value"] in seen:
                first, last, count = seen[attribute["value"]]
                attribute.update(first_seen=iso(first), last_seen=iso(last), sign_ins=count)


def ingest_summary(ws: Workspace, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What the workspace holds: files, events per table and source, quarantine, time."""
    imports = ws.manifest.imports()
    statuses: dict[str, int] = defaultdict(int)
    for item in imports:
        statuses[item.status] += 1
    by_table: dict[str, int] = {}
    by_source: dict[str, int] = defaultdict(int)
    first: datetime | None = None
    last: datetime | None = None
    for name in TABLES:
        for source, count, low, high in con.execute(
            f'SELECT "raw_source.format", count(*), min(time), max(time) FROM "{name}" GROUP BY 1'
        ).fetchall():
            by_table[name] = by_table.get(name, 0) + count
            by_source[source or "unknown"] += count
            first = low if first is None or (low is not None and low < first) else first
            last = high if last is None or (high is not None and high > last) else last
    quarantine = con.execute(
        "SELECT reason, count(*) FROM quarantine GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20"
    ).fetchall()
    [(quarantined,)] = con.execute("SELECT count(*) FROM quarantine").fetchall()
    return {
        "files": len({(i.path, i.content_sha256) for i in imports}),
        "imports": dict(sorted(statuses.items())),
        "events": sum(by_table.values()),
        "events_by_table": dict(sorted(by_table.items())),
        "events_by_source": dict(sorted(by_source.items())),
        "quarantined": quarantined,
        "quarantine_reasons": [{"reason": r, "count": n} for r, n in quarantine],
        "time_range": {"first": iso(first), "last": iso(last)},
    }


def _summary(
    workers: list[dict[str, Any]],
    clusters: list[dict[str, Any]],
    unattributed: list[Any],
    subjects: list[Any],
) -> dict[str, Any]:
    levels: dict[str, int] = defaultdict(int)
    for worker in workers:
        levels[worker["level"] or "unscored"] += 1
    return {
        "workers": len(workers),
        "levels": {k: levels.get(k, 0) for k in ("high", "medium", "low")},
        "findings": sum(len(w["findings"]) for w in workers) + len(unattributed),
        "clusters": len(clusters),
        "farms": sum(1 for c in clusters if c["farm"]),
        "unattributed": len(unattributed),
        "unresolved_subjects": len(subjects),
    }
