"""``farmhunt``: the command line, one sub-command per stage the analyst drives."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from farmhunt import __version__
from farmhunt.cli.failure import DEBUG_KEY, FailureGroup
from farmhunt.sources.base import DEFAULT_MAX_RECORD_BYTES

app = typer.Typer(
    name="farmhunt",
    cls=FailureGroup,
    help="Find fraudulent remote IT workers and the laptop farms that hide them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped or captured output is not cut to 80 columns: tables of hosts and paths need room.
_WIDTH = None if sys.stdout.isatty() else 160
console = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", "-w", help="Workspace directory (created on first ingest).")
]


def _version(value: bool) -> None:
    if value:
        console.print(f"farmhunt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Show the traceback of a failure instead of its one-line cause."
        ),
    ] = False,
) -> None:
    """Find fraudulent remote IT workers and the laptop farms that hide them."""
    ctx.meta[DEBUG_KEY] = debug


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Log files or directories to import.")],
    workspace: WorkspaceOpt,
    format: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="Force a format instead of detecting it (see `formats`)."
        ),
    ] = None,
    max_record_bytes: Annotated[
        int, typer.Option(help="Largest record accepted; larger ones are quarantined.")
    ] = DEFAULT_MAX_RECORD_BYTES,
    column_map: Annotated[
        str | None,
        typer.Option(
            "--column-map",
            help="Column mapping for HR roster / device inventory CSVs: a YAML file, or a "
            "shipped mapping's name (bamboohr). See docs/sources/hr.md.",
        ),
    ] = None,
    aliases: Annotated[
        Path | None,
        typer.Option(
            "--aliases",
            help="Alias CSV (identifier,worker) for identity resolution; copied into the "
            "workspace as aliases.csv. See docs/identity.md.",
        ),
    ] = None,
) -> None:
    """Import logs into the workspace's OCSF store (re-importing a file adds nothing)."""
    from farmhunt.cli.ingest_view import run_ingest

    code = run_ingest(paths, workspace, format, max_record_bytes, console, err, column_map, aliases)
    raise typer.Exit(code)


@app.command()
def resolve(
    workspace: WorkspaceOpt,
    aliases: Annotated[
        Path | None,
        typer.Option(
            "--aliases",
            help="Alias CSV (identifier,worker); copied into the workspace as aliases.csv.",
        ),
    ] = None,
) -> None:
    """Link every person and host in the events to a worker (also run by every ingest)."""
    from farmhunt.cli.identity_view import run_resolve

    raise typer.Exit(run_resolve(workspace, aliases, console, err))


@app.command()
def enrich(
    workspace: WorkspaceOpt,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Configuration file (default: farmhunt.yaml in the workspace, if there is "
            "one). See docs/configuration.md.",
        ),
    ] = None,
) -> None:
    """Classify every address (VPN, hosting, residential …) and roster phone number."""
    from farmhunt.cli.enrich_view import run_enrich

    raise typer.Exit(run_enrich(workspace, config, console, err))


@app.command()
def stats(
    workspace: WorkspaceOpt,
    show_all: Annotated[
        bool,
        typer.Option("--all", help="List every unresolved and ambiguous identifier, not the top."),
    ] = False,
) -> None:
    """What is stored: per table, per source, time range, imports and quarantine."""
    from farmhunt.cli.stats_view import show_stats

    raise typer.Exit(show_stats(workspace, console, err, show_all))


@app.command()
def formats() -> None:
    """List the formats farmhunt reads."""
    from rich.table import Table

    from farmhunt.sources.registry import all_parsers

    table = Table("format", "product", "what it reads")
    for name, parser in sorted(all_parsers().items()):
        table.add_row(name, parser.product, parser.title)
    console.print(table)


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write Markdown here instead of stdout.")
    ] = None,
) -> None:
    """Print the store's table reference (the source of docs/schema.md)."""
    from farmhunt.schema.reference import render_markdown

    text = render_markdown()
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        console.print(text, markup=False)


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write telemetry and truth.json.")],
    workers: Annotated[
        int, typer.Option(help="Workers in the company (fraudulent included).")
    ] = 60,
    days: Annotated[int, typer.Option(help="Days of activity.")] = 14,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed writes the same bytes.")
    ] = 7,
    farms: Annotated[int, typer.Option(help="Laptop farms to hide in the company.")] = 2,
    lone: Annotated[int, typer.Option(help="Lone impostors (no farm).")] = 1,
    scenario: Annotated[
        str, typer.Option(help="default, blatant, subtle (how careful impostors are) or benign.")
    ] = "default",
    events: Annotated[
        int | None,
        typer.Option(help="Size the run by event count (benchmarks): adds workers, stops there."),
    ] = None,
    evtx: Annotated[
        bool, typer.Option("--evtx", help="Write Windows logs as .evtx files, not Winlogbeat JSON.")
    ] = False,
    rates: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override one rate of the scenario's intensity, NAME=PROBABILITY "
            "(repeatable), e.g. --set remote_tool_daily=0.2; see docs/simulator.md.",
        ),
    ] = None,
) -> None:
    """Write a simulated company's raw telemetry, with hidden laptop farms, plus truth.json."""
    from farmhunt.cli.simulate_view import run_simulate

    raise typer.Exit(
        run_simulate(
            out_dir,
            workers,
            days,
            seed,
            farms,
            lone,
            scenario,
            events,
            evtx,
            console,
            err,
            rates=rates or [],
        )
    )


RulesOpt = Annotated[
    list[Path] | None,
    typer.Option("--rules", "-r", help="More rule files or folders (farmhunt or plain Sigma)."),
]


ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Configuration file (default: farmhunt.yaml in the workspace, if there is one).",
    ),
]


@app.command()
def detect(workspace: WorkspaceOpt, rules: RulesOpt = None, config: ConfigOpt = None) -> None:
    """Enrich the workspace, run the rule library over it and store the findings."""
    from farmhunt.cli.detect_view import run_detect

    raise typer.Exit(run_detect(workspace, rules or [], config, console, err))


@app.command()
def score(workspace: WorkspaceOpt) -> None:
    """Score workers from the findings, find candidate laptop farms, print the ranking."""
    from farmhunt.cli.score_view import run_score

    raise typer.Exit(run_score(workspace, console, err))


@app.command()
def report(
    workspace: WorkspaceOpt,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table, html, json, csv, ocsf or stix.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here (default: stdout).")
    ] = None,
    share: Annotated[
        str | None,
        typer.Option(
            "--share",
            help="STIX only: what may leave the organisation, comma-separated from ip, phone, "
            "address, tool (default: ip; an empty list shares nothing). See docs/reports.md.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Workers shown by --format table.")] = 25,
) -> None:
    """Write the findings, scores and candidate farms as a table, HTML, JSON, CSV, OCSF or STIX."""
    from farmhunt.cli.report_view import run_report

    raise typer.Exit(run_report(workspace, format, output, share, limit, None, console, err))


@app.command()
def scan(
    paths: Annotated[list[str], typer.Argument(help="Log files or directories to import.")],
    workspace: WorkspaceOpt,
    config: ConfigOpt = None,
    rules: RulesOpt = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the HTML report here.")
    ] = None,
) -> None:
    """Ingest, detect, score (and report) in one go."""
    from farmhunt.cli.pipeline_view import run_scan

    raise typer.Exit(run_scan(paths, workspace, config, rules or [], report, console, err))


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's files.")] = Path(
        "demo-out"
    ),
) -> None:
    """Simulate a company with hidden laptop farms, scan it, write the HTML report."""
    from farmhunt.cli.pipeline_view import run_demo

    raise typer.Exit(run_demo(out, console, err))


@app.command()
def evaluate(
    seeds: Annotated[
        str,
        typer.Option(help="Comma-separated simulator seeds (weights were tuned on 5,7,9,11,12)."),
    ] = "21,22,23",
    intensities: Annotated[
        str, typer.Option(help="Comma-separated intensities: blatant, default, subtle.")
    ] = "blatant,default,subtle",
    workers: Annotated[int, typer.Option(help="Workers per simulated company.")] = 60,
    days: Annotated[int, typer.Option(help="Days per simulated company.")] = 14,
    output: Annotated[Path | None, typer.Option(help="Write the results as JSON.")] = None,
) -> None:
    """Measure precision, recall, PR-AUC and farms found whole against simulated truth."""
    from farmhunt.cli.pipeline_view import run_evaluate

    seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    names = [i.strip() for i in intensities.split(",") if i.strip()]
    raise typer.Exit(run_evaluate(seed_list, names, workers, days, output, console, err))


@app.command()
def bench(
    events: Annotated[
        str, typer.Option(help="Comma-separated corpus sizes, in events.")
    ] = "1000000,10000000",
    out: Annotated[
        Path, typer.Option("--out", help="Folder for corpora, workspaces and results.json.")
    ] = Path("bench-out"),
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the workspaces (corpora are always kept).")
    ] = False,
    sigma_rules: Annotated[
        Path | None,
        typer.Option(
            "--sigma-rules",
            envvar="FARMHUNT_SIGMA_RULES",
            help="A folder of SigmaHQ rules (e.g. rules/windows) to measure beside LOLRMM's.",
        ),
    ] = None,
) -> None:
    """Measure ingest, detect and score against the raw-read floor and a peer engine."""
    from farmhunt.bench.view import run_bench_command

    raise typer.Exit(run_bench_command(events, out, keep, console, err, sigma_rules))


rules_app = typer.Typer(help="List, validate and test detection rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def rules_list(rules: RulesOpt = None) -> None:
    """List the rules (built-in and any given)."""
    from farmhunt.cli.detect_view import run_rules_list

    raise typer.Exit(run_rules_list(rules or [], console, err))


@rules_app.command("validate")
def rules_validate(rules: RulesOpt = None) -> None:
    """Check every rule file; all problems are reported at once, with file and line."""
    from farmhunt.cli.detect_view import run_rules_validate

    raise typer.Exit(run_rules_validate(rules or [], console, err))


@rules_app.command("test")
def rules_test(rules: RulesOpt = None) -> None:
    """Run every rule's inline positive and negative test events."""
    from farmhunt.cli.detect_view import run_rules_test

    raise typer.Exit(run_rules_test(rules or [], console, err))


@rules_app.command("docs")
def rules_docs(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write Markdown here (docs/rules.md).")
    ] = None,
) -> None:
    """Print the rule library's reference (the source of docs/rules.md)."""
    from farmhunt.detect.docs import render_rules_markdown
    from farmhunt.detect.loader import load_rules

    text = render_rules_markdown(load_rules())
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        console.print(text, markup=False)


@rules_app.command("export-lolrmm")
def rules_export_lolrmm(
    directory: Annotated[Path, typer.Argument(help="Folder to write the Sigma rules to.")],
) -> None:
    """Write LOLRMM's Sigma rule set (from the shipped catalog) as plain Sigma files."""
    from farmhunt.cli.detect_view import run_export_lolrmm

    raise typer.Exit(run_export_lolrmm(directory, console))


def main() -> None:
    app()
