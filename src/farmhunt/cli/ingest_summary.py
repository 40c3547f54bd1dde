"""What an ``ingest`` (and so a ``scan``) did, in words a user can check against the files.

Every file named ends in exactly one of: imported (new, resumed or appended), skipped
(already imported, not a log, an empty file, a farmhunt workspace) or failed; every
record read is stored, quarantined, empty by design or already imported
(:class:`farmhunt.ingest.accounting.Tally`). The summary counts each of them once, so
"from N files" never counts a README or a copy imported last week, and what framing
passed over without a record (NUL padding, a live log's unfinished last line, records
of a gzip member that failed its CRC) is said rather than buried in one file's line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rich.table import Table

from farmhunt.ingest.accounting import Tally
from farmhunt.ingest.model import FileResult
from farmhunt.ingest.pipeline import WORKSPACE_SKIPPED
from farmhunt.termsafe import text

IMPORTED = ("imported", "resumed", "appended")
"""Statuses of a file whose new records were read and stored this run."""

SKIPS = ("already imported", "not a log", "empty", "workspace")
"""Why a file was skipped, in the order the summary names them."""


def outcome(result: FileResult) -> str:
    """``imported``, ``failed`` or one of :data:`SKIPS`: the file's one fate."""
    if result.status in IMPORTED:
        return "imported"
    if result.status == "error":
        return "failed"
    if result.status == "empty":
        return "empty"
    if result.message == WORKSPACE_SKIPPED:
        return "workspace"
    if result.format is None:
        return "not a log"
    return "already imported"


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def files_sentence(results: Iterable[FileResult]) -> str:
    """``5 files: 2 imported (1 appended), 2 skipped (1 already imported, 1 not a log),
    1 failed`` (a workspace left out is counted among the skipped)."""
    results = list(results)
    return f"{_plural(len(results), 'file')}: " + ", ".join(fates_words(results))


def fates_words(results: list[FileResult]) -> list[str]:
    """The files by fate: imported first (always), then skipped and failed if any."""
    fates = Counter(outcome(r) for r in results)
    statuses = Counter(r.status for r in results if r.status in IMPORTED[1:])
    imported = f"{fates['imported']:,} imported"
    if statuses:
        imported += " (" + ", ".join(f"{n:,} {s}" for s, n in sorted(statuses.items())) + ")"
    words = [imported]
    skipped = sum(fates[k] for k in SKIPS)
    if skipped:
        why = {
            "already imported": "already imported",
            "not a log": "not a log",
            "empty": "empty",
            "workspace": "farmhunt workspace",
        }
        words.append(
            f"{skipped:,} skipped ("
            + ", ".join(f"{fates[k]:,} {why[k]}" for k in SKIPS if fates[k])
            + ")"
        )
    if fates["failed"]:
        words.append(f"{fates['failed']:,} failed")
    return words


def tally(results: Iterable[FileResult]) -> Tally:
    """The records of every file, summed by fate."""
    total = Tally()
    for result in results:
        total.add(result.tally)
    return total


def records_sentence(results: Iterable[FileResult]) -> str:
    """``8 records read: 2 stored (2 rows), 6 quarantined`` (and empty, already imported)."""
    results = list(results)
    counts = tally(results)
    rows = sum(r.stored for r in results)
    words = [
        f"{counts.stored:,} stored ({_plural(rows, 'row')})",
        f"{counts.quarantined:,} quarantined",
    ]
    if counts.empty:
        words.append(f"{counts.empty:,} with nothing to store")
    if counts.skipped:
        words.append(f"{counts.skipped:,} already imported")
    return f"{_plural(counts.read, 'record')} read: " + ", ".join(words)


def notes_sentence(results: Iterable[FileResult]) -> str | None:
    """What framing passed over, summed over the files (None when nothing was)."""
    notes: Counter[str] = Counter()
    for result in results:
        notes.update(result.notes)
    if not notes:
        return None
    return "Passed over: " + "; ".join(f"{n:,} {what}" for what, n in sorted(notes.items()))


def summary_table(results: Iterable[FileResult]) -> Table:
    """Per source format: the files by fate and their records by fate."""
    table = Table(
        "source",
        "files",
        "imported",
        "skipped",
        "failed",
        "records read",
        "stored",
        "quarantined",
        "rows stored",
        title="Ingest summary",
    )
    groups: dict[str, list[FileResult]] = {}
    for result in results:
        unknown = {"error": "(unrecognized)", "empty": "(empty)"}.get(result.status, "(not a log)")
        groups.setdefault(result.format or unknown, []).append(result)
    for name, group in sorted(groups.items()):
        fates = Counter(outcome(r) for r in group)
        counts = tally(group)
        table.add_row(
            text(name),
            f"{len(group):,}",
            f"{fates['imported']:,}",
            f"{sum(fates[k] for k in SKIPS):,}",
            f"{fates['failed']:,}",
            f"{counts.read:,}",
            f"{counts.stored:,}",
            f"{counts.quarantined:,}",
            f"{sum(r.stored for r in group):,}",
        )
    return table
