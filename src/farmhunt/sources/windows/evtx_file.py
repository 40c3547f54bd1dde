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
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from farmhunt.sources.base import (
    Parser,
    RawRecord,
    RecordStream,
    Rejected,
    Row,
    Sample,
    Stream,
)
from farmhunt.sources.framing import short_text
from farmhunt.sources.windows.channels import normalize_event
from farmhunt.sources.windows.evtx_chunks import (
    CHUNK_HEADER_SIZE,
    CHUNK_MAGIC,
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    MAGIC,
    MAX_RECORDS_PER_CHUNK,
    Header,
    check_chunk,
    file_header,
    read_exactly,
    read_file_header,
    record_stream,
    stream_records,
    unverified,
    whole_records,
)
from farmhunt.sources.windows.readers import from_evtx_json


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
    counts_lost = True

    def sniff(self, sample: Sample) -> float:
        return 1.0 if sample.head.startswith(MAGIC) else 0.0

    def record_stream(self, path: str, sizes: Iterable[int] = ()) -> RecordStream | None:
        return record_stream(path, sizes)

    def frame(self, stream: Stream) -> Iterator[RawRecord | Rejected]:
        binary = stream.binary
        header = read_file_header(read_exactly(binary, FILE_HEADER_SIZE))
        skip = int(stream.options.get("skip_records", 0))
        end = _End(header)
        number = 0
        index = -1
        while True:
            chunk = read_exactly(binary, CHUNK_SIZE)
            if not chunk:
                break
            index += 1
            offset = FILE_HEADER_SIZE + index * CHUNK_SIZE
            where = f"chunk {index} (file bytes {offset:,}-{offset + CHUNK_SIZE - 1:,})"
            if not chunk.startswith(CHUNK_MAGIC):
                if index < header.chunk_count and any(chunk):
                    end.chunks = index + 1
                    end.unreadable.append((where, _NO_CHUNK, 0))  # counted at the next chunk
                continue  # unused space after the last chunk
            if len(chunk) < CHUNK_HEADER_SIZE:
                end.place = f"inside the header of chunk {index}"
                break
            check = check_chunk(chunk)
            lost = end.lost_chunks(number + 1, check.first_id if check.claimed_ids else None)
            if lost is not None:
                number += 1
                yield lost
            if check.plausible_ids:
                end.last_id = max(end.last_id, check.last_id)
            if len(chunk) == CHUNK_SIZE:
                end.chunks = index + 1
            else:
                end.place = f"inside chunk {index}"
            skipped: Counter[int] = Counter()
            if skip:
                # imported before, as the records of an earlier copy of this log
                ids = [record_id for _, _, record_id in stream_records(chunk, check)]
                taken = ids[:skip]
                skip -= len(taken)
                number += len(taken)
                skipped.update(taken)
                if ids and len(taken) == len(ids):
                    continue
            for item in self._chunk(chunk, index, where, end, number, skipped):
                number = item.number
                yield item
        for lost in end.finish(number + 1):
            number = lost.number
            yield lost

    def _chunk(
        self,
        chunk: bytes,
        index: int,
        where: str,
        end: _End,
        number: int,
        skipped: Counter[int],
    ) -> Iterator[RawRecord | Rejected]:
        check = check_chunk(chunk)
        flag = unverified(check, end.header, index)
        suspect: str | None = None
        if not check.header_ok:
            suspect = f"{where} header fails its CRC32 check"
        elif check.data_ok is False and not flag:
            suspect = f"{where} fails its CRC32 check"
        seen_ids: set[int] = set(skipped)
        read = sum(skipped.values())  # a record whose id was damaged still counts once
        chunk_errors: list[str] = []  # not about one record: reported with the unread ones
        whole = (
            {record_id for _, _, record_id in whole_records(chunk)}
            if check.data_ok is None
            else None
        )
        for kind, item in _parse_chunk(chunk):
            record_id: int | None = (
                int(item["event_record_id"]) if kind == "record" else _record_id_in(item)
            )
            if whole is not None and record_id is not None and record_id not in whole:
                continue  # cut off by the end of the file: reported as missing below
            if record_id is not None and skipped[record_id] > 0:
                skipped[record_id] -= 1
                continue  # imported from an earlier copy of this log
            if kind == "error" and record_id is None:
                chunk_errors.append(_error_reason(item))
                continue
            number += 1
            if record_id is not None:
                seen_ids.add(record_id)
                read += 1
            if kind == "error":
                yield Rejected(number, f"{where}: {_error_reason(item)}")
                continue
            text = item["data"]
            if suspect:
                yield Rejected(
                    number,
                    f"{suspect}, so this record (EventRecordID {record_id}) "
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
            if flag:
                value["evtx_integrity"] = "unverified"
            yield RawRecord(number, value, text)
        missing: list[int] = []
        if check.plausible_ids:
            unread = check.last_id - check.first_id + 1 - read
            missing = [i for i in range(check.first_id, check.last_id + 1) if i not in seen_ids]
            missing = missing[: max(unread, 0)]
        for error in chunk_errors:
            # the records it stopped are counted by the entry below when the header names
            # them; otherwise this entry stands for them, how many unknown
            number += 1
            yield Rejected(number, f"{where}: {error}", records=0 if missing else 1)
        if missing:
            number += 1
            if chunk_errors:
                cause = "the evtx library could not read them"
            elif check.data_ok is None:
                cause = "the file ends inside the chunk"
            else:
                cause = "a damaged record ended the chunk"
            yield Rejected(
                number,
                f"{where}: {len(missing)} record(s) could not be read ({cause}); "
                f"EventRecordID {_ranges(missing)}",
                records=len(missing),
            )
        if not check.plausible_ids:
            # a damaged header's range cannot be trusted (the library stops at the last
            # record it names): what the chunk held beyond is known from the next chunk
            near = [i for i in seen_ids if end.last_id < i <= end.last_id + MAX_RECORDS_PER_CHUNK]
            lost = end.lost_chunks(number + 1, min(near)) if near else None
            if lost is not None:
                number += 1
                yield lost
            end.last_id = max(near, default=end.last_id)
            end.unreadable.append((where, _NO_RANGE, 0 if missing else len(chunk_errors)))

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        value = record.value
        integrity = value.pop("evtx_integrity", None) if isinstance(value, dict) else None
        event = from_evtx_json(value)
        if integrity:
            event.extra["evtx_integrity"] = integrity
        return normalize_event(event)


_NO_CHUNK = "is not an EVTX chunk (bad signature)"
_NO_RANGE = "has a damaged header (CRC32 check fails) and more records than were read"


class _End:
    """What the file header promises beyond the chunks a cut file still holds."""

    def __init__(self, header: Header) -> None:
        self.header = header
        self.chunks = 0
        """Chunks read whole (or present but unreadable)."""
        self.last_id = 0
        """The highest EventRecordID a chunk header names (0: no chunk read)."""
        self.place = ""
        self.unreadable: list[tuple[str, str, int]] = []
        """Chunks whose records are not yet all counted (where, what is wrong, records
        counted already): a destroyed signature, or a header that fails its checksum."""

    def lost_chunks(self, number: int, next_id: int | None) -> Rejected | None:
        """One entry for the unreadable chunks just passed: the records between the
        chunk before them and ``next_id`` (the first EventRecordID after them)."""
        if not self.unreadable or next_id is None:
            return None  # kept until a record id after them is known
        chunks, self.unreadable = self.unreadable, []
        counted = sum(n for _, _, n in chunks)
        gap = None if next_id is None else next_id - self.last_id - 1
        known = gap is not None and 0 <= gap <= len(chunks) * MAX_RECORDS_PER_CHUNK
        if all(why == _NO_RANGE for _, why, _ in chunks) and (not known or gap <= counted):
            return None  # nothing says the damaged headers hid more records
        text = "; ".join(f"{where} {why}" for where, why, _ in chunks) + ": "
        if gap is None or not known or gap <= counted:
            return Rejected(number, text + "its records are lost (how many is not known)")
        first, last = self.last_id + 1 + counted, self.last_id + gap
        self.last_id = last
        span = f"{first}-{last}" if first < last else str(last)
        return Rejected(
            number,
            text + f"{last - first + 1} record(s) lost (EventRecordID {span})",
            records=last - first + 1,
        )

    def finish(self, number: int) -> Iterator[Rejected]:
        """What the end of the file leaves unaccounted for: unreadable last chunks and
        the chunks the header declares beyond the end of the file."""
        unreadable = len(self.unreadable)
        counted = sum(n for _, _, n in self.unreadable)
        if unreadable and self.chunks >= self.header.chunk_count:
            lost = self.lost_chunks(number, self.header.next_record_id)
            if lost is not None:
                yield lost
            return
        if unreadable:  # the entry for the chunks the file ends before counts their records
            text = "; ".join(f"{where} {why}" for where, why, _ in self.unreadable)
            self.unreadable = []
            yield Rejected(number, f"{text}: its records are counted below", records=0)
            number += 1
        missing = self.missing(number, unreadable, counted)
        if missing is not None:
            yield missing

    def missing(self, number: int, unreadable: int = 0, counted: int = 0) -> Rejected | None:
        """The records of the chunks the header declares but the file ends before (and
        of the ``unreadable`` chunks just before its end, less the ``counted`` ones)."""
        declared, last = self.header.chunk_count, self.header.next_record_id - 1
        if self.chunks >= declared or last <= self.last_id + counted:
            return None  # whole (or a stale header, as in a log Windows has open)
        bound = (declared - self.chunks + unreadable) * MAX_RECORDS_PER_CHUNK
        first = max(self.last_id + 1 + counted, last - bound + 1, 1)
        if self.place:
            place = self.place
        elif self.chunks:
            place = f"after chunk {self.chunks - 1}"
        else:
            place = "after its header"
        span = f"{first}-{last}" if first < last else str(last)
        return Rejected(
            number,
            f"{last - first + 1} record(s) missing (EventRecordID {span}): the file ends "
            f"{place}, its header declares {declared} chunks",
            records=last - first + 1,
        )


def _record_id_in(message: str) -> int | None:
    import re

    match = re.search(r"record number (\d+)", message)
    return int(match.group(1)) if match else None
