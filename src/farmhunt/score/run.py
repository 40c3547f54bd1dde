"""``farmhunt score``: findings and shared attributes into the scores and clusters tables."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from farmhunt.enrich.facts.roster import LATEST_WORKERS_SQL
from farmhunt.schema.tables import CLUSTERS, FINDINGS_TABLE, SCORES
from farmhunt.score.clusters import Cluster, find_clusters, shared_attributes
from farmhunt.score.model import ScoringModel
from farmhunt.score.risk import WorkerRisk, score_worker
from farmhunt.stages import require
from farmhunt.store.arrow import to_arrow
from farmhunt.store.workspace import Workspace


@dataclass
class ScoreResult:
    risks: list[WorkerRisk]
    clusters: list[Cluster]


def score_connection(con: duckdb.DuckDBPyConnection, model: ScoringModel) -> ScoreResult:
    columns = ["finding_id", "rule_id", "title", "category", "weight", "worker_id"]
    rows = con.execute(
        f"SELECT {', '.join(columns)} FROM findings WHERE worker_id IS NOT NULL"
    ).fetchall()
    findings: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        findings.setdefault(record["worker_id"], []).append(record)
    clusters = find_clusters(shared_attributes(con, model), model)
    member_of = {m: c for c in clusters for m in c.members}
    workers = sorted(set(findings) | set(member_of))
    risks = [score_worker(w, findings.get(w, []), member_of.get(w), model) for w in workers]
    risks.sort(key=lambda r: (-r.score, r.worker_id))
    return ScoreResult(risks, clusters)


def score_workspace(ws: Workspace, model: ScoringModel | None = None) -> ScoreResult:
    """Score every worker with findings or in a candidate farm; replace the tables.

    Raises :class:`~farmhunt.stages.StageError` when the detect stage never ran: with
    no ``findings`` table every worker would score zero and look cleared.
    """
    require(ws.derived_path(FINDINGS_TABLE.name), FINDINGS_TABLE.name, "detect")
    model = model or ScoringModel()
    con = ws.connect()
    result = score_connection(con, model)
    roster = dict(
        (r[0], (r[1], r[2]))
        for r in con.execute(
            f"SELECT employee_id, email, full_name FROM ({LATEST_WORKERS_SQL})"
        ).fetchall()
    )
    ws.replace_derived(
        SCORES.name,
        to_arrow(
            SCORES,
            [
                {
                    "worker_id": r.worker_id,
                    "email": roster.get(r.worker_id, (None, None))[0],
                    "full_name": roster.get(r.worker_id, (None, None))[1],
                    "rank": rank,
                    "score": r.score,
                    "level": r.level,
                    "raw": r.raw,
                    "categories": r.categories,
                    "finding_count": sum(1 for c in r.contributions if c.kind == "finding"),
                    "cluster_id": r.cluster_id,
                    "contributions": [asdict(c) for c in r.contributions],
                    "explanation": r.explanation,
                }
                for rank, r in enumerate(result.risks, 1)
            ],
        ),
    )
    ws.replace_derived(
        CLUSTERS.name,
        to_arrow(
            CLUSTERS,
            [
                {
                    "cluster_id": c.cluster_id,
                    "members": c.members,
                    "size": len(c.members),
                    "strength": c.strength,
                    "shared": [
                        {
                            "kind": a.kind,
                            "value": a.value,
                            "workers": sorted(a.workers),
                            "weight": round(a.weight, 3),
                            "note": a.note,
                        }
                        for a in c.shared
                    ],
                    "explanation": c.explanation,
                }
                for c in result.clusters
            ],
        ),
    )
    return result
