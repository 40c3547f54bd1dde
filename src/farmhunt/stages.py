"""The stages' order and the error a stage raises when one it needs has not run.

Every stage reads what the ones before it wrote: ingest → resolve → enrich → detect →
score (:mod:`farmhunt.pipeline` runs them in that order). A stage run out of order
would not fail on its own: rules over a workspace with no identity links give findings
tied to no worker, rules over missing enrichment see no address as a hosting one. So
each stage checks its inputs and raises :class:`StageError` naming the stage to run.
This module imports nothing of farmhunt, so every layer can raise the error.
"""

from __future__ import annotations

from pathlib import Path

STAGES = ("ingest", "resolve", "enrich", "detect", "score")
"""The stages in the order they run."""

HOW = {
    "resolve": "`farmhunt resolve`, or `farmhunt ingest`, which ends with it",
    "enrich": "`farmhunt enrich`; `farmhunt detect` runs it first",
    "detect": "`farmhunt detect`",
}
"""The command that runs a stage, for the error's message."""


class StageError(Exception):
    """A stage was asked to run before one it needs; ``stage`` names the one to run."""

    def __init__(self, what: str, stage: str) -> None:
        super().__init__(f"{what}: run the {stage} stage first ({HOW.get(stage, stage)})")
        self.stage = stage


def require(path: Path, table: str, stage: str, newer_than: Path | None = None) -> None:
    """:class:`StageError` unless the derived table at ``path`` exists (and was written
    no earlier than ``newer_than``, the table its stage reads)."""
    if not path.exists():
        raise StageError(f"the workspace has no {table} table", stage)
    if newer_than is not None and path.stat().st_mtime_ns < newer_than.stat().st_mtime_ns:
        raise StageError(f"the {table} table is older than {newer_than.stem}", stage)
