"""The ingest pipeline: choose a parser, stream records, commit chunks, quarantine the rest.

Guarantees, each tested:

- importing the same content twice stores nothing new (content hash in the manifest);
- an appended log imports only its new lines (prefix hash of the earlier import);
- an interrupted import resumes after its last committed chunk, losing nothing;
- every record ends up stored or in quarantine with its file, number and reason;
- memory is bounded by the chunk size, whatever the file size.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

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
    Sample,
    Stream,
)
from farmhunt.sources.framing import DEFAULT_MAX_RECORD_BYTES, open_decompressed, short_text
from farmhunt.sources.registry import choose_parser, get_parser
from farmhunt.store.arrow import BadValue, to_arrow, write_atomic
from farmhunt.store.manifest import ChunkEntry
from farmhunt.store.workspace import Workspace

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


@dataclass
class FileResult:
    """What happened to one input file."""

    path: str
    format: str | None
    status: str
    """imported, resumed, appended, skipped (already imported), empty or error."""
    stored: int = 0
    rejected: int = 0
    records: int = 0
    seconds: float = 0.0
    message: str = ""
    import_id: int | None = None
    tables: Counter[str] = field(default_factory=Counter)


def expand_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files named, and files under directories named (sorted, hidden ones skipped)."""
    for given in paths:
        if os.path.isdir(given):
            for root, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield os.path.join(root, name)
        else:
            yield given


def ingest_paths(
    workspace: Workspace,
    paths: Iterable[str],
    options: IngestOptions | None = None,
    progress: ProgressFn | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Ingest every file under ``paths`` into ``workspace``; one result per file."""
    options = options or IngestOptions()
    results = []
    with workspace.write_lock():
        batch = _Batch(workspace, options.chunk_rows)
        for path in expand_paths(paths):
            result = ingest_file(workspace, path, options, progress, batch)
            results.append(result)
            if on_result:
                on_result(result)
        batch.commit()
    return results


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
    batch = batch or _Batch(workspace, options.chunk_rows)
    result = _ingest_file(workspace, path, options, progress, batch)
    if own:
        batch.commit()
    return result


def _ingest_file(
    workspace: Workspace,
    path: str,
    options: IngestOptions,
    progress: ProgressFn | None,
    batch: _Batch,
) -> FileResult:
    started = time.perf_counter()
    try:
        if not os.path.isfile(path):
            raise FileError("no such file")
        sample = read_sample(path)
        sample.options = options.parser_options
        if not sample.head:
            # Rotated or quiet logs are often empty: worth a line, not a failure.
            return FileResult(
                path, options.format, "empty", message="empty file: nothing to import"
            )
        parser = get_parser(options.format) if options.format else choose_parser(sample)
        result = _ingest(workspace, path, sample, parser, options, progress, batch)
    except FileError as exc:
        return FileResult(
            path, options.format, "error", message=str(exc), seconds=time.perf_counter() - started
        )
    except (OSError, EOFError) as exc:
        return FileResult(
            path,
            options.format,
            "error",
            message=f"cannot read: {exc}",
            seconds=time.perf_counter() - started,
        )
    result.seconds = time.perf_counter() - started
    return result


def _ingest(
    workspace: Workspace,
    path: str,
    sample: Sample,
    parser: Parser,
    options: IngestOptions,
    progress: ProgressFn | None,
    batch: _Batch,
) -> FileResult:
    manifest = workspace.manifest
    head = head_digest(path)
    size_hint = os.path.getsize(path)
    if batch.holds(head=head):
        batch.commit()  # an earlier file of this run may be the one this one extends
    candidates = manifest.append_candidates(head, parser.name) if parser.line_oriented else []
    print_ = fingerprint(path, [c.size for c in candidates])
    if batch.holds(content=print_.content_sha256):
        batch.commit()  # the same content earlier in this run: let the manifest say so
    done = manifest.completed_with_content(print_.content_sha256)
    if done is not None:
        return FileResult(
            path,
            done.format,
            "skipped",
            import_id=done.id,
            message=f"already imported (import #{done.id}, {done.path})",
        )

    status = "imported"
    unfinished = manifest.unfinished_with_content(print_.content_sha256, parser.name)
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
        )
        if base:
            status = "appended"

    result = FileResult(path, parser.name, status, import_id=import_id)
    writer = _ChunkWriter(
        workspace, import_id, manifest.next_seq(import_id), path, parser.name, batch
    )
    batch.track(import_id, head, print_.content_sha256)
    try:
        with open_decompressed(path) as binary:
            stream = Stream(
                path,
                path,
                binary,
                sample.encoding or "utf-8",
                options.max_record_bytes,
                {**options.parser_options, "imported_at": datetime.now(UTC)},
            )
            _pump(parser, stream, head, start, writer, options, result, progress, size_hint)
        writer.finish()
    except KeyboardInterrupt:
        writer.flush()
        batch.commit()
        manifest.finish(import_id, "interrupted", "interrupted by the user")
        raise
    except FileError as exc:
        writer.flush()
        batch.commit()
        manifest.finish(import_id, "failed", str(exc))
        result.status, result.message = "error", str(exc)
        _fill_counts(result, writer)
        return result
    _fill_counts(result, writer)
    if status == "resumed":
        result.message = f"resumed after record {start:,}"
    elif status == "appended":
        result.message = f"appended lines after record {start:,}"
    return result


def _fill_counts(result: FileResult, writer: _ChunkWriter) -> None:
    result.stored, result.rejected, result.tables = writer.stored, writer.rejected, writer.tables


def iter_results(
    parser: Parser, stream: Stream, head_sha: str, start: int = 0
) -> Iterator[tuple[int, list[Row] | Rejected]]:
    """Frame and normalize a stream: per record, its completed rows or its rejection.

    Records numbered ``start`` or lower are skipped (already committed). Any exception
    a parser raises on one record quarantines that record only.
    """
    for item in parser.frame(stream):
        if item.number <= start:
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
        for sub, (_table, row) in enumerate(rows, 1):
            _complete(row, item, sub, head_sha, parser, stream.display_name)
        yield item.number, rows


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
    for number, outcome in iter_results(parser, stream, head_sha, start):
        # A chunk ends only between record numbers, so resuming never splits a record
        # (a snapshot or an API page line yields several under one number).
        if number != writer.records_end and writer.buffered >= options.chunk_rows:
            writer.flush()
        result.records += 1
        if progress and result.records % 5000 == 0:
            progress(stream.display_name, result.records, size_hint)
        if isinstance(outcome, Rejected):
            writer.reject(outcome.number, outcome.reason, outcome.text)
        else:
            for table, row in outcome:
                writer.add(table, row)
        writer.records_end = number
    if progress:
        progress(stream.display_name, result.records, size_hint)


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
class _Segment:
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

    @property
    def rows(self) -> int:
        return self.stored + self.rejected


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
        self.segments: list[_Segment] = []
        self.rows = 0
        self.heads: dict[int, tuple[str, str]] = {}

    def track(self, import_id: int, head: str, content: str) -> None:
        self.heads[import_id] = (head, content)

    def holds(self, *, head: str | None = None, content: str | None = None) -> bool:
        """Whether a pending (uncommitted) import has this head or content digest."""
        pending = {s.import_id for s in self.segments}
        return any(
            (head is not None and h == head) or (content is not None and c == content)
            for i, (h, c) in self.heads.items()
            if i in pending
        )

    def add(self, segment: _Segment) -> None:
        self.segments.append(segment)
        self.rows += segment.rows
        if self.rows >= self.limit:
            self.commit()

    def commit(self) -> None:
        if not self.segments:
            return
        # Files are named after the batch's first chunk with rows: unique, like a chunk.
        first = next((s for s in self.segments if s.tables), self.segments[0])
        name = f"i{first.import_id}-c{first.seq}.parquet"
        by_table: dict[str, list[Any]] = {}
        for segment in self.segments:
            for table, data in segment.tables.items():
                by_table.setdefault(table, []).append(data)
        files: dict[str, tuple[str, int, int, int]] = {}
        for table, parts in by_table.items():
            data = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
            target = self.ws.table_dir(table) / name
            write_atomic(data, target)
            files[table] = (self.ws.relative(target), data.num_rows, first.import_id, first.seq)
        chunks = [
            ChunkEntry(
                s.import_id,
                s.seq,
                s.records_end,
                s.stored,
                s.rejected,
                {t: files[t][0] for t in s.tables},
            )
            for s in self.segments
            if s.tables
        ]
        complete = [s.import_id for s in self.segments if s.complete]
        self.ws.manifest.commit_chunks(chunks, files, complete)
        self.segments, self.rows = [], 0
        self.heads = {i: v for i, v in self.heads.items() if i not in complete}


class _ChunkWriter:
    """Buffers one import's rows per table; each flush hands a chunk to the batch."""

    def __init__(
        self, ws: Workspace, import_id: int, seq: int, path: str, fmt: str, batch: _Batch
    ) -> None:
        self.ws, self.import_id, self.seq = ws, import_id, seq
        self.path, self.format = path, fmt
        self.batch = batch
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.quarantine: list[dict[str, Any]] = []
        self.buffered = 0
        self.records_end = 0
        self.stored = 0
        self.rejected = 0
        self.tables: Counter[str] = Counter()

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)
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
            data = self._arrow(table, rows)
            if data.num_rows == 0:
                continue
            tables[table] = data
            stored += data.num_rows
            counts[table] += data.num_rows
        rejected = len(self.quarantine)
        if self.quarantine:
            tables[QUARANTINE.name] = to_arrow(QUARANTINE, self.quarantine)
        segment = _Segment(self.import_id, self.seq, self.records_end, tables, stored, rejected)
        self.stored += stored
        self.rejected += rejected
        self.tables.update(counts)
        self.seq += 1
        self.rows, self.quarantine, self.buffered = {}, [], 0
        self.batch.add(segment)

    def finish(self) -> None:
        """Flush the last rows; the import is complete when the batch holding them commits."""
        self.flush()
        self.batch.add(_Segment(self.import_id, self.seq, self.records_end, {}, 0, 0, True))

    def _arrow(self, table: str, rows: list[dict[str, Any]]) -> Any:
        """Arrow data for ``rows``, moving any row with an impossible value to quarantine."""
        spec = get_table(table)
        while True:
            try:
                return to_arrow(spec, rows)
            except BadValue as exc:
                bad = rows.pop(exc.row_index)
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
        counts = summary.setdefault(r.format or "(unrecognized)", Counter())
        counts["files"] += 1
        counts["stored"] += r.stored
        counts["rejected"] += r.rejected
        counts[r.status] += 1
    return summary
