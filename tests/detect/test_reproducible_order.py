"""Two scans of the same events give the same findings, whatever order the engine
returns rows in.

The engine's row order is not part of a query's result: DuckDB's changes with its
threads and with how the rows were written, Spark's with its partitions. Every list a
finding carries (event uids, evidence samples, the device named first) must therefore
come from an explicit total order. Here a simulated company's store is scanned as
written and again with every table's rows reversed and shuffled (one thread, so the
insertion order is what the engine sees); every finding must come out identical.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import load_rules
from farmhunt.detect.model import Finding
from farmhunt.detect.run import builtin_rules_dir
from farmhunt.enrich.build import enrich_workspace
from farmhunt.enrich.identity import resolve
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.settings import Settings, load_settings
from farmhunt.simulate.config import INTENSITIES, SimConfig
from farmhunt.simulate.run import TELEMETRY, simulate
from farmhunt.store import Workspace

SEED = 26
RULES_THAT_HAD_NO_ORDER = (
    "identity.night_time_activity",
    "endpoint.owner_local_admin",
    "endpoint.remote_tool_with_owner_admin",
)
"""Rules whose findings two scans listed differently; the company must fire them."""


def _reorder(data: pa.Table, how: str) -> pa.Table:
    order = list(range(data.num_rows))
    if how == "reversed":
        order.reverse()
    elif how == "shuffled":
        random.Random(SEED).shuffle(order)
    return data.take(pa.array(order, type=pa.int64()))


def _as_json(findings: list[Finding]) -> list[dict[str, Any]]:
    rows = [
        {
            "rule": f.rule.id,
            "subject": f.subject,
            "device": f.device,
            "worker": f.worker_id,
            "first": str(f.first_seen),
            "last": str(f.last_seen),
            "count": f.event_count,
            "event_uids": f.event_uids,
            "explanation": f.explanation,
            "evidence": json.dumps(f.evidence, sort_keys=True, default=str),
            "tables": f.tables,
        }
        for f in findings
    ]
    # the list of findings itself is sorted by the report; its contents are not
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


class Store:
    def __init__(self, tables: dict[str, pa.Table], settings: Settings):
        self.tables = tables
        self.settings = settings

    def scan(self, how: str) -> list[dict[str, Any]]:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET threads = 1")  # the engine then sees the rows as inserted
        for name, data in self.tables.items():
            con.register(name, _reorder(data, how))
        ruleset = load_rules([builtin_rules_dir()])
        return _as_json(run_rules(make_context(con, self.settings), ruleset))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root: Path = tmp_path_factory.mktemp("reproducible")
    out = root / "sim"
    config = SimConfig(
        workers=30, days=10, seed=SEED, intensity=INTENSITIES["blatant"], scenario="blatant"
    )
    simulate(config, out)
    settings = load_settings(out / "farmhunt.yaml")
    with Workspace(root / "ws", create=True) as ws:
        ingest_paths(ws, [str(out / TELEMETRY)])
        resolve(ws)
        enrich_workspace(ws, settings)
        con = ws.connect()
        names = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        tables = {name: con.table(name).to_arrow_table() for name in names}
    return Store(tables, settings)


def test_the_company_fires_the_rules_that_had_no_order(store: Store) -> None:
    fired = {f["rule"] for f in store.scan("as written")}
    assert set(RULES_THAT_HAD_NO_ORDER) <= fired


@pytest.mark.parametrize("how", ["reversed", "shuffled"])
def test_findings_do_not_depend_on_the_order_rows_are_stored_in(store: Store, how: str) -> None:
    expected = store.scan("as written")
    got = store.scan(how)
    assert [(f["rule"], f["subject"]) for f in got] == [(f["rule"], f["subject"]) for f in expected]
    differ = [
        (e["rule"], e["subject"], key)
        for e, g in zip(expected, got, strict=True)
        for key in e
        if e[key] != g[key]
    ]
    assert not differ
