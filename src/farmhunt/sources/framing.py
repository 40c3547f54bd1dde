"""Reading bytes into records: encodings, lines and JSON layouts.

Users export the same events in many wrappers: NDJSON, one JSON array, an API page
(``{"value": [...]}``, ``{"items": [...]}``, ``{"records": [...]}``, a search or query
API response: see :mod:`.pages`), concatenated
pretty-printed objects, gzip, UTF-16 from PowerShell. This module recognises the layout
from the content and streams records one at a time, so memory stays bounded whatever
the file size and a broken record costs only itself.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator
from typing import IO, Any, cast

import orjson

from farmhunt.sources.compressed import DecompressedReader as DecompressedReader
from farmhunt.sources.compressed import compression_of as compression_of
from farmhunt.sources.compressed import end_damaged as end_damaged
from farmhunt.sources.compressed import open_decompressed as open_decompressed
from farmhunt.sources.compressed import read_position as read_position
from farmhunt.sources.json_split import duplicated_key, parse_record, split_document
from farmhunt.sources.pages import (
    HITS_PREFIX,
    Unreadable,
    hit_document,
    items_prefix,
    row_record,
    unwrap,
)
from farmhunt.sources.records import DEFAULT_MAX_RECORD_BYTES as DEFAULT_MAX_RECORD_BYTES
from farmhunt.sources.records import RawRecord, Rejected, Stream
from farmhunt.sources.sniffing import HEAD_BYTES as HEAD_BYTES
from farmhunt.sources.sniffing import decode_head as decode_head
from farmhunt.sources.sniffing import detect_encoding as detect_encoding
from farmhunt.sources.sniffing import json_layout as json_layout
from farmhunt.sources.sniffing import records_past_head as records_past_head
from farmhunt.sources.sniffing import sample_json_records as sample_json_records

QUARANTINE_TEXT_BYTES = 4096
"""How much of a rejected record's text quarantine keeps (enough to see what it was)."""


def iter_lines(
    stream: Stream, complete: Callable[[bytes], bool] | None = None
) -> Iterator[tuple[int, bytes | None, int | None, str | None]]:
    """Yield ``(line_number, utf8_line, end_offset, error)`` for each non-empty line.

    Lines longer than ``stream.max_record_bytes`` are skipped without being held in
    memory and reported with an error; lines that are not valid UTF-8 are reported
    too. UTF-16 input is transcoded (its offsets are then unknown).

    The last line of a plain file, when it has no newline, is a live log's line still
    being written: it is left for the import that reads the file once it has grown
    (noted in ``stream.notes``, neither stored, quarantined nor counted as read),
    unless ``complete`` says it is whole (an NDJSON line that parses).
    """
    if stream.encoding.startswith("utf-16"):
        yield from _iter_transcoded_lines(stream)
        return
    binary = stream.binary
    limit = stream.max_record_bytes
    offset = 0
    number = 0
    if stream.encoding == "utf-8-sig":
        bom = binary.read(3)
        offset = len(bom)
    while True:
        line = binary.readline(limit + 1)
        if not line:
            return
        if line[0] == 0:  # integer tests: this loop runs once per line of every log
            line, skipped = _skip_nul_run(binary, line, limit)
            offset += skipped
            note_nuls(stream, skipped)
            if not line:
                return
        number += 1
        offset += len(line)
        if len(line) > limit and not line.endswith(b"\n"):
            size = len(line)
            prefix = line[:QUARANTINE_TEXT_BYTES]
            while True:
                more = binary.readline(1 << 20)
                if not more:
                    break
                size += len(more)
                offset += len(more)
                if more.endswith(b"\n"):
                    break
            yield (
                number,
                prefix,
                offset,
                (
                    f"record of {size:,} bytes is larger than the {limit:,}-byte limit "
                    "(raise --max-record-bytes if it is genuine)"
                ),
            )
            continue
        if (
            line[-1] != 10  # no newline: the last line, maybe still being written
            and len(line) <= limit
            and not isinstance(binary, DecompressedReader)
            and line.strip(b" \t\r\x00")
            and not (complete is not None and complete(line))
        ):
            stream.notes[UNFINISHED_NOTE] += 1
            return
        stripped = line.rstrip(b"\r\n")
        if 0 in stripped:
            fragments = [part for part in _NUL_RUN.split(stripped) if part.strip()]
            note_nuls(stream, stripped.count(b"\x00"))
            for fragment in fragments[:-1]:
                yield number, fragment, None, _CUT_BY_NULS
            stripped = fragments[-1] if fragments else b""
        if not stripped.strip():
            continue
        if stripped.isascii():  # valid UTF-8 already; checked without decoding
            yield number, stripped, offset, None
            continue
        try:
            stripped.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield (
                number,
                stripped,
                offset,
                (
                    f"not valid UTF-8 (byte 0x{stripped[exc.start]:02x} at column "
                    f"{exc.start + 1}); re-export the log as UTF-8"
                ),
            )
            continue
        yield number, stripped, offset, None


UNFINISHED_NOTE = "unfinished last line (no newline yet) left for the next import"
"""The :attr:`Stream.notes` key of a live log's last line, still being written."""

_NUL_RUN = re.compile(rb"\x00+")
_CUT_BY_NULS = (
    "line cut short by a run of NUL bytes (the log was truncated while it was being "
    "written); the text after the NULs is read as the next record"
)
NUL_NOTE = "NUL bytes skipped"
"""The :attr:`Stream.notes` key counting NUL padding passed over (copytruncate rotation
leaves the file's old length as a run of NULs before the next line)."""


def note_nuls(stream: Stream, count: int) -> None:
    if count:
        stream.notes[NUL_NOTE] += count


def _skip_nul_run(binary: IO[bytes], line: bytes, limit: int) -> tuple[bytes, int]:
    """The line that follows a run of NULs starting ``line``, and how many NULs were passed.

    The run can be longer than any record (a big log truncated under its writer), so it
    is read past in pieces; the line after it is then completed up to the record limit.
    """
    skipped = 0
    while True:
        rest = line.lstrip(b"\x00")
        skipped += len(line) - len(rest)
        if rest:
            break
        line = binary.readline(limit + 1)
        if not line:
            return b"", skipped
    if not rest.endswith(b"\n") and len(line) > limit:
        rest += binary.readline(limit + 1 - len(rest))
    return rest, skipped


BAD_TEXT = "farmhunt-bad-text"
"""A decoding error handler that marks an undecodable sequence with a lone surrogate
(which no valid UTF-16 decodes to) instead of raising, so that one broken character
costs its own line or record, not the rest of the file."""
_MARK = "\udcff"


def _mark_bad_text(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return _MARK, exc.end


codecs.register_error(BAD_TEXT, _mark_bad_text)


def _iter_transcoded_lines(
    stream: Stream,
) -> Iterator[tuple[int, bytes | None, int | None, str | None]]:
    text = io.TextIOWrapper(stream.binary, encoding=stream.encoding, errors=BAD_TEXT, newline="")
    number = 0
    try:
        for line in text:
            number += 1
            stripped = line.rstrip("\r\n")
            if not stripped.strip():
                continue
            if _MARK in stripped:
                reason = f"not valid {stream.encoding} (a broken character); re-export the log"
                bad = stripped.encode("utf-8", "replace")[:QUARANTINE_TEXT_BYTES]
                yield number, bad, None, reason
                continue
            encoded = stripped.encode("utf-8")
            if len(encoded) > stream.max_record_bytes:
                yield (
                    number,
                    encoded[:QUARANTINE_TEXT_BYTES],
                    None,
                    (
                        f"record of {len(encoded):,} bytes is larger than the "
                        f"{stream.max_record_bytes:,}-byte limit"
                    ),
                )
                continue
            yield number, encoded, None, None
    except UnicodeDecodeError as exc:
        yield (
            number + 1,
            b"",
            None,
            f"not valid {stream.encoding}: {exc.reason}; rest of file skipped",
        )
    finally:
        text.detach()


def short_text(data: bytes | str) -> str:
    """The part of a rejected record quarantine keeps, as text."""
    if isinstance(data, str):
        return data[:QUARANTINE_TEXT_BYTES]
    return data[:QUARANTINE_TEXT_BYTES].decode("utf-8", errors="replace")


def iter_json_records(stream: Stream) -> Iterator[RawRecord | Rejected]:
    """Frame a JSON file of any common layout into records.

    NDJSON is read line by line (a bad line is one quarantined record). A JSON array,
    an API page or concatenated objects are streamed with ijson; a syntax error there
    quarantines the rest of the file with the position, keeping every record before it.
    """
    head = stream.binary.peek(HEAD_BYTES) if hasattr(stream.binary, "peek") else b""
    text = decode_head(head[:HEAD_BYTES], stream.encoding.replace("-sig", ""))
    layout = json_layout(text) or "ndjson"
    if layout == "ndjson":
        yield from _iter_ndjson(stream)
    else:
        yield from _iter_document(stream, text)


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return _concatenated(line, len(line)) is not None
    return True


def _iter_ndjson(stream: Stream) -> Iterator[RawRecord | Rejected]:
    for number, line, offset, error in iter_lines(stream, _parses):
        if error is not None or line is None:
            yield Rejected(number, error or "unreadable line", short_text(line or b""), offset)
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            values = _concatenated(line, stream.max_record_bytes)
            if values is None:
                yield Rejected(number, f"invalid JSON: {exc}", short_text(line), offset)
                continue
            value = values.pop()
            for item in values:
                yield RawRecord(number, item, orjson.dumps(item).decode("utf-8"))
        ambiguous = duplicated_key(line, value)
        if ambiguous is not None:
            yield Rejected(number, f"ambiguous JSON: {ambiguous}", short_text(line), offset)
            continue
        inner = unwrap(value)
        if inner is None:
            yield RawRecord(number, value, line.decode("utf-8"), offset)
            continue
        last = len(inner) - 1
        for i, item in enumerate(inner):
            yield _page_record(number, item, offset if i == last else None)


def _concatenated(line: bytes, max_bytes: int) -> list[Any] | None:
    """The values of a line that holds several JSON values (``{…}{…}``, a writer that
    forgot its newlines) or one that only the standard library reads; None if not."""
    values = []
    for piece in split_document(io.BytesIO(line), "", max_bytes):
        if piece.error is not None:
            return None
        if piece.parsed is not None:
            values.append(piece.parsed[0])
            continue
        try:
            values.append(parse_record(piece.data))
        except ValueError:
            return None
    return values or None


def _iter_document(stream: Stream, head_text: str) -> Iterator[RawRecord | Rejected]:
    """Records of a JSON array, API page or concatenated objects, each parsed on its own
    (see :mod:`~farmhunt.sources.json_split`): a bad record is quarantined with its line
    and the next one is read."""
    binary: IO[bytes] = stream.binary
    if stream.encoding.startswith("utf-16"):
        binary = cast(IO[bytes], _Utf8Reencoder(stream.binary, stream.encoding))
    elif stream.encoding == "utf-8-sig":
        binary.read(3)
    prefix = items_prefix(head_text.lstrip("\ufeff").replace("\x00", "").encode("utf-8"))
    number = 0
    try:
        for piece in split_document(binary, prefix, stream.max_record_bytes):
            number += 1
            if piece.error is not None:
                yield Rejected(number, f"{piece.error} (line {piece.line})", short_text(piece.data))
                continue
            try:
                item = piece.parsed[0] if piece.parsed else parse_record(piece.data)
            except ValueError as exc:
                yield Rejected(
                    number, f"invalid JSON at line {piece.line}: {exc}", short_text(piece.data)
                )
                continue
            ambiguous = duplicated_key(piece.data, item)
            if ambiguous is not None:
                reason = f"ambiguous JSON at line {piece.line}: {ambiguous}"
                yield Rejected(number, reason, short_text(piece.data))
                continue
            if piece.table is not None:
                item = row_record(piece.table[0], item)
            elif prefix == HITS_PREFIX:
                item = hit_document(item)
            inner = unwrap(item) if prefix == "" else None
            for sub in inner if inner is not None else (item,):
                yield _page_record(number, sub, None, piece.line)
    except UnicodeDecodeError as exc:
        yield Rejected(
            number + 1,
            f"not valid text ({exc.reason}) after record {number}; rest of file skipped",
            "",
        )


def _page_record(
    number: int, item: Any, offset: int | None, line: int | None = None
) -> RawRecord | Rejected:
    """One element of a page as a record, or quarantined when it cannot be one."""
    text = orjson.dumps(item.value if isinstance(item, Unreadable) else item).decode("utf-8")
    if isinstance(item, Unreadable):
        where = f" (line {line})" if line is not None else ""
        return Rejected(number, item.reason + where, short_text(text), offset)
    return RawRecord(number, item, text, offset)


class _Utf8Reencoder(io.RawIOBase):
    """A binary stream that turns UTF-16 input into UTF-8 for the splitter, chunk by chunk."""

    def __init__(self, binary: IO[bytes], encoding: str) -> None:
        self._decoder = codecs.getincrementaldecoder(encoding)(errors=BAD_TEXT)
        self._binary = binary
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            chunk = self._binary.read(1 << 16)
            final = not chunk
            text = self._decoder.decode(chunk, final=final)
            # a broken character stays broken (invalid UTF-8): only its record fails
            self._buffer = text.lstrip("\ufeff").encode("utf-8", "surrogatepass")
            if final:
                break
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size
