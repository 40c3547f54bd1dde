"""``farmhunt detect`` and ``farmhunt rules``: running, listing, validating and testing rules."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from farmhunt.detect.loader import RuleError, RuleSet, builtin_rules_dir, load_rules
from farmhunt.store.workspace import Workspace, WorkspaceError
from farmhunt.termsafe import PATH_LIMIT, text


def _print_rule_errors(err: Console, exc: RuleError) -> None:
    err.print(text(f"error: {len(exc.errors)} problem(s) in the rules:", "red"))
    for line in exc.errors:
        err.print(text(f"  {line}", limit=600))


def run_detect(
    workspace: Path, rules: list[Path], config: Path | None, console: Console, err: Console
) -> int:
    from farmhunt import pipeline
    from farmhunt.enrich.indicators import IndicatorError
    from farmhunt.settings import SettingsError, load_settings
    from farmhunt.stages import StageError

    try:
        ws = Workspace(workspace)
        settings = load_settings(config, workspace)
    except WorkspaceError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    except SettingsError as exc:
        where = f"{exc.source}: " if exc.source else ""
        for problem in exc.problems:
            err.print(text(f"error: {where}{problem}", "red", limit=600))
        return 2
    started = time.perf_counter()
    try:
        with ws, ws.write_lock():
            # the command runs the enrich stage first, with the same settings
            pipeline.enrich(ws, settings)
            result = pipeline.detect(ws, rules, settings)
    except StageError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    except RuleError as exc:
        _print_rule_errors(err, exc)
        return 2
    except IndicatorError as exc:
        for problem in exc.problems:
            err.print(text(f"error: indicator list {problem}", "red", limit=600))
        return 2
    seconds = time.perf_counter() - started
    table = Table("rule", "category", "severity", "findings", "workers", title="Findings by rule")
    counts: Counter[str] = Counter(f.rule.id for f in result.findings)
    workers: dict[str, set[str]] = {}
    for f in result.findings:
        workers.setdefault(f.rule.id, set()).add(f.worker_id or f.subject)
    for rule in sorted(result.ruleset.rules, key=lambda r: (-counts[r.id], r.id)):
        if counts[rule.id]:
            table.add_row(
                text(rule.id),
                text(rule.category),
                text(rule.severity),
                str(counts[rule.id]),
                str(len(workers[rule.id])),
            )
    console.print(table if result.findings else "No findings.")
    console.print(
        f"{len(result.ruleset.rules)} rules run, {len(result.findings)} findings in "
        f"{seconds:.1f}s; stored in the workspace's `findings` table."
    )
    _print_skipped(console, result.ruleset, limit=SKIPPED_SHOWN)
    return 0


SKIPPED_SHOWN = 20
"""How many skipped rules ``farmhunt detect`` names (``rules validate`` names all)."""


def _print_skipped(console: Console, ruleset: RuleSet, limit: int | None = None) -> None:
    """The plain Sigma rules left out, and why: unreadable ones, then the ones whose log
    source or fields the store does not have."""
    for title, lines in (
        ("Sigma rules skipped: could not be read", ruleset.unreadable),
        ("Sigma rules skipped: construct not supported", ruleset.unsupported),
        ("Sigma rules skipped: log source or field not in the store", ruleset.skipped),
    ):
        if not lines:
            continue
        console.print(text(f"{len(lines)} {title}:", "yellow"))
        for line in lines[:limit]:
            console.print(text(f"  skipped: {line}", "dim", limit=400))
        if limit is not None and len(lines) > limit:
            console.print(
                f"  … and {len(lines) - limit} more; `farmhunt rules validate` lists them all."
            )


def run_rules_list(rules: list[Path], console: Console, err: Console) -> int:
    try:
        ruleset = load_rules([builtin_rules_dir(), *rules])
    except RuleError as exc:
        _print_rule_errors(err, exc)
        return 2
    table = Table("id", "kind", "category", "severity", "weight", "title")
    for rule in sorted(ruleset.rules, key=lambda r: (r.category, r.id)):
        table.add_row(
            text(rule.id),
            text(rule.kind),
            text(rule.category),
            text(rule.severity),
            f"{rule.weight:g}",
            text(rule.title),
        )
    console.print(table)
    console.print(f"{len(ruleset.rules)} rules")
    return 0


def run_rules_validate(rules: list[Path], console: Console, err: Console) -> int:
    try:
        ruleset = load_rules([builtin_rules_dir(), *rules])
    except RuleError as exc:
        _print_rule_errors(err, exc)
        return 1
    console.print(f"{len(ruleset.rules)} rules valid.")
    _print_skipped(console, ruleset)
    return 0


def run_rules_test(rules: list[Path], console: Console, err: Console) -> int:
    from farmhunt.detect.testing import run_all_tests

    try:
        ruleset = load_rules([builtin_rules_dir(), *rules])
    except RuleError as exc:
        _print_rule_errors(err, exc)
        return 2
    outcomes = run_all_tests(ruleset)
    failed = [o for o in outcomes if not o.passed]
    for outcome in failed:
        kind = "positive" if outcome.test.expect else "negative"
        err.print(
            text(
                f"FAIL {outcome.rule.id} ({kind} test {outcome.test.name}): {outcome.detail}",
                "red",
                limit=600,
            )
        )
    console.print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def run_export_lolrmm(directory: Path, console: Console) -> int:
    from farmhunt.detect.lolrmm import export_lolrmm

    count = export_lolrmm(directory)
    console.print(text(f"{count} LOLRMM Sigma rules written to {directory}", limit=PATH_LIMIT))
    return 0
