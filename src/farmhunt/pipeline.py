"""The one place the stages run in order: ingest → resolve → enrich → detect → score.

``farmhunt scan``, ``demo``, ``evaluate``, ``ingest`` (for its resolve) and the tests
call :func:`run` or the stages here, so the order is spelled out once. Each stage
checks that the ones it needs have run and raises :class:`~farmhunt.stages.StageError`
naming the stage to run when not (detect without identity links or current
enrichment, score without findings), instead of quietly running it or giving an
empty answer.

This module sits above :mod:`farmhunt.score` and below the CLI and the evaluation;
no stage imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from farmhunt.detect.run import DetectResult, detect_workspace
from farmhunt.enrich.build import enrich_workspace
from farmhunt.enrich.identity import AliasRow, ResolveResult
from farmhunt.enrich.identity import resolve as resolve_identities
from farmhunt.ingest.model import FileResult, IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.score.model import ScoringModel
from farmhunt.score.run import ScoreResult, score_workspace
from farmhunt.settings import Settings
from farmhunt.stages import STAGES, StageError
from farmhunt.store.workspace import Workspace

__all__ = ["STAGES", "PipelineResult", "StageError", "analyse", "detect", "enrich", "ingest"]
__all__ += ["resolve", "run", "score"]


def ingest(
    ws: Workspace,
    paths: list[str],
    options: IngestOptions | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Store the raw logs as OCSF events (files already imported are skipped).

    The identity links are stale afterwards: run :func:`resolve` next.
    """
    return ingest_paths(ws, paths, options or IngestOptions(), on_progress, on_result)


def resolve(ws: Workspace, aliases: list[AliasRow] | None = None) -> ResolveResult:
    """Tie every identifier in the events to a worker (``worker_links``); after every
    ingest, as new events bring new identifiers."""
    return resolve_identities(ws, aliases)


def enrich(ws: Workspace, settings: Settings | None = None) -> dict[str, int]:
    """Rebuild ``ip_info`` and ``phone_info`` with ``settings``; rows per table."""
    return enrich_workspace(ws, settings or Settings())


def detect(
    ws: Workspace, rule_paths: list[Path] | None = None, settings: Settings | None = None
) -> DetectResult:
    """Run the rules over a resolved, enriched workspace; replace ``findings``."""
    return detect_workspace(ws, rule_paths, settings)


def score(ws: Workspace, model: ScoringModel | None = None) -> ScoreResult:
    """Score workers from the stored findings; replace ``scores`` and ``clusters``."""
    return score_workspace(ws, model)


@dataclass
class PipelineResult:
    """What each stage returned, for the caller to report."""

    resolved: ResolveResult
    enriched: dict[str, int]
    detected: DetectResult
    scored: ScoreResult
    files: list[FileResult] = field(default_factory=list)
    """The ingest stage's files (none when :func:`analyse` ran alone)."""


def analyse(
    ws: Workspace,
    settings: Settings | None = None,
    *,
    rule_paths: list[Path] | None = None,
    model: ScoringModel | None = None,
    aliases: list[AliasRow] | None = None,
) -> PipelineResult:
    """The stages after ingest, in order, over what the workspace holds; ``settings``
    serve enrich and detect alike."""
    settings = settings or Settings()
    resolved = resolve(ws, aliases)
    enriched = enrich(ws, settings)
    detected = detect(ws, rule_paths, settings)
    return PipelineResult(resolved, enriched, detected, score(ws, model))


def run(
    ws: Workspace,
    paths: list[str],
    settings: Settings | None = None,
    *,
    options: IngestOptions | None = None,
    rule_paths: list[Path] | None = None,
    model: ScoringModel | None = None,
) -> PipelineResult:
    """Every stage in order: ingest ``paths``, then :func:`analyse`."""
    files = ingest(ws, paths, options)
    result = analyse(ws, settings, rule_paths=rule_paths, model=model)
    result.files = files
    return result
