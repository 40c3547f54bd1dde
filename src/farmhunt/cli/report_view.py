"""``farmhunt report``: the workspace's findings, scores and farms in a chosen format."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from farmhunt.cli.score_view import ranked_table, unresolved_table
from farmhunt.report import FORMATS, build_report, parse_share, render
from farmhunt.report.graph import KIND_LABELS
from farmhunt.report.stix_report import ShareError
from farmhunt.store.workspace import Workspace, WorkspaceError
from farmhunt.termsafe import text


def farms_table(doc: dict[str, Any]) -> Table | None:
    farms = [c for c in doc["clusters"] if c["farm"]]
    if not farms:
        return None
    table = Table("farm", "workers", "strength", "shared", "tools", title="Candidate laptop farms")
    for cluster in farms:
        shared = "; ".join(
            f"{KIND_LABELS.get(a['kind'], a['kind'])} {a.get('address') or a['value']}"
            for a in cluster["shared"]
        )
        table.add_row(
            text(cluster["cluster_id"]),
            text(", ".join(cluster["workers"])),
            f"{cluster['strength']:.2f}",
            text(shared, limit=240),
            text(", ".join(cluster["remote_tools"])),
        )
    return table


def show_table(ws: Workspace, doc: dict[str, Any], limit: int, console: Console) -> None:
    """Workers ranked by risk, then the accounts and hosts of findings no roster worker
    is linked to (all of them when no roster was imported), then candidate farms."""
    unresolved = unresolved_table(ws, limit)
    if doc["workers"] or unresolved is None:
        console.print(ranked_table(ws, limit))
    if unresolved is not None:
        console.print(unresolved)
    farms = farms_table(doc)
    console.print(farms if farms is not None else "No candidate laptop farms.")
    if doc["unattributed"]:
        console.print(
            f"{len(doc['unattributed'])} finding(s) name no roster worker; their evidence "
            "is in the html or json report (section unattributed)."
        )


def run_report(
    workspace: Path,
    fmt: str,
    output: Path | None,
    share: str | None,
    limit: int,
    now: datetime | None,
    console: Console,
    err: Console,
) -> int:
    if fmt not in FORMATS:
        err.print(text(f"error: unknown format {fmt!r}; choose from {', '.join(FORMATS)}", "red"))
        return 2
    try:
        kinds = parse_share(share)
    except ShareError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    if share is not None and fmt != "stix":
        err.print("note: --share only applies to --format stix")
    elif fmt == "stix" and not kinds:
        err.print(
            "note: --share is empty: the bundle shares nothing (only farmhunt's identity and "
            "the TLP marking)"
        )
    try:
        ws = Workspace(workspace, read_only=True)
    except WorkspaceError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    with ws:
        doc = build_report(ws, now=now)
        if not doc["workers"] and not doc["unattributed"]:
            err.print(
                "note: no scores or findings in this workspace; run `farmhunt detect` and "
                "`farmhunt score` first"
            )
        if fmt == "table":
            if output is None:
                show_table(ws, doc, limit, console)
                return 0
            output.parent.mkdir(parents=True, exist_ok=True)
            with output.open("w", encoding="utf-8") as handle:
                show_table(ws, doc, limit, Console(file=handle, width=160, no_color=True))
            err.print(text(f"table report → {output}"))
            return 0
    body = render(doc, fmt, kinds)
    if output is None:
        sys.stdout.write(body)
        sys.stdout.flush()
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(body, encoding="utf-8")
        err.print(
            text(
                f"{fmt} report: {len(doc['workers'])} workers, {doc['summary']['findings']} "
                f"findings, {doc['summary']['farms']} candidate farms → {output}"
            )
        )
    return 0
