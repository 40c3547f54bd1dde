"""The detect stage over a workspace: run the rules, store the findings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from farmhunt.detect.engine import findings_table, make_context, run_rules
from farmhunt.detect.loader import RuleSet, builtin_rules_dir, load_rules
from farmhunt.detect.model import Finding
from farmhunt.enrich.build import IP_INFO, PHONE_INFO
from farmhunt.enrich.identity import LINKS_TABLE
from farmhunt.settings import Settings
from farmhunt.stages import require
from farmhunt.store.workspace import Workspace


@dataclass
class DetectResult:
    ruleset: RuleSet
    findings: list[Finding]


def require_detect_inputs(ws: Workspace) -> None:
    """:class:`~farmhunt.stages.StageError` unless identity links exist and both
    enrichment tables were rebuilt after them (resolution follows every ingest), so
    the rules never read addresses and phones of an older store."""
    links = ws.derived_path(LINKS_TABLE)
    require(links, LINKS_TABLE, "resolve")
    for table in (IP_INFO, PHONE_INFO):
        require(ws.derived_path(table), table, "enrich", newer_than=links)


def detect_workspace(
    ws: Workspace, rule_paths: list[Path] | None = None, settings: Settings | None = None
) -> DetectResult:
    """Run the rules (built-in library plus any given paths) and replace the
    ``findings`` table.

    Rules read ``worker_links`` (the resolve stage) and ``ip_info``/``phone_info`` (the
    enrich stage); this does not run those stages behind the caller's back but checks
    they ran (:func:`require_detect_inputs`). :func:`farmhunt.pipeline.run` runs them
    in order with the same settings.
    """
    settings = settings or Settings()
    require_detect_inputs(ws)
    ruleset = load_rules([builtin_rules_dir(), *(rule_paths or [])])
    con = ws.connect()
    # memo relations go to a scratch database beside DuckDB's spill files
    ctx = make_context(con, settings, scratch=ws.scratch_dir())
    findings = run_rules(ctx, ruleset)
    ruleset.unsupported += ctx.failed
    ws.replace_derived("findings", findings_table(findings))
    return DetectResult(ruleset, findings)
