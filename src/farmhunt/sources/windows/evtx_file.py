"""EVTX files, read chunk by chunk so that damage costs only what it touches.

An EVTX file is a 4 KiB header and 64 KiB chunks, each with CRC32 checksums of its
header and of its records. farmhunt checks every checksum itself and hands each chunk
to the ``evtx`` library (a Rust parser) on its own:

- a file whose header is not an EVTX header, or whose header checksum fails, is
  refused as a whole (one clear error): nothing in it can be trusted to be placed;
- a chunk whose checksums fail is still parsed, but every record from it goes to
  quarantine, with the reason and the record's JSON as evidence — a bit flipped in a
  record's data would otherwise be stored silently as a wrong value;
- a record the library cannot parse is quarantined with the library's reason, and the
  records after it in the chunk are still read;
- records a chunk's header promises but that cannot be read (a damaged record header
  ends the chunk; a file cut short ends it) are reported as one quarantine entry;
- in a file Windows still had open when it was copied (header flag "dirty"), the
  chunk being written may not have its checksum updated yet: records of that last
  chunk are stored with ``unmapped.evtx_integrity = "unverified"`` rather than
  quarantined.

Records are numbered 1, 2, 3 … in file order (quarantine entries included), not by
their EventRecordID, which is kept in ``unmapped.record_id``: EventRecordIDs restart
after a log is cleared and wrap around in circular logs, while the import's
bookkeeping needs numbers that only grow through the file.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from farmhunt.sources.base import FileError, Parser, RawRecord, Rejected, Row, Sample, Stream
from farmhunt.sources.framing import short_text
from farmhunt.sources.windows.channels import normalize_event
from farmhunt.sources.windows.evtx_writer import (
    CHUNK_HEADER_SIZE,
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    file_header,
)
from farmhunt.sources.windows.readers import from_evtx_json

MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
_MAX_RECORDS_PER_CHUNK = (CHUNK_SIZE - CHUNK_HEADER_SIZE) // 28
_DIRTY = 0x1


@dataclass
class _Header:
    last_chunk: int
    chunk_count: int
    dirty: bool


@dataclass
class _ChunkCheck:
    first_id: int
    last_id: int
    header_ok: bool
    data_ok: bool | None
    """None when the file ends before the chunk's records do (cannot be checked)."""
    free: int


def read_file_header(data: bytes, name: str = "file") -> _Header:
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
    last_chunk = struct.unpack_from("<Q", data, 16)[0]
    chunk_count = struct.unpack_from("<H", data, 42)[0]
    flags = struct.unpack_from("<I", data, 120)[0]
    return _Header(last_chunk, chunk_count, bool(flags & _DIRTY))


def _read_exactly(binary: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    left = size
    while left:
        part = binary.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _check_chunk(chunk: bytes) -> _ChunkCheck:
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
    return _ChunkCheck(first_id, last_id, header_ok, data_ok, free)


def _whole_records(chunk: bytes) -> set[int]:
    """EventRecordIDs of the records whose bytes all lie in ``chunk`` (a chunk the file
    ends inside): the parser sees the missing rest as zeros and would invent values."""
    ids: set[int] = set()
    offset = CHUNK_HEADER_SIZE
    while offset + 24 <= len(chunk):
        magic, size, record_id = struct.unpack_from("<4sIQ", chunk, offset)
        if magic != b"\x2a\x2a\x00\x00" or size < 28 or offset + size > len(chunk):
            break
        if struct.unpack_from("<I", chunk, offset + size - 4)[0] == size:
            ids.add(record_id)
        offset += size
    return ids


def _ranges(ids: list[int]) -> str:
    """``[5, 6, 7, 9]`` → ``5-7, 9`` (at most a few ranges, then '…')."""
    spans: list[str] = []
    start = prev = ids[0]
    for value in [*ids[1:], None]:
        if value is not None and value == prev + 1:
            prev = value
            continue
        spans.append(str(start) if start == prev else f"{start}-{prev}")
        if value is not None:
            start = prev = value
    return ", ".join(spans[:5]) + (", …" if len(spans) > 5 else "")


def _parse_chunk(chunk: bytes) -> list[tuple[str, Any]]:
    """The chunk's records and parse errors in order: ('record', dict) / ('error', str)."""
    padded = chunk + bytes(CHUNK_SIZE - len(chunk))
    source = io.BytesIO(file_header(1, 1) + padded)
    from evtx import PyEvtxParser

    out: list[tuple[str, Any]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen = 0
        try:
            parser = PyEvtxParser(
                source, number_of_threads=1, validate_checksums=False, skip_errors=True
            )
            for record in parser.records_json():
                for warning in caught[seen:]:
                    out.append(("error", str(warning.message)))
                seen = len(caught)
                out.append(("record", record))
        except (RuntimeError, OSError, ValueError) as exc:
            out.append(("error", str(exc)))
        for warning in caught[seen:]:
            out.append(("error", str(warning.message)))
    return out


def _error_reason(message: str) -> str:
    text = message.removeprefix("Skipping EVTX data: ").removeprefix("RuntimeError: ")
    return text.strip()


class EvtxParser(Parser):
    name = "evtx"
    title = "Windows event log file (.evtx), any channel"
    product = "Windows Event Log"
    vendor = "Microsoft"
    line_oriented = False

    def sniff(self, sample: Sample) -> float:
        return 1.0 if sample.head.startswith(MAGIC) else 0.0

    def frame(self, stream: Stream) -> Iterator[RawRecord | Rejected]:
        binary = stream.binary
        header = read_file_header(_read_exactly(binary, FILE_HEADER_SIZE))
        number = 0
        index = -1
        while True:
            chunk = _read_exactly(binary, CHUNK_SIZE)
            if not chunk:
                return
            index += 1
            offset = FILE_HEADER_SIZE + index * CHUNK_SIZE
            where = f"chunk {index} (file bytes {offset:,}-{offset + CHUNK_SIZE - 1:,})"
            if not chunk.startswith(CHUNK_MAGIC):
                if index < header.chunk_count and any(chunk):
                    number += 1
                    yield Rejected(
                        number,
                        f"{where} is not an EVTX chunk (bad signature): its records are lost",
                    )
                continue  # unused space after the last chunk
            if len(chunk) < CHUNK_HEADER_SIZE:
                number += 1
                yield Rejected(
                    number, f"the file ends inside the header of {where}: its records are lost"
                )
                return
            for item in self._chunk(chunk, index, where, header, number):
                number = item.number
                yield item

    def _chunk(
        self, chunk: bytes, index: int, where: str, header: _Header, number: int
    ) -> Iterator[RawRecord | Rejected]:
        check = _check_chunk(chunk)
        unverified = False
        suspect: str | None = None
        if not check.header_ok:
            suspect = f"{where} header fails its CRC32 check"
        elif check.data_ok is False:
            if header.dirty and index >= header.last_chunk:
                unverified = True  # Windows had not yet rewritten the checksum
            else:
                suspect = f"{where} fails its CRC32 check"
        seen_ids: set[int] = set()
        whole = _whole_records(chunk) if check.data_ok is None else None
        for kind, item in _parse_chunk(chunk):
            if kind == "record" and whole is not None and item["event_record_id"] not in whole:
                continue  # cut off by the end of the file: reported as missing below
            number += 1
            if kind == "error":
                yield Rejected(number, f"{where}: {_error_reason(item)}")
                record_id = _record_id_in(item)
                if record_id is not None:
                    seen_ids.add(record_id)
                continue
            text = item["data"]
            seen_ids.add(item["event_record_id"])
            if suspect:
                yield Rejected(
                    number,
                    f"{suspect}, so this record (EventRecordID {item['event_record_id']}) "
                    "may be corrupt; kept in quarantine as evidence",
                    short_text(text),
                )
                continue
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                yield Rejected(
                    number, f"{where}: record is not valid JSON: {exc}", short_text(text)
                )
                continue
            if unverified:
                value["evtx_integrity"] = "unverified"
            yield RawRecord(number, value, text)
        if check.header_ok and 0 < check.last_id - check.first_id + 1 <= _MAX_RECORDS_PER_CHUNK:
            missing = [i for i in range(check.first_id, check.last_id + 1) if i not in seen_ids]
            if missing:
                number += 1
                cause = (
                    "the file ends inside the chunk"
                    if check.data_ok is None
                    else "a damaged record ended the chunk"
                )
                yield Rejected(
                    number,
                    f"{where}: {len(missing)} record(s) could not be read ({cause}); "
                    f"EventRecordID {_ranges(missing)}",
                )

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        value = record.value
        integrity = value.pop("evtx_integrity", None) if isinstance(value, dict) else None
        event = from_evtx_json(value)
        if integrity:
            event.extra["evtx_integrity"] = integrity
        return normalize_event(event)


def _record_id_in(message: str) -> int | None:
    import re

    match = re.search(r"record number (\d+)", message)
    return int(match.group(1)) if match else None
