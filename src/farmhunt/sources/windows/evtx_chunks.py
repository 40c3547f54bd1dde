"""The layout of an EVTX file, read without the evtx library: headers, checksums, records.

Both the reader (:mod:`evtx_file`) and the recognition of a grown log (``record_stream``)
decide from these alone which chunks can be trusted and where each record lies, so they
agree on what "the first N records of the file" are.

An EVTX file is a 4 KiB file header and 64 KiB chunks. Windows writes a log in place:
as it grows, the file header (chunk count, next EventRecordID, flags) and the open
chunk's header (last record, free-space offset, checksums) are rewritten, while every
record already written keeps its bytes. A copy taken earlier is therefore not a byte
prefix of a later one, but its records are a prefix of the later records.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from farmhunt.sources.base import FileError, RecordStream
from farmhunt.sources.framing import open_decompressed

FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512
MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
RECORD_MAGIC = b"\x2a\x2a\x00\x00"
MAX_RECORDS_PER_CHUNK = (CHUNK_SIZE - CHUNK_HEADER_SIZE) // 28
_DIRTY = 0x1


@dataclass
class Header:
    last_chunk: int
    chunk_count: int
    dirty: bool
    next_record_id: int
    """The EventRecordID the next record will get: the last written is one less."""


@dataclass
class ChunkCheck:
    first_id: int
    last_id: int
    header_ok: bool
    data_ok: bool | None
    """None when the file ends before the chunk's records do (cannot be checked)."""
    free: int

    @property
    def claimed_ids(self) -> bool:
        """Whether the header names a record range a chunk can hold (at most
        ``MAX_RECORDS_PER_CHUNK`` records; a damaged header can claim billions)."""
        return 0 < self.first_id <= self.last_id < self.first_id + MAX_RECORDS_PER_CHUNK

    @property
    def plausible_ids(self) -> bool:
        """Whether the header's record range can be believed: named, and checked."""
        return self.header_ok and self.claimed_ids


def file_header(chunks: int, next_record_id: int, *, dirty: bool = False) -> bytes:
    """The 4 KiB EVTX file header for ``chunks`` chunks (format version 3.1)."""
    header = bytearray(FILE_HEADER_SIZE)
    struct.pack_into(
        "<8sQQQIHHHH",
        header,
        0,
        MAGIC,
        0,
        max(chunks - 1, 0),
        next_record_id,
        128,
        1,
        3,
        FILE_HEADER_SIZE,
        chunks,
    )
    struct.pack_into("<I", header, 120, 1 if dirty else 0)
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    return bytes(header)


def read_file_header(data: bytes) -> Header:
    """The file header's fields, or FileError saying what is wrong with it."""
    if not data.startswith(MAGIC):
        raise FileError("not an EVTX file (it does not start with 'ElfFile')")
    if len(data) < 128:
        raise FileError(f"EVTX file is cut short: {len(data)} bytes, not even a file header")
    stored = struct.unpack_from("<I", data, 124)[0]
    if zlib.crc32(data[:120]) != stored:
        raise FileError(
            "EVTX file header is corrupt (its CRC32 checksum does not match); "
            "re-export the log (wevtutil epl) or copy it again"
        )
    header_size, minor, major, block = struct.unpack_from("<IHHH", data, 32)
    if header_size != 128 or major != 3 or block != FILE_HEADER_SIZE:
        raise FileError(
            f"unsupported EVTX version {major}.{minor} (header size {header_size}, "
            f"block {block}); only version 3 files are read"
        )
    last_chunk, next_record_id = struct.unpack_from("<QQ", data, 16)
    chunk_count = struct.unpack_from("<H", data, 42)[0]
    flags = struct.unpack_from("<I", data, 120)[0]
    return Header(last_chunk, chunk_count, bool(flags & _DIRTY), next_record_id)


def read_exactly(binary: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    left = size
    while left:
        part = binary.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def check_chunk(chunk: bytes) -> ChunkCheck:
    first_id, last_id = struct.unpack_from("<QQ", chunk, 24)
    free = struct.unpack_from("<I", chunk, 48)[0]
    stored_data, stored_header = (
        struct.unpack_from("<I", chunk, 52)[0],
        struct.unpack_from("<I", chunk, 124)[0],
    )
    header_ok = zlib.crc32(chunk[:120] + chunk[128:CHUNK_HEADER_SIZE]) == stored_header
    data_ok: bool | None
    if not CHUNK_HEADER_SIZE <= free <= CHUNK_SIZE:
        data_ok = False
    elif free > len(chunk):
        data_ok = None
    else:
        data_ok = zlib.crc32(chunk[CHUNK_HEADER_SIZE:free]) == stored_data
    return ChunkCheck(first_id, last_id, header_ok, data_ok, free)


def unverified(check: ChunkCheck, header: Header, index: int) -> bool:
    """Records whose chunk checksum cannot vouch for them, though nothing says they are
    damaged: the file ends inside the chunk, or Windows had the log open (header flag
    "dirty") and had not yet rewritten the checksum of the chunk it was writing."""
    if check.data_ok is None:
        return True
    return check.data_ok is False and header.dirty and index >= header.last_chunk


def whole_records(chunk: bytes, limit: int | None = None) -> list[tuple[int, int, int]]:
    """(offset, size, EventRecordID) of the records whose bytes all lie in ``chunk`` (up
    to ``limit``), in order, ending at the first that does not look like a record."""
    spans: list[tuple[int, int, int]] = []
    end = len(chunk) if limit is None else min(limit, len(chunk))
    offset = CHUNK_HEADER_SIZE
    while offset + 24 <= end:
        magic, size, record_id = struct.unpack_from("<4sIQ", chunk, offset)
        if magic != RECORD_MAGIC or size < 28 or offset + size > end:
            break
        if struct.unpack_from("<I", chunk, offset + size - 4)[0] != size:
            break
        spans.append((offset, size, record_id))
        offset += size
    return spans


def stream_records(chunk: bytes, check: ChunkCheck) -> list[tuple[int, int, int]]:
    """The chunk's records that count in its file's record stream: whole, before the
    free-space offset and inside the header's record range (what the evtx library
    reads). Fewer is always safe: a record left out is read again, never skipped."""
    if not check.header_ok or not CHUNK_HEADER_SIZE <= check.free <= CHUNK_SIZE:
        return []
    spans = whole_records(chunk, check.free)
    inside = [check.first_id <= record_id <= check.last_id for _, _, record_id in spans]
    return spans[: inside.index(False)] if False in inside else spans


def record_stream(path: str, sizes: Iterable[int] = ()) -> RecordStream | None:
    """The file's trusted records as one stream (:class:`RecordStream`); None when it
    has none. The stream ends at the first chunk that is not an EVTX chunk, fails its
    checksums (unless unverified, see :func:`unverified`) or holds a damaged record:
    what comes after damage is never counted as already imported."""
    wanted = set(sizes)
    digest = hashlib.sha256()
    prefixes: dict[int, tuple[str, int]] = {}
    head = ""
    count = size = 0
    with open_decompressed(path) as binary:
        try:
            header = read_file_header(read_exactly(binary, FILE_HEADER_SIZE))
        except FileError:
            return None
        index = -1
        while True:
            chunk = read_exactly(binary, CHUNK_SIZE)
            index += 1
            if len(chunk) < CHUNK_HEADER_SIZE or not chunk.startswith(CHUNK_MAGIC):
                break
            check = check_chunk(chunk)
            damaged = check.data_ok is False and not unverified(check, header, index)
            if not check.header_ok or damaged:
                break
            spans = stream_records(chunk, check)
            for offset, length, _ in spans:
                record = chunk[offset : offset + length]
                if not head:
                    head = hashlib.sha256(record).hexdigest()
                digest.update(record)
                count += 1
                size += length
                if size in wanted:
                    prefixes[size] = (digest.copy().hexdigest(), count)
            end = spans[-1][0] + spans[-1][1] if spans else CHUNK_HEADER_SIZE
            if check.data_ok is None or end < min(check.free, len(chunk)):
                break  # the file ends in this chunk, or a damaged record ended it
    if not count:
        return None
    return RecordStream(head, count, size, digest.hexdigest(), prefixes)
