"""``farmhunt bench``: every measure, per corpus size, side by side on the same files."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from farmhunt.bench.floor import raw_read_floor
from farmhunt.bench.machine import load_average, machine_info
from farmhunt.bench.measure import farmhunt_command, run_measured
from farmhunt.bench.peer import peer_comparison
from farmhunt.simulate.run import TELEMETRY

SCHEMA_VERSION = 1
DEFAULT_SIZES = (1_000_000, 10_000_000)
GIB = 1024**3

TARGETS = {
    "ingest_vs_floor": "ingest within 2x of DuckDB's raw read of the same files",
    "rules_vs_peer": "rule evaluation at least 10x faster than the SQLite Sigma peer",
    "pipeline_10m": "10M events: ingest + detect + score under 10 minutes",
    "peak_rss": "peak memory under 2 GiB at every size",
    "rss_growth": "peak memory at the largest size at most 1.5x that at the smallest",
}

Step = Callable[[str], None]


def corpus_dir(out: Path, events: int) -> Path:
    return out / f"corpus-{events}"


def ensure_corpus(out: Path, events: int, step: Step) -> tuple[Path, dict[str, Any] | None]:
    """The simulated corpus of ``events`` events under ``out``, generated if missing.

    A corpus is complete when its ``truth.json`` exists (the simulator writes it last);
    an incomplete one is generated again.
    """
    folder = corpus_dir(out, events)
    if (folder / "truth.json").exists():
        step(f"corpus of {events:,} events: reusing {folder}")
        return folder, None
    if folder.exists():
        shutil.rmtree(folder)
    step(f"corpus of {events:,} events: simulating into {folder}")
    measured = run_measured(
        farmhunt_command("simulate", str(folder), "--events", str(events)),
        log=out / f"simulate-{events}.log",
    )
    return folder, measured.as_dict()


def bench_size(
    out: Path, events: int, step: Step, keep: bool, sigma_rules: Path | None = None
) -> dict[str, Any]:
    """Every measure for one corpus size."""
    corpus, simulated = ensure_corpus(out, events, step)
    telemetry = corpus / TELEMETRY
    workspace = out / f"workspace-{events}"
    if workspace.exists():
        shutil.rmtree(workspace)
    figures: dict[str, Any] = {"events_target": events, "corpus": str(corpus)}
    if simulated:
        figures["simulate"] = simulated
    figures["load_average_before"] = load_average()

    _warm(telemetry)  # both readers then find the files in the page cache
    step(f"{events:,}: the floor (DuckDB reading the raw files)")
    floor = raw_read_floor(telemetry)
    figures["floor"] = floor.as_dict()

    step(f"{events:,}: ingest")
    ingest = run_measured(
        farmhunt_command("ingest", str(telemetry), "--workspace", str(workspace)),
        log=out / f"ingest-{events}.log",
    )
    figures["ingest"] = ingest.as_dict()
    figures["stored"] = _stored(workspace)
    figures["records"] = floor.records + floor.evtx_records

    config = corpus / "farmhunt.yaml"
    detect_args = ["detect", "--workspace", str(workspace)]
    if config.exists():
        detect_args += ["--config", str(config)]
    step(f"{events:,}: detect")
    detect = run_measured(farmhunt_command(*detect_args), log=out / f"detect-{events}.log")
    figures["detect"] = detect.as_dict()
    step(f"{events:,}: score")
    score = run_measured(
        farmhunt_command("score", "--workspace", str(workspace)), log=out / f"score-{events}.log"
    )
    figures["score"] = score.as_dict()

    step(f"{events:,}: LOLRMM rules, farmhunt's engine against the SQLite peer")
    from farmhunt.store.workspace import Workspace

    with Workspace(workspace) as ws:
        peer = peer_comparison(ws, out / "lolrmm-rules")
        figures["peer"] = peer.as_dict()
        if sigma_rules is not None:
            # SigmaHQ's rules as the user has them (never downloaded by the bench)
            step(f"{events:,}: SigmaHQ rules from {sigma_rules}, farmhunt against SQLite")
            sigma = peer_comparison(ws, sigma_rules, lolrmm=False)
            figures["sigma_peer"] = sigma.as_dict()
    figures["load_average_after"] = load_average()
    figures.update(_derived(figures))
    if not keep:
        shutil.rmtree(workspace, ignore_errors=True)
    return figures


def _warm(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                while handle.read(1 << 22):
                    pass


def _stored(workspace: Path) -> dict[str, int]:
    from farmhunt.store.workspace import Workspace

    with Workspace(workspace) as ws:
        imports = ws.manifest.imports()
        return {
            "rows": sum(i.stored for i in imports),
            "rejected": sum(i.rejected for i in imports),
            "files": len(imports),
            "parquet_files": len(ws.manifest.all_files()),
        }


def _derived(f: dict[str, Any]) -> dict[str, Any]:
    """Rates and ratios from the raw figures of one size."""
    records = f["records"]
    ingest_s = f["ingest"]["seconds"]
    floor_s = f["floor"]["seconds"] + f["floor"]["evtx_seconds"]
    pipeline_s = ingest_s + f["detect"]["seconds"] + f["score"]["seconds"]
    peaks = [f[k]["peak_bytes"] for k in ("ingest", "detect", "score")]
    return {
        "ingest_records_per_second": records / ingest_s if ingest_s else 0.0,
        "floor_records_per_second": records / floor_s if floor_s else 0.0,
        "ingest_vs_floor": ingest_s / floor_s if floor_s else None,
        "ingest_vs_records_only": ingest_s / f["floor"]["records_only_seconds"]
        if f["floor"]["records_only_seconds"]
        else None,
        "pipeline_seconds": pipeline_s,
        "pipeline_cpu_seconds": sum(f[k]["cpu_seconds"] for k in ("ingest", "detect", "score")),
        "peak_bytes": max(peaks),
    }


def growth(small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    """Largest over smallest size: time should grow like the events, memory stay flat."""

    def ratio(a: float, b: float) -> float | None:
        return b / a if a else None

    return {
        "from": small["records"],
        "to": large["records"],
        "events": ratio(small["records"], large["records"]),
        "ingest_seconds": ratio(small["ingest"]["seconds"], large["ingest"]["seconds"]),
        "detect_seconds": ratio(small["detect"]["seconds"], large["detect"]["seconds"]),
        "score_seconds": ratio(small["score"]["seconds"], large["score"]["seconds"]),
        "pipeline_seconds": ratio(small["pipeline_seconds"], large["pipeline_seconds"]),
        "peak_bytes": ratio(small["peak_bytes"], large["peak_bytes"]),
        "ingest_peak_bytes": ratio(small["ingest"]["peak_bytes"], large["ingest"]["peak_bytes"]),
        "detect_peak_bytes": ratio(small["detect"]["peak_bytes"], large["detect"]["peak_bytes"]),
    }


def judge(sizes: list[dict[str, Any]], grown: dict[str, Any] | None) -> dict[str, Any]:
    """Each target: met, missed, or not measured (None), with the figure it rests on."""
    largest = max(sizes, key=lambda s: s["records"])
    ten_million = [s for s in sizes if s["events_target"] >= 10_000_000]
    worst_floor = max((s["ingest_vs_floor"] or 0.0) for s in sizes)
    worst_peer = min(s["peer"]["speedup"] for s in sizes)
    peak = max(s["peak_bytes"] for s in sizes)
    verdicts: dict[str, Any] = {
        "ingest_vs_floor": {"value": worst_floor, "met": worst_floor <= 2.0},
        "rules_vs_peer": {"value": worst_peer, "met": worst_peer >= 10.0},
        "pipeline_10m": {
            "value": ten_million[0]["pipeline_seconds"] if ten_million else None,
            "met": ten_million[0]["pipeline_seconds"] < 600 if ten_million else None,
        },
        "peak_rss": {"value": peak, "met": peak < 2 * GIB},
        "rss_growth": {
            "value": grown["peak_bytes"] if grown else None,
            "met": grown["peak_bytes"] <= 1.5 if grown and grown["peak_bytes"] else None,
        },
    }
    for name, verdict in verdicts.items():
        verdict["target"] = TARGETS[name]
    verdicts["largest_records"] = largest["records"]
    return verdicts


def run_bench(
    sizes: list[int],
    out: Path,
    *,
    keep: bool = False,
    step: Step | None = None,
    sigma_rules: Path | None = None,
) -> dict[str, Any]:
    """Measure every size and write ``out/results.json``; return the results."""
    out.mkdir(parents=True, exist_ok=True)
    report = step or (lambda _message: None)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "sizes": [],
    }
    for events in sorted(sizes):
        results["sizes"].append(bench_size(out, events, report, keep, sigma_rules))
    measured = results["sizes"]
    results["growth"] = growth(measured[0], measured[-1]) if len(measured) > 1 else None
    results["targets"] = judge(measured, results["growth"])
    results["seconds"] = time.perf_counter() - started
    (out / "results.json").write_text(
        json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return results
