"""What a source parser is: sniff a file, frame its records, normalize each to OCSF rows.

The ingest pipeline owns files, chunks, the store and quarantine; a parser only answers
three questions, so that a new source is one module (plus its golden tests):

- :meth:`Parser.sniff`: how sure am I that this file is mine, judging by its content?
- :meth:`Parser.frame`: how are records cut out of the byte stream (lines, a JSON array,
  EVTX chunks, TSV with headers)? Most sources inherit JSON framing.
- :meth:`Parser.normalize`: which OCSF rows does one record make? Raising
  :class:`RecordError` sends the record to quarantine with the reason.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar

DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024
"""The largest record read unless the user raises it (``--max-record-bytes``).

Reading a record costs many times its size (its bytes, the parsed value, the stored
text, the row and its Arrow column): a 12 MB record took 800 MB, six of them 1.5 GB.
A larger record is quarantined with its size and beginning instead."""

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


FrameFn = Callable[["Parser", Stream], Iterator[RawRecord | Rejected]]


def _guarded(frame: FrameFn) -> FrameFn:
    """Wrap a ``frame`` method so a truncated or corrupt compressed file still imports.

    The decompressing reader ends a damaged stream early instead of raising; this wrapper
    (applied to every parser's ``frame`` by :meth:`Parser.__init_subclass__`) turns that
    early end into one quarantine record after the good records
    (:func:`~farmhunt.sources.compressed.end_damaged`). Uncompressed files, and a ``frame``
    called by another parser's ``frame``, are passed through untouched.
    """

    @functools.wraps(frame)
    def framed(self: Parser, stream: Stream) -> Iterator[RawRecord | Rejected]:
        from farmhunt.sources.compressed import DecompressedReader, end_damaged

        binary = stream.binary
        if not isinstance(binary, DecompressedReader) or binary.guarded:
            return frame(self, stream)
        binary.guarded = True
        return end_damaged(frame(self, stream), binary, self.line_oriented, self.counts_lost)

    return framed


class Parser(ABC):
    """Base class of every source parser; subclasses are found by :mod:`registry`."""

    name: ClassVar[str]
    """Format name used by ``--format`` and stored in ``raw_source.format``."""
    title: ClassVar[str]
    """Human description for ``farmhunt formats`` and messages."""
    product: ClassVar[str]
    vendor: ClassVar[str]
    line_oriented: ClassVar[bool] = True
    """Whether records are lines, so an appended file can resume at a byte offset."""
    counts_lost: ClassVar[bool] = False
    """Whether ``frame`` itself counts the records a file cut short lost (EVTX headers
    say how many records the file holds): the end of a damaged compressed stream is then
    named, but counts no record of its own."""
    reads_options: ClassVar[tuple[str, ...]] = ()
    """The parser options (``IngestOptions.parser_options``) that change what it stores:
    only these make an import of the same content a different one."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give every parser's own ``frame`` the damaged-stream report (:func:`_guarded`)."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("frame")
        if own is not None:
            cls.frame = _guarded(own)  # type: ignore[method-assign,assignment]

    @abstractmethod
    def sniff(self, sample: Sample) -> float:
        """Return 0 (not mine) to 1 (certainly mine) from the file's beginning."""

    def frame(self, stream: Stream) -> Iterator[RawRecord | Rejected]:
        """Cut records out of the stream; the default reads any JSON layout."""
        from farmhunt.sources.framing import iter_json_records

        return iter_json_records(stream)

    @abstractmethod
    def normalize(self, record: RawRecord) -> Iterable[Row]:
        """Return the OCSF rows for one record, or raise :class:`RecordError`."""

    def record_stream(self, path: str, sizes: Iterable[int] = ()) -> RecordStream | None:
        """The file's records as a stream (see :class:`RecordStream`), for formats whose
        files grow in place; None for the others. ``frame`` must then honour the stream
        option ``skip_records``: that many records of the stream were imported before,
        and are counted in the numbering but not yielded."""
        return None


Parser.frame = _guarded(Parser.frame)  # type: ignore[method-assign,assignment]
