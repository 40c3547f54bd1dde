"""What an ingest is asked to do and what became of each file: the options and results
every stage of ingest shares."""

from __future__ import annotations

import errno
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from farmhunt.ingest.accounting import Tally
from farmhunt.sources.framing import DEFAULT_MAX_RECORD_BYTES

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
    notes: Counter[str] = field(default_factory=Counter)
    """What framing passed over that is not a record (NUL bytes, an unfinished last
    line, unverified records), by the note's text: summed over files by ``ingest``."""


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
