"""``farmhunt ingest``'s terminal view: a progress bar per file and a per-source summary."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from farmhunt import pipeline
from farmhunt.cli.identity_view import check_aliases, parser_options, resolve_and_report
from farmhunt.cli.ingest_summary import (
    files_sentence,
    notes_sentence,
    records_sentence,
    summary_table,
)
from farmhunt.ingest.model import FileResult, IngestOptions
from farmhunt.sources.framing import read_position
from farmhunt.store.workspace import Workspace, WorkspaceError
from farmhunt.termsafe import PATH_LIMIT, clean, text


def accounting(result: FileResult) -> str:
    """A file's records by fate (read = stored + quarantined + empty + already imported),
    and the events its stored records made: nothing read goes unaccounted for."""
    tally = result.tally
    words = [
        f"{tally.read:,} records read",
        f"{tally.stored:,} stored ({result.stored:,} events)",
        f"{tally.quarantined:,} quarantined",
    ]
    if tally.empty:
        words.append(f"{tally.empty:,} with nothing to store")
    if tally.skipped:
        words.append(f"{tally.skipped:,} already imported")
    return ", ".join(words)


def run_ingest(
    paths: list[str],
    workspace: Path,
    fmt: str | None,
    max_record_bytes: int,
    console: Console,
    err: Console,
    column_map: str | None = None,
    aliases: Path | None = None,
) -> int:
    """Ingest and report; exit code 1 when any file could not be read at all.

    The pipeline's resolve stage runs at the end (``aliases`` is first copied into the
    workspace): new events bring new identifiers to link.
    """
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        err.print(text(f"error: no such file or directory: {', '.join(missing)}", "red"))
        return 2
    parser_opts = parser_options(column_map, err)
    if parser_opts is None or not check_aliases(aliases, err):
        return 2
    try:
        ws = Workspace(workspace, create=True)
    except WorkspaceError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    options = IngestOptions(
        format=fmt, max_record_bytes=max_record_bytes, parser_options=parser_opts
    )
    started = time.perf_counter()
    progress = Progress(
        TextColumn("{task.description}", markup=False),  # a file name is not markup
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[records]:>10,} records"),
        TextColumn("{task.fields[rate]:>9,.0f}/s"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task_times: dict[str, float] = {}
    task_ids: dict[str, object] = {}

    def on_progress(name: str, records: int, size: int) -> None:
        """One file's bar: its size on disk is the total, the bytes read so far fill it.

        Where this process does not read the file itself (a parsing process does), the
        bar has no position to show and pulses while records and events/s still count.
        """
        position = read_position(name)
        if name not in task_ids:
            task_times[name] = time.perf_counter()
            total = size if position is not None and size > 0 else None
            task_ids[name] = progress.add_task(clean(name, 60), total=total, records=0, rate=0.0)
        task = task_ids[name]
        elapsed = max(time.perf_counter() - task_times[name], 1e-6)
        done = {"completed": min(position, size)} if position is not None else {}
        progress.update(task, records=records, rate=records / elapsed, **done)  # type: ignore[arg-type]

    def on_result(result: FileResult) -> None:
        if result.status == "error":
            err.print(text(f"error: {result.path}: {result.message}", "red"))
        else:
            quiet = result.status in ("skipped", "empty")
            rate = result.records / result.seconds if result.seconds > 0 else 0.0
            line = f"{result.status:>9}  {result.path}"
            if not quiet:
                line += f"  [{result.format}]  {accounting(result)}, {rate:,.0f} records/s"
            if result.message:
                line += f"  ({result.message})"
            console.print(text(line, "dim" if quiet else "", limit=400))

    try:
        with ws, progress:
            results = pipeline.ingest(ws, paths, options, on_progress, on_result)
    except WorkspaceError as exc:
        err.print(text(f"error: {exc}", "red"))
        return 2
    except KeyboardInterrupt:
        err.print(text("interrupted: committed chunks are kept; run the same command to resume"))
        return 130

    console.print(summary_table(results))
    seconds = time.perf_counter() - started
    console.print(text(f"{files_sentence(results)}.", limit=PATH_LIMIT))
    console.print(
        text(
            f"{records_sentence(results)} ({seconds:.1f}s); quarantined records are "
            f"listed by `farmhunt stats --workspace {workspace}`.",
            limit=PATH_LIMIT,
        )
    )
    passed = notes_sentence(results)
    if passed:
        console.print(text(f"{passed}.", "yellow", limit=PATH_LIMIT))
    with Workspace(workspace) as again:
        resolved = resolve_and_report(again, console, err, aliases)
    return 1 if resolved or any(r.status == "error" for r in results) else 0
