"""``farmhunt detect`` over a workspace: enrich, run the rules, store the findings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from farmhunt.detect.engine import findings_table, make_context, run_rules
from farmhunt.detect.loader import RuleSet, load_rules
from farmhunt.detect.model import Finding
from farmhunt.store.workspace import Workspace


@dataclass
class DetectResult:
    ruleset: RuleSet
    findings: list[Finding]


def detect_workspace(
    ws: Workspace, rule_paths: list[Path] | None = None, settings: object = None
) -> DetectResult:
    """Run the rules (built-in library plus any given paths) and replace ``findings``."""
    from farmhunt.detect.loader import builtin_rules_dir

    paths = [builtin_rules_dir(), *(rule_paths or [])]
    ruleset = load_rules(paths)
    con = ws.connect()
    findings = run_rules(make_context(con, settings), ruleset)
    ws.replace_derived("findings", findings_table(findings))
    return DetectResult(ruleset, findings)
