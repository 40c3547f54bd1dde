"""Zeek logs written as JSON: ``LogAscii::use_json=T`` or the json-streaming-logs package.

One object per line with flat dotted keys (``id.orig_h``, ``id.resp_p``); ``ts`` is
epoch seconds, epoch milliseconds (``JSON::TS_MILLIS``) or ISO 8601
(``JSON::TS_ISO8601``); unset fields are simply absent. json-streaming-logs adds
``_path`` (which log), ``_write_ts`` and ``_system_name``, and may mix logs in one file.
Without ``_path``, the log is recognised from the field names (and for a partial entry,
from the entries before it in the same file); logs without a connection id (software,
x509, known_hosts …) by their own fields (:mod:`~farmhunt.sources.zeek.known_logs`).
Exports that nest ``id`` as an object or wrap the entries in an array are accepted too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from farmhunt.sources.base import Parser, RawRecord, Rejected, Row, Sample, Stream
from farmhunt.sources.framing import iter_json_records, short_text
from farmhunt.sources.zeek.known_logs import known_log
from farmhunt.sources.zeek.mapping import normalize_record
from farmhunt.sources.zeek.records import ZeekRecord, infer_log

KNOWN_LOG_LIKENESS = 0.8
"""An entry of a path-less log without a connection id is Zeek's by its field names only."""


def _flat(value: dict[str, Any]) -> dict[str, Any]:
    """The entry with a nested ``id`` object flattened to ``id.orig_h`` style keys."""
    inner = value.get("id")
    if not isinstance(inner, dict):
        return value
    flat = {k: v for k, v in value.items() if k != "id"}
    for key, item in inner.items():
        flat.setdefault(f"id.{key}", item)
    return flat


def zeek_likeness(record: Any) -> float:
    """How surely one JSON object is a Zeek log entry, judged by Zeek's own key names:
    1 with a declared ``_path`` or a connection id, less for an entry recognised only by
    the fields of one of Zeek's other logs (:func:`known_log`), 0 otherwise."""
    if not isinstance(record, dict):
        return 0.0
    if isinstance(record.get("_path"), str) and ("_write_ts" in record or "ts" in record):
        return 1.0
    flat = _flat(record)
    if "ts" in flat and ("id.orig_h" in flat or "id.resp_h" in flat):
        return 1.0
    return KNOWN_LOG_LIKENESS if known_log(flat) is not None else 0.0


def looks_like_zeek(record: Any) -> bool:
    """Whether one JSON object is a Zeek log entry."""
    return zeek_likeness(record) > 0


class ZeekJsonParser(Parser):
    name = "zeek-json"
    title = "Zeek logs as JSON lines (LogAscii::use_json, json-streaming-logs)"
    product = "Zeek"
    vendor = "Zeek Project"
    line_oriented = True

    def sniff(self, sample: Sample) -> float:
        records = sample.first_dicts()
        if not records:
            return 0.0
        hits = sum(zeek_likeness(r) for r in records)
        return 0.95 * hits / len(records)

    def frame(self, stream: Stream) -> Iterator[RawRecord | Rejected]:
        hint: str | None = None
        for item in iter_json_records(stream):
            if isinstance(item, Rejected):
                yield item
                continue
            value = item.value
            if not isinstance(value, dict):
                yield Rejected(
                    item.number,
                    f"Zeek JSON entry is a {type(value).__name__}, not an object",
                    short_text(item.text),
                    item.end_offset,
                )
                continue
            fields = _flat(value)
            path = fields.pop("_path", None)
            declared = path if isinstance(path, str) and path else None
            if declared is None and path is not None:
                fields["_path"] = path  # keep a non-text _path visible in unmapped
            inferred = infer_log(fields)
            record = ZeekRecord(
                fields=fields,
                path=declared,
                fallback_time=fields.get("_write_ts"),
                hint=hint,
            )
            if declared is None and inferred is not None:
                hint = inferred
            yield RawRecord(item.number, record, item.text, item.end_offset)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        return normalize_record(record.value)
