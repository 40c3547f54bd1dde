"""Winlogbeat and Elastic documents: Winlogbeat 7/8 and Elastic Agent (``winlog.*``),
Winlogbeat 6 (the same fields at the top level), and either as Elasticsearch returns
them (``{"_index": …, "_source": {…}}``, as ``elasticdump`` or a scroll export writes).

Each layout is first seen as the Winlogbeat 7 one (:func:`winlog_view`), so one reader
serves them all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from farmhunt.sources.base import RecordError
from farmhunt.sources.pages import hit_document
from farmhunt.sources.values import dig, opt_int, opt_str
from farmhunt.sources.windows.model import (
    WinEvent,
    event_id_of,
    event_time,
    fast_time,
    norm_guid,
)
from farmhunt.sources.windows.readers import event_from_xml, from_evtx_json

WINLOGBEAT6 = {
    "log_name": "channel",
    "source_name": "provider_name",
    "event_id": "event_id",
    "computer_name": "computer_name",
    "event_data": "event_data",
    "user_data": "user_data",
    "record_number": "record_id",
    "activity_id": "activity_id",
    "user": "user",
    "provider_guid": "provider_guid",
    "keywords": "keywords",
    "opcode": "opcode",
    "task": "task",
}
"""Winlogbeat 6.x top-level field → its ``winlog.*`` name in 7.0 (the 7.0 migration
aliases, ``migration.6_to_7``); ``process_id`` became ``winlog.process.pid``."""


def winlog_view(record: Any) -> dict[str, Any] | None:
    """The record with a Winlogbeat 7 ``winlog`` object, or None when it is not a
    Winlogbeat document of any version."""
    record = hit_document(record)  # a hit of its own (elasticdump), not in a response
    if not isinstance(record, dict):
        return None
    winlog = record.get("winlog")
    if isinstance(winlog, dict) and any(
        k in winlog for k in ("channel", "event_id", "provider_name", "event_data")
    ):
        return record
    if "event_id" in record and ("log_name" in record or "source_name" in record):
        view = {new: record[old] for old, new in WINLOGBEAT6.items() if old in record}
        if "process_id" in record:
            view["process"] = {"pid": record["process_id"]}
        return {**record, "winlog": view}
    return None


def from_winlogbeat(record: Any) -> WinEvent:
    record = winlog_view(record)
    if record is None:
        raise RecordError("event has no winlog object")
    winlog: dict[str, Any] = record["winlog"]
    event_data, user_data = winlog.get("event_data"), winlog.get("user_data")
    if isinstance(event_data, dict):
        data = event_data.copy()
    else:
        data = {}
        original = dig(record, "event.original")
        # Elastic's ingest pipelines move some events' data into ECS fields; the XML in
        # event.original (kept with preserve_original_event) still has it all.
        if (
            not isinstance(user_data, dict)
            and isinstance(original, str)
            and original.lstrip().startswith("<")
        ):
            data = from_evtx_json(event_from_xml(original)).data
    if isinstance(user_data, dict):
        data.update({k: v for k, v in user_data.items() if k != "xml_name"})
    event_id = winlog.get("event_id")
    if event_id in (None, ""):
        event_id = dig(record, "event.code")
    created = winlog.get("time_created")
    field = "winlog.time_created" if created else "@timestamp"
    time, original_time = _iso_time(created or record.get("@timestamp"), field)
    message = record.get("message")
    user, process = winlog.get("user"), winlog.get("process")
    return WinEvent(
        event_id=_event_id(event_id),
        time=time,
        original_time=original_time,
        channel=opt_str(winlog.get("channel")),
        provider=opt_str(winlog.get("provider_name")),
        computer=opt_str(
            winlog.get("computer_name") or dig(record, "host.name") or dig(record, "host.hostname")
        ),
        data=data,
        record_id=opt_int(winlog.get("record_id"), "record_id"),
        user_sid=opt_str(user.get("identifier") if isinstance(user, dict) else None),
        activity_id=norm_guid(winlog.get("activity_id")),
        process_id=opt_int(
            process.get("pid") if isinstance(process, dict) else None, "process.pid"
        ),
        message=message if isinstance(message, str) else None,
    )


_EVENT_IDS: dict[Any, int] = {}


def _event_id(value: Any) -> int:
    """:func:`event_id_of`, remembered for the few ids (as text or number) a log holds."""
    if type(value) is str or type(value) is int:
        number = _EVENT_IDS.get(value)
        if number is None:
            number = event_id_of(value)
            if len(_EVENT_IDS) < 4096:
                _EVENT_IDS[value] = number
        return number
    return event_id_of(value)


def _iso_time(value: Any, field: str) -> tuple[datetime, str | None]:
    """:func:`event_time`, with text parsed by :func:`fast_time` (same result)."""
    if type(value) is str:
        return fast_time(value, field), value
    return event_time(value, field)
