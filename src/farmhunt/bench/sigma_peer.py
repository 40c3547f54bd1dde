"""SigmaHQ's rules through farmhunt and through the SQLite peer, event by event.

The peer is ``pysigma-backend-sqlite`` run as Zircolite runs it: each Windows event's
``System`` and ``EventData`` flattened into one row of a SQLite table whose columns
are the event's field names (``Image``, ``CommandLine``, ``EventID`` …), declared
``COLLATE NOCASE``, and each rule's query run over the events of its log source
(``process_creation`` → Sysmon 1, ``network_connection`` → Sysmon 3, ``service:
security`` → the Security channel). The events are the ones stored in a workspace,
read back from their ``raw_data`` (the ``evtx`` tool's JSON of the record), so both
engines see the same events and each hit is named by the event's ``metadata.uid``.

farmhunt runs the same loaded rules with :func:`~farmhunt.detect.engine.match_table`,
every rule of a table in one scan, as ``farmhunt detect`` does.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from farmhunt.bench.peer import convert_rules
from farmhunt.detect.engine import make_context, match_table
from farmhunt.detect.loader import RuleSet, load_rules
from farmhunt.detect.model import Rule
from farmhunt.detect.sigma_ibis import fields_used
from farmhunt.store.workspace import Workspace

SYSMON = "Microsoft-Windows-Sysmon/Operational"
EVENTS: dict[str, tuple[str, set[int] | None]] = {
    "process_creation": (SYSMON, {1}),
    "network_connection": (SYSMON, {3}),
    "security": ("Security", None),
}
"""Log source → (channel, event ids) of the events the peer runs its rules over."""


@dataclass
class Parity:
    """Each rule's hits (event uids) in farmhunt and in the SQLite peer."""

    farmhunt: dict[str, set[str]] = field(default_factory=dict)
    sqlite: dict[str, set[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    unconverted: list[str] = field(default_factory=list)
    ruleset: RuleSet | None = None

    def differences(self) -> dict[str, tuple[set[str], set[str]]]:
        """Rule id → (hits only farmhunt has, hits only the peer has), when not equal."""
        out = {}
        for rule_id in sorted(set(self.farmhunt) | set(self.sqlite)):
            ours, theirs = self.farmhunt.get(rule_id, set()), self.sqlite.get(rule_id, set())
            if ours != theirs:
                out[rule_id] = (ours - theirs, theirs - ours)
        return out

    def fired(self) -> tuple[int, int]:
        """How many rules fire at least once: (farmhunt, SQLite)."""
        return (
            sum(1 for hits in self.farmhunt.values() if hits),
            sum(1 for hits in self.sqlite.values() if hits),
        )


def flatten(raw: str) -> dict[str, Any] | None:
    """A Windows event as Zircolite stores it: System and EventData fields by name."""
    try:
        event = orjson.loads(raw).get("Event") or {}
    except (orjson.JSONDecodeError, AttributeError):
        return None
    system = event.get("System") or {}
    row: dict[str, Any] = {}
    event_id = system.get("EventID")
    if isinstance(event_id, dict):
        event_id = event_id.get("#text")
    row["EventID"] = event_id
    row["Channel"] = system.get("Channel")
    row["Computer"] = system.get("Computer")
    provider = (system.get("Provider") or {}).get("#attributes") or {}
    row["Provider_Name"] = provider.get("Name")
    data = event.get("EventData") or {}
    if isinstance(data, dict):
        for key, value in data.items():
            if key != "#attributes" and not isinstance(value, (dict, list)):
                row[key] = value
    return row


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"  # as the event's XML writes it
    return value


def _kind(rule: Rule) -> str | None:
    logsource = rule.sigma.logsource
    if logsource.category in EVENTS:
        return str(logsource.category)
    if logsource.service in EVENTS:
        return str(logsource.service)
    return None


def sqlite_hits(
    events: Iterable[tuple[str, dict[str, Any]]], rules: list[Rule], queries: dict[str, list[str]]
) -> dict[str, set[str]]:
    """Each rule's matching events (uids) when its queries run over its log source's events."""
    by_kind: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for uid, row in events:
        for kind, (channel, ids) in EVENTS.items():
            if str(row.get("Channel") or "").lower() != channel.lower():
                continue
            if ids is None or int(row.get("EventID") or 0) in ids:
                by_kind[kind].append((uid, row))
    hits: dict[str, set[str]] = {}
    for kind, rows in by_kind.items():
        mine = [r for r in rules if _kind(r) == kind and r.id in queries]
        names = {k for _uid, row in rows for k in row} | {
            f for r in mine for f in fields_used(r.sigma)
        }
        columns = sorted({n for n in names if n.lower() != "__uid"}, key=str.lower)
        unique: dict[str, str] = {}
        for name in columns:
            unique.setdefault(name.lower(), name)  # SQLite's names ignore case too
        columns = list(unique.values())
        db = sqlite3.connect(":memory:")
        db.create_function("regexp", 2, _regexp, deterministic=True)
        declared = ", ".join(f'"{c}" TEXT COLLATE NOCASE' for c in columns)
        db.execute(f'CREATE TABLE logs ("__uid" TEXT, {declared})')
        marks = ", ".join("?" for _ in range(len(columns) + 1))
        lowered = [c.lower() for c in columns]
        db.executemany(
            f"INSERT INTO logs VALUES ({marks})",
            ([uid, *(_text(_get(row, c)) for c in lowered)] for uid, row in rows),
        )
        for rule in mine:
            found: set[str] = set()
            for sql in queries[rule.id]:
                cursor = db.execute(sql)
                at = [d[0] for d in cursor.description].index("__uid")
                found.update(str(r[at]) for r in cursor.fetchall())
            hits[rule.id] = found
        db.close()
    return hits


def _regexp(pattern: str, value: Any) -> bool:
    """SQLite's REGEXP as Zircolite defines it: a search with Python's ``re``."""
    return value is not None and re.search(pattern, str(value)) is not None


def _get(row: dict[str, Any], lowered: str) -> Any:
    for key, value in row.items():
        if key.lower() == lowered:
            return value
    return None


def farmhunt_hits(ws: Workspace, rules: list[Rule]) -> dict[str, set[str]]:
    """Each rule's matching events (uids) in farmhunt's one-scan evaluation."""
    by_table: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        assert rule.table is not None
        by_table[rule.table].append(rule)
    hits: dict[str, set[str]] = {rule.id: set() for rule in rules}
    con = ws.connect()
    try:
        ctx = make_context(con)
        for table, mine in sorted(by_table.items()):
            for finding in match_table(ctx, table, mine, max_uids=None):
                hits[finding.rule.id].update(finding.event_uids)
    finally:
        con.close()
    return hits


def stored_events(ws: Workspace, tables: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """(uid, flattened event) for every stored Windows event of ``tables``."""
    con = ws.connect()
    out = []
    try:
        for table in tables:
            sql = f'SELECT "metadata.uid", raw_data FROM "{table}" WHERE raw_data IS NOT NULL'
            for uid, raw in con.execute(sql).fetchall():
                row = flatten(raw)
                if row is not None:
                    out.append((uid, row))
    finally:
        con.close()
    return out


def sigma_parity(ws: Workspace, rules_dir: Path) -> Parity:
    """farmhunt against the SQLite peer over the workspace's Windows events."""
    ruleset = load_rules([rules_dir], check_analytics=False)
    rules = [r for r in ruleset.of_kind("match") if _kind(r) is not None]
    queries, failed, _seconds = convert_rules(rules_dir)
    rules = [r for r in rules if r.id in queries]
    tables = sorted({r.table for r in rules if r.table is not None})
    parity = Parity(unconverted=failed, ruleset=ruleset)
    parity.titles = {r.id: r.title for r in rules}
    parity.sqlite = sqlite_hits(stored_events(ws, tables), rules, queries)
    parity.farmhunt = farmhunt_hits(ws, rules)
    for rule in rules:
        parity.sqlite.setdefault(rule.id, set())
    return parity
