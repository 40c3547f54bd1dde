"""``farmhunt stats``: what the store holds, per table and source, and what it could not hold."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from farmhunt.cli.identity_view import TOP_UNRESOLVED, show_identity
from farmhunt.cli.quarantine_view import show_quarantine
from farmhunt.schema import TABLES
from farmhunt.store.workspace import Workspace, WorkspaceError
from farmhunt.termsafe import PATH_LIMIT, text


def show_stats(workspace: Path, console: Console, err: Console, show_all: bool = False) -> int:
    """Print the store's contents; ``show_all`` lists every unresolved identifier."""
    try:
        ws = Workspace(workspace, read_only=True)
    except WorkspaceError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    with ws:
        con = ws.connect()
        events = Table(title=text(f"Stored events in {workspace}", limit=PATH_LIMIT))
        events.add_column("table", no_wrap=True)
        events.add_column("class", justify="right", no_wrap=True)
        events.add_column("source", overflow="fold")
        events.add_column("events", justify="right")
        events.add_column("first (UTC)", no_wrap=True)
        events.add_column("last (UTC)", no_wrap=True)
        total = 0
        for name, spec in TABLES.items():
            rows = con.execute(
                f'SELECT "raw_source.format", count(*), min(time), max(time) FROM "{name}" '
                "GROUP BY 1 ORDER BY 1"
            ).fetchall()
            for fmt, count, first, last in rows:
                total += count
                events.add_row(
                    name,
                    str(spec.class_uid),
                    text(fmt),
                    f"{count:,}",
                    _when(first),
                    _when(last),
                )
        console.print(events if total else "No events stored yet.")

        imports = ws.manifest.imports()
        by_status: dict[str, int] = {}
        for item in imports:
            by_status[item.status] = by_status.get(item.status, 0) + 1
        console.print(
            f"{total:,} events from {len(imports):,} imports ("
            + ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
            + ")"
        )
        for item in imports:
            if item.status != "complete":
                console.print(
                    text(
                        f"  import #{item.id} {item.status}: {item.path} {item.error or ''}",
                        "yellow",
                        limit=400,
                    )
                )

        show_quarantine(con, console)
        show_identity(con, console, None if show_all else TOP_UNRESOLVED)
    return 0


def _when(value: object) -> str:
    return "" if value is None else str(value)[:16]
