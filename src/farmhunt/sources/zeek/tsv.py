"""Zeek's default ASCII (TSV) log format, read by its own header.

A Zeek ASCII log starts with a header that says how to read it::

    #separator \\x09
    #set_separator	,
    #empty_field	(empty)
    #unset_field	-
    #path	conn
    #open	2025-11-17-09-00-00
    #fields	ts	uid	id.orig_h	...
    #types	time	string	addr	...

then one entry per line and a ``#close`` line. The declared separators and markers are
honoured, every value is converted by its ``#types`` entry (``time`` and ``interval`` as
float seconds, ``count``/``int``/``port`` as integers, ``bool`` ``T``/``F``,
``set[...]``/``vector[...]`` split by the set separator), and ``\\xHH`` escapes are undone
the way Zeek's own reader does. Concatenated or rotated files hold several header
blocks; each new ``#separator`` line starts a new one. A line that does not fit its
header (field count, a value not of its type) is rejected with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from farmhunt.sources.base import Parser, RawRecord, Rejected, Row, Sample, Stream
from farmhunt.sources.framing import iter_lines, short_text
from farmhunt.sources.zeek.compiled import BlockReader, compile_reader
from farmhunt.sources.zeek.mapping import normalize_record
from farmhunt.sources.zeek.records import ZeekRecord, declared_kind, infer_log, is_ip

_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")
_CONTAINER = re.compile(r"^(?:set|vector|table)\[(.*)\]$")
_FLOAT_TYPES = frozenset({"time", "interval", "double"})
_INT_TYPES = frozenset({"count", "counter", "int"})


def unescape(text: str) -> str:
    """Undo Zeek's ``\\xHH`` escapes; bytes that are not UTF-8 stay written as ``\\xHH``."""
    if "\\x" not in text:
        return text
    data = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    return data.decode("utf-8", errors="backslashreplace")


class BadValue(ValueError):
    """A field's text is not a value of its declared Zeek type."""


Converter = Callable[[str], Any]


@dataclass
class Header:
    """The state one header block declares."""

    separator: str = "\t"
    set_separator: str = ","
    empty_field: str = "(empty)"
    unset_field: str = "-"
    path: str | None = None
    open_time: str | None = None
    fields: list[str] | None = None
    types: list[str] = field(default_factory=list)
    ts_index: int | None = None
    _plan: list[tuple[str, Converter]] | None = None
    _reader: BlockReader | None = None
    _compiled: bool = False

    def read(self, line: str) -> str | None:
        """Apply one ``#`` line; return a problem to report, or None."""
        name, _, rest = line[1:].partition(self.separator)
        problem = None
        if name == "fields":
            names = rest.split(self.separator) if rest else []
            if not names or any(not n for n in names):
                self.fields = None
                problem = "#fields header line names no fields"
            else:
                self.fields = names
                self.ts_index = names.index("ts") if "ts" in names else None
            self.types = []
        elif name == "types":
            self.types = rest.split(self.separator) if rest else []
            if self.fields is not None and len(self.types) != len(self.fields):
                problem = (
                    f"#types declares {len(self.types)} types for {len(self.fields)} fields; "
                    "values of this block are read as text"
                )
                self.types = []
        elif name == "set_separator":
            self.set_separator = unescape(rest)
        elif name == "empty_field":
            self.empty_field = unescape(rest)
        elif name == "unset_field":
            self.unset_field = unescape(rest)
        elif name == "path":
            self.path = unescape(rest) or None
        elif name == "open":
            self.open_time = unescape(rest) or None
        # #close and comments change nothing.
        self._plan = None
        self._reader, self._compiled = None, False
        return problem

    def reader(self) -> BlockReader | None:
        """The block's compiled reader (:mod:`~farmhunt.sources.zeek.compiled`), if any."""
        if not self._compiled:
            self._compiled = True
            if self.fields is not None and self.path:
                if self._plan is None:
                    self._plan = self._make_plan()
                types = self.types or ["string"] * len(self.fields)
                converters = [converter for _, converter in self._plan]
                self._reader = compile_reader(
                    declared_kind(self.path),
                    self.path,
                    self.fields,
                    [value_class(t) for t in types],
                    converters,
                    [_plain(t, c) for t, c in zip(types, converters, strict=True)],
                    self.empty_field,
                    self.unset_field,
                )
        return self._reader

    def convert(self, parts: list[str]) -> dict[str, Any]:
        """Typed values of one line's fields (unset ones left out), or BadValue."""
        if self._plan is None:
            self._plan = self._make_plan()
        unset = self.unset_field
        values: dict[str, Any] = {}
        for (name, converter), raw in zip(self._plan, parts, strict=True):
            if raw == unset:
                continue
            try:
                values[name] = converter(raw)
            except BadValue as exc:
                raise BadValue(f"field {name}: {exc}") from None
        return values

    def _make_plan(self) -> list[tuple[str, Converter]]:
        assert self.fields is not None
        types = self.types or ["string"] * len(self.fields)
        return [(n, self._converter(t)) for n, t in zip(self.fields, types, strict=True)]

    def _converter(self, kind: str) -> Converter:
        container = _CONTAINER.match(kind)
        if container is None:
            return self._scalar(kind)
        inner = self._scalar(container.group(1))
        empty, unset, set_separator = self.empty_field, self.unset_field, self.set_separator

        def convert(raw: str) -> list[Any]:
            if raw == empty:
                return []
            items = raw.split(set_separator) if set_separator else [raw]
            return [None if item == unset else inner(item) for item in items]

        return convert

    def _scalar(self, kind: str) -> Converter:
        if kind in _FLOAT_TYPES:
            return lambda raw: _float(raw, kind)
        if kind in _INT_TYPES:
            return lambda raw: _int(raw, kind)
        if kind == "port":
            return _port
        if kind == "bool":
            return _bool
        if kind == "addr":
            return _addr
        empty = self.empty_field
        return lambda raw: "" if raw == empty else unescape(raw)


def value_class(kind: str) -> str:
    """What a column of Zeek type ``kind`` holds once converted (see ``Header._converter``):
    ``list``, ``float``, ``int``, ``port``, ``bool``, ``addr`` or ``text``."""
    if _CONTAINER.match(kind):
        return "list"
    if kind in _FLOAT_TYPES:
        return "float"
    if kind in _INT_TYPES:
        return "int"
    return kind if kind in ("port", "bool", "addr") else "text"


_BOOLS = {"T": True, "1": True, "F": False, "0": False}


def _plain(kind: str, converter: Converter) -> Converter | None:
    """A column's converter for a line without ``\\x`` escapes, None for text.

    Each one accepts exactly what the column's converter accepts and returns the same
    value, in one call where that costs less; it raises (with no message to read) on
    anything else, and the line is then read the generic way.
    """
    if value_class(kind) == "text":
        return None
    if kind in _FLOAT_TYPES:
        return _plain_float
    if kind in ("count", "counter"):
        return _plain_count
    if kind == "bool":
        return _BOOLS.__getitem__
    if kind == "addr":
        return _plain_addr
    if kind == "port":
        return _plain_port
    return converter


def _plain_float(raw: str) -> float:
    number = float(raw)
    if number - number:  # inf or nan
        raise ValueError(raw)
    return number


def _plain_count(raw: str) -> int:
    if raw.isdigit() and raw.isascii():
        return int(raw)
    raise ValueError(raw)


def _plain_port(raw: str) -> int:
    if raw.isdigit() and raw.isascii() and len(raw) <= 5:
        number = int(raw)
        if number <= 65535:
            return number
    return _port(raw)  # 80/tcp, or not a port at all


def _plain_addr(raw: str) -> str:
    text = raw.strip()
    if is_ip(text):
        return text
    raise ValueError(raw)


def _float(raw: str, kind: str) -> float:
    try:
        number = float(raw)
    except ValueError:
        raise BadValue(f"{raw[:40]!r} is not a Zeek {kind} (seconds)") from None
    if not math.isfinite(number):
        raise BadValue(f"{raw[:40]!r} is not a finite {kind}")
    return number


def _int(raw: str, kind: str) -> int:
    digits = raw[1:] if kind == "int" and raw.startswith("-") else raw
    if not (digits.isascii() and digits.isdigit()):
        raise BadValue(f"{raw[:40]!r} is not a Zeek {kind}")
    return int(raw)


def _port(raw: str) -> int:
    number = raw.split("/", 1)[0].strip()
    if not (number.isascii() and number.isdigit()) or int(number) > 65535:
        raise BadValue(f"{raw[:40]!r} is not a port number")
    return int(number)


def _bool(raw: str) -> bool:
    if raw in ("T", "1"):
        return True
    if raw in ("F", "0"):
        return False
    raise BadValue(f"{raw[:40]!r} is not a Zeek bool (T or F)")


def _addr(raw: str) -> str:
    text = unescape(raw).strip()
    if not is_ip(text):
        raise BadValue(f"{raw[:40]!r} is not an IP address")
    return text


def _separator_line(line: str) -> str | None:
    """The separator a ``#separator \\x09`` line declares, or None if it is not one."""
    if not line.startswith("#separator"):
        return None
    value = unescape(line[len("#separator") :].strip())
    return value or None


class ZeekTsvParser(Parser):
    name = "zeek-tsv"
    title = "Zeek logs in the default ASCII/TSV format (conn, dns, ssl, rdp, others kept)"
    product = "Zeek"
    vendor = "Zeek Project"
    line_oriented = True

    def sniff(self, sample: Sample) -> float:
        text = sample.text
        if not text:
            return 0.0
        lines = text.lstrip().split("\n", 64)[:64]
        if lines and _separator_line(lines[0].rstrip("\r")) is not None:
            return 0.99
        heads = {line.split("\t", 1)[0] for line in lines if line.startswith("#")}
        if {"#fields", "#types"} <= heads:
            return 0.9
        return 0.0

    def frame(self, stream: Stream) -> Iterator[RawRecord | Rejected]:
        header = Header()
        reader: BlockReader | None = None
        stale = True  # a header line was read since ``reader`` was asked for
        for number, line, offset, error in iter_lines(stream):
            if error is not None or line is None:
                yield Rejected(number, error or "unreadable line", short_text(line or b""), offset)
                continue
            text = line.decode("utf-8")
            if text.startswith("#"):
                stale = True
                separator = _separator_line(text)
                if separator is not None:
                    header = Header(separator=separator)
                    continue
                problem = header.read(text)
                if problem:
                    yield Rejected(number, problem, short_text(text), offset)
                continue
            if header.fields is None:
                yield Rejected(
                    number,
                    "data line before any #fields header line (not a Zeek log line)",
                    short_text(text),
                    offset,
                )
                continue
            parts = text.split(header.separator)
            if len(parts) != len(header.fields):
                yield Rejected(
                    number,
                    f"line has {len(parts)} fields but its #fields header declares "
                    f"{len(header.fields)}",
                    short_text(text),
                    offset,
                )
                continue
            if stale:
                reader, stale = header.reader(), False
            if reader is not None:
                row = reader.read(parts, text)
                if row is not None:
                    yield RawRecord(number, row, text, offset)
                    continue
            try:
                values = header.convert(parts)
            except BadValue as exc:
                yield Rejected(number, str(exc), short_text(text), offset)
                continue
            original = parts[header.ts_index] if header.ts_index is not None else None
            record = ZeekRecord(
                fields=values,
                path=header.path,
                original_time=original if original != header.unset_field else None,
                fallback_time=header.open_time,
                hint=None if header.path else infer_log(header.fields),
            )
            yield RawRecord(number, record, text, offset)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        value = record.value
        if isinstance(value, tuple):
            return [value]  # built whole by the block's compiled reader
        return normalize_record(value)
