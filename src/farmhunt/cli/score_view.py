"""``farmhunt score``: rank workers, list candidate farms."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from farmhunt import pipeline
from farmhunt.score.risk import shown
from farmhunt.score.run import ScoreResult
from farmhunt.stages import StageError
from farmhunt.store.workspace import Workspace, WorkspaceError
from farmhunt.termsafe import text

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


UNRESOLVED_COLUMNS = (
    "finding_id, rule_id, title, category, weight, worker_id, subject, subject_type, device"
)


def unresolved_table(ws: Workspace, limit: int = 25) -> Table | None:
    """The accounts and hosts of findings that name no roster worker, ranked by the
    same model (:func:`farmhunt.score.subjects.rank_subjects`); None when there are none.

    Without an HR roster every finding is such: the worker ranking is empty, and this
    is the ranking the user has, labelled so that nobody reads a host as a person.
    """
    from farmhunt.score.subjects import rank_subjects

    cursor = ws.connect().execute(
        f"SELECT {UNRESOLVED_COLUMNS} FROM findings WHERE worker_id IS NULL"
    )
    names = [d[0] for d in cursor.description or []]
    ranked = rank_subjects(dict(zip(names, row, strict=True)) for row in cursor.fetchall())
    if not ranked:
        return None
    shown_rows = ranked[:limit]
    more = f", top {len(shown_rows)} of {len(ranked)}" if len(ranked) > len(shown_rows) else ""
    table = Table(
        title=f"Unresolved subjects ranked by risk (accounts and hosts no roster worker is "
        f"linked to{more})",
        caption="Not people: one person may use several of these, and several one. "
        "Import the HR roster to rank workers.",
    )
    for name in ("#", "subject", "kind", "score", "level", "categories", "findings", "why"):
        table.add_column(name, overflow="fold")
    for rank, entry in enumerate(shown_rows, 1):
        risk = entry.risk
        table.add_row(
            str(rank),
            text(entry.subject),
            text(entry.subject_type),
            shown(risk.score),
            text(risk.level, LEVEL_STYLE.get(risk.level, "")),
            text(", ".join(risk.categories)),
            str(entry.findings),
            text(risk.explanation, limit=160),
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
        try:
            result = pipeline.score(ws)
        except StageError as exc:
            err.print(text(f"error: {exc}", "red"))
            return 2
        unresolved = unresolved_table(ws)
        if result.risks or unresolved is None:
            console.print(ranked_table(ws))
        if unresolved is not None:
            console.print(unresolved)
    print_clusters(result, console)
    return 0
