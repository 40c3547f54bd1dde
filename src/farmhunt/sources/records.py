"""The values a parser and its framing pass around: records, rejects, streams, samples.

Kept apart from :mod:`farmhunt.sources.base` so that the shared framing modules
(:mod:`~farmhunt.sources.compressed`, :mod:`~farmhunt.sources.framing`,
:mod:`~farmhunt.sources.sniffing`), which ``base`` calls, need not import ``base``
back: the parser contract sits above its framing, the plain values below both.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any

DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024
"""The largest record read unless the user raises it (``--max-record-bytes``).

Reading a record costs many times its size (its bytes, the parsed value, the stored
text, the row and its Arrow column), so a few records of tens of megabytes could take
gigabytes (docs/performance.md). A larger record is quarantined with its size and
beginning instead."""

Row = tuple[str, dict[str, Any]]
"""One output row: (table name, {flattened OCSF column: value})."""


@dataclass(slots=True)
class RawRecord:
    """One record as framed from a file, before normalization.

    ``number`` is the 1-based line number for line-oriented files and the 1-based record
    number otherwise; ``end_offset`` is the byte offset just past the record in the
    decompressed stream where the framing knows it (it lets an appended log resume).
    """

    number: int
    value: Any
    text: str
    end_offset: int | None = None


@dataclass(slots=True)
class Rejected:
    """A record that could not be framed or normalized, bound for quarantine."""

    number: int
    reason: str
    text: str = ""
    end_offset: int | None = None
    consumed: bool = True
    """False when the record may still be read whole later (the part of a compressed
    file cut short): an import that extends this one then reads it again."""
    records: int = 1
    """How many records the entry stands for: more than one when a damaged or cut file
    lost a known range of records (an EVTX chunk header or file header counts them),
    reported as one quarantine row rather than thousands; 0 when another entry already
    counts them."""


@dataclass(frozen=True)
class RecordStream:
    """The records of a file that is rewritten in place as it grows (EVTX), in order.

    Such a file is not a byte prefix of its later self (its headers change), but its
    records are: ``head`` identifies the log by its first record, and ``prefixes`` give
    the digest and count of the records up to each byte length of the stream asked for,
    so a later copy can be recognised as extending an earlier import.
    """

    head: str
    count: int
    size: int
    sha256: str
    prefixes: dict[int, tuple[str, int]] = field(default_factory=dict)


class RecordError(ValueError):
    """Raised by :meth:`Parser.normalize` to quarantine one record with a reason."""


class FileError(ValueError):
    """Raised when a whole file cannot be read by the chosen parser (one clear line)."""


@dataclass
class Sample:
    """The beginning of a file, decoded once and shown to every parser's ``sniff``."""

    name: str
    head: bytes
    text: str | None
    encoding: str | None
    json_kind: str | None = None
    records: list[Any] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    """The user's parser options (``IngestOptions.parser_options``, e.g. a column map)."""

    def first_dicts(self) -> list[dict[str, Any]]:
        return [r for r in self.records if isinstance(r, dict)]


@dataclass
class Stream:
    """A decompressed, byte-level view of an input file handed to :meth:`Parser.frame`."""

    path: str
    display_name: str
    binary: IO[bytes]
    encoding: str
    max_record_bytes: int
    options: dict[str, Any] = field(default_factory=dict)
    """The user's parser options, plus ``imported_at`` (when the import began) from the
    pipeline. Parsers read the keys they know and ignore the rest."""
    unverified: list[tuple[int, int]] = field(default_factory=list)
    """Decompressed byte ranges whose gzip member failed its CRC check: records read from
    them are stored flagged ``unmapped.compressed_integrity = "unverified"``."""
    notes: Counter[str] = field(default_factory=Counter)
    """Things framing passed over that are not records (NUL padding …), counted for the
    file's result line: skipped quietly, but never silently."""
