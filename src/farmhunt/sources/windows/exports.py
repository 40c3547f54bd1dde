"""JSON exports of Windows events: the evtx tool, Winlogbeat/Elastic Agent, NXLog (and
the OTRF datasets), PowerShell, Splunk and Azure Monitor (readers in :mod:`.siem`).
Each is recognised by its field names, whatever the file is called and however it is
wrapped (lines, array, ``{"value": [...]}``, gzip, UTF-16)."""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import ijson
import orjson

from farmhunt.sources.base import Parser, RawRecord, Rejected, Row, Sample, Stream
from farmhunt.sources.framing import (
    HEAD_BYTES,
    decode_head,
    iter_json_records,
    iter_lines,
    json_layout,
    short_text,
)
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
    """``evtx_dump``'s default output: a ``Record N`` line, then that record's JSON."""
    number = 0
    lines: list[bytes] = []

    def finish() -> RawRecord | Rejected | None:
        if not lines:
            return None
        text = b"\n".join(lines)
        try:
            return RawRecord(number, orjson.loads(text), text.decode("utf-8"))
        except orjson.JSONDecodeError as exc:
            return Rejected(number, f"invalid JSON: {exc}", short_text(text))

    for _line_no, line, _offset, error in iter_lines(stream):
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
        if not records and sample.text and sample.json_kind in ("array", "document"):
            records = _python_head_records(sample.text)  # see frame(): big integers
        if not records:
            return 0.0
        return 0.95 * sum(1 for r in records if _is_powershell(r)) / len(records)

    def frame(self, stream: Stream) -> Iterator[RawRecord | Rejected]:
        """ConvertTo-Json writes ``Keywords`` as a signed 64-bit number, and the most
        common value, 0x8000000000000000, is -9223372036854775808: the fast JSON
        streamer refuses it ("integer overflow"), so documents are streamed with ijson's
        pure-Python parser, which reads any integer (slower, but PowerShell exports
        are one host's events)."""
        head = stream.binary.peek(HEAD_BYTES) if hasattr(stream.binary, "peek") else b""
        text_head = decode_head(head[:HEAD_BYTES], stream.encoding.replace("-sig", ""))
        if (json_layout(text_head) or "ndjson") == "ndjson":
            yield from iter_json_records(stream)
            return
        yield from _python_document(stream, text_head.lstrip("\ufeff \t\r\n")[:1] == "[")

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        return normalize_event(from_powershell(record.value, field_names))


class _Utf8(io.RawIOBase):
    """The stream's text as UTF-8 bytes (PowerShell 5.1 writes UTF-16)."""

    def __init__(self, stream: Stream) -> None:
        self._decoder = codecs.getincrementaldecoder(stream.encoding)(errors="strict")
        self._binary = stream.binary
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._pending:
            chunk = self._binary.read(1 << 16)
            self._pending = self._decoder.decode(chunk, final=not chunk).lstrip("\ufeff").encode()
            if not chunk:
                break
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _python_head_records(text: str, limit: int = 20) -> list[dict[str, Any]]:
    """The first records of a file's head, parsed with ijson's pure-Python backend."""
    stripped = text.lstrip("\ufeff \t\r\n")
    records: list[dict[str, Any]] = []
    backend = ijson.get_backend("python")
    try:
        for item in backend.items(
            io.BytesIO(stripped.encode("utf-8")), "item" if stripped[:1] == "[" else ""
        ):
            if isinstance(item, dict):
                records.append(item)
            if len(records) >= limit:
                break
    except (ijson.JSONError, ijson.IncompleteJSONError):
        pass
    return records


def _python_document(stream: Stream, is_array: bool) -> Iterator[RawRecord | Rejected]:
    """A JSON array (or one object) streamed with ijson's pure-Python backend."""
    backend = ijson.get_backend("python")
    number = 0
    try:
        for item in backend.items(_Utf8(stream), "item" if is_array else "", use_float=True):
            number += 1
            yield RawRecord(number, item, json.dumps(item, ensure_ascii=False))
    except (ijson.JSONError, ijson.IncompleteJSONError) as exc:
        yield Rejected(
            number + 1, f"JSON syntax error after record {number}: {exc}; rest of file skipped"
        )
    except UnicodeDecodeError as exc:
        yield Rejected(
            number + 1, f"not valid {stream.encoding} ({exc.reason}) after record {number}"
        )
