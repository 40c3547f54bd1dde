"""farmhunt's rule engine against a peer: the same Sigma rules as SQLite queries.

The peer is ``pysigma-backend-sqlite``, the backend behind Zircolite: every Sigma rule
becomes one ``SELECT * FROM logs WHERE …`` query, run one after another over the events
loaded in an in-memory SQLite table whose columns carry Sysmon's field names (``Image``,
``ParentImage``, ``DestinationHostname`` …) and are declared ``COLLATE NOCASE``, as
Zircolite flattens and stores events. The rules are LOLRMM's process-creation and
network-connection rules, written from the shipped catalog.

farmhunt evaluates the same parsed rules over the same rows in its store, every rule of
a table in one scan (``detect.engine.match_table``, findings built as ``farmhunt detect``
builds them). Both sides report the number of events each rule matched; any rule on
which they differ is listed.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from farmhunt.detect.engine import make_context, match_table
from farmhunt.detect.fieldmap import SIGMA_FIELDS, SIGMA_VALUES
from farmhunt.detect.loader import load_rules
from farmhunt.detect.lolrmm import export_lolrmm
from farmhunt.detect.model import Rule
from farmhunt.schema import STORE_TABLES
from farmhunt.store.workspace import Workspace

PEER_TABLES = ("process_activity", "network_activity")
LOAD_BATCH = 50_000


@dataclass
class TablePeer:
    """One table's comparison."""

    table: str
    rules: int
    rows: int
    farmhunt_seconds: float
    sqlite_seconds: float
    sqlite_load_seconds: float
    farmhunt_matches: int
    sqlite_matches: int

    @property
    def speedup(self) -> float:
        return self.sqlite_seconds / self.farmhunt_seconds if self.farmhunt_seconds else 0.0


@dataclass
class PeerResult:
    tables: list[TablePeer] = field(default_factory=list)
    conversion_seconds: float = 0.0
    """pySigma converting the rules to SQLite queries (not counted in the peer's time)."""
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    """Rules whose matched-event counts differ: rule, title, table, farmhunt, sqlite."""
    unconverted: list[str] = field(default_factory=list)

    @property
    def farmhunt_seconds(self) -> float:
        return sum(t.farmhunt_seconds for t in self.tables)

    @property
    def sqlite_seconds(self) -> float:
        return sum(t.sqlite_seconds for t in self.tables)

    @property
    def speedup(self) -> float:
        return self.sqlite_seconds / self.farmhunt_seconds if self.farmhunt_seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tables": [{**asdict(t), "speedup": t.speedup} for t in self.tables],
            "farmhunt_seconds": self.farmhunt_seconds,
            "sqlite_seconds": self.sqlite_seconds,
            "speedup": self.speedup,
            "conversion_seconds": self.conversion_seconds,
            "rules": sum(t.rules for t in self.tables),
            "disagreements": self.disagreements,
            "unconverted": self.unconverted,
        }


def sysmon_columns(table: str) -> dict[str, str]:
    """Sysmon field name → store column, for the fields the table has (one name each)."""
    columns = STORE_TABLES[table].column_set
    return {
        name: column
        for name, column in SIGMA_FIELDS[table].items()
        if column in columns and name[:1].isupper()
    }


def convert_rules(rules_dir: Path) -> tuple[dict[str, list[str]], list[str], float]:
    """Sigma id → SQLite queries, the rules that did not convert, and the time it took."""
    import importlib

    from sigma.collection import SigmaCollection

    started = time.perf_counter()
    backend: Any = importlib.import_module("sigma.backends.sqlite").sqliteBackend()
    queries: dict[str, list[str]] = {}
    failed: list[str] = []
    for rule in SigmaCollection.load_ruleset([rules_dir]).rules:
        try:
            queries[str(rule.id)] = [str(q) for q in backend.convert_rule(rule)]
        except Exception as exc:  # a rule the peer cannot convert is reported, not fatal
            failed.append(f"{rule.id}: {exc}")
    return queries, failed, time.perf_counter() - started


def load_sqlite(ws: Workspace, table: str) -> tuple[sqlite3.Connection, int, float]:
    """An in-memory SQLite ``logs`` table of the store table's rows, Sysmon-named."""
    started = time.perf_counter()
    mapping = sysmon_columns(table)
    types = {c.name: c.type for c in STORE_TABLES[table].columns}
    db = sqlite3.connect(":memory:")
    # fields the store recodes (Sysmon's Initiated as an OCSF direction) go back to
    # the text the event had, which is what the rules compare them with
    recoded = {
        name: {stored: text for text, stored in values.items()}
        for name, values in SIGMA_VALUES.get(table, {}).items()
        if name in mapping
    }
    declared = ", ".join(
        f'"{name}" INTEGER'
        if types[column] in ("int", "bigint") and name not in recoded
        else f'"{name}" TEXT COLLATE NOCASE'
        for name, column in mapping.items()
    )
    db.execute(f"CREATE TABLE logs ({declared})")
    marks = ", ".join("?" for _ in mapping)
    select = ", ".join(f'"{column}"' for column in mapping.values())
    con = ws.connect()
    reader = con.sql(f'SELECT {select} FROM "{table}"').to_arrow_reader(LOAD_BATCH)
    rows = 0
    for batch in reader:
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for index, name in enumerate(mapping):
            if name in recoded:
                columns[index] = [recoded[name].get(v) for v in columns[index]]
        db.executemany(f"INSERT INTO logs VALUES ({marks})", zip(*columns, strict=True))
        rows += batch.num_rows
    db.commit()
    con.close()
    return db, rows, time.perf_counter() - started


def run_sqlite(
    db: sqlite3.Connection, queries: dict[str, list[str]], failed: list[str] | None = None
) -> tuple[Counter[str], float]:
    """Every rule's queries, one after another as Zircolite runs them; rows matched per rule.

    A query SQLite refuses (a SigmaHQ rule naming a field the table has no column
    for) is noted in ``failed`` and its rule left out of the counts."""
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    for rule_id, sqls in queries.items():
        try:
            counts[rule_id] += sum(len(db.execute(sql).fetchall()) for sql in sqls)
        except sqlite3.OperationalError as exc:
            if failed is None:
                raise
            failed.append(f"{rule_id}: {exc}")
            counts.pop(rule_id, None)
    return counts, time.perf_counter() - started


def run_farmhunt(ws: Workspace, table: str, rules: list[Rule]) -> tuple[Counter[str], float]:
    """The engine's one-scan evaluation of ``rules``; events matched per rule."""
    con = ws.connect()
    started = time.perf_counter()
    findings = match_table(make_context(con), table, rules)
    seconds = time.perf_counter() - started
    con.close()
    counts: Counter[str] = Counter()
    for finding in findings:
        counts[finding.rule.id] += finding.event_count
    return counts, seconds


def peer_comparison(ws: Workspace, rules_dir: Path, *, lolrmm: bool = True) -> PeerResult:
    """Compare both engines on ``ws`` with the rules of ``rules_dir``: LOLRMM's, written
    there first, or (``lolrmm=False``) the rules already there, such as SigmaHQ's.

    With SigmaHQ's rules the SQLite table still has Sysmon-named columns for the
    mapped fields only: a rule naming another field fails there and is listed in
    ``unconverted``, left out of the comparison (farmhunt still runs it)."""
    if lolrmm:
        export_lolrmm(rules_dir)
    ruleset = load_rules([rules_dir], check_analytics=False)
    queries, failed, converting = convert_rules(rules_dir)
    result = PeerResult(conversion_seconds=converting, unconverted=failed)
    for table in PEER_TABLES:
        rules = [r for r in ruleset.of_kind("match") if r.table == table and r.id in queries]
        if not rules:
            continue
        ours, our_seconds = run_farmhunt(ws, table, rules)
        db, rows, loading = load_sqlite(ws, table)
        refused: list[str] = []
        theirs, their_seconds = run_sqlite(db, {r.id: queries[r.id] for r in rules}, refused)
        result.unconverted += refused
        db.close()
        result.tables.append(
            TablePeer(
                table=table,
                rules=len(rules),
                rows=rows,
                farmhunt_seconds=our_seconds,
                sqlite_seconds=their_seconds,
                sqlite_load_seconds=loading,
                farmhunt_matches=sum(ours[rule_id] for rule_id in theirs),
                sqlite_matches=sum(theirs.values()),
            )
        )
        for rule in rules:
            if rule.id not in theirs and any(f.startswith(f"{rule.id}: ") for f in refused):
                continue
            if ours[rule.id] != theirs[rule.id]:
                result.disagreements.append(
                    {
                        "rule": rule.id,
                        "title": rule.title,
                        "table": table,
                        "farmhunt": ours[rule.id],
                        "sqlite": theirs[rule.id],
                    }
                )
    return result
