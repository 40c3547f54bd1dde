"""JSON exports of Windows events: the evtx tool, Winlogbeat/Elastic Agent, NXLog (and
the OTRF datasets), PowerShell, Splunk and Azure Monitor (readers in :mod:`.siem`).
Each is recognised by its field names, whatever the file is called and however it is
wrapped (lines, array, ``{"value": [...]}``, gzip, UTF-16)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from farmhunt.sources.base import Parser, RawRecord, Rejected, Row, Sample, Stream
from farmhunt.sources.framing import UNFINISHED_NOTE, iter_json_records, iter_lines, short_text
from farmhunt.sources.windows.beats import from_winlogbeat, winlog_view
from farmhunt.sources.windows.channels import field_names, normalize_event
from farmhunt.sources.windows.readers import from_evtx_json, from_nxlog, from_powershell
from farmhunt.sources.windows.siem import from_azure, from_splunk, is_azure_event, splunk_result


def _share(sample: Sample, test: Any) -> float:
    records = sample.first_dicts()
    if not records:
        return 0.0
    return sum(1 for r in records if test(r)) / len(records)


def _is_evtx_json(record: dict[str, Any]) -> bool:
    wrapped = record.get("Event")
    event: dict[str, Any] = wrapped if isinstance(wrapped, dict) else record
    system = event.get("System")
    return (
        isinstance(system, dict)
        and "EventID" in system
        and ("TimeCreated" in system or "TimeCreated_attributes" in system)
    )


_RECORD_LINE = re.compile(rb"^Record (\d+)\s*$")


class EvtxJsonParser(Parser):
    """The ``evtx`` tool's JSON (``evtx_dump -o jsonl`` / ``-o json``) and tools that
    print the same shape (Velociraptor's ``parse_evtx()`` rows, without ``Event``)."""

    name = "evtx-json"
    title = "Windows events as the evtx tool prints them (Event.System / Event.EventData)"
    product = "Windows Event Log"
    vendor = "Microsoft"

    def sniff(self, sample: Sample) -> float:
        if sample.text and re.match(r"Record \d+\s*\n\s*\{", sample.text):
            return 0.95
        return 0.95 * _share(sample, _is_evtx_json)

    def frame(self, stream: Stream) -> Iterator[RawRecord | Rejected]:
        head = stream.binary.peek(64) if hasattr(stream.binary, "peek") else b""
        if not re.match(rb"(\xef\xbb\xbf)?Record \d+\s*\n", head):
            yield from iter_json_records(stream)
            return
        yield from _record_blocks(stream)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        return normalize_event(from_evtx_json(record.value))


def _record_blocks(stream: Stream) -> Iterator[RawRecord | Rejected]:
    """``evtx_dump``'s default output: a ``Record N`` line, then that record's JSON.

    A last line without a newline is whole when it completes the record's JSON (the
    closing ``}`` of a file written without a final newline); only a record still
    being written is left for the next import.
    """
    number = 0
    lines: list[bytes] = []

    def complete(last: bytes) -> bool:
        try:
            orjson.loads(b"\n".join([*lines, last]))
        except orjson.JSONDecodeError:
            return False
        return bool(lines)

    waiting = stream.notes[UNFINISHED_NOTE]

    def finish() -> RawRecord | Rejected | None:
        if not lines:
            return None
        text = b"\n".join(lines)
        try:
            return RawRecord(number, orjson.loads(text), text.decode("utf-8"))
        except orjson.JSONDecodeError as exc:
            return Rejected(number, f"invalid JSON: {exc}", short_text(text))

    for _line_no, line, _offset, error in iter_lines(stream, complete):
        if error is not None or line is None:
            continue
        match = _RECORD_LINE.match(line.lstrip(b"\xef\xbb\xbf"))
        if match:
            done = finish()
            if done is not None:
                yield done
            number += 1
            lines = []
            continue
        lines.append(line)
    if stream.notes[UNFINISHED_NOTE] > waiting:
        return  # the record still being written is read whole by the next import
    done = finish()
    if done is not None:
        yield done


def _is_winlogbeat(record: dict[str, Any]) -> bool:
    return winlog_view(record) is not None


class WinlogbeatParser(Parser):
    name = "winlogbeat"
    title = (
        "Windows events from Winlogbeat 6/7/8 or Elastic Agent (winlog.*, event_id), "
        "also as Elasticsearch hits (_source)"
    )
    product = "Windows Event Log"
    vendor = "Microsoft"

    def sniff(self, sample: Sample) -> float:
        return 0.95 * _share(sample, _is_winlogbeat)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        return normalize_event(from_winlogbeat(record.value))


def _is_nxlog(record: dict[str, Any]) -> bool:
    return (
        "EventID" in record
        and ("SourceName" in record or "Channel" in record)
        and ("EventTime" in record or "Hostname" in record or "SourceModuleType" in record)
        and "winlog" not in record
        and "System" not in record
    )


class NxlogParser(Parser):
    name = "nxlog-windows"
    title = "Windows events from NXLog im_msvistalog as JSON (EventID, Channel, Hostname)"
    product = "Windows Event Log"
    vendor = "Microsoft"

    def sniff(self, sample: Sample) -> float:
        return 0.9 * _share(sample, _is_nxlog)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        return normalize_event(from_nxlog(record.value))


class SplunkParser(Parser):
    name = "splunk-windows"
    title = "Windows events exported from Splunk searches (result, _raw XML or key=value)"
    product = "Windows Event Log"
    vendor = "Microsoft"

    def sniff(self, sample: Sample) -> float:
        return 0.9 * _share(sample, lambda r: splunk_result(r) is not None)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        return normalize_event(from_splunk(record.value))


class AzureMonitorParser(Parser):
    name = "azure-windows"
    title = "Windows events from Azure Monitor / Sentinel (SecurityEvent, Event, WindowsEvent)"
    product = "Windows Event Log"
    vendor = "Microsoft"

    def sniff(self, sample: Sample) -> float:
        return 0.9 * _share(sample, is_azure_event)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        return normalize_event(from_azure(record.value))


def _is_powershell(record: dict[str, Any]) -> bool:
    return (
        "Id" in record
        and "TimeCreated" in record
        and ("LogName" in record or "ProviderName" in record)
        and ("MachineName" in record or "RecordId" in record or "Properties" in record)
    )


class PowerShellParser(Parser):
    name = "powershell-winevent"
    title = "Windows events from PowerShell Get-WinEvent | ConvertTo-Json"
    product = "Windows Event Log"
    vendor = "Microsoft"

    def sniff(self, sample: Sample) -> float:
        records = sample.first_dicts()
        if not records:
            return 0.0
        return 0.95 * sum(1 for r in records if _is_powershell(r)) / len(records)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        return normalize_event(from_powershell(record.value, field_names))
