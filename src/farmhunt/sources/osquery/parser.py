"""osquery results logs (differential, snapshot, batch) and JSON status logs.

The filesystem logger writes one JSON object per line to ``osqueryd.results.log`` /
``osqueryd.snapshots.log``; the TLS, Kinesis, Firehose and Kafka loggers send the same
objects (a TLS body wraps them as ``{"log_type": "result", "data": [...]}``, which the
shared framing unwraps). Three shapes carry rows:

- event format: ``"columns": {...}`` with ``"action": "added" | "removed"``;
- snapshot: ``"action": "snapshot"``, ``"snapshot": [{...}, ...]``;
- batch (``--logger_event_type=false``): ``"diffResults": {"added": [...], "removed": [...]}``.

Snapshots and batches are cut into one record per row here, in :meth:`OsqueryParser.frame`,
so a bad row is quarantined alone and each stored row's ``raw_data`` is its own JSON.
Rows are recognised by their columns (:mod:`recognize`) and mapped by :mod:`mapping`;
unknown queries are kept whole in ``base_event``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from farmhunt.sources.base import Parser, RawRecord, RecordError, Rejected, Row, Sample, Stream
from farmhunt.sources.framing import iter_json_records, short_text
from farmhunt.sources.osquery import mapping
from farmhunt.sources.rows import event
from farmhunt.sources.values import opt_int, opt_str, parse_time

_ENVELOPE_KEYS = ("hostIdentifier", "unixTime", "calendarTime", "epoch", "counter")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CALENDAR_FORMATS = ("%a %b %d %H:%M:%S %Y UTC", "%a %b %d %H:%M:%S %Y")
_HOSTNAME_DECORATIONS = ("hostname", "host_name", "computer_name", "local_hostname")
_UUID_DECORATIONS = ("host_uuid", "uuid", "hardware_uuid", "system_uuid")
STATUS_SEVERITY = {0: ("INFO", 1), 1: ("WARNING", 2), 2: ("ERROR", 3), 3: ("FATAL", 6)}
"""glog severity → (name, OCSF severity_id)."""


def is_result(record: dict[str, Any]) -> bool:
    """An osquery results-log object: rows under columns/snapshot/diffResults + envelope."""
    has_rows = (
        isinstance(record.get("columns"), dict)
        or isinstance(record.get("snapshot"), list)
        or isinstance(record.get("diffResults"), dict)
    )
    return has_rows and "name" in record and any(k in record for k in _ENVELOPE_KEYS)


def is_status(record: dict[str, Any]) -> bool:
    """An osquery status-log object (glog line as JSON)."""
    return all(k in record for k in ("severity", "filename", "line", "message")) and any(
        k in record for k in (*_ENVELOPE_KEYS, "decorations", "version")
    )


class Envelope(NamedTuple):
    """What the log line says about every row it carries (a named tuple: read once per
    line, and a frozen dataclass's ``__init__`` cost a tenth of reading it)."""

    name: str | None
    time: datetime
    original_time: str
    hostname: str | None
    host_uid: str | None
    extras: dict[str, Any]


def _calendar(text: str) -> datetime | None:
    for fmt in _CALENDAR_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def envelope(value: dict[str, Any]) -> Envelope:
    """Time, host and query name of a results or status line; RecordError if it has no time."""
    unix, calendar = value.get("unixTime"), opt_str(value.get("calendarTime"))
    time: datetime | None = None
    error: RecordError | None = None
    if unix not in (None, "", 0, "0"):
        try:
            time = parse_time(unix, "unixTime")
        except RecordError as exc:
            error = exc
    if time is None and calendar:
        time = _calendar(calendar)
        if time is None:
            error = error or RecordError(f"calendarTime {calendar[:40]!r} is not a timestamp")
    if time is None:
        raise error or RecordError("osquery record has no time (no unixTime or calendarTime)")
    decorations = value.get("decorations")
    decorations = decorations if isinstance(decorations, dict) else {}
    hostname = next((h for k in _HOSTNAME_DECORATIONS if (h := opt_str(decorations.get(k)))), None)
    host_uid = next((u for k in _UUID_DECORATIONS if (u := opt_str(decorations.get(k)))), None)
    identifier = opt_str(value.get("hostIdentifier")) or opt_str(value.get("hostname"))
    if identifier and _UUID.fullmatch(identifier):
        host_uid = host_uid or identifier
    elif identifier:
        hostname = hostname or identifier
    extras: dict[str, Any] = {k: value[k] for k in ("epoch", "counter") if k in value}
    if decorations:
        extras["decorations"] = decorations
    name = value.get("name")
    return Envelope(
        name=name if isinstance(name, str) else None,
        time=time,
        original_time=calendar or str(unix),
        hostname=hostname,
        host_uid=host_uid,
        extras=extras,
    )


class ResultRow(NamedTuple):
    """One row cut out of a snapshot or batch line, with the line's envelope.

    ``head`` is that envelope read once for the whole line: a snapshot carries a few
    rows to a few hundred, and reading the time and host again for each was a fifth
    of the parse. (A named tuple: a frozen dataclass's ``__init__`` cost more.)
    """

    envelope: dict[str, Any]
    action: str
    row: Any
    text: str
    head: Envelope


def _rows_of(value: dict[str, Any]) -> list[tuple[str, Any]]:
    snapshot = value.get("snapshot")
    if isinstance(snapshot, list):
        return [("snapshot", r) for r in snapshot]
    diff = value.get("diffResults")
    if isinstance(diff, dict):
        return [
            (action, r)
            for action in ("added", "removed")
            if isinstance(diff.get(action), list)
            for r in diff[action]
        ]
    return []


def _context_prefix(head: Envelope, line: dict[str, Any], action: str) -> str:
    """The start of a cut row's context text, the same for every row of a line:
    ``{"name":…,"hostIdentifier":…,"unixTime":…,"action":…,`` (orjson keeps key order,
    so prefix + row number + row text is the text of the whole object, and the row is
    serialised once instead of twice)."""
    text = orjson.dumps(
        {
            "name": head.name,
            "hostIdentifier": line.get("hostIdentifier"),
            "unixTime": line.get("unixTime"),
            "action": action,
        }
    ).decode("utf-8")
    return text[:-1] + ","


class OsqueryParser(Parser):
    name = "osquery"
    title = "osquery results logs (event, snapshot, batch) and JSON status logs"
    product = "osquery"
    vendor = "osquery"

    def sniff(self, sample: Sample) -> float:
        records = sample.first_dicts()
        if not records:
            return 0.0
        hits = sum(1 for r in records if is_result(r) or is_status(r))
        if not hits:
            return 0.0
        return 0.95 if hits * 2 >= len(records) else 0.6

    def frame(self, stream: Stream) -> Iterator[RawRecord | Rejected]:
        for item in iter_json_records(stream):
            value = item.value if isinstance(item, RawRecord) else None
            if not isinstance(value, dict) or "columns" in value:
                yield item
                continue
            rows = _rows_of(value)
            if not rows:
                yield item
                continue
            try:
                head = envelope(value)
            except RecordError as exc:
                yield Rejected(item.number, str(exc), short_text(item.text), item.end_offset)
                continue
            last = len(rows) - 1
            prefixes: dict[str, str] = {}
            for index, (action, row) in enumerate(rows):
                row_text = orjson.dumps(row).decode("utf-8")
                prefix = prefixes.get(action)
                if prefix is None:
                    prefix = prefixes[action] = _context_prefix(head, value, action)
                # the row's context as one JSON object, the row's own text inside
                context = f'{prefix}"row":{index + 1},"columns":{row_text}}}'
                yield RawRecord(
                    item.number,
                    ResultRow(value, action, row, row_text, head),
                    context,
                    item.end_offset if index == last else None,
                )

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        value = record.value
        if isinstance(value, ResultRow):
            return [self._result(value.envelope, value.action, value.row, value.text, value.head)]
        if not isinstance(value, dict):
            raise RecordError("osquery record is not a JSON object")
        if "columns" in value:
            action = opt_str(value.get("action")) or "added"
            return [self._result(value, action, value["columns"], None)]
        if "snapshot" in value:
            if isinstance(value["snapshot"], list):
                return []  # an empty snapshot: the query returned no rows
            raise RecordError("osquery snapshot is not a list of rows")
        if "diffResults" in value:
            if isinstance(value["diffResults"], dict):
                return []  # nothing added or removed
            raise RecordError("osquery diffResults is not an object of added/removed rows")
        if is_status(value):
            return [self._status(value)]
        raise RecordError("not an osquery result: no columns, snapshot or diffResults")

    def _result(
        self,
        line: dict[str, Any],
        action: str,
        row: Any,
        raw_text: str | None,
        head: Envelope | None = None,
    ) -> Row:
        if not isinstance(row, dict):
            raise RecordError(
                f"osquery {action} row is a {type(row).__name__}, not an object of columns"
            )
        head = head or envelope(line)
        query = head.name or ""
        cols = mapping.Columns(row)
        kind = cols.shape.kind(query)
        if kind == "software":
            mapped = mapping.software(cols, action, query)
        elif kind == "local_admins":
            mapped = mapping.local_admins(cols, action, query)
        elif kind is not None:
            mapped = mapping.BUILDERS[kind](cols, action)
        else:
            mapped = mapping.Mapped("base_event", 0)
        unmapped: dict[str, Any] = {**head.extras, **mapped.extra}
        if mapped.table == "base_event":
            cols.used.clear()
            if kind is not None:
                unmapped["recognized_as"] = kind
                if mapped.note:
                    unmapped["why_base_event"] = mapped.note
        else:
            unmapped["recognized_as"] = kind
        leftovers = {k: v for k, v in cols.leftovers().items() if v not in ("", None)}
        if leftovers:
            unmapped["columns"] = leftovers
        columns: dict[str, Any] = {
            **mapped.columns,
            "metadata.log_name": head.name,
            "metadata.original_time": mapped.original_time or head.original_time,
            "device.hostname": head.hostname,
            "device.uid": head.host_uid,
            "unmapped.osquery_action": action,
            "unmapped": unmapped or None,
            "raw_data": raw_text,
        }
        if mapped.table == "device_inventory_info" and not head.host_uid:
            columns["device.uid"] = mapped.columns.get("device.hw_info.uuid")
        if mapped.table in mapping.QUERY_TABLES:
            removed = action == "removed"
            columns["query_result_id"] = 3 if removed else 1
            columns["query_result"] = "Does not exist" if removed else "Exists"
        return event(mapped.table, mapped.activity_id, mapped.time or head.time, columns)

    def _status(self, value: dict[str, Any]) -> Row:
        head = envelope(value)
        try:
            level = opt_int(value.get("severity"), "severity")
        except RecordError:
            level = None
        severity_name, severity_id = STATUS_SEVERITY.get(
            level if level is not None else -1, (str(value.get("severity")), 0)
        )
        unmapped = {
            **head.extras,
            "severity": severity_name,
            "filename": value.get("filename"),
            "line": value.get("line"),
            "version": value.get("version"),
        }
        return event(
            "base_event",
            0,
            head.time,
            {
                "message": opt_str(value.get("message")),
                "metadata.log_name": "osquery status",
                "metadata.original_time": head.original_time,
                "device.hostname": head.hostname,
                "device.uid": head.host_uid,
                "unmapped": {k: v for k, v in unmapped.items() if v is not None},
            },
            severity_id=severity_id,
        )
