"""Reading each export shape into a :class:`WinEvent`.

- :func:`from_evtx_json`: the JSON the ``evtx`` tool and library print
  (``Event.System.EventID``, ``…TimeCreated.#attributes.SystemTime``,
  ``Event.EventData.{Name: value}``), which is also what farmhunt's EVTX reader yields;
  the ``--separate-json-attributes`` form (``TimeCreated_attributes``) and rows without
  the ``Event`` wrapper (Velociraptor's ``parse_evtx()``) read the same way.
- :func:`from_nxlog`: NXLog ``im_msvistalog`` + ``to_json()`` (flat fields), and the
  OTRF / Mordor datasets (the same records through Logstash, or with ``TimeCreated``).

Winlogbeat and Elasticsearch documents are read in :mod:`.beats`, SIEM exports (Splunk,
Azure Monitor) in :mod:`.siem`.
- :func:`from_powershell`: ``Get-WinEvent | ConvertTo-Json`` (``Id``, ``LogName``,
  ``TimeCreated`` as ``/Date(ms)/``, ``Properties`` as an unnamed list of values).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from farmhunt.sources.base import RecordError
from farmhunt.sources.values import from_epoch, opt_int, opt_str
from farmhunt.sources.windows.model import (
    WinEvent,
    event_id_of,
    event_time,
    norm_guid,
    text_of,
    windows_guid_text,
)

FieldNames = Callable[[str | None, int], tuple[str, ...] | None]


# ------------------------------------------------------------------ evtx JSON shape


def _attrs(system: dict[str, Any], name: str) -> dict[str, Any]:
    """An element's attributes in any of the JSON renderings of event XML."""
    value = system.get(name)
    if isinstance(value, dict):
        inner = value.get("#attributes")
        if isinstance(inner, dict):
            return inner
        return value
    separate = system.get(f"{name}_attributes")
    return separate if isinstance(separate, dict) else {}


def _plain(value: Any) -> Any:
    """An EventData value: text of an element object, lists kept, GUIDs as Windows
    prints them."""
    if isinstance(value, dict) and "#text" in value:
        value = value["#text"]
    return windows_guid_text(value)


def _event_data(section: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in section.items():
        if key in ("#attributes", "xmlns") or key.endswith("_attributes"):
            continue
        data[key] = _plain(value)
    return data


def _user_data(section: dict[str, Any]) -> dict[str, Any]:
    """UserData holds one element (``EventXML``, ``UMDFHostDeviceRequest``…): its
    attributes and children become the event's fields."""
    data: dict[str, Any] = {}
    for payload in section.values():
        if not isinstance(payload, dict):
            continue
        for key, value in _attrs({"p": payload}, "p").items():
            if key != "xmlns" and not isinstance(value, dict):
                data[key] = value
        for key, value in payload.items():
            if key == "#attributes" or key.endswith("_attributes") or key == "xmlns":
                continue
            if isinstance(value, dict) and "#text" not in value:
                data[key] = value.get("#attributes", value)
            else:
                data[key] = _plain(value)
    return data


def from_evtx_json(record: Any) -> WinEvent:
    if not isinstance(record, dict):
        raise RecordError("event is not a JSON object")
    wrapped = record.get("Event")
    event: dict[str, Any] = wrapped if isinstance(wrapped, dict) else record
    system = event.get("System")
    if not isinstance(system, dict):
        raise RecordError("event has no System section")
    created = _attrs(system, "TimeCreated").get("SystemTime")
    time, original = _time(created)
    data: dict[str, Any] = {}
    if isinstance(event.get("EventData"), dict):
        data.update(_event_data(event["EventData"]))
    if isinstance(event.get("UserData"), dict):
        data.update(_user_data(event["UserData"]))
    message = record.get("Message") or event.get("Message")
    return WinEvent(
        event_id=event_id_of(system.get("EventID")),
        time=time,
        original_time=original,
        channel=opt_str(text_of(system.get("Channel"))),
        provider=opt_str(_attrs(system, "Provider").get("Name")),
        computer=opt_str(text_of(system.get("Computer"))),
        data=data,
        record_id=opt_int(text_of(system.get("EventRecordID")), "EventRecordID"),
        user_sid=opt_str(_attrs(system, "Security").get("UserID")),
        activity_id=norm_guid(_attrs(system, "Correlation").get("ActivityID")),
        process_id=opt_int(_attrs(system, "Execution").get("ProcessID"), "ProcessID"),
        message=message if isinstance(message, str) else None,
    )


def _time(value: Any, field: str = "TimeCreated") -> tuple[datetime, str | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_epoch(value, field), str(value)
    return event_time(value, field)


# ------------------------------------------------------------------------ XML


def event_from_xml(text: str) -> dict[str, Any]:
    """Event XML (``event.original``, ``wevtutil qe /f:xml``) as the evtx JSON shape."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise RecordError(f"event XML does not parse: {exc}") from None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    def convert(element: ET.Element) -> Any:
        children = list(element)
        attrs = {k: v for k, v in element.attrib.items() if not k.startswith("{")}
        if not children:
            text_value = (element.text or "").strip()
            if attrs:
                return (
                    {"#attributes": attrs, "#text": text_value}
                    if text_value
                    else {"#attributes": attrs}
                )
            return text_value
        out: dict[str, Any] = {"#attributes": attrs} if attrs else {}
        for child in children:
            name = local(child.tag)
            if name == "Data" and "Name" in child.attrib:
                out[child.attrib["Name"]] = (child.text or "").strip()
                continue
            value = convert(child)
            if name in out:
                previous = out[name]
                out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                out[name] = value
        return out

    if local(root.tag) != "Event":
        raise RecordError(f"event XML has a <{local(root.tag)}> root, not <Event>")
    return {"Event": convert(root)}


# -------------------------------------------------------------------------- NXLog

NXLOG_SYSTEM = frozenset(
    {
        "EventTime",
        "Hostname",
        "Keywords",
        "EventType",
        "SeverityValue",
        "Severity",
        "EventID",
        "SourceName",
        "ProviderGuid",
        "Version",
        "Task",
        "TaskValue",
        "OpcodeValue",
        "RecordNumber",
        "ActivityID",
        "RelatedActivityID",
        "ProcessID",
        "ThreadID",
        "ExecutionProcessID",
        "ExecutionThreadID",
        "Channel",
        "Domain",
        "AccountName",
        "UserID",
        "AccountType",
        "Message",
        "Category",
        "Opcode",
        "Level",
        "EventReceivedTime",
        "SourceModuleName",
        "SourceModuleType",
        "ERROR_EVT_UNRESOLVED",
    }
)
"""The fields NXLog's im_msvistalog adds itself; every other field is event data."""

NXLOG_EVENT_TYPES = frozenset(
    {"AUDIT_SUCCESS", "AUDIT_FAILURE", "CRITICAL", "ERROR", "WARNING", "INFO", "VERBOSE"}
)
"""NXLog's own ``EventType`` values (the event level); any other value is the event's
field of that name (Sysmon 12-14 ``EventType``: CreateKey, SetValue…), which the OTRF
datasets keep, moving NXLog's to ``EventTypeOrignal``."""

SHIPPER_FIELDS = frozenset(
    {"TimeCreated", "@timestamp", "@version", "host", "port", "tags", "EventTypeOrignal"}
)
"""Fields a shipper adds to flat NXLog-style records: Logstash's ``@timestamp``,
``@version``, ``host``, ``port``, ``tags`` (and its ``EventTypeOrignal`` copy of a renamed
``EventType``), and the ``TimeCreated`` of the OTRF / Mordor datasets, which replace
NXLog's ``EventTime`` in some of their files."""

NXLOG_TIMES = ("EventTime", "TimeCreated", "@timestamp", "EventReceivedTime")
"""Where a flat record's time is, best first: the event's own time (NXLog, OTRF), then
the time a shipper saw it (Logstash), then when NXLog received it."""

NXLOG_USER = frozenset({"Domain", "AccountName", "AccountType"})
"""NXLog's resolution of the System ``UserID``: present only with a ``UserID``. Without
one (Security events), fields of these names are the event's own (4778 AccountName)."""

_NOT_DATA = NXLOG_SYSTEM | SHIPPER_FIELDS
_NOT_DATA_NO_USER = (NXLOG_SYSTEM - NXLOG_USER) | SHIPPER_FIELDS

_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$")


def shipper_offset(record: dict[str, Any], created: str) -> timedelta | None:
    """The agent's UTC offset, when a shipper stamped the record in UTC too.

    Logstash adds ``@timestamp`` (UTC) when it receives a record; NXLog's
    ``EventReceivedTime`` (or, without it, the event time) is the same moment or a
    little earlier on the agent's local clock. Their difference, to the nearest quarter
    hour, is the agent's offset (the OTRF datasets: EventTime 00:26:28 with @timestamp
    04:26:30Z, an agent on UTC-4). None when there is no such stamp or the difference
    is no possible offset.
    """
    stamp = record.get("@timestamp")
    local = record.get("EventReceivedTime")
    if not isinstance(local, str) or not _NAIVE.match(local.strip()):
        local = created
    if not isinstance(stamp, str):
        return None
    try:
        utc = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
        seen = datetime.fromisoformat(local.strip())
    except ValueError:
        return None
    if utc.tzinfo is None:
        return None
    difference = seen - utc.astimezone(UTC).replace(tzinfo=None)
    quarters = round(difference.total_seconds() / 900)
    if abs(quarters) > 14 * 4:
        return None
    return timedelta(minutes=15 * quarters)


def from_nxlog(record: Any) -> WinEvent:
    if not isinstance(record, dict):
        raise RecordError("event is not a JSON object")
    field = next((f for f in NXLOG_TIMES if record.get(f) not in (None, "")), None)
    if field is None:
        raise RecordError(f"event has no time: none of {', '.join(NXLOG_TIMES)}")
    created = record.get(field)
    time, original = _time(created, field)
    extra: dict[str, Any] = {}
    if isinstance(created, str) and _NAIVE.match(created.strip()):
        # NXLog's default date format has no UTC offset: the agent's local time.
        offset = shipper_offset(record, created)
        if offset is None:
            extra["time_zone_note"] = f"{field} had no UTC offset; read as UTC"
        else:
            time -= offset
            minutes = int(offset.total_seconds() // 60)
            sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
            extra["time_zone_note"] = (
                f"{field} had no UTC offset; UTC{sign}{minutes // 60:02d}:{minutes % 60:02d} "
                "taken from the shipper's @timestamp of the same record"
            )
    system = _NOT_DATA if "UserID" in record else _NOT_DATA_NO_USER
    data = {k: v for k, v in record.items() if k not in system}
    event_type = record.get("EventType")
    if isinstance(event_type, str) and event_type not in NXLOG_EVENT_TYPES:
        data["EventType"] = event_type  # Sysmon's own EventType (SetValue), kept by Logstash
    message = record.get("Message")
    return WinEvent(
        event_id=event_id_of(record.get("EventID")),
        time=time,
        original_time=original,
        channel=opt_str(record.get("Channel")),
        provider=opt_str(record.get("SourceName")),
        computer=opt_str(record.get("Hostname")),
        data=data,
        record_id=opt_int(record.get("RecordNumber"), "RecordNumber"),
        user_sid=opt_str(record.get("UserID")),
        activity_id=norm_guid(record.get("ActivityID")),
        process_id=opt_int(
            record.get("ExecutionProcessID", record.get("ProcessID")), "ExecutionProcessID"
        ),
        message=message if isinstance(message, str) else None,
        extra=extra,
    )


# --------------------------------------------------------------------- PowerShell

_PS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def powershell_time(value: Any) -> tuple[datetime, str | None]:
    """``/Date(1714638601123)/`` (Windows PowerShell 5.1: epoch milliseconds, UTC) or an
    ISO 8601 text (PowerShell 7)."""
    if isinstance(value, dict) and "DateTime" in value and "value" in value:
        value = value["value"]  # Select-Object output: {"value": "/Date(…)/", "DateTime": …}
    if isinstance(value, str):
        match = _PS_DATE.match(value.strip())
        if match:
            millis = int(match.group(1))
            return datetime.fromtimestamp(millis / 1000, tz=UTC), value
    return event_time(value)


def _ps_value(value: Any) -> Any:
    """A property value as serialized by ConvertTo-Json (SIDs become objects)."""
    if isinstance(value, dict):
        if "Value" in value and ("BinaryLength" in value or "AccountDomainSid" in value):
            return value["Value"]  # a SecurityIdentifier
        if "value" in value and "DateTime" in value:
            return powershell_time(value)[0].isoformat()
    if isinstance(value, str):
        match = _PS_DATE.match(value.strip())
        if match:
            return powershell_time(value)[0].isoformat()
    return value


def from_powershell(record: Any, field_names: FieldNames) -> WinEvent:
    if not isinstance(record, dict):
        raise RecordError("event is not a JSON object")
    time, original = powershell_time(record.get("TimeCreated"))
    channel = opt_str(record.get("LogName"))
    event_id = event_id_of(record.get("Id"))
    properties = record.get("Properties")
    data: dict[str, Any] = {}
    if isinstance(properties, list):
        values = [_ps_value(p.get("Value") if isinstance(p, dict) else p) for p in properties]
        names = field_names(channel, event_id) or ()
        for i, value in enumerate(values):
            data[names[i] if i < len(names) else f"Property{i + 1}"] = value
    user = record.get("UserId")
    message = record.get("Message")
    return WinEvent(
        event_id=event_id,
        time=time,
        original_time=original,
        channel=channel,
        provider=opt_str(record.get("ProviderName")),
        computer=opt_str(record.get("MachineName")),
        data=data,
        record_id=opt_int(record.get("RecordId"), "RecordId"),
        user_sid=opt_str(_ps_value(user) if isinstance(user, dict) else user),
        activity_id=norm_guid(record.get("ActivityId")),
        process_id=opt_int(record.get("ProcessId"), "ProcessId"),
        message=message if isinstance(message, str) else None,
    )
