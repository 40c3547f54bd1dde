"""Compressed logs: gzip, bzip2 or xz read transparently, and a damaged one kept.

A log copied while it was still being written, or cut short by a full disk, ends
before the compressor's end-of-stream marker; a corrupt one fails inside. Either way
every record before the damage is kept and one quarantine record says where the
stream ends (:func:`end_damaged`).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import weakref
import zlib
from collections.abc import Iterator
from typing import IO, Any, cast

from farmhunt.sources.records import RawRecord, Rejected

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

    A gzip member whose CRC (or length) check fails has been decoded whole, but its
    content cannot be vouched for: its decompressed range is noted in ``unverified``
    and reading goes on with the next member.
    """

    def __init__(self, inner: IO[bytes], raw: IO[bytes], kind: str) -> None:
        self._inner, self._raw, self.kind = inner, raw, kind
        self.damage: str | None = None
        self.last_byte = b""
        self.total = 0
        """Decompressed bytes returned so far."""
        self.unverified: list[tuple[int, int]] = []
        """Decompressed ``[start, end)`` ranges of gzip members that failed their check."""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while self.damage is None:
            try:
                return self._readinto(target)
            except gzip.BadGzipFile as exc:
                if not self._next_member(exc):
                    self.damage = f"compressed stream damaged ({self.kind}: {exc})"
        return 0

    def _next_member(self, exc: gzip.BadGzipFile) -> bool:
        """Note the member that failed its check and move on to the next one; False
        when the failure is not a member check, or Python's reader cannot go on."""
        text = str(exc)
        if not (text.startswith("CRC check failed") or text.startswith("Incorrect length")):
            return False
        reader = getattr(getattr(self._inner, "_buffer", None), "raw", None)
        size = getattr(reader, "_stream_size", None)
        factory = getattr(reader, "_decomp_factory", None)
        if not isinstance(size, int) or factory is None:
            return False
        self.unverified.append((self.total - size, self.total))
        # what gzip's own reader does after a sound member (private, hence the checks)
        reader._new_member = True  # type: ignore[union-attr]
        reader._decompressor = factory(**reader._decomp_args)  # type: ignore[union-attr]
        return True

    def _readinto(self, target: Any) -> int:
        try:
            data = self._inner.read1(len(target))  # type: ignore[attr-defined]
        except gzip.BadGzipFile:
            raise
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
    def unverified(self) -> list[tuple[int, int]]:
        """Decompressed ranges whose gzip member failed its CRC or length check."""
        return cast(_Tolerant, self.raw).unverified

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
        yield Rejected(1, f"{damage} before the first record; {lost}", consumed=False)
        return
    if last.end_offset is not None:
        cut = reader.ended_mid_line and last.end_offset == reader.total
    else:
        cut = isinstance(last, Rejected) or (line_oriented and reader.ended_mid_line)
    if cut:
        reason = f"{damage} in record {last.number}; {lost}"
        yield Rejected(last.number, reason, last.text, consumed=False)
        return
    yield last
    reason = f"{damage} after record {last.number}; {lost}"
    yield Rejected(last.number + 1, reason, consumed=False)
