"""Cutting a JSON document (an array, an API page, concatenated objects) into records.

A streaming JSON parser reads the whole document as one value, so one thing it cannot
handle ends the file: ijson's fast backend refuses ``-9223372036854775808`` (how NXLog
and PowerShell write ``Keywords``) with "integer overflow", and everything after it
was lost. Here the document is only *cut*: a small scanner finds where each record
starts and ends by its brackets (strings are skipped whole, so brackets inside them do
not count), and each record is parsed on its own. A record that does not parse, or is
larger than the record limit, costs only itself; the next record is found by the
brackets, whatever was wrong inside the bad one. Memory is one read block plus one
record: an oversized record is skipped while it streams by, keeping its beginning for
quarantine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from farmhunt.sources.pages import TABLE_KEYS, TABLE_PREFIXES, Columns, table_columns

BLOCK = 1 << 20
KEEP_BYTES = 4096
"""How much of an oversized or cut record is kept for quarantine."""

_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}"]', re.DOTALL)
"""A whole string, a bracket, or a lone quote (a string the buffer cuts: read more)."""
_STRING_BODY = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_SPACE = re.compile(rb"[ \t\r\n,\x00]*")
_SCALAR = re.compile(rb"[^,\]\}\s]*")
_KEY_COLON = re.compile(rb"\s*:\s*")
_ENDS = {
    b"{": re.compile(rb"\}(?=\s*(?:[,\]\{\[]|\Z))"),
    b"[": re.compile(rb"\](?=\s*(?:[,\]\{\[]|\Z))"),
}
"""Where a record may end: a closing bracket followed by a separator or another record."""
FAST_TRIES = 3


@dataclass(slots=True)
class Piece:
    """One record's bytes (``data``), or why it has none (``error``, with ``data`` its
    beginning); ``line`` is the line of the document where it starts."""

    data: bytes
    line: int
    error: str | None = None
    parsed: tuple[Any] | None = None
    """``(value,)`` when the record was already parsed while finding its end."""
    table: tuple[Columns | None] | None = None
    """``(columns,)`` when the record is a row of a query API table (values in column
    order, see :func:`~farmhunt.sources.pages.row_record`)."""


class _Buffer:
    """A window on the stream: ``buf[pos:]`` is unread, ``base`` is ``buf[0]``'s offset."""

    def __init__(self, binary: IO[bytes]) -> None:
        self.binary = binary
        self.buf = b""
        self.pos = 0
        self.line = 1
        self.eof = False

    def more(self, keep_from: int) -> bool:
        """Read another block, dropping what lies before ``keep_from``; False at the end."""
        if self.eof:
            return False
        block = self.binary.read(BLOCK)
        if not block:
            self.eof = True
            return False
        if keep_from > 0:
            self.line += self.buf.count(b"\n", self.pos, max(self.pos, keep_from))
            self.pos = max(self.pos - keep_from, 0)
            self.buf = self.buf[keep_from:]
        self.buf += block
        return True

    def advance(self, to: int) -> None:
        self.line += self.buf.count(b"\n", self.pos, to)
        self.pos = to

    def skip_space(self) -> bool:
        """Move past blanks and commas; False when nothing is left."""
        while True:
            match = _SPACE.match(self.buf, self.pos)
            end = match.end() if match else self.pos
            self.advance(end)
            if self.pos < len(self.buf):
                return True
            if not self.more(self.pos):
                return False

    def peek(self) -> bytes:
        return self.buf[self.pos : self.pos + 1]


def split_document(binary: IO[bytes], prefix: str, max_bytes: int) -> Iterator[Piece]:
    """The records of a JSON document, as ijson's ``items(prefix, multiple_values)`` would
    choose them: ``item`` (a top-level array's elements), ``<key>.item`` (the elements of
    the array under ``key`` of each top-level object; ``hits.hits.item`` for a search
    response, whose ``hits`` object holds the list), a query API's rows
    (:data:`~farmhunt.sources.pages.TABLE_PREFIXES`) or ``""`` (each top-level value).
    """
    source = _Buffer(binary)
    path = [key.encode() for key in prefix.split(".")[:-1]] if prefix.endswith(".item") else []
    if prefix in TABLE_PREFIXES:
        path = path[:1]
    while source.skip_space():
        first = source.peek()
        if prefix == "":
            yield _value(source, max_bytes)
        elif prefix == "item" and first == b"[":
            source.advance(source.pos + 1)
            yield from _elements(source, max_bytes)
        elif path and first == b"{":
            table = TABLE_KEYS[TABLE_PREFIXES.index(prefix)] if prefix in TABLE_PREFIXES else None
            yield from _wrapper(source, path, max_bytes, table)
        else:
            yield _value(source, max_bytes)  # not the expected container: one record


def _elements(source: _Buffer, max_bytes: int) -> Iterator[Piece]:
    """The values of an array whose ``[`` was just passed, up to and past its ``]``."""
    while source.skip_space():
        if source.peek() == b"]":
            source.advance(source.pos + 1)
            return
        yield _value(source, max_bytes)


def _wrapper(
    source: _Buffer, path: list[bytes], max_bytes: int, table: tuple[str, str] | None = None
) -> Iterator[Piece]:
    """The elements of the array at ``path`` in the object starting here (an API page,
    or the ``hits`` object in a search response); the page's other members (paging,
    counts) are passed over. With ``table``, each element is a table whose rows are
    the records."""
    for _key in _members(source, {b'"' + path[0] + b'"'}):
        opener = source.peek()
        if len(path) > 1 and opener == b"{":
            yield from _wrapper(source, path[1:], max_bytes, table)
        elif len(path) == 1 and opener == b"[":
            source.advance(source.pos + 1)
            if table is None:
                yield from _elements(source, max_bytes)
                continue
            while source.skip_space() and source.peek() != b"]":
                if source.peek() == b"{":
                    yield from _table_rows(source, table, max_bytes)
                else:
                    yield _value(source, max_bytes)
            source.advance(source.pos + 1)


def _table_rows(source: _Buffer, keys: tuple[str, str], max_bytes: int) -> Iterator[Piece]:
    """The rows of the table object starting here, each told its table's columns (which
    the query API writes before the rows; rows before them are rejected as unreadable)."""
    columns: Columns | None = None
    quoted = tuple(b'"' + key.encode() + b'"' for key in keys)
    for key in _members(source, set(quoted)):
        if key == quoted[0]:
            piece = _value(source, max_bytes)
            try:
                value = piece.parsed[0] if piece.parsed else orjson.loads(piece.data)
            except orjson.JSONDecodeError:
                value = None
            columns = table_columns(value) if piece.error is None else None
        elif source.peek() == b"[":
            source.advance(source.pos + 1)
            for piece in _elements(source, max_bytes):
                piece.table = (columns,)
                yield piece


def _members(source: _Buffer, wanted: set[bytes]) -> Iterator[bytes]:
    """Each wanted member (its quoted key) of the object starting here, with the source
    just before the member's value when it is yielded; the caller may read the value
    or leave it, and the object is passed up to its closing brace either way."""
    depth = 0
    i = source.pos
    while True:
        match = _TOKEN.search(source.buf, i)
        if match is None or match.group() == b'"':
            source.advance(match.start() if match else len(source.buf))
            if not source.more(source.pos):
                source.advance(len(source.buf))
                return
            i = source.pos
            continue
        token = match.group()
        if depth == 1 and token in wanted:
            colon = _KEY_COLON.match(source.buf, match.end())
            ready = colon is not None and colon.end() < len(source.buf)
            if not ready and len(source.buf) - match.end() < 64 and not source.eof:
                source.advance(match.start())  # the colon or value may be in the next block
                if source.more(source.pos):
                    i = source.pos
                    continue
            if ready and colon is not None:
                source.advance(colon.end())
                yield token
                i = source.pos
                continue
        i = match.end()
        if token in (b"{", b"["):
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
            if depth == 0:
                source.advance(i)
                return


def _value(source: _Buffer, max_bytes: int) -> Piece:
    """The value starting at the current position (after blanks); moves past it."""
    line = source.line
    first = source.peek()
    if first not in (b"{", b"["):
        return _scalar(source, line, max_bytes)
    found = _parse_at_candidates(source, _ENDS[first], max_bytes)
    if found is not None:
        return Piece(found[1], line, None, (found[0],))
    start = source.pos
    depth = 0
    i = start
    kept: bytes | None = None  # the beginning of a value too large to hold
    in_string = False  # only while passing over an oversized value's long string
    while True:
        buf = source.buf
        if in_string:
            end = _STRING_BODY.match(buf, i).end()  # type: ignore[union-attr]
            if buf[end : end + 1] == b'"':
                i, in_string = end + 1, False
                continue
            keep_from = end  # at most a lone backslash whose escaped byte is still to come
        else:
            match = _TOKEN.search(buf, i)
            if match is not None and match.group() != b'"':
                i = match.end()
                token = match.group()
                if token in (b"{", b"["):
                    depth += 1
                elif token in (b"}", b"]"):
                    depth -= 1
                    if depth == 0:
                        break
                continue
            if kept is None and len(buf) - start > max_bytes:
                kept = buf[start : start + KEEP_BYTES]
            if match is not None and kept is not None:
                i, in_string = match.start() + 1, True
                continue
            keep_from = start if kept is None else (match.start() if match else len(buf))
        if not source.more(keep_from):
            source.advance(len(source.buf))
            cut = kept if kept is not None else source.buf[start : start + KEEP_BYTES]
            return Piece(cut, line, "the file ends inside this record (cut short)")
        i -= keep_from
        start -= keep_from
    if kept is None and i - start > max_bytes:
        kept = source.buf[start : start + KEEP_BYTES]
    data = source.buf[start:i]
    source.advance(i)
    if kept is not None:
        return Piece(kept, line, _too_large(max_bytes))
    return Piece(data, line)


def _parse_at_candidates(
    source: _Buffer, ends: re.Pattern[bytes], max_bytes: int
) -> tuple[Any, bytes] | None:
    """The value starting here, parsed, if it ends at one of its first likely ends.

    The fast path: a record nearly always ends at the first closing bracket followed by
    a separator, and a slice from an opening bracket that parses as JSON is exactly one
    whole value (JSON values delimit themselves), so no bracket needs counting. A
    record with nested lists of objects may take a few tries; one that does not parse
    at all is left to the exact scan, which finds its end whatever is wrong inside.
    """
    start = source.pos
    i = start
    tries = 0
    while tries < FAST_TRIES:
        match = ends.search(source.buf, i, start + max_bytes + 1)
        if match is None:
            offset = i - start
            if len(source.buf) - start > max_bytes or not source.more(start):
                return None
            start = source.pos
            i = start + offset
            continue
        tries += 1
        try:
            value = orjson.loads(source.buf[start : match.end()])
        except orjson.JSONDecodeError:
            i = match.end()
            continue
        source.advance(match.end())
        return value, source.buf[start : match.end()]
    return None


def _too_large(max_bytes: int) -> str:
    return (
        f"record is larger than the {max_bytes:,}-byte limit "
        "(raise --max-record-bytes if it is genuine)"
    )


def _scalar(source: _Buffer, line: int, max_bytes: int) -> Piece:
    """A value that is not an object or array: a string, number or literal (or junk,
    which then fails to parse as a record of its own)."""
    while True:
        buf, pos = source.buf, source.pos
        if buf[pos : pos + 1] == b'"':
            match = _TOKEN.match(buf, pos)
            complete = match is not None and match.group() != b'"'
        else:
            match = _SCALAR.match(buf, pos)
            complete = match is not None and match.end() < len(buf)
        end = max(match.end() if match is not None else pos, pos + 1)
        if complete or len(buf) - pos > max_bytes or not source.more(pos):
            data = source.buf[source.pos : source.pos + (end - pos)]
            source.advance(source.pos + len(data))
            return Piece(
                data[:KEEP_BYTES], line, None if complete or source.eof else _too_large(max_bytes)
            )


def parse_record(data: bytes) -> Any:
    """One record's JSON value. orjson first; what it refuses but JSON writers do emit
    (Python's ``NaN`` and ``Infinity``) gets a second chance with the standard library,
    if the value can be written back as JSON for evidence (no lone surrogate, no
    integer beyond 64 bits). Raises ValueError (with orjson's message) otherwise."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:
            value = json.loads(data.decode("utf-8"))
            orjson.dumps(value)
        except (ValueError, RecursionError, TypeError):
            raise ValueError(str(exc)) from None
        return value


def duplicated_key(data: bytes, value: Any) -> str | None:
    """Why a record is ambiguous, if a key appears twice in one object with different
    values; None otherwise.

    JSON parsers keep the last of two equal keys and say nothing, and other tools may
    keep the first: an event could mean one thing here and another in the SIEM. The
    check is cheap for the usual record: a key ends in ``":`` as every JSON writer puts
    it, so the record can repeat a key only if its text has more of those than its
    parsed value has keys; only then is it parsed again, watching every object's
    pairs.
    """
    ends = data.count(b'":')
    if ends <= (len(value) if type(value) is dict else 0) or ends <= _keys(value):
        return None  # the first test settles flat records without walking them
    found: list[str] = []

    def watch(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, item in pairs:
            if key in seen and seen[key] != item and not found:
                found.append(f"key {key!r} appears twice with different values")
            seen[key] = item
        return seen

    try:
        json.loads(data, object_pairs_hook=watch)
    except (ValueError, RecursionError):
        return None
    return found[0] if found else None


def _keys(value: Any) -> int:
    """How many keys the objects in ``value`` have, all levels together."""
    count = 0
    if type(value) is dict:
        count = len(value)
        value = value.values()
    elif type(value) is not list:
        return 0
    for item in value:
        kind = type(item)
        if kind is dict or kind is list:
            count += _keys(item)
    return count
