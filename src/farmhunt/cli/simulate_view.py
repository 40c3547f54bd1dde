"""``farmhunt simulate``: the simulator with a progress bar and a summary."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from farmhunt.simulate.config import SimConfig, parse_rate_settings
from farmhunt.simulate.run import TELEMETRY, simulate
from farmhunt.termsafe import PATH_LIMIT, text

EVENTS_PER_WORKER_DAY = 60
"""Rough yield of one worker-day, used to size a run by event count."""


def run_simulate(
    out_dir: Path,
    workers: int,
    days: int,
    seed: int,
    farms: int,
    lone: int,
    scenario: str,
    events: int | None,
    evtx: bool,
    console: Console,
    err: Console,
    rates: list[str] | None = None,
) -> int:
    """``rates`` are ``NAME=VALUE`` overrides of the scenario's intensity (``--set``)."""
    try:
        config = SimConfig(
            workers=workers, days=days, seed=seed, farms=farms, lone_impostors=lone
        ).with_scenario(scenario)
        settings = parse_rate_settings(rates or [])
        config = replace(config, intensity=config.intensity.overridden(settings))
    except ValueError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    if events:
        needed = math.ceil(events / (EVENTS_PER_WORKER_DAY * max(days, 1)))
        config = replace(config, workers=max(workers, needed), events_target=events)
    if config.workers < 8:
        err.print(text("error: --workers must be at least 8", "red"))
        return 2
    try:
        config.check()
    except ValueError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    started = time.perf_counter()
    progress = Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TextColumn("{task.fields[events]:>12,} events"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with progress:
        task = progress.add_task("days", total=config.days, events=0)

        def on_day(done: int, total: int, count: int) -> None:
            progress.update(task, completed=done, events=count)

        result = simulate(config, out_dir, on_day, windows_evtx=evtx)
    seconds = time.perf_counter() - started
    table = Table(
        "source", "events written", title=text(f"Simulated company in {out_dir}", limit=PATH_LIMIT)
    )
    for name, count in result.events.items():
        table.add_row(name.removesuffix("Writer"), f"{count:,}")
    console.print(table)
    company = result.company
    fraud = [w for w in company.workers if w.fraudulent]
    console.print(
        f"{len(company.workers)} workers over {result.days} days ({config.scenario}), "
        f"{len(company.farms)} farms, {len(fraud)} fraudulent workers; "
        f"{result.total:,} events in {seconds:.1f}s ({result.total / max(seconds, 1e-9):,.0f}/s)."
    )
    console.print(
        text(
            f"Telemetry: {out_dir / TELEMETRY}   truth: {out_dir / 'truth.json'}",
            limit=PATH_LIMIT,
        )
    )
    console.print(
        text(f"Next: farmhunt ingest {out_dir / TELEMETRY} --workspace WORKSPACE", limit=PATH_LIMIT)
    )
    return 0
