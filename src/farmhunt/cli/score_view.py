"""``farmhunt score``: rank workers, list candidate farms."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from farmhunt.cli.safe import text
from farmhunt.score.risk import shown
from farmhunt.score.run import ScoreResult, score_workspace
from farmhunt.store.workspace import Workspace, WorkspaceError

LEVEL_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}


def ranked_table(ws: Workspace, limit: int = 25) -> Table:
    """The ranked workers from the workspace's ``scores`` table."""
    rows = (
        ws.connect()
        .execute(
            "SELECT rank, worker_id, full_name, email, score, level, categories, cluster_id, "
            "explanation FROM scores ORDER BY rank LIMIT ?",
            [limit],
        )
        .fetchall()
    )
    table = Table(title="Workers ranked by risk")
    for name in ("#", "worker", "name", "score", "level", "categories", "farm", "why"):
        table.add_column(name, overflow="fold")
    for rank, worker, name, _email, score, level, categories, cluster, why in rows:
        table.add_row(
            str(rank),
            text(worker),
            text(name or ""),
            shown(score),
            text(level, LEVEL_STYLE.get(level, "")),
            text(", ".join(categories or [])),
            text(cluster or ""),
            text(why, limit=160),
        )
    return table


def print_clusters(result: ScoreResult, console: Console) -> None:
    farms = [c for c in result.clusters if c.farm_strength > 0]
    if not farms:
        console.print("No candidate laptop farms.")
        return
    from farmhunt.report.graph import KIND_LABELS

    table = Table("farm", "workers", "strength", "shared", title="Candidate laptop farms")
    for cluster in farms:
        shared = "; ".join(
            f"{KIND_LABELS.get(a.kind, a.kind)} {a.value}" for a in cluster.shared[:4]
        )
        table.add_row(
            text(cluster.cluster_id),
            text(", ".join(cluster.members)),
            f"{cluster.farm_strength:.2f}",
            text(shared, limit=200),
        )
    console.print(table)


def run_score(workspace: Path, console: Console, err: Console) -> int:
    try:
        ws = Workspace(workspace)
    except WorkspaceError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    with ws, ws.write_lock():
        result = score_workspace(ws)
        console.print(ranked_table(ws))
    print_clusters(result, console)
    return 0
