"""One evaluation run and a grid of them."""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from farmhunt import pipeline
from farmhunt.evaluate.metrics import average_precision, farms_found_whole, precision_recall
from farmhunt.settings import load_settings
from farmhunt.simulate.config import SimConfig
from farmhunt.simulate.run import TELEMETRY, simulate
from farmhunt.store.workspace import Workspace


@dataclass
class RunResult:
    seed: int
    intensity: str
    workers: int
    fraudulent: int
    precision: float
    """Of the workers at medium or high (score ≥ 30, "review"), the share fraudulent."""
    recall: float
    precision_high: float
    """The same at the high level only (score ≥ 60, "act")."""
    recall_high: float
    pr_auc: float
    farms: int
    farms_whole: int
    lowest_fraud_score: float
    highest_lookalike_score: float
    separated: bool
    """Every fraudulent worker scores above every benign look-alike."""
    seconds: float
    flagged_lookalikes: list[str]


def evaluate_one(config: SimConfig, work: Path) -> RunResult:
    """Simulate, ingest, detect, score, and compare with the truth."""
    started = time.perf_counter()
    out = work / f"sim-{config.seed}-{config.intensity.name}"
    simulate(config, out)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    settings = load_settings(out / "farmhunt.yaml")
    with Workspace(work / f"ws-{config.seed}-{config.intensity.name}", create=True) as ws:
        result = pipeline.run(ws, [str(out / TELEMETRY)], settings).scored
    workers = truth["workers"]
    scores = {r.worker_id: r for r in result.risks}
    fraud = {w for w, v in workers.items() if v["fraudulent"]}
    lookalikes = {w for w, v in workers.items() if v["benign_traits"] and not v["fraudulent"]}
    flagged = {w for w, r in scores.items() if r.level in ("high", "medium") and w in workers}
    precision, recall = precision_recall(flagged, fraud)
    high_level = {w for w in flagged if scores[w].level == "high"}
    precision_high, recall_high = precision_recall(high_level, fraud)
    ids = sorted(workers)
    auc = average_precision(
        [scores[w].score if w in scores else 0.0 for w in ids], [w in fraud for w in ids]
    )
    farms = [set(f["members"]) for f in truth["farms"].values()]
    clusters = [set(c.members) for c in result.clusters if c.farm_strength > 0]
    low = min((scores[w].score if w in scores else 0.0 for w in fraud), default=0.0)
    high = max((scores[w].score if w in scores else 0.0 for w in lookalikes), default=0.0)
    return RunResult(
        seed=config.seed,
        intensity=config.intensity.name,
        workers=len(workers),
        fraudulent=len(fraud),
        precision=round(precision, 3),
        recall=round(recall, 3),
        precision_high=round(precision_high, 3),
        recall_high=round(recall_high, 3),
        pr_auc=round(auc, 3),
        farms=len(farms),
        farms_whole=farms_found_whole(clusters, farms),
        lowest_fraud_score=low,
        highest_lookalike_score=high,
        separated=low > high,
        seconds=round(time.perf_counter() - started, 1),
        flagged_lookalikes=sorted(w for w in flagged & lookalikes),
    )


def evaluate_grid(
    seeds: list[int], intensities: list[str], base: SimConfig, work: Path | None = None
) -> list[RunResult]:
    from farmhunt.simulate.config import INTENSITIES

    results = []
    with tempfile.TemporaryDirectory(prefix="farmhunt-eval-") as tmp:
        folder = work or Path(tmp)
        for intensity in intensities:
            for seed in seeds:
                config = replace(
                    base, seed=seed, intensity=INTENSITIES[intensity], scenario=intensity
                )
                results.append(evaluate_one(config, folder))
    return results


def results_json(results: list[RunResult]) -> str:
    return json.dumps([asdict(r) for r in results], indent=2) + "\n"
