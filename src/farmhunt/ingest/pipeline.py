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
        for path in expand_paths(paths):
            result = ingest_file(workspace, path, options, progress)
            results.append(result)
            if on_result:
                on_result(result)
    return results


def ingest_file(
    workspace: Workspace, path: str, options: IngestOptions, progress: ProgressFn | None = None
) -> FileResult:
    """Ingest one file; file-level problems become an ``error`` result, not an exception."""
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
        result = _ingest(workspace, path, sample, parser, options, progress)
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
) -> FileResult:
    manifest = workspace.manifest
    head = head_digest(path)
    size_hint = os.path.getsize(path)
    candidates = manifest.append_candidates(head, parser.name) if parser.line_oriented else []
    print_ = fingerprint(path, [c.size for c in candidates])
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
    writer = _ChunkWriter(workspace, import_id, manifest.next_seq(import_id), path, parser.name)
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
        writer.flush()
    except KeyboardInterrupt:
        writer.flush()
        manifest.finish(import_id, "interrupted", "interrupted by the user")
        raise
    except FileError as exc:
        writer.flush()
        manifest.finish(import_id, "failed", str(exc))
        result.status, result.message = "error", str(exc)
        _fill_counts(result, writer)
        return result
    manifest.finish(import_id, "complete")
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


class _ChunkWriter:
    """Buffers rows per table; each flush writes Parquet files then commits one chunk."""

    def __init__(self, ws: Workspace, import_id: int, seq: int, path: str, fmt: str) -> None:
        self.ws, self.import_id, self.seq = ws, import_id, seq
        self.path, self.format = path, fmt
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
        if not self.buffered:
            return
        files: dict[str, tuple[str, int]] = {}
        stored = 0
        tables: Counter[str] = Counter()
        for table, rows in self.rows.items():
            data = self._arrow(table, rows)
            if data.num_rows == 0:
                continue
            target = self.ws.table_dir(table) / f"i{self.import_id}-c{self.seq}.parquet"
            write_atomic(data, target)
            files[table] = (self.ws.relative(target), data.num_rows)
            stored += data.num_rows
            tables[table] += data.num_rows
        rejected = len(self.quarantine)
        if self.quarantine:
            data = to_arrow(QUARANTINE, self.quarantine)
            target = self.ws.table_dir(QUARANTINE.name) / f"i{self.import_id}-c{self.seq}.parquet"
            write_atomic(data, target)
            files[QUARANTINE.name] = (self.ws.relative(target), data.num_rows)
        self.ws.manifest.commit_chunk(
            self.import_id, self.seq, self.records_end, stored, rejected, files
        )
        self.stored += stored
        self.rejected += rejected
        self.tables.update(tables)
        self.seq += 1
        self.rows, self.quarantine, self.buffered = {}, [], 0

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
