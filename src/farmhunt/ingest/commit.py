"""Committing what was read: chunks of rows converted to Arrow, written as Parquet and
recorded in the manifest in one transaction, batched across small files."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from farmhunt.ingest.accounting import Tally
from farmhunt.ingest.model import FileResult
from farmhunt.ingest.plan import Job, Outcome, pending_blocks
from farmhunt.schema import QUARANTINE, get_table
from farmhunt.sources.framing import short_text
from farmhunt.store.arrow import BadValue, to_arrow, write_atomic
from farmhunt.store.manifest import ChunkEntry, TableFile
from farmhunt.store.workspace import Workspace, chunk_path


def finalize(workspace: Workspace, job: Job, outcome: Outcome, batch: Batch) -> FileResult:
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
    elif job.status == "appended" and job.skip:
        result.message = f"grown log: new records after record {job.start:,}"
    elif job.status == "appended":
        result.message = f"appended lines after record {job.start:,}"
    result.notes = Counter(outcome.notes)
    notes = "; ".join(f"{count:,} {what}" for what, count in sorted(outcome.notes.items()))
    if notes:
        result.message = f"{result.message}; {notes}" if result.message else notes
    return result


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

        Pickle writes an Arrow table column by column as Python objects, many times
        slower than one IPC stream of the same bytes for a small osquery chunk of many
        columns, and a host's day of osquery logs is a dozen such chunks
        (docs/performance.md).
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


class Batch:
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


class ChunkWriter:
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
        self.lost = 0
        """Records beyond one that the quarantine rows stand for (a lost range)."""
        self.buffered = 0
        self.records_end = 0
        self.stored = 0
        self.rejected = 0
        self.tables: Counter[str] = Counter()

    def add(self, table: str, row: dict[str, Any], owner: int = 0) -> None:
        self.rows.setdefault(table, []).append(row)
        self.owners.setdefault(table, []).append(owner)
        self.buffered += 1

    def reject(self, number: int, reason: str, text: str, records: int = 1) -> None:
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
        self.lost += records - 1  # 0: the records are counted by another entry
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
        rejected = len(self.quarantine) + self.lost
        if self.quarantine:
            tables[QUARANTINE.name] = to_arrow(QUARANTINE, self.quarantine)
        segment = Segment(self.import_id, self.seq, self.records_end, tables, stored, rejected)
        self.stored += stored
        self.rejected += rejected
        self.tables.update(counts)
        self.seq += 1
        self.rows, self.quarantine, self.buffered, self.lost = {}, [], 0, 0
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
