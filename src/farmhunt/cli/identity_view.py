"""The command line's identity parts: ``--column-map``, ``--aliases``, ``farmhunt resolve``
and the roster and identity sections of ``farmhunt stats``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from farmhunt import pipeline
from farmhunt.enrich.identity import (
    ALIASES_FILE,
    AliasError,
    ResolveResult,
    load_alias_file,
)
from farmhunt.sources.hr.mapping import MappingError, load_column_map
from farmhunt.sources.hr.parser import COLUMN_MAP_OPTION
from farmhunt.store.workspace import Workspace, WorkspaceError
from farmhunt.termsafe import clean, text

TOP_UNRESOLVED = 15
"""Unresolved (and ambiguous) identifiers ``farmhunt stats`` lists unless given ``--all``."""


def parser_options(column_map: str | None, err: Console) -> dict[str, Any] | None:
    """Parser options for ``--column-map``; None (after saying why) when it is unusable."""
    if column_map is None:
        return {}
    try:
        return {COLUMN_MAP_OPTION: load_column_map(column_map)}
    except MappingError as exc:
        err.print(text(f"error: --column-map {exc}", "red", limit=600))
        return None


def check_aliases(aliases: Path | None, err: Console) -> bool:
    """Whether ``--aliases`` names a readable alias file (says why not)."""
    if aliases is None:
        return True
    try:
        load_alias_file(aliases)
    except AliasError as exc:
        err.print(text(f"error: --aliases {exc}", "red", limit=600))
        return False
    return True


def install_aliases(ws: Workspace, aliases: Path, console: Console) -> None:
    """Copy the alias file into the workspace, where every later resolution reads it."""
    target = ws.root / ALIASES_FILE
    if target.exists() and target.resolve() == aliases.resolve():
        return
    shutil.copyfile(aliases, target)
    console.print(text(f"alias file {aliases} copied to {target}"))


def resolve_and_report(
    ws: Workspace, console: Console, err: Console, aliases: Path | None = None
) -> int:
    """Install ``aliases`` if given, run the resolve stage (``worker_links``) and print
    a summary; ``farmhunt ingest`` ends with it, as new events bring new identifiers."""
    try:
        with ws.write_lock():
            if aliases is not None:
                install_aliases(ws, aliases, console)
            result = pipeline.resolve(ws)
    except (WorkspaceError, duckdb.Error, OSError) as exc:
        err.print(text(f"error: identity resolution failed: {exc}", "red", limit=600))
        return 1
    for problem in result.problems:
        err.print(text(f"warning: {problem}", "yellow", limit=400))
    console.print(summary_line(result))
    return 0


def summary_line(result: ResolveResult) -> str:
    if not result.identifiers:
        return "Identity: no person or host identifiers in the events yet."
    line = (
        f"Identity: {result.identifiers:,} identifiers; {result.resolved:,} linked to "
        f"{result.workers:,} of {result.roster_workers:,} roster workers, "
        f"{result.ambiguous:,} ambiguous, {result.unresolved:,} unresolved"
    )
    if result.system:
        line += f", {result.system:,} not a person (system accounts, local uids, placeholders)"
    if not result.roster_workers:
        line += " (no HR roster imported yet)"
    return line + "."


def run_resolve(workspace: Path, aliases: Path | None, console: Console, err: Console) -> int:
    """``farmhunt resolve``."""
    if not check_aliases(aliases, err):
        return 2
    try:
        ws = Workspace(workspace)
    except WorkspaceError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    with ws:
        # A failed resolution is the whole command failing (exit code 2); within an
        # ingest it is a partial failure (1), which is why the helper returns 1.
        code = 2 if resolve_and_report(ws, console, err, aliases) else 0
    if code == 0:
        console.print(
            f"Links are in the worker_links table; `farmhunt stats --workspace "
            f"{clean(str(workspace))}` lists what is unresolved."
        )
    return code


def show_identity(
    con: duckdb.DuckDBPyConnection, console: Console, limit: int | None = TOP_UNRESOLVED
) -> None:
    """The roster, inventory and identity sections of ``farmhunt stats``.

    ``limit`` caps the unresolved and ambiguous lists (None lists every identifier); a
    capped list says how many it left out and how to see them.
    """
    rows = con.execute(
        'SELECT count(*), count(DISTINCT employee_id), count(DISTINCT "raw_source.file") '
        "FROM workers"
    ).fetchone()
    devices = con.execute(
        "SELECT count(*), count(DISTINCT lower(coalesce(asset_id, serial_number, device_uid, "
        "hostname))) FROM devices"
    ).fetchone()
    if rows and rows[0]:
        console.print(f"HR roster: {rows[1]:,} workers ({rows[0]:,} rows from {rows[2]:,} files)")
    else:
        console.print("HR roster: none imported (identities cannot be linked to workers).")
    if devices and devices[0]:
        console.print(f"Device inventory: {devices[1]:,} devices ({devices[0]:,} rows)")

    methods = con.execute(
        "SELECT method, count(*), sum(event_count) FROM worker_links GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    if not methods:
        console.print("Identity links: none yet (`farmhunt resolve` builds them).")
        return
    table = Table("method", "identifiers", "events", title="Identity links (worker_links)")
    for method, count, events in methods:
        table.add_row(text(method), f"{count:,}", f"{events or 0:,}")
    console.print(table)

    counts = dict(
        con.execute(
            "SELECT method, count(*) FROM worker_links "
            "WHERE method IN ('unresolved', 'ambiguous') GROUP BY 1"
        ).fetchall()
    )
    unresolved = con.execute(
        "SELECT identifier_type, identifier, event_count, seen_in, evidence FROM worker_links "
        "WHERE method = 'unresolved' ORDER BY event_count DESC, identifier LIMIT ?",
        [limit],
    ).fetchall()
    if unresolved:
        total = counts.get("unresolved", len(unresolved))
        shown = f"all {total:,}"
        if total > len(unresolved):
            shown = f"top {len(unresolved)} of {total:,} by events"
        table = Table(
            "type",
            "identifier",
            "events",
            "seen in",
            "why",
            title=f"Unresolved identifiers ({shown})",
        )
        for kind, ident, events, seen, why in unresolved:
            table.add_row(
                text(kind),
                text(ident, limit=80),
                f"{events:,}",
                text(", ".join(seen or []), limit=80),
                text(why, limit=120),
            )
        console.print(table)
        _more(console, total - len(unresolved), "unresolved")
    ambiguous = con.execute(
        "SELECT identifier_type, identifier, event_count, candidates FROM worker_links "
        "WHERE method = 'ambiguous' ORDER BY event_count DESC, identifier LIMIT ?",
        [limit],
    ).fetchall()
    if ambiguous:
        table = Table(
            "type", "identifier", "events", "candidate workers", title="Ambiguous identifiers"
        )
        for kind, ident, events, candidates in ambiguous:
            table.add_row(
                text(kind),
                text(ident, limit=80),
                f"{events:,}",
                text(", ".join(candidates or []), limit=120),
            )
        console.print(table)
        _more(console, counts.get("ambiguous", len(ambiguous)) - len(ambiguous), "ambiguous")


def _more(console: Console, left: int, what: str) -> None:
    """Say that a capped list left identifiers out, and how to see them all."""
    if left > 0:
        console.print(
            f"… and {left:,} more {what} identifiers: `farmhunt stats --all` lists every one "
            f"(or query the worker_links table: method = '{what}')."
        )
