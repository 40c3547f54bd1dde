"""``farmhunt scan``, ``farmhunt demo`` and ``farmhunt evaluate``: the stages end to end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from farmhunt.termsafe import PATH_LIMIT, text

if TYPE_CHECKING:
    from farmhunt.ingest.model import FileResult


def run_scan(
    paths: list[str],
    workspace: Path,
    config: Path | None,
    rules: list[Path],
    report: Path | None,
    console: Console,
    err: Console,
) -> int:
    """Ingest, detect, score and (optionally) write the HTML report.

    Each command's view runs its stages through :mod:`farmhunt.pipeline` (ingest ends
    with resolve, detect starts with enrich), so the order is the pipeline's.
    """
    from farmhunt.cli.detect_view import run_detect
    from farmhunt.cli.ingest_view import run_ingest
    from farmhunt.cli.score_view import run_score

    code = run_ingest(paths, workspace, None, 16 * 1024 * 1024, console, err)
    if code == 2:
        return code
    ingest_failed = code != 0
    code = run_detect(workspace, rules, config, console, err)
    if code:
        return code
    code = run_score(workspace, console, err)
    if code:
        return code
    if report is not None:
        code = write_html_report(workspace, report, console, err)
        if code:
            return code
    return 1 if ingest_failed else 0


def write_html_report(workspace: Path, output: Path, console: Console, err: Console) -> int:
    """The analyst's self-contained HTML report of the workspace."""
    from farmhunt.report import write_report

    write_report(workspace, "html", output)
    console.print(text(f"HTML report: {output}", limit=PATH_LIMIT))
    return 0


def ingested_line(results: list[FileResult]) -> str:
    """What an ingest stored, in the report's terms: its "events" are the rows of the
    event tables; roster and inventory rows are counted apart, so the two agree. "From
    N files" counts the files imported; skipped and failed ones are named after it."""
    from farmhunt.cli.ingest_summary import fates_words, outcome, tally
    from farmhunt.schema import TABLES

    rows = sum(r.stored for r in results)
    events = sum(n for r in results for table, n in r.tables.items() if table in TABLES)
    count = tally(results).quarantined
    quarantined = f"{count:,} record{'' if count == 1 else 's'} quarantined"
    imported = sum(1 for r in results if outcome(r) == "imported")
    files = f"{imported:,} file{'' if imported == 1 else 's'}"
    others = "".join(f"; {words}" for words in fates_words(results)[1:])
    if rows == events:
        return f"Ingested {events:,} events from {files} ({quarantined}){others}"
    return (
        f"Ingested {rows:,} rows from {files}, of which {events:,} events and "
        f"{rows - events:,} roster/inventory rows ({quarantined}){others}"
    )


def run_demo(out: Path, console: Console, err: Console) -> int:
    """Simulate a company with farms and look-alikes, scan it, write the HTML report."""
    from farmhunt import pipeline
    from farmhunt.cli.score_view import print_clusters, ranked_table
    from farmhunt.settings import load_settings
    from farmhunt.simulate.config import SimConfig
    from farmhunt.simulate.run import TELEMETRY, simulate
    from farmhunt.store.workspace import Workspace

    started = time.perf_counter()
    sim_dir, ws_dir = out / "company", out / "workspace"
    if ws_dir.exists():
        import shutil

        shutil.rmtree(ws_dir)
    config = SimConfig()
    with console.status("Simulating a company of 60 remote workers over 14 days…"):
        simulated = simulate(config, sim_dir)
    console.print(
        text(
            f"Simulated {len(simulated.company.workers)} workers, "
            f"{len(simulated.company.farms)} hidden laptop farms, {simulated.total:,} "
            f"records (logs, HR roster, device inventory) in {sim_dir / TELEMETRY}",
            limit=PATH_LIMIT,
        )
    )
    settings = load_settings(sim_dir / "farmhunt.yaml")
    with Workspace(ws_dir, create=True) as ws:
        with console.status("Ingesting the raw logs…"):
            results = pipeline.ingest(ws, [str(sim_dir / TELEMETRY)])
        console.print(text(ingested_line(results)))
        with console.status("Linking identities, enriching, running the rules, scoring…"):
            ran = pipeline.analyse(ws, settings)
        detected, scored = ran.detected, ran.scored
        console.print(f"{len(detected.ruleset.rules)} rules → {len(detected.findings)} findings")
        console.print(ranked_table(ws, limit=15))
    print_clusters(scored, console)
    report = out / "farmhunt-report.html"
    code = write_html_report(ws_dir, report, console, err)
    console.print(
        text(
            f"Done in {time.perf_counter() - started:.0f}s. Workspace: {ws_dir}; the truth "
            f"the simulator injected: {sim_dir / 'truth.json'}",
            limit=PATH_LIMIT,
        )
    )
    return code


def run_evaluate(
    seeds: list[int],
    intensities: list[str],
    workers: int,
    days: int,
    output: Path | None,
    console: Console,
    err: Console,
) -> int:
    from farmhunt.evaluate.run import evaluate_grid, results_json
    from farmhunt.simulate.config import INTENSITIES, SimConfig

    unknown = [i for i in intensities if i not in INTENSITIES]
    if unknown:
        err.print(
            text(
                f"error: unknown intensity {', '.join(unknown)} (known: {', '.join(INTENSITIES)})",
                "red",
            )
        )
        return 2
    results = evaluate_grid(seeds, intensities, SimConfig(workers=workers, days=days))
    table = Table(
        "intensity",
        "seed",
        "fraud",
        "precision",
        "recall",
        "precision (high)",
        "recall (high)",
        "PR-AUC",
        "farms whole",
        "min fraud",
        "max look-alike",
        "separated",
        "seconds",
        title="Evaluation against the simulator's truth",
    )
    for r in results:
        table.add_row(
            r.intensity,
            str(r.seed),
            str(r.fraudulent),
            f"{r.precision:.2f}",
            f"{r.recall:.2f}",
            f"{r.precision_high:.2f}",
            f"{r.recall_high:.2f}",
            f"{r.pr_auc:.2f}",
            f"{r.farms_whole}/{r.farms}",
            f"{r.lowest_fraud_score:.1f}",
            f"{r.highest_lookalike_score:.1f}",
            "yes" if r.separated else "no",
            f"{r.seconds:.0f}",
        )
    console.print(table)
    for intensity in intensities:
        subset = [r for r in results if r.intensity == intensity]
        n = len(subset)
        console.print(
            f"{intensity}: precision {sum(r.precision for r in subset) / n:.2f}, recall "
            f"{sum(r.recall for r in subset) / n:.2f} (at high: "
            f"{sum(r.precision_high for r in subset) / n:.2f}, "
            f"{sum(r.recall_high for r in subset) / n:.2f}), "
            f"PR-AUC {sum(r.pr_auc for r in subset) / n:.2f}, "
            f"farms found whole {sum(r.farms_whole for r in subset)}/"
            f"{sum(r.farms for r in subset)}, separated in "
            f"{sum(r.separated for r in subset)}/{n} runs"
        )
    if output:
        output.write_text(results_json(results), encoding="utf-8")
        console.print(text(f"Results: {output}", limit=PATH_LIMIT))
    return 0
