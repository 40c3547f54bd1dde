"""The ingest pipeline: choose a parser, stream records, commit chunks, quarantine the rest.

Guarantees, each tested:

- importing the same content twice, through the same parser with the same options,
  stores nothing new (content hash and parse key in the manifest); the same content
  forced through another format or column map is a new import;
- an appended log imports only its new lines (prefix hash of the earlier import), and
  a log rewritten in place as it grows (EVTX) only its new records (the digest of its
  earlier records, ``Parser.record_stream``);
- an interrupted import resumes after its last committed chunk, losing nothing;
- every record ends up stored or in quarantine with its file, number and reason;
- memory is bounded by the chunk size, whatever the file size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator

from farmhunt.ingest.collector import fewer_collections
from farmhunt.ingest.commit import Batch, finalize
from farmhunt.ingest.model import FileResult, IngestOptions, ProgressFn, io_failure
from farmhunt.ingest.plan import plan_file
from farmhunt.ingest.reading import produce
from farmhunt.sources.base import (
    FileError,
)
from farmhunt.sources.registry import get_parser
from farmhunt.store.workspace import Workspace, is_workspace, workspace_holding


def expand_paths(paths: Iterable[str], workspaces: list[str] | None = None) -> Iterator[str]:
    """Files named, and files under directories named (sorted, hidden ones skipped).

    A farmhunt workspace (``store.workspace.is_workspace``), named or found under a
    directory, is not read: its Parquet files are a store, not logs. Each one left out
    is appended to ``workspaces``, so the caller can say so.
    """
    for given in paths:
        holding = workspace_holding(given)
        if holding is not None:
            if workspaces is not None and str(holding) not in workspaces:
                workspaces.append(str(holding))
            continue
        if os.path.isdir(given):
            for root, dirs, files in os.walk(given):
                kept = []
                for name in sorted(d for d in dirs if not d.startswith(".")):
                    if is_workspace(os.path.join(root, name)):
                        if workspaces is not None:
                            workspaces.append(os.path.join(root, name))
                    else:
                        kept.append(name)
                dirs[:] = kept
                for name in sorted(files):
                    if not name.startswith("."):
                        yield os.path.join(root, name)
        else:
            yield given


WORKSPACE_SKIPPED = "a farmhunt workspace: its store is never read as input"


def ingest_paths(
    workspace: Workspace,
    paths: Iterable[str],
    options: IngestOptions | None = None,
    progress: ProgressFn | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Ingest every file under ``paths`` into ``workspace``; one result per file, in order.

    Large inputs are parsed by worker processes (``IngestOptions.workers``) while this
    process decides what to import and commits every chunk; small ones are parsed here.
    """
    options = options or IngestOptions()
    workspaces: list[str] = []
    files = list(expand_paths(paths, workspaces))
    skipped = [
        FileResult(w, "farmhunt workspace", "skipped", message=WORKSPACE_SKIPPED)
        for w in workspaces
    ]
    for result in skipped:
        if on_result:
            on_result(result)
    workers = worker_count(options, files)
    with workspace.write_lock(), fewer_collections():
        if workers > 1:
            from farmhunt.ingest.parallel import ingest_parallel

            return skipped + ingest_parallel(
                workspace, files, options, workers, progress, on_result
            )
        results = skipped
        batch = Batch(workspace, options.chunk_rows)
        for path in files:
            result = ingest_file(workspace, path, options, progress, batch)
            results.append(result)
            if on_result:
                on_result(result)
        batch.commit()
    return results


PARALLEL_MIN_BYTES = 64 * 1024 * 1024
"""Below this much input, starting worker processes costs more than it saves."""


def worker_count(options: IngestOptions, files: list[str]) -> int:
    """Processes that parse: ``options.workers``, or one per core for large inputs."""
    if options.workers is not None:
        return max(1, options.workers)
    cores = os.cpu_count() or 1
    if cores < 2 or len(files) < 2:
        return 1
    total = sum(os.path.getsize(f) for f in files if os.path.isfile(f))
    return cores if total >= PARALLEL_MIN_BYTES else 1


def ingest_file(
    workspace: Workspace,
    path: str,
    options: IngestOptions,
    progress: ProgressFn | None = None,
    batch: Batch | None = None,
) -> FileResult:
    """Ingest one file; file-level problems become an ``error`` result, not an exception.

    With a shared ``batch``, the file's last rows may still be pending when this
    returns: they are committed with the batch (``ingest_paths`` commits it at the end).
    """
    own = batch is None
    shared = batch or Batch(workspace, options.chunk_rows)
    started = time.perf_counter()

    def settle(content: str | None = None, continued_by: tuple[str, str] | None = None) -> None:
        if shared.holds(content=content, continued_by=continued_by):
            shared.commit()

    try:
        planned = plan_file(workspace, path, options, settle)
        if isinstance(planned, FileResult):
            result = planned
        else:
            parser = get_parser(planned.format)
            shared.track(planned)
            try:
                outcome = produce(planned, parser, options, shared.add, progress, workspace)
            except KeyboardInterrupt:
                shared.commit()
                workspace.manifest.finish(
                    planned.import_id, "interrupted", "interrupted by the user"
                )
                raise
            result = finalize(workspace, planned, outcome, shared)
    except FileError as exc:
        result = FileResult(path, options.format, "error", message=str(exc))
    except (OSError, EOFError) as exc:
        result = FileResult(path, options.format, "error", message=io_failure(exc))
    if own:
        shared.commit()
    result.seconds = time.perf_counter() - started
    return result
