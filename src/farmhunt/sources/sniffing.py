"""Sniffing: what a file's beginning says about its text encoding and JSON layout.

Every parser is shown the same decoded head (:func:`farmhunt.sources.read_sample`);
these helpers decode it and pick the first records out of it, past what would hide
them (NUL padding, a first record longer than the head).
"""

from __future__ import annotations

import codecs
import io
from typing import IO, Any

import orjson

from farmhunt.sources.json_split import parse_record, split_document
from farmhunt.sources.pages import (
    HITS_PREFIX,
    Unreadable,
    hit_document,
    items_prefix,
    row_record,
    unwrap,
)
from farmhunt.sources.records import DEFAULT_MAX_RECORD_BYTES

HEAD_BYTES = 64 * 1024


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
        # Not UTF-16: NUL runs are padding (a log truncated under its writer) when the
        # text around them reads as text; framing skips them.
        sample = head.replace(b"\x00", b"")[:4096]
        if not sample:
            return None
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if controls > len(sample) * 0.05:
        return None
    return "utf-8"


def decode_head(head: bytes, encoding: str) -> str:
    """Decode a file's head, tolerating a multi-byte character cut at the end."""
    return head.decode(encoding, errors="replace")


def json_layout(text: str) -> str | None:
    """Classify JSON text by its beginning: ndjson, array, document, or None."""
    stripped = text.lstrip("\ufeff \t\r\n\x00")
    if not stripped:
        return None
    if stripped[0] == "[":
        return "array"
    if stripped[0] != "{":
        return None
    # NDJSON when any of the first lines is a whole object on its own: the first line
    # alone can be a fragment (a log truncated by copytruncate rotation).
    lines = [line.strip().strip("\x00") for line in stripped.split("\n", 6)[:6]]
    if len(lines) == 1:
        # one line, maybe longer than the head (a big first record): read line by line,
        # which reads a one-line document just as well (see _iter_ndjson), unless it is
        # a wrapper (a search or query API response, an API page), whose records are
        # streamed out of it however long the line (one line would be one record, and
        # past the record limit all of them lost)
        if items_prefix(stripped.encode("utf-8", "replace")) not in ("", "item"):
            return "document"
        return "ndjson"
    for line in lines[:-1] if len(lines) > 1 else lines:
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return "ndjson"
    return "document"


def sample_json_records(text: str, layout: str, limit: int = 50) -> list[Any]:
    """Parse up to ``limit`` records from a file's decoded head for sniffing."""
    records: list[Any] = []
    if layout == "ndjson":
        for line in text.split("\n")[:limit]:
            line = line.strip().strip("\x00")
            if not line:
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            inner = unwrap(value)
            records.extend(_readable(inner[:limit]) if inner is not None else [value])
        return records[:limit]
    data = text.replace("\x00", "").encode("utf-8")
    prefix = items_prefix(data)
    for piece in split_document(io.BytesIO(data), prefix, len(data)):
        if piece.error is None:
            try:
                value = piece.parsed[0] if piece.parsed else parse_record(piece.data)
            except ValueError:
                continue
            if piece.table is not None:
                value = row_record(piece.table[0], value)
            elif prefix == HITS_PREFIX:
                value = hit_document(value)
            inner = unwrap(value) if prefix == "" else None
            records.extend(_readable(inner if inner is not None else [value]))
            if len(records) >= limit:
                break
    return records[:limit]


def _readable(items: list[Any]) -> list[Any]:
    return [item for item in items if not isinstance(item, Unreadable)]


SNIFF_READ_BYTES = 64 * 1024 * 1024
"""How far past the head sniffing reads for a whole record when the head has none."""


def records_past_head(binary: IO[bytes], head: bytes, limit: int = 20) -> list[Any]:
    """Records of a file whose head held no whole one (its first line is longer than the
    head), so that one big record does not hide a file's format.

    Lines up to the default record limit are read whole (a longer one is passed over
    without being held); reading stops after ``SNIFF_READ_BYTES``, or once the records
    kept add up to one record limit.
    """
    records: list[Any] = []
    budget, held = SNIFF_READ_BYTES, 0
    pending: bytearray | None = bytearray(head.lstrip(b"\xef\xbb\xbf\x00"))  # cut line
    in_line = True
    while budget > 0 and held < DEFAULT_MAX_RECORD_BYTES and len(records) < limit:
        piece = binary.readline(HEAD_BYTES + 1)
        budget -= len(piece)
        ended = not piece or piece.endswith(b"\n")
        if not in_line and not ended:  # a line longer than the head begins
            in_line, pending = True, bytearray()
        if in_line:
            if pending is not None:
                pending += piece
                if len(pending) > DEFAULT_MAX_RECORD_BYTES:
                    pending = None  # too big to be a record: pass over the rest
            if not ended:
                continue
            line, in_line, pending = bytes(pending or b""), False, None
        else:
            line = piece
        try:
            value = orjson.loads(line.strip().strip(b"\x00"))
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, (dict, list)):
            held += len(line)
            inner = unwrap(value)
            records.extend(inner[:limit] if inner is not None else [value])
        if not piece:
            break
    return records[:limit]
