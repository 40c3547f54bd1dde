"""The benchmark's results as Rich tables: one column per corpus size, then the targets."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from farmhunt.bench.measure import human_bytes
from farmhunt.termsafe import text


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} s"


def _rate(value: float | None) -> str:
    return "—" if not value else f"{value:,.0f}/s"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}×"


def _rows(size: dict[str, Any]) -> list[tuple[str, str]]:
    floor, peer = size["floor"], size["peer"]
    rows = [
        ("records (raw)", f"{size['records']:,}"),
        ("rows stored", f"{size['stored']['rows']:,}"),
        ("input", f"{floor['bytes'] / 1e6:,.0f} MB in {size['stored']['files']:,} files"),
        ("ingest", f"{_s(size['ingest']['seconds'])} ({_s(size['ingest']['cpu_seconds'])} CPU)"),
        ("ingest rate", _rate(size["ingest_records_per_second"])),
        ("ingest peak RSS", human_bytes(size["ingest"]["peak_bytes"])),
        (
            "floor: DuckDB read",
            f"{_s(floor['seconds'])}, {_rate(size['floor_records_per_second'])}",
        ),
        ("ingest / floor", _x(size["ingest_vs_floor"])),
        ("floor: records only", _s(floor["records_only_seconds"])),
    ]
    if floor["evtx_files"]:
        rows.append(
            ("EVTX (evtx package)", f"{floor['evtx_records']:,} in {_s(floor['evtx_seconds'])}")
        )
    rows += [
        ("detect", f"{_s(size['detect']['seconds'])}, {human_bytes(size['detect']['peak_bytes'])}"),
        ("score", f"{_s(size['score']['seconds'])}, {human_bytes(size['score']['peak_bytes'])}"),
        ("ingest+detect+score", _s(size["pipeline_seconds"])),
        ("peak RSS (any stage)", human_bytes(size["peak_bytes"])),
        ("LOLRMM rules", f"{peer['rules']} over {sum(t['rows'] for t in peer['tables']):,} rows"),
        ("  farmhunt (one scan)", _s(peer["farmhunt_seconds"])),
        ("  SQLite (query per rule)", _s(peer["sqlite_seconds"])),
        ("  speed-up", _x(peer["speedup"])),
        ("  rules disagreeing", str(len(peer["disagreements"]))),
        *_sigma_rows(size.get("sigma_peer")),
        (
            "load average before/after",
            f"{size['load_average_before']} / {size['load_average_after']}",
        ),
    ]
    return rows


def _sigma_rows(sigma: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The SigmaHQ row (``--sigma-rules``), beside LOLRMM's."""
    if not sigma:
        return []
    rows = sum(t["rows"] for t in sigma["tables"])
    return [
        ("SigmaHQ rules", f"{sigma['rules']} over {rows:,} rows"),
        ("  farmhunt (one scan)", _s(sigma["farmhunt_seconds"])),
        ("  SQLite (query per rule)", _s(sigma["sqlite_seconds"])),
        ("  speed-up", _x(sigma["speedup"])),
        ("  rules disagreeing", str(len(sigma["disagreements"]))),
        ("  rules SQLite could not run", str(len(sigma["unconverted"]))),
    ]


def render(results: dict[str, Any], console: Console) -> None:
    sizes = results["sizes"]
    table = Table("", *[f"{s['events_target']:,} events" for s in sizes], title="farmhunt bench")
    columns = [_rows(s) for s in sizes]
    for index, (label, _) in enumerate(columns[0]):
        table.add_row(label, *[c[index][1] if index < len(c) else "" for c in columns])
    console.print(table)
    grown = results.get("growth")
    if grown:
        console.print(
            f"Growth {grown['from']:,} → {grown['to']:,} records ({_x(grown['events'])}): "
            f"ingest {_x(grown['ingest_seconds'])}, detect {_x(grown['detect_seconds'])}, "
            f"score {_x(grown['score_seconds'])}, peak RSS {_x(grown['peak_bytes'])}"
        )
    targets = Table("target", "figure", "verdict", title="Targets")
    for name, verdict in results["targets"].items():
        if not isinstance(verdict, dict):
            continue
        value = verdict["value"]
        shown = "—"
        if value is not None:
            shown = (
                human_bytes(value)
                if name == "peak_rss"
                else (_s(value) if name == "pipeline_10m" else _x(value))
            )
        met = verdict["met"]
        mark = "not measured" if met is None else ("met" if met else "missed")
        targets.add_row(verdict["target"], shown, mark)
    console.print(targets)
    for size in sizes:
        for d in size["peer"]["disagreements"][:10]:
            console.print(
                f"  disagreement at {size['events_target']:,}: {d['title']} ({d['table']}): "
                f"farmhunt {d['farmhunt']}, SQLite {d['sqlite']}",
                markup=False,
            )


def parse_sizes(text: str) -> list[int]:
    """``1000000,10M,250k`` → event counts."""
    sizes = []
    for part in text.replace("_", "").split(","):
        part = part.strip().lower()
        if not part:
            continue
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1], 1)
        number = part[:-1] if scale > 1 else part
        if not number.isdigit() or int(number) * scale < 1000:
            raise ValueError(f"--events: {part!r} is not an event count of 1000 or more")
        sizes.append(int(number) * scale)
    if not sizes:
        raise ValueError("--events: give at least one size")
    return sorted(set(sizes))


def run_bench_command(
    events: str,
    out: Path,
    keep: bool,
    console: Console,
    err: Console,
    sigma_rules: Path | None = None,
) -> int:
    from farmhunt.bench.measure import StageFailed
    from farmhunt.bench.run import run_bench

    try:
        sizes = parse_sizes(events)
    except ValueError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    if sigma_rules is not None and not sigma_rules.is_dir():
        err.print(text(f"error: --sigma-rules: {sigma_rules} is not a folder of rules", "red"))
        return 2
    if importlib.util.find_spec("sigma.backends.sqlite") is None:
        err.print(
            text(
                "error: the peer engine is missing: pip install pysigma-backend-sqlite "
                "(or farmhunt[dev])",
                "red",
            )
        )
        return 2
    try:
        results = run_bench(
            sizes,
            out,
            keep=keep,
            step=lambda m: console.print(text(m, "dim")),
            sigma_rules=sigma_rules,
        )
    except StageFailed as exc:
        err.print(text(f"error: a measured stage failed: {exc}", "red", limit=2000))
        return 1
    render(results, console)
    console.print(text(f"Results: {out / 'results.json'}"))
    return 0
