"""The ingest pipeline: choose a parser, stream records, commit chunks, quarantine the rest.

Guarantees, each tested:

- importing the same content twice, through the same parser with the same options,
  stores nothing new (content hash and parse key in the manifest); the same content
  forced through another format or column map is a new import;
- an appended log imports only its new lines (prefix hash of the earlier import);
- an interrupted import resumes after its last committed chunk, losing nothing;
- every record ends up stored or in quarantine with its file, number and reason;
- memory is bounded by the chunk size, whatever the file size.
"""

from __future__ import annotations

import errno
import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from farmhunt.ingest.accounting import Tally
from farmhunt.ingest.collector import fewer_collections
from farmhunt.ingest.hashing import fingerprint, head_digest
from farmhunt.schema import QUARANTINE, get_table
from farmhunt.sources import read_sample
from farmhunt.sources.base import (
    FileError,
    Parser,
    RawRecord,
    RecordError,
    Rejected,
    Row,
    Stream,
)
from farmhunt.sources.compressed import compression_of, open_decompressed
from farmhunt.sources.framing import DEFAULT_MAX_RECORD_BYTES, short_text
from farmhunt.sources.notlog import not_a_log
from farmhunt.sources.registry import choose_parser, get_parser
from farmhunt.store.arrow import BadValue, to_arrow, write_atomic
from farmhunt.store.manifest import ChunkEntry, TableFile
from farmhunt.store.workspace import Workspace, chunk_path, is_workspace, workspace_holding
from farmhunt.timerange import implausible_reason, latest

ProgressFn = Callable[[str, int, int], None]
"""Called as (file, records read so far, bytes hint) while a file is read."""


@dataclass
class IngestOptions:
    format: str | None = None
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    chunk_rows: int = 25_000
    parser_options: dict[str, Any] = field(default_factory=dict)
    """Options for the parsers that take them (e.g. ``column_map`` for HR exports);
    shown to ``sniff`` (``Sample.options``) and ``frame`` (``Stream.options``)."""
    workers: int | None = None
    """Processes parsing files at once: None for one per core when the input is large
    (``PARALLEL_MIN_BYTES``), 1 to parse in this process only."""


@dataclass
class FileResult:
    """What happened to one input file."""

    path: str
    format: str | None
    status: str
    """imported, resumed, appended, skipped (already imported, or not a log: see
    ``message``), empty or error."""
    stored: int = 0
    """Rows (events) stored; one record may make several."""
    rejected: int = 0
    """Quarantine rows written."""
    records: int = 0
    """Items framed in this run (for the records/s rate); what became of each record
    read, skipped ones included, is in :attr:`tally`."""
    seconds: float = 0.0
    message: str = ""
    import_id: int | None = None
    tables: Counter[str] = field(default_factory=Counter)
    tally: Tally = field(default_factory=Tally)
    """What became of each record read: the accounting invariant."""


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
        batch = _Batch(workspace, options.chunk_rows)
        for path in files:
            result = ingest_file(workspace, path, options, progress, batch)
            results.append(result)
            if on_result:
                on_result(result)
        batch.commit()
    return results


PARALLEL_MIN_BYTES = 64 * 1024 * 1024
"""Below this much input, starting worker processes costs more than it saves."""


_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})
"""Failures only a write can meet: the workspace's disk, not the input file."""


def io_failure(exc: OSError | EOFError) -> str:
    """A file's one-line failure: a full or read-only disk is named as the workspace's.

    Reading a file also writes its chunks, so one ``OSError`` handler sees both; "cannot
    read: No space left on device" sent analysts to inspect log files that were sound.
    """
    if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
        return f"cannot write the workspace: {os.strerror(exc.errno)}"
    return f"cannot read: {exc}"


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
    batch: _Batch | None = None,
) -> FileResult:
    """Ingest one file; file-level problems become an ``error`` result, not an exception.

    With a shared ``batch``, the file's last rows may still be pending when this
    returns: they are committed with the batch (``ingest_paths`` commits it at the end).
    """
    own = batch is None
    shared = batch or _Batch(workspace, options.chunk_rows)
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


@dataclass
class Job:
    """A file this process decided to read: its import, where to resume, how to decode."""

    path: str
    format: str
    import_id: int
    seq: int
    start: int
    head: str
    content: str
    encoding: str
    status: str
    """imported, resumed or appended."""
    size: int
    length: int
    """Bytes of decompressed content (``size`` is the file's size on disk)."""
    unverified: list[tuple[int, int]] = field(default_factory=list)
    """Decompressed ranges of gzip members that failed their CRC check."""


@dataclass
class Outcome:
    """What reading one file produced, apart from its chunks."""

    records: int = 0
    stored: int = 0
    rejected: int = 0
    tables: Counter[str] = field(default_factory=Counter)
    tally: Tally = field(default_factory=Tally)
    failed: str | None = None
    """The parser gave up on the file (FileError): the import is marked failed."""
    unreadable: str | None = None
    """The file could not be read on (I/O error): the import is left to resume."""
    seconds: float = 0.0
    """Time spent reading and normalizing (set by a worker process, which the parent's
    clock cannot see)."""
    notes: Counter[str] = field(default_factory=Counter)
    """What framing passed over that is not a record (:attr:`Stream.notes`)."""


Settle = Callable[..., None]
"""Called before the manifest is asked about a file, as settle(continued_by=(path,
head digest)) — no import of this run that ``path`` continues (its content is a prefix
of the file's) is still uncommitted — or settle(content=…): none with that content is."""


def continues(path: str, job: Job) -> bool:
    """Whether ``path`` starts with exactly the content ``job`` imports (appended to it).

    Asked only of this run's uncommitted imports with the same first line: Zeek, CSV and
    other headed logs share that line across unrelated files, and settling each of them
    serialised the whole run; comparing the prefix settles only a real continuation.
    """
    if job.length <= 0:
        return False
    with open(path, "rb") as raw:
        compressed = compression_of(raw.read(8)) is not None
    if not compressed and os.path.getsize(path) <= job.length:
        return False  # a continuation is longer than what it continues
    digest = hashlib.sha256()
    left = job.length
    try:
        with open_decompressed(path) as binary:
            while left > 0:
                block = binary.read(min(left, 1 << 20))
                if not block:
                    return False
                digest.update(block)
                left -= len(block)
    except (OSError, EOFError):
        return True  # unreadable here: settle, the careful answer
    return digest.hexdigest() == job.content


def pending_blocks(job: Job, content: str | None, continued_by: tuple[str, str] | None) -> bool:
    """Whether the uncommitted ``job`` must be committed before a file with ``content``,
    or the file ``continued_by`` (path, head digest), is planned."""
    if content is not None and job.content == content:
        return True
    if continued_by is None:
        return False
    path, head = continued_by
    return job.head == head and continues(path, job)


def plan_file(
    workspace: Workspace, path: str, options: IngestOptions, settle: Settle
) -> FileResult | Job:
    """Decide what to do with one file: a result (empty, skipped) or a job to read it.

    Raises FileError or OSError for a file that cannot be considered at all.
    """
    if not os.path.isfile(path):
        raise FileError("no such file")
    sample = read_sample(path)
    sample.options = options.parser_options
    if not sample.head:
        # Rotated or quiet logs are often empty: worth a line, not a failure.
        return FileResult(path, options.format, "empty", message="empty file: nothing to import")
    if options.format:
        parser = get_parser(options.format)
    else:
        try:
            parser = choose_parser(sample)
        except FileError:
            reason = not_a_log(path, sample)
            if reason is None:
                raise
            return FileResult(path, None, "skipped", message=f"not a log: {reason}")
    manifest = workspace.manifest
    head = head_digest(path)
    settle(continued_by=(path, head))  # an earlier file of this run may be the one it extends
    # only the options this parser reads: a column map given for the HR exports of a
    # folder must not make its Zeek logs new imports the next time
    used = {k: v for k, v in options.parser_options.items() if k in parser.reads_options}
    # a plain file's size on disk is its content's: only smaller imports can be prefixes
    with open(path, "rb") as raw:
        known = None if compression_of(raw.read(8)) else os.path.getsize(path)
    candidates = (
        manifest.append_candidates(head, parser.name, used, smaller_than=known)
        if parser.line_oriented
        else []
    )
    print_ = fingerprint(path, [c.size for c in candidates])
    settle(content=print_.content_sha256)  # the same content earlier in this run
    done = manifest.completed_with_content(print_.content_sha256, parser.name, used)
    if done is not None:
        return FileResult(
            path,
            done.format,
            "skipped",
            import_id=done.id,
            message=f"already imported (import #{done.id}, {done.path})",
        )

    status = "imported"
    unfinished = manifest.unfinished_with_content(print_.content_sha256, parser.name, used)
    if unfinished is not None:
        import_id, start = unfinished.id, unfinished.records_done
        manifest.reopen(import_id)
        status = "resumed"
    else:
        base = next(
            (
                c
                for c in candidates
                if c.size < print_.size and print_.prefixes.get(c.size) == c.content_sha256
            ),
            None,
        )
        start = base.records_done if base else 0
        import_id = manifest.start_import(
            path=path,
            fmt=parser.name,
            content_sha256=print_.content_sha256,
            head_sha256=print_.head_sha256,
            size=print_.size,
            line_oriented=parser.line_oriented,
            resumed_from=base.id if base else None,
            start_record=start,
            options=used,
        )
        if base:
            status = "appended"
        if base and base.status != "complete":
            manifest.finish(
                base.id,
                "continued",
                f"cut short, then the file grew: import #{import_id} goes on from record {start}",
            )
    return Job(
        path,
        parser.name,
        import_id,
        manifest.next_seq(import_id),
        start,
        head,
        print_.content_sha256,
        sample.encoding or "utf-8",
        status,
        os.path.getsize(path),
        print_.size,
        print_.unverified,
    )


def produce(
    job: Job,
    parser: Parser,
    options: IngestOptions,
    emit: Callable[[Segment], None],
    progress: ProgressFn | None,
    workspace: Workspace | None = None,
) -> Outcome:
    """Read a job's file and hand its chunks to ``emit`` (in this or a worker process)."""
    writer = _ChunkWriter(workspace, job.import_id, job.seq, job.path, job.format, emit)
    counter = FileResult(job.path, job.format, job.status)
    outcome = Outcome()
    try:
        with open_decompressed(job.path) as binary:
            stream = Stream(
                job.path,
                job.path,
                binary,
                job.encoding,
                options.max_record_bytes,
                {**options.parser_options, "imported_at": datetime.now(UTC)},
                unverified=job.unverified,
            )
            try:
                _pump(
                    parser,
                    stream,
                    job.head,
                    job.start,
                    writer,
                    options,
                    counter,
                    progress,
                    job.size,
                )
            finally:
                outcome.notes = stream.notes
        writer.flush()
    except KeyboardInterrupt:
        writer.flush()
        raise
    except FileError as exc:
        writer.flush()
        outcome.failed = str(exc)
    except (OSError, EOFError) as exc:
        outcome.unreadable = io_failure(exc)
    outcome.records = counter.records
    outcome.stored, outcome.rejected, outcome.tables = writer.stored, writer.rejected, writer.tables
    outcome.tally = writer.tally
    return outcome


def finalize(workspace: Workspace, job: Job, outcome: Outcome, batch: _Batch) -> FileResult:
    """The file's result, once all its chunks are in the batch; completes the import."""
    result = FileResult(job.path, job.format, job.status, import_id=job.import_id)
    result.records, result.stored, result.rejected = (
        outcome.records,
        outcome.stored,
        outcome.rejected,
    )
    result.tables = outcome.tables
    result.tally = outcome.tally
    if outcome.unreadable:
        result.status, result.message = "error", outcome.unreadable
        return result
    if outcome.failed:
        batch.commit()
        workspace.manifest.finish(job.import_id, "failed", outcome.failed)
        result.status, result.message = "error", outcome.failed
        return result
    batch.add(Segment(job.import_id, job.seq, 0, {}, 0, 0, complete=True))
    if job.status == "resumed":
        result.message = f"resumed after record {job.start:,}"
    elif job.status == "appended":
        result.message = f"appended lines after record {job.start:,}"
    notes = "; ".join(f"{count:,} {what}" for what, count in sorted(outcome.notes.items()))
    if notes:
        result.message = f"{result.message}; {notes}" if result.message else notes
    return result


def iter_results(
    parser: Parser,
    stream: Stream,
    head_sha: str,
    start: int = 0,
    on_skip: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, list[Row] | Rejected]]:
    """Frame and normalize a stream: per record, its completed rows or its rejection.

    Records numbered ``start`` or lower are skipped (already committed; ``on_skip`` is
    called with the number of each, to count them). Any exception a parser raises on
    one record quarantines that record only, as does an event time outside the
    plausible range (:mod:`farmhunt.timerange`).
    """
    upto = latest()
    read_to = 0  # where the previous record ended in the decompressed stream
    for item in parser.frame(stream):
        began, read_to = read_to, item.end_offset if item.end_offset is not None else read_to
        if item.number <= start:
            if on_skip is not None:
                on_skip(item.number)
            continue
        if isinstance(item, Rejected):
            yield item.number, item
            continue
        try:
            rows = list(parser.normalize(item))
        except RecordError as exc:
            yield item.number, Rejected(item.number, str(exc), short_text(item.text))
            continue
        except Exception as exc:
            yield (
                item.number,
                Rejected(
                    item.number,
                    f"internal error in the {parser.name} parser ({type(exc).__name__}: {exc}); "
                    "please report it",
                    short_text(item.text),
                ),
            )
            continue
        implausible = implausible_reason(rows, upto)
        if implausible is not None:
            yield item.number, Rejected(item.number, implausible, short_text(item.text))
            continue
        for sub, (_table, row) in enumerate(rows, 1):
            _complete(row, item, sub, head_sha, parser, stream.display_name)
        if stream.unverified and _in_ranges(stream.unverified, began, item.end_offset):
            stream.notes[UNVERIFIED_NOTE] += 1
            for _table, row in rows:
                _flag_unverified(row)
        yield item.number, rows


UNVERIFIED_NOTE = "records unverified (their gzip member failed its CRC check)"


def _in_ranges(ranges: list[tuple[int, int]], began: int, ended: int | None) -> bool:
    """Whether a record that spans ``(began, ended]`` of the decompressed stream touches
    one of ``ranges``; a record whose end is unknown might, so it counts as touching."""
    if ended is None:
        return True
    return any(began < end and ended > start for start, end in ranges)


def _flag_unverified(row: dict[str, Any]) -> None:
    """Mark a row as read from data whose checksum failed: kept, but not vouched for
    (as EVTX marks a chunk whose checksum failed, ``unmapped.evtx_integrity``)."""
    unmapped = row.get("unmapped")
    if isinstance(unmapped, str):
        try:
            unmapped = orjson.loads(unmapped)
        except orjson.JSONDecodeError:
            unmapped = {"text": unmapped}
    if not isinstance(unmapped, dict):
        unmapped = {} if unmapped is None else {"value": unmapped}
    row["unmapped"] = {**unmapped, "compressed_integrity": "unverified"}


def _pump(
    parser: Parser,
    stream: Stream,
    head_sha: str,
    start: int,
    writer: _ChunkWriter,
    options: IngestOptions,
    result: FileResult,
    progress: ProgressFn | None,
    size_hint: int,
) -> None:
    writer.records_end = start
    skipped: set[int] = set()
    fate = _Fate()
    try:
        for number, outcome in iter_results(parser, stream, head_sha, start, skipped.add):
            # A chunk ends only between record numbers, so resuming never splits a record
            # (a snapshot or an API page line yields several under one number).
            if number != writer.records_end:
                fate.settle(writer)
                if writer.buffered >= options.chunk_rows:
                    writer.flush()
            result.records += 1
            if progress and result.records % 5000 == 0:
                progress(stream.display_name, result.records, size_hint)
            fate.number = number
            if isinstance(outcome, Rejected):
                writer.reject(outcome.number, outcome.reason, outcome.text)
                fate.rejected = True
                if not outcome.consumed:
                    continue  # an import that extends this file reads the record again
            else:
                for table, row in outcome:
                    writer.add(table, row, number)
                fate.rows = fate.rows or bool(outcome)
            writer.records_end = number
    finally:
        fate.settle(writer)  # the last record, also when the parser gives up mid-file
    writer.tally.skipped = len(skipped)
    writer.tally.read += len(skipped)
    if progress:
        progress(stream.display_name, result.records, size_hint)


@dataclass
class _Fate:
    """What the items framed under one record number made, tallied once per record."""

    number: int | None = None
    rows: bool = False
    rejected: bool = False

    def settle(self, writer: _ChunkWriter) -> None:
        if self.number is None:
            return
        writer.tally.read += 1
        if self.rejected:
            writer.tally.quarantined += 1
        elif self.rows:
            writer.owners_pending.add(self.number)
        else:
            writer.tally.empty += 1
        self.number, self.rows, self.rejected = None, False, False


def _complete(
    row: dict[str, Any], record: RawRecord, sub: int, head_sha: str, parser: Parser, name: str
) -> None:
    """Fill the columns every stored event has: id, evidence and provenance."""
    digest = hashlib.blake2b(f"{head_sha}:{record.number}:{sub}:".encode(), digest_size=12)
    digest.update(record.text.encode("utf-8", "surrogatepass"))
    row["metadata.uid"] = digest.hexdigest()
    row.setdefault("raw_data", record.text)
    row["raw_source.file"] = name
    row["raw_source.record"] = record.number
    row["raw_source.format"] = parser.name
    row.setdefault("metadata.product.name", parser.product)
    row.setdefault("metadata.product.vendor_name", parser.vendor)


@dataclass
class Segment:
    """One chunk of one import, converted and waiting in the batch to be committed."""

    import_id: int
    seq: int
    records_end: int
    tables: dict[str, Any]
    """Table → Arrow table of the chunk's rows (quarantine included)."""
    stored: int
    rejected: int
    complete: bool = False
    """The import's last chunk: committing it completes the import."""
    written: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Table → (workspace-relative path, rows) of Parquet files a parsing process has
    already written for this chunk (see :func:`write_segment`); ``tables`` is then empty."""

    @property
    def rows(self) -> int:
        return self.stored + self.rejected

    def __getstate__(self) -> dict[str, Any]:
        """Tables travel to the committing process as Arrow IPC streams.

        Pickle writes an Arrow table column by column as Python objects: 0.7 ms for a
        25-row osquery chunk of 61 columns, against 35 us for the one IPC stream of the
        same bytes, and a host's day of osquery logs is a dozen such chunks.
        """
        state = dict(self.__dict__)
        state["tables"] = {name: _ipc_bytes(data) for name, data in self.tables.items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        tables = state.pop("tables")
        self.__dict__.update(state)
        self.tables = {name: pa.ipc.open_stream(data).read_all() for name, data in tables.items()}


def _ipc_bytes(data: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data)
    return sink.getvalue()


DIRECT_ROWS = 2_000
"""A chunk this large is written to Parquet by the process that parsed it.

Sending it to the committing process instead costs a pickle, a pipe and an unpickle
of every row (a third of a parsing process's time in a parallel ingest), and leaves
that one process writing every file while the parsers wait. Smaller chunks (a log
per host and day) still travel to be batched, so the store does not fill with tiny
files."""


def write_segment(root: Path, segment: Segment) -> Segment:
    """The chunk with its tables written to their own Parquet files, ready to commit.

    The files are not visible to readers until the manifest commits them; a crash
    before that leaves them to the next writer's sweep or to be overwritten on resume.
    """
    written = {}
    for table, data in segment.tables.items():
        target = chunk_path(root, table, segment.import_id, segment.seq)
        write_atomic(data, target)
        written[table] = (str(target.relative_to(root)), data.num_rows)
    return replace(segment, tables={}, written=written)


class _Batch:
    """Chunks of one or more imports committed together: one Parquet file per table.

    A large file's chunks each fill a batch and commit alone, as before; the chunks of
    small files (a log per host and day) share files instead of writing a handful of
    rows per table each, which made both writing (a file and an fsync per table per
    input file) and every later read (thousands of Parquet footers) slow. A crash
    before a batch commits loses only uncommitted chunks, which the next run resumes.
    """

    def __init__(self, ws: Workspace, rows: int) -> None:
        self.ws, self.limit = ws, rows
        self.segments: list[Segment] = []
        self.rows = 0
        self.jobs: dict[int, Job] = {}

    def track(self, job: Job) -> None:
        self.jobs[job.import_id] = job

    def holds(
        self, *, content: str | None = None, continued_by: tuple[str, str] | None = None
    ) -> bool:
        """Whether a pending (uncommitted) import has this content, or is continued by
        the file ``continued_by``."""
        pending = {s.import_id for s in self.segments}
        return any(
            pending_blocks(job, content, continued_by)
            for i, job in self.jobs.items()
            if i in pending
        )

    def add(self, segment: Segment) -> None:
        if not segment.tables and all(s.import_id != segment.import_id for s in self.segments):
            # Rows already on disk, or none (an import's completion): nothing of its import
            # is pending, so commit it now. A large file's progress is then durable
            # without flushing the small ones, and its import leaves the batch at once
            # instead of lingering as pending for every later file to be checked against.
            self._commit([segment])
            return
        self.segments.append(segment)
        self.rows += segment.rows if segment.tables else 0
        if self.rows >= self.limit:
            self.commit()

    def commit(self) -> None:
        if self.segments:
            self._commit(self.segments)
        self.segments, self.rows = [], 0

    def _commit(self, segments: list[Segment]) -> None:
        # The batch's own files are named after its first chunk with rows: unique, like
        # a chunk, and never a name a parsing process wrote (that chunk has no tables).
        first = next((s for s in segments if s.tables), segments[0])
        by_table: dict[str, list[Any]] = {}
        for segment in segments:
            for table, data in segment.tables.items():
                by_table.setdefault(table, []).append(data)
        files: list[TableFile] = []
        batch_file: dict[str, str] = {}
        for table, parts in by_table.items():
            data = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
            target = chunk_path(self.ws.root, table, first.import_id, first.seq)
            write_atomic(data, target)
            batch_file[table] = self.ws.relative(target)
            files.append(
                TableFile(table, batch_file[table], data.num_rows, first.import_id, first.seq)
            )
        for s in segments:
            files.extend(TableFile(t, p, n, s.import_id, s.seq) for t, (p, n) in s.written.items())
        chunks = [
            ChunkEntry(
                s.import_id,
                s.seq,
                s.records_end,
                s.stored,
                s.rejected,
                {
                    **{t: batch_file[t] for t in s.tables},
                    **{t: p for t, (p, _) in s.written.items()},
                },
            )
            for s in segments
            if s.tables or s.written
        ]
        complete = [s.import_id for s in segments if s.complete]
        self.ws.manifest.commit_chunks(chunks, files, complete)
        self.jobs = {i: v for i, v in self.jobs.items() if i not in complete}


class _ChunkWriter:
    """Buffers one import's rows per table; each flush hands a chunk to ``emit``."""

    def __init__(
        self,
        ws: Workspace | None,
        import_id: int,
        seq: int,
        path: str,
        fmt: str,
        emit: Callable[[Segment], None],
    ) -> None:
        self.ws, self.import_id, self.seq = ws, import_id, seq
        self.path, self.format = path, fmt
        self.emit = emit
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.owners: dict[str, list[int]] = {}
        """Per table, the number of the record each buffered row came from."""
        self.owners_pending: set[int] = set()
        """Records whose rows are buffered."""
        self.spoiled: set[int] = set()
        """Records of which a row went to quarantine at conversion."""
        self.tally = Tally()
        self.quarantine: list[dict[str, Any]] = []
        self.buffered = 0
        self.records_end = 0
        self.stored = 0
        self.rejected = 0
        self.tables: Counter[str] = Counter()

    def add(self, table: str, row: dict[str, Any], owner: int = 0) -> None:
        self.rows.setdefault(table, []).append(row)
        self.owners.setdefault(table, []).append(owner)
        self.buffered += 1

    def reject(self, number: int, reason: str, text: str) -> None:
        self.quarantine.append(
            {
                "raw_source.file": self.path,
                "raw_source.record": number,
                "raw_source.format": self.format,
                "reason": reason,
                "raw_data": text,
                "import_id": self.import_id,
                "quarantined_at": datetime.now(UTC),
            }
        )
        self.buffered += 1

    def flush(self) -> None:
        """Convert the buffered rows and hand them to the batch as one chunk."""
        if not self.buffered:
            return
        tables: dict[str, Any] = {}
        stored = 0
        counts: Counter[str] = Counter()
        for table, rows in self.rows.items():
            data = self._arrow(table, rows, self.owners.get(table, [0] * len(rows)))
            if data.num_rows == 0:
                continue
            tables[table] = data
            stored += data.num_rows
            counts[table] += data.num_rows
        self.tally.stored += len(self.owners_pending - self.spoiled)
        self.tally.quarantined += len(self.owners_pending & self.spoiled)
        rejected = len(self.quarantine)
        if self.quarantine:
            tables[QUARANTINE.name] = to_arrow(QUARANTINE, self.quarantine)
        segment = Segment(self.import_id, self.seq, self.records_end, tables, stored, rejected)
        self.stored += stored
        self.rejected += rejected
        self.tables.update(counts)
        self.seq += 1
        self.rows, self.quarantine, self.buffered = {}, [], 0
        self.owners, self.owners_pending, self.spoiled = {}, set(), set()
        self.emit(segment)

    def _arrow(self, table: str, rows: list[dict[str, Any]], owners: list[int]) -> Any:
        """Arrow data for ``rows``, moving any row with an impossible value to quarantine
        (and marking its record, ``owners`` being each row's, as quarantined)."""
        spec = get_table(table)
        while True:
            try:
                return to_arrow(spec, rows)
            except BadValue as exc:
                bad = rows.pop(exc.row_index)
                self.spoiled.add(owners.pop(exc.row_index))
                self.quarantine.append(
                    {
                        "raw_source.file": self.path,
                        "raw_source.record": bad.get("raw_source.record"),
                        "raw_source.format": self.format,
                        "reason": f"value does not fit the {table} table: {exc}",
                        "raw_data": short_text(str(bad.get("raw_data", ""))),
                        "import_id": self.import_id,
                        "quarantined_at": datetime.now(UTC),
                    }
                )


def summarize(results: list[FileResult]) -> dict[str, Counter[str]]:
    """Per format: files, stored, rejected, skipped, errors."""
    summary: dict[str, Counter[str]] = {}
    for r in results:
        unknown = "(not a log)" if r.status == "skipped" else "(unrecognized)"
        counts = summary.setdefault(r.format or unknown, Counter())
        counts["files"] += 1
        counts["stored"] += r.stored
        counts["rejected"] += r.rejected
        counts[r.status] += 1
    return summary
