"""Reading a planned file: frame and normalize its records, complete every row's
provenance, and tally what became of each record (``accounting.Tally``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from farmhunt.ingest.commit import ChunkWriter, Segment
from farmhunt.ingest.model import FileResult, IngestOptions, ProgressFn, io_failure
from farmhunt.ingest.plan import Job, Outcome
from farmhunt.sources.base import (
    FileError,
    Parser,
    RawRecord,
    RecordError,
    Rejected,
    Row,
    Stream,
)
from farmhunt.sources.compressed import open_decompressed
from farmhunt.sources.framing import short_text
from farmhunt.store.workspace import Workspace
from farmhunt.timerange import implausible_reason, latest


def produce(
    job: Job,
    parser: Parser,
    options: IngestOptions,
    emit: Callable[[Segment], None],
    progress: ProgressFn | None,
    workspace: Workspace | None = None,
) -> Outcome:
    """Read a job's file and hand its chunks to ``emit`` (in this or a worker process)."""
    writer = ChunkWriter(workspace, job.import_id, job.seq, job.path, job.format, emit)
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
                {
                    **options.parser_options,
                    "imported_at": datetime.now(UTC),
                    "skip_records": job.skip,
                },
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
    writer: ChunkWriter,
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
            result.records += outcome.records if isinstance(outcome, Rejected) else 1
            if progress and result.records % 5000 == 0:
                progress(stream.display_name, result.records, size_hint)
            fate.number = number
            if isinstance(outcome, Rejected):
                writer.reject(outcome.number, outcome.reason, outcome.text, outcome.records)
                fate.reject(outcome.records)
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
    weight: int = 0
    """Records a rejection under this number stands for: more than one for a known lost
    range (an EVTX chunk), none for an entry that only names damage counted elsewhere."""

    def reject(self, records: int) -> None:
        self.weight = max(self.weight, records) if self.rejected else records
        self.rejected = True

    def settle(self, writer: ChunkWriter) -> None:
        if self.number is None:
            return
        if self.rejected:
            writer.tally.read += self.weight
            writer.tally.quarantined += self.weight
        elif self.rows:
            writer.tally.read += 1
            writer.owners_pending.add(self.number)
        else:
            writer.tally.read += 1
            writer.tally.empty += 1
        self.number, self.rows, self.rejected, self.weight = None, False, False, 0


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
