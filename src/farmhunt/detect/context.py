"""What a run of the rules sees, shared by the engine, correlations and analytics.

The run's :class:`Context` (backend, settings, identity links, memo) and the small
expression helpers every kind of rule uses live here, below :mod:`~farmhunt.detect.engine`
(which runs the rules), :mod:`~farmhunt.detect.correlate`, :mod:`~farmhunt.detect.loader`
and :mod:`~farmhunt.detect.analytics`, so that none of those imports another in a circle.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import ibis
import ibis.expr.types as ir

from farmhunt.detect.sigma_ibis import SigmaCompiler
from farmhunt.detect.virtual import virtual_value
from farmhunt.enrich.facts.identifiers import WorkerIndex
from farmhunt.enrich.indicators import Indicators, load_indicators
from farmhunt.schema import DERIVED_TABLES, STORE_TABLES
from farmhunt.settings import Settings
from farmhunt.stages import StageError

T = TypeVar("T")

MAX_UIDS = 100
EVIDENCE_SAMPLES = 3
MAX_DEVICES = 10


@dataclass
class Context:
    """What a run sees: the engine, the settings, and the identity links."""

    con: duckdb.DuckDBPyConnection
    backend: Any
    settings: Settings = field(default_factory=Settings)
    """The configuration (``farmhunt.yaml``); defaults when the run has none."""
    links: dict[str, str] = field(default_factory=dict)
    """lower(identifier) → worker_id, from worker_links."""
    placeholders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Catalog and configuration values for ``%placeholder%`` rule values."""
    indicators: Indicators = field(default_factory=Indicators)
    """The analyst's indicator lists (``indicators.paths``): domains, tools, AnyDesk ids."""
    memo: dict[str, Any] = field(default_factory=dict)
    """What analytics share within one run (an intermediate relation several rules
    read, cached once in the engine), keyed by the analytic module's own names."""
    memo_users: dict[str, set[str]] = field(default_factory=dict)
    """Memo entries the engine releases: the analytics that read each one."""
    memo_release: dict[str, Callable[[], None]] = field(default_factory=dict)
    running: str | None = None
    """The analytic running now (``run_rules`` sets it)."""
    scratch: Path | None = None
    """A folder for the file-backed database memo relations are stored in; without
    one they are in-memory temporary tables."""
    scratch_file: Path | None = None

    SCRATCH_DB = "farmhunt_memo"

    def memo_database(self) -> str | None:
        """The attached database memo relations go to (attached on first use), or None
        for temporary tables.

        A file-backed database stores them compressed and can evict their blocks: on a
        large estate it lowers detect's peak memory by about a third, and the analytics
        reading the compressed tables use less CPU, not more (docs/performance.md).
        """
        if self.scratch is None:
            return None
        if self.scratch_file is None:
            self.scratch.mkdir(parents=True, exist_ok=True)
            path = self.scratch / f"detect-{os.getpid()}-{id(self)}.duckdb"
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
            quoted = "'" + str(path).replace("'", "''") + "'"
            self.con.execute(f"ATTACH {quoted} AS {self.SCRATCH_DB}")
            self.scratch_file = path
        return self.SCRATCH_DB

    def close_memo(self) -> None:
        """Forget every memo entry and remove the scratch database."""
        self.forget_unused(set())
        self.memo.clear()
        if self.scratch_file is None:
            return
        with contextlib.suppress(duckdb.Error):  # the connection is already closed
            self.con.execute(f"DETACH {self.SCRATCH_DB}")
        for leftover in (
            self.scratch_file,
            self.scratch_file.with_name(self.scratch_file.name + ".wal"),
        ):
            leftover.unlink(missing_ok=True)
        self.scratch_file = None

    def remember(
        self,
        key: str,
        value: T,
        *,
        users: Iterable[str],
        release: Callable[[], None] | None = None,
    ) -> T:
        """Keep ``value`` in the memo until no remaining rule runs one of ``users`` (or
        an analytic that read it before), then call ``release``.

        Cached relations are engine tables; kept to the end of the run, those of the
        identity analytics held a large share of detect's peak memory through every
        later rule on a large estate (docs/performance.md). A user left out only costs
        time (the value is rebuilt), never a finding.
        """
        self.memo[key] = value
        self.memo_users[key] = set(users)
        if release is not None:
            self.memo_release[key] = release
        return value

    def recall(self, key: str) -> Any:
        """A memo entry, noting the running analytic as one of its users."""
        if key in self.memo_users and self.running is not None:
            self.memo_users[key].add(self.running)
        return self.memo[key]

    def forget_unused(self, remaining: set[str]) -> None:
        """Release the remembered entries no analytic in ``remaining`` reads."""
        for key, users in list(self.memo_users.items()):
            if users & remaining:
                continue
            del self.memo_users[key]
            self.memo.pop(key, None)
            release = self.memo_release.pop(key, None)
            if release is not None:
                release()

    def compiler(self, table: str) -> SigmaCompiler:
        return SigmaCompiler(table, _types(table), self.placeholders or None)

    failed: list[str] = field(default_factory=list)
    """Match rules that could not be compiled in this run (``source: why``): left out,
    the others run."""

    tables: dict[str, ir.Table] = field(default_factory=dict)
    """Store and derived tables, looked up once: each lookup binds the view over every
    Parquet file of the table, a visible share of a run when repeated (docs/performance.md)."""

    def table(self, name: str) -> ir.Table:
        if name not in STORE_TABLES and name not in DERIVED_TABLES:
            return self.backend.table(name)  # temporary tables may be replaced in a run
        if name not in self.tables:
            self.tables[name] = self.backend.table(name)
        return self.tables[name]

    @property
    def workers(self) -> WorkerIndex:
        """Identifier → worker: one rule, ambiguity explicit (:mod:`farmhunt.enrich.facts`)."""
        return WorkerIndex(self.links)

    def worker_for(self, subject: str | None) -> str | None:
        return self.workers.worker(subject)


def make_context(
    con: duckdb.DuckDBPyConnection,
    settings: Settings | None = None,
    indicators: Indicators | None = None,
    scratch: Path | None = None,
) -> Context:
    """A run's context; ``indicators`` default to the lists ``settings`` names (raising
    :class:`~farmhunt.enrich.indicators.IndicatorError` for a bad line); ``scratch`` is
    a folder for the run's scratch database (:meth:`Context.memo_database`).

    Raises :class:`~farmhunt.stages.StageError` when ``con`` has no ``worker_links``
    table (the resolve stage's output; an empty one is fine)."""
    settings = settings or Settings()
    if indicators is None:
        paths = settings.indicators.paths
        indicators = load_indicators(paths) if paths else Indicators()
    backend = ibis.duckdb.from_connection(con)
    try:
        rows = con.execute(
            "SELECT lower(identifier), worker_id FROM worker_links WHERE worker_id IS NOT NULL"
        ).fetchall()
    except duckdb.CatalogException as exc:
        # without links every finding would name no worker, silently
        raise StageError("the connection has no worker_links table", "resolve") from exc
    links = dict(WorkerIndex.from_links(rows).workers)  # an ambiguous id names no one
    from farmhunt.detect.catalogs import settings_placeholders

    return Context(
        con,
        backend,
        settings,
        links,
        settings_placeholders(settings, indicators),
        indicators=indicators,
        scratch=scratch,
    )


def _types(table: str) -> dict[str, str]:
    return {c.name: c.type for c in STORE_TABLES[table].columns}


def accessor(t: ir.Table) -> Any:
    def get(column: str, lowered: bool) -> ir.Value:
        col = t[column] if column in t.columns else virtual_value(t, column)
        return col.lower() if lowered else col

    return get


def subject_expr(t: ir.Table, columns: Iterable[str]) -> tuple[ir.Value, ir.Value]:
    """(subject, subject column name) for each row: the first non-empty column."""
    cols = [c for c in columns if c in t.columns]
    if not cols:
        return ibis.null().cast("string"), ibis.null().cast("string")
    values = [t[c].cast("string").nullif("") for c in cols]
    subject = ibis.coalesce(*values) if len(values) > 1 else values[0]
    which = ibis.cases(
        *[(v.notnull(), c) for v, c in zip(values, cols, strict=True)],
        else_=ibis.null().cast("string"),
    )
    return subject, which


def jsonable(value: Any) -> Any:
    """A value as evidence JSON holds it: a time as ISO 8601 text."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value
