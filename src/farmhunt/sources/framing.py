"""Reading bytes into records: decompression, encodings, lines and JSON layouts.

Users export the same events in many wrappers: NDJSON, one JSON array, an API page
(``{"value": [...]}``, ``{"items": [...]}``, ``{"records": [...]}``), concatenated
pretty-printed objects, gzip, UTF-16 from PowerShell. This module recognises the layout
from the content and streams records one at a time, so memory stays bounded whatever
the file size and a broken record costs only itself.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import weakref
import zlib
from collections.abc import Iterator
from typing import IO, Any, cast

import ijson
import orjson

from farmhunt.sources.base import RawRecord, Rejected, Stream

HEAD_BYTES = 64 * 1024
DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024
QUARANTINE_TEXT_BYTES = 4096
"""How much of a rejected record's text quarantine keeps (enough to see what it was)."""

WRAPPER_KEYS = ("value", "items", "records", "Records", "data", "results", "logs")
"""Keys under which API exports nest their list of events, tried in this order."""

_WRAPPER_SET = frozenset(WRAPPER_KEYS)

_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}

_OPEN_FILES: weakref.WeakValueDictionary[str, IO[bytes]] = weakref.WeakValueDictionary()
"""The on-disk file most recently opened by :func:`open_decompressed`, per path."""


def read_position(path: str) -> int | None:
    """How many bytes of ``path`` as stored on disk (compressed, for a compressed file) the
    reader this process has open on it has consumed; None when it has none open.

    For progress bars: a file's size is the total, this is how far reading has come.
    """
    handle = _OPEN_FILES.get(path)
    if handle is None or handle.closed:
        return None
    try:
        return handle.tell()
    except (OSError, ValueError):
        return None


def compression_of(head: bytes) -> str | None:
    """Name the compression a file's first bytes announce, if any."""
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def open_decompressed(path: str) -> IO[bytes]:
    """Open ``path`` for binary reading, transparently decompressing gzip, bzip2 or xz.

    A compressed file comes back as a :class:`DecompressedReader`: a damaged or
    truncated stream ends early instead of raising, and says why in ``damage``.
    """
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    kind = compression_of(raw.read(6))
    raw.seek(0)
    _OPEN_FILES[path] = raw
    inner: IO[bytes]
    if kind == "gzip":
        inner = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    elif kind == "bzip2":
        inner = cast(IO[bytes], bz2.BZ2File(raw, mode="rb"))
    elif kind == "xz":
        inner = cast(IO[bytes], lzma.LZMAFile(raw, mode="rb"))  # noqa: SIM115
    else:
        return raw
    return cast(IO[bytes], DecompressedReader(_Tolerant(inner, raw, kind), 1 << 20))


class _Tolerant(io.RawIOBase):
    """A decompressor's output that ends at the first damage instead of raising.

    A log copied while it was still being written, or cut short by a full disk, ends
    before the compressor's end-of-stream marker. The decompressors raise (``EOFError``
    for a truncated stream, ``zlib.error``/``LZMAError``/an errno-less ``OSError`` for
    corrupt data) only once everything decoded before the damage has been returned,
    so reading with ``read1`` (one decompression step per call) loses none of it.
    """

    def __init__(self, inner: IO[bytes], raw: IO[bytes], kind: str) -> None:
        self._inner, self._raw, self.kind = inner, raw, kind
        self.damage: str | None = None
        self.last_byte = b""
        self.total = 0
        """Decompressed bytes returned so far."""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        if self.damage is not None:
            return 0
        try:
            data = self._inner.read1(len(target))  # type: ignore[attr-defined]
        except EOFError:
            self.damage = (
                f"compressed stream truncated ({self.kind} data ends before its end marker)"
            )
            return 0
        except (zlib.error, lzma.LZMAError) as exc:
            self.damage = f"compressed stream damaged ({self.kind}: {exc})"
            return 0
        except OSError as exc:
            if exc.errno is not None:
                raise  # a real I/O error: not the content's fault
            self.damage = f"compressed stream damaged ({self.kind}: {exc})"
            return 0
        size = len(data)
        if size:
            target[:size] = data
            self.last_byte = data[-1:]
            self.total += size
        return size

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                self._raw.close()
        super().close()


class DecompressedReader(io.BufferedReader):
    """The buffered, decompressed view of a compressed file (see :func:`open_decompressed`)."""

    guarded = False
    """Set once a parser's framing reports this stream's damage (see :func:`end_damaged`)."""

    @property
    def total(self) -> int:
        """Decompressed bytes read from the file so far (some may still be buffered)."""
        return cast(_Tolerant, self.raw).total

    @property
    def damage(self) -> str | None:
        """Why the stream ended early (truncated or corrupt), or None if it ended cleanly."""
        return cast(_Tolerant, self.raw).damage

    @property
    def ended_mid_line(self) -> bool:
        """Whether the data before the damage ends inside a line (no final newline)."""
        last = cast(_Tolerant, self.raw).last_byte
        return bool(last) and last != b"\n"


def end_damaged(
    items: Iterator[RawRecord | Rejected],
    reader: DecompressedReader,
    line_oriented: bool,
    counts_lost: bool = False,
) -> Iterator[RawRecord | Rejected]:
    """Pass a framer's records through, ending a damaged stream with one quarantine record.

    The framer sees a truncated stream as a clean end of file, so its last record may be
    the one the damage cut in two. That record, if it can be told (it ends exactly where
    the decoded data ends, without its newline; or the framer rejected it), becomes the
    quarantine record that names the damage; otherwise one is added after the last record.
    Every record before the damage is passed on untouched. A framer that counts what
    the damage lost (``counts_lost``, EVTX) keeps its own last entries and count; the
    damage is then one more entry, standing for no record.
    """
    last: RawRecord | Rejected | None = None
    for item in items:
        if last is not None:
            yield last
        last = item
    damage = reader.damage
    if damage is None:
        if last is not None:
            yield last
        return
    lost = "the records before it are kept, the rest of the file is lost"
    if counts_lost:
        if last is not None:
            yield last
        number = last.number + 1 if last is not None else 1
        yield Rejected(
            number, f"{damage}; any records it cut off have entries of their own", records=0
        )
        return
    if last is None:
        yield Rejected(1, f"{damage} before the first record; {lost}")
        return
    if last.end_offset is not None:
        cut = reader.ended_mid_line and last.end_offset == reader.total
    else:
        cut = isinstance(last, Rejected) or (line_oriented and reader.ended_mid_line)
    if cut:
        yield Rejected(last.number, f"{damage} in record {last.number}; {lost}", last.text)
        return
    yield last
    yield Rejected(last.number + 1, f"{damage} after record {last.number}; {lost}")


def detect_encoding(head: bytes) -> str | None:
    """Guess a text encoding from a byte-order mark or NUL patterns; None for binary."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    sample = head[:4096]
    if not sample:
        return "utf-8"
    if b"\x00" in sample:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.1:
            return "utf-16-le"
        if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.1:
            return "utf-16-be"
        return None
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if controls > len(sample) * 0.05:
        return None
    return "utf-8"


def decode_head(head: bytes, encoding: str) -> str:
    """Decode a file's head, tolerating a multi-byte character cut at the end."""
    return head.decode(encoding, errors="replace")


def iter_lines(stream: Stream) -> Iterator[tuple[int, bytes | None, int | None, str | None]]:
    """Yield ``(line_number, utf8_line, end_offset, error)`` for each non-empty line.

    Lines longer than ``stream.max_record_bytes`` are skipped without being held in
    memory and reported with an error; lines that are not valid UTF-8 are reported
    too. UTF-16 input is transcoded (its offsets are then unknown).
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
        stripped = line.rstrip(b"\r\n")
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


def _iter_transcoded_lines(
    stream: Stream,
) -> Iterator[tuple[int, bytes | None, int | None, str | None]]:
    text = io.TextIOWrapper(stream.binary, encoding=stream.encoding, errors="strict", newline="")
    number = 0
    try:
        for line in text:
            number += 1
            stripped = line.rstrip("\r\n")
            if not stripped.strip():
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


def json_layout(text: str) -> str | None:
    """Classify JSON text by its beginning: ndjson, array, document, or None."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        return None
    if stripped[0] == "[":
        return "array"
    if stripped[0] != "{":
        return None
    # NDJSON when any of the first lines is a whole object on its own: the first line
    # alone can be a fragment (a log truncated by copytruncate rotation).
    lines = [line.strip() for line in stripped.split("\n", 6)[:6]]
    for line in lines[:-1] if len(lines) > 1 else lines:
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return "ndjson"
    return "document"


def unwrap(value: Any) -> list[Any] | None:
    """If ``value`` is an API page wrapping a list of events, return that list."""
    if not isinstance(value, dict) or value.keys().isdisjoint(_WRAPPER_SET):
        return None  # every NDJSON event is asked: most have none of the keys
    for key in WRAPPER_KEYS:
        inner = value.get(key)
        if isinstance(inner, list) and (not inner or isinstance(inner[0], dict)):
            others = [k for k in value if k != key]
            if all(_is_page_metadata(k, value[k]) for k in others):
                return inner
    return None


def _is_page_metadata(key: str, value: Any) -> bool:
    """Keys that sit beside the list in an API page (paging, context, counts)."""
    return (
        key.startswith("@")
        or key.startswith("odata")
        or not isinstance(value, (dict, list))
        or (key in {"meta", "links", "paging", "page"})
    )


def sample_json_records(text: str, layout: str, limit: int = 50) -> list[Any]:
    """Parse up to ``limit`` records from a file's decoded head for sniffing."""
    records: list[Any] = []
    if layout == "ndjson":
        for line in text.split("\n")[:limit]:
            line = line.strip()
            if not line:
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            inner = unwrap(value)
            records.extend(inner[:limit] if inner is not None else [value])
        return records[:limit]
    prefix = _items_prefix(text.encode("utf-8"))
    try:
        for item in ijson.items(
            io.BytesIO(text.encode("utf-8")), prefix, multiple_values=True, use_float=True
        ):
            records.append(item)
            if len(records) >= limit:
                break
    except (ijson.JSONError, ijson.IncompleteJSONError):
        pass
    return records


def _items_prefix(head: bytes) -> str:
    """The ijson prefix of the event records in a JSON document, found from its head.

    ``item`` for a top-level array, ``<key>.item`` for an API page that nests them under
    a wrapper key, and ``""`` (each top-level value is a record) otherwise.
    """
    candidate = None
    try:
        for prefix, event, _value in ijson.parse(io.BytesIO(head), multiple_values=True):
            if candidate is not None:
                if prefix == f"{candidate}.item" and event == "start_map":
                    return f"{candidate}.item"
                candidate = None
            if prefix == "" and event == "start_array":
                return "item"
            if prefix in WRAPPER_KEYS and event == "start_array":
                candidate = prefix
            if prefix == "" and event == "end_map":
                break
    except (ijson.JSONError, ijson.IncompleteJSONError):
        pass
    return ""


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


def _iter_ndjson(stream: Stream) -> Iterator[RawRecord | Rejected]:
    for number, line, offset, error in iter_lines(stream):
        if error is not None or line is None:
            yield Rejected(number, error or "unreadable line", short_text(line or b""), offset)
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield Rejected(number, f"invalid JSON: {exc}", short_text(line), offset)
            continue
        inner = unwrap(value)
        if inner is None:
            yield RawRecord(number, value, line.decode("utf-8"), offset)
            continue
        last = len(inner) - 1
        for i, item in enumerate(inner):
            yield RawRecord(
                number, item, orjson.dumps(item).decode("utf-8"), offset if i == last else None
            )


def _iter_document(stream: Stream, head_text: str) -> Iterator[RawRecord | Rejected]:
    binary: IO[bytes] = stream.binary
    if stream.encoding.startswith("utf-16"):
        binary = cast(IO[bytes], _Utf8Reencoder(stream.binary, stream.encoding))
    elif stream.encoding == "utf-8-sig":
        binary.read(3)
    prefix = _items_prefix(head_text.lstrip("\ufeff").encode("utf-8"))
    number = 0
    try:
        for item in ijson.items(binary, prefix, multiple_values=True, use_float=True):
            number += 1
            inner = unwrap(item) if prefix == "" else None
            if inner is not None:
                for sub in inner:
                    yield RawRecord(number, sub, orjson.dumps(sub).decode("utf-8"))
                continue
            yield RawRecord(number, item, orjson.dumps(item).decode("utf-8"))
    except (ijson.JSONError, ijson.IncompleteJSONError) as exc:
        yield Rejected(
            number + 1, f"JSON syntax error after record {number}: {exc}; rest of file skipped", ""
        )
    except UnicodeDecodeError as exc:
        yield Rejected(
            number + 1,
            f"not valid text ({exc.reason}) after record {number}; rest of file skipped",
            "",
        )


class _Utf8Reencoder(io.RawIOBase):
    """A binary stream that turns UTF-16 input into UTF-8 for ijson, chunk by chunk."""

    def __init__(self, binary: IO[bytes], encoding: str) -> None:
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._binary = binary
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            chunk = self._binary.read(1 << 16)
            final = not chunk
            text = self._decoder.decode(chunk, final=final)
            self._buffer = text.lstrip("\ufeff").encode("utf-8")
            if final:
                break
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size
