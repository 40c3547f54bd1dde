"""Deciding what to read of a file: its parser, whether its content was imported before,
whether it extends an earlier import (an appended log, an EVTX log grown in place), and
where to resume."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from farmhunt.ingest.accounting import Tally
from farmhunt.ingest.hashing import fingerprint, head_digest
from farmhunt.ingest.model import FileResult, IngestOptions
from farmhunt.sources import read_sample
from farmhunt.sources.base import (
    FileError,
    RecordStream,
)
from farmhunt.sources.compressed import compression_of, open_decompressed
from farmhunt.sources.notlog import not_a_log
from farmhunt.sources.registry import choose_parser, get_parser
from farmhunt.store.manifest import ImportRow
from farmhunt.store.workspace import Workspace


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
    skip: int = 0
    """Records of the file's record stream an earlier import stored (a log that grew in
    place): the parser counts them but does not read them again."""


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
    if not get_parser(job.format).line_oriented:
        return True  # same first record: a grown copy of the log, the careful answer
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
    # a log rewritten in place as it grows is known by its first record, not its bytes
    stream = None if parser.line_oriented else parser.record_stream(path)
    head = stream.head if stream else head_digest(path)
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
    grown = manifest.stream_candidates(head, parser.name, used) if stream else []
    if stream and grown:
        stream = parser.record_stream(path, [c.records_size or 0 for c in grown])
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
    skip = 0
    unfinished = manifest.unfinished_with_content(print_.content_sha256, parser.name, used)
    if unfinished is not None:
        import_id, start = unfinished.id, unfinished.records_done
        skip = unfinished.records_skipped
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
        if stream:
            base = next((c for c in grown if _extends(stream, c)), None)
            skip = start = base.records_count or 0 if base else 0
        import_id = manifest.start_import(
            path=path,
            fmt=parser.name,
            content_sha256=print_.content_sha256,
            head_sha256=head if stream else print_.head_sha256,
            size=print_.size,
            line_oriented=parser.line_oriented,
            resumed_from=base.id if base else None,
            start_record=start,
            options=used,
            records=(stream.size, stream.count, stream.sha256) if stream else None,
            records_skipped=skip,
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
        skip,
    )


def _extends(stream: RecordStream, earlier: ImportRow) -> bool:
    """Whether the records of ``earlier`` are the first records of ``stream``."""
    if earlier.records_size is None or earlier.records_size > stream.size:
        return False
    return stream.prefixes.get(earlier.records_size, ("", 0)) == (
        earlier.records_sha256,
        earlier.records_count,
    )
