"""``farmhunt detect`` over a workspace: enrich, run the rules, store the findings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from farmhunt.detect.engine import findings_table, make_context, run_rules
from farmhunt.detect.loader import RuleSet, builtin_rules_dir, load_rules
from farmhunt.detect.model import Finding
from farmhunt.settings import Settings
from farmhunt.store.workspace import Workspace


@dataclass
class DetectResult:
    ruleset: RuleSet
    findings: list[Finding]
    enriched: dict[str, int]


def detect_workspace(
    ws: Workspace,
    rule_paths: list[Path] | None = None,
    settings: Settings | None = None,
    *,
    enrich: bool = True,
) -> DetectResult:
    """Rebuild the enrichment tables, run the rules (built-in library plus any given
    paths) and replace the ``findings`` table.

    Rules read ``ip_info``/``phone_info`` (enrichment) and ``worker_links`` (identity,
    rebuilt by every ingest), so enrichment runs first with the same settings.
    """
    settings = settings or Settings()
    ruleset = load_rules([builtin_rules_dir(), *(rule_paths or [])])
    enriched: dict[str, int] = {}
    if enrich:
        from farmhunt.enrich.build import enrich_workspace

        enriched = enrich_workspace(ws, settings)
    con = ws.connect()
    # memo relations go to a scratch database beside DuckDB's spill files
    ctx = make_context(con, settings, scratch=ws.scratch_dir())
    findings = run_rules(ctx, ruleset)
    ruleset.unsupported += ctx.failed
    ws.replace_derived("findings", findings_table(findings))
    return DetectResult(ruleset, findings, enriched)
