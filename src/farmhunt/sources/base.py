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
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

from farmhunt.sources.records import (
    DEFAULT_MAX_RECORD_BYTES as DEFAULT_MAX_RECORD_BYTES,
)
from farmhunt.sources.records import (
    FileError as FileError,
)
from farmhunt.sources.records import (
    RawRecord as RawRecord,
)
from farmhunt.sources.records import (
    RecordError as RecordError,
)
from farmhunt.sources.records import (
    RecordStream as RecordStream,
)
from farmhunt.sources.records import (
    Rejected as Rejected,
)
from farmhunt.sources.records import (
    Row as Row,
)
from farmhunt.sources.records import (
    Sample as Sample,
)
from farmhunt.sources.records import (
    Stream as Stream,
)

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
