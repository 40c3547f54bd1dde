"""Windows events as SIEMs export them: Splunk search results and the Azure Monitor /
Microsoft Sentinel tables ``SecurityEvent``, ``Event`` and ``WindowsEvent``.

- **Splunk**: each result of ``splunk search … -output json`` or the REST export
  (``{"preview": false, "result": {…}}`` per line, or the rows of a
  ``{"results": [...]}`` page). ``_raw`` is the event XML for the ``XmlWinEventLog``
  source types (read whole, like any event XML), or the classic ``LogName=…``
  key=value text; then the System fields come from the result (``EventCode``,
  ``ComputerName``, ``LogName``, ``_time``; from the ``_raw`` header lines when the
  export kept only ``_raw`` and ``_time``) and the event data from the fields Splunk
  extracted, the Windows add-on's names (``New_Process_Name``) mapped back to the
  manifest's (``NewProcessName``) where they are unambiguous.
- **Azure Monitor**: rows as ``az monitor log-analytics query`` or a portal export
  writes them: ``TimeGenerated``, ``Computer``, ``EventID``, the channel (``Channel``,
  or ``EventLog`` in ``Event``), the provider (``EventSourceName``, ``Source``,
  ``Provider``) and ``EventData`` as the XML fragment Windows wrote (``SecurityEvent``,
  ``Event``) or a JSON object (``WindowsEvent``). ``SecurityEvent`` also spreads the
  event data over columns of the same names; empty columns are left out.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from farmhunt.sources.base import RecordError
from farmhunt.sources.values import from_epoch, opt_int, opt_str
from farmhunt.sources.windows.model import WinEvent, event_id_of, fast_time
from farmhunt.sources.windows.readers import event_from_xml, from_evtx_json

# ------------------------------------------------------------------------ Splunk


def splunk_result(record: Any) -> dict[str, Any] | None:
    """The result row of a Splunk export line, or None when it is not a Windows event
    Splunk returned."""
    if not isinstance(record, dict):
        return None
    inner = record.get("result")
    row = inner if isinstance(inner, dict) else record
    if "_raw" not in row and "_time" not in row:
        return None
    raw = row.get("_raw")
    sourcetype = str(row.get("sourcetype") or "").lower()
    if "EventCode" in row or "wineventlog" in sourcetype:
        return row
    if isinstance(raw, str) and (raw.lstrip().startswith("<Event") or _classic_header(raw)):
        return row
    return None


_HEADER_LINE = re.compile(
    r"^(LogName|EventCode|ComputerName|SourceName|RecordNumber)=([^\r\n]*)$", re.MULTILINE
)


def _classic_header(raw: str) -> dict[str, str]:
    """The System lines of a classic ``WinEventLog`` event (``LogName=Security``,
    ``EventCode=4688`` …, before ``Message=``), for results that kept only ``_raw``."""
    head = raw[: raw.find("Message=")] if "Message=" in raw else raw[:2048]
    found = dict(_HEADER_LINE.findall(head))
    return found if "EventCode" in found else {}


SPLUNK_INTERNAL = frozenset(
    {
        "host",
        "index",
        "linecount",
        "punct",
        "source",
        "sourcetype",
        "splunk_server",
        "splunk_server_group",
        "eventtype",
        "tag",
        "tag::eventtype",
        "timeendpos",
        "timestartpos",
        "LogName",
        "EventCode",
        "EventType",
        "ComputerName",
        "SourceName",
        "RecordNumber",
        "Type",
        "Keywords",
        "TaskCategory",
        "OpCode",
        "Message",
        "Computer",
        "Channel",
        "EventID",
        "Version",
        "Level",
        "Task",
        "Opcode",
        "EventRecordID",
        "ProcessID",
        "ThreadID",
        "SystemTime",
        "Guid",
        "UserID",
        "Correlation",
    }
)
"""Splunk's own fields, the classic header lines and the System fields the add-on
extracts; with every ``_``-prefixed and ``date_*`` field, none of them is event data."""

SPLUNK_NAMES = {
    "New_Process_Name": "NewProcessName",
    "New_Process_ID": "NewProcessId",
    "Process_Command_Line": "CommandLine",
    "Creator_Process_Name": "ParentProcessName",
    "Creator_Process_ID": "ProcessId",
    "Token_Elevation_Type": "TokenElevationType",
    "Mandatory_Label": "MandatoryLabel",
    "Logon_Type": "LogonType",
    "Source_Network_Address": "IpAddress",
    "Source_Port": "IpPort",
    "Workstation_Name": "WorkstationName",
    "Logon_Process": "LogonProcessName",
    "Authentication_Package": "AuthenticationPackageName",
    "Object_Name": "ObjectName",
    "Object_Type": "ObjectType",
    "Object_Value_Name": "ObjectValueName",
    "Process_Name": "ProcessName",
    "Accesses": "AccessList",
    "Access_Mask": "AccessMask",
}
"""The Windows add-on's field names for the classic (non-XML) Security events → the
manifest's EventData names the mappings read."""

SPLUNK_PAIRS = {
    "Account_Name": ("SubjectUserName", "TargetUserName"),
    "Account_Domain": ("SubjectDomainName", "TargetDomainName"),
    "Security_ID": ("SubjectUserSid", "TargetUserSid"),
    "Logon_ID": ("SubjectLogonId", "TargetLogonId"),
}
"""Fields the classic message has twice (Subject, then New Logon or Target): Splunk
returns both values as a list, in that order; a single value is the Subject's."""


def from_splunk(record: Any) -> WinEvent:
    row = splunk_result(record)
    if row is None:
        raise RecordError("not a Splunk result with a Windows event")
    raw = row.get("_raw")
    if isinstance(raw, str) and raw.lstrip().startswith("<"):
        event = from_evtx_json(event_from_xml(raw.strip()))
        event.computer = event.computer or opt_str(row.get("host"))
        return event
    if isinstance(raw, str):
        row = {**_classic_header(raw), **{k: v for k, v in row.items() if v not in (None, "")}}
    data: dict[str, Any] = {}
    for key, value in row.items():
        if key[:1] == "_" or key.startswith("date_") or key in SPLUNK_INTERNAL:
            continue
        if key in SPLUNK_PAIRS:
            values = value if isinstance(value, list) else [value]
            for name, item in zip(SPLUNK_PAIRS[key], values, strict=False):
                data[name] = item
            continue
        data[SPLUNK_NAMES.get(key, key)] = value
    time, original = _splunk_time(row.get("_time"))
    message = row.get("Message")
    return WinEvent(
        event_id=event_id_of(row.get("EventCode", row.get("EventID"))),
        time=time,
        original_time=original,
        channel=opt_str(row.get("LogName") or row.get("Channel")),
        provider=opt_str(row.get("SourceName")),
        computer=opt_str(row.get("ComputerName") or row.get("host")),
        data=data,
        record_id=opt_int(row.get("RecordNumber"), "RecordNumber"),
        message=message if isinstance(message, str) else None,
    )


def _splunk_time(value: Any) -> tuple[datetime, str | None]:
    """``_time`` as ISO 8601 text (exports) or epoch seconds (some API outputs)."""
    if isinstance(value, str) and value.replace(".", "", 1).isdigit():
        return from_epoch(float(value), "_time"), value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_epoch(value, "_time"), str(value)
    return fast_time(value, "_time"), None if value is None else str(value)


# ----------------------------------------------------------------- Azure Monitor

AZURE_TABLES = frozenset({"SecurityEvent", "Event", "WindowsEvent"})

AZURE_SYSTEM = frozenset(
    {
        "TenantId",
        "TimeGenerated",
        "TimeCreated",
        "SourceSystem",
        "Account",
        "AccountType",
        "Computer",
        "EventSourceName",
        "Channel",
        "Task",
        "Level",
        "EventData",
        "EventID",
        "Activity",
        "ManagementGroupName",
        "MG",
        "Type",
        "EventOriginId",
        "EventRecordId",
        "SystemThreadId",
        "SystemProcessId",
        "SystemUserId",
        "Keywords",
        "Opcode",
        "Version",
        "Correlation",
        "EventLevel",
        "EventLevelName",
        "Source",
        "EventLog",
        "ParameterXml",
        "RenderedDescription",
        "AzureDeploymentID",
        "Role",
        "EventCategory",
        "UserName",
        "Message",
        "Provider",
        "Data",
        "SourceComputerId",
        "TimeCollected",
        "PartitionKey",
        "RowKey",
        "StorageAccount",
        "AzureTableName",
    }
)
"""Columns of the three tables that are not event data (with every ``_``-prefixed
column: ``_ResourceId``, ``_ItemId``, ``_BilledSize``…)."""


def is_azure_event(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    if "TimeGenerated" not in record or "EventID" not in record:
        return False
    if record.get("Type") in AZURE_TABLES:
        return True
    return "Computer" in record and any(
        k in record for k in ("Activity", "EventSourceName", "EventLog", "EventData")
    )


def from_azure(record: Any) -> WinEvent:
    if not is_azure_event(record):
        raise RecordError("not a SecurityEvent, Event or WindowsEvent row")
    data = {
        k: v
        for k, v in record.items()
        if k not in AZURE_SYSTEM and k[:1] != "_" and v not in (None, "")
    }
    data.update(_azure_event_data(record.get("EventData")))
    created = record.get("TimeCreated") or record.get("TimeGenerated")
    field = "TimeCreated" if record.get("TimeCreated") else "TimeGenerated"
    message = record.get("RenderedDescription") or record.get("Activity")
    return WinEvent(
        event_id=event_id_of(record.get("EventID")),
        time=fast_time(created, field),
        original_time=str(created),
        channel=opt_str(record.get("Channel") or record.get("EventLog")),
        provider=opt_str(
            record.get("EventSourceName") or record.get("Provider") or record.get("Source")
        ),
        computer=opt_str(record.get("Computer")),
        data=data,
        record_id=opt_int(record.get("EventRecordId") or None, "EventRecordId"),
        user_sid=opt_str(record.get("SystemUserId") or None),
        process_id=opt_int(record.get("SystemProcessId") or None, "SystemProcessId"),
        message=message if isinstance(message, str) and message else None,
    )


def _azure_event_data(value: Any) -> dict[str, Any]:
    """``EventData`` as a JSON object (WindowsEvent; text of one when exported) or as
    the ``<EventData>`` / ``<DataItem><EventData>`` XML Windows wrote."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise RecordError("EventData is not valid JSON") from None
        elif text.startswith("<"):
            return _data_elements(text)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {}


def _data_elements(text: str) -> dict[str, Any]:
    """Every ``<Data Name="…">`` in an XML fragment, by name."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise RecordError(f"EventData XML does not parse: {exc}") from None
    return {
        element.attrib["Name"]: (element.text or "").strip()
        for element in root.iter()
        if element.tag.rsplit("}", 1)[-1] == "Data" and "Name" in element.attrib
    }
