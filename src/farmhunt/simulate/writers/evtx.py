"""Writing real Windows EVTX files, for tests and for the company simulator.

It lives beside the simulator's other writers, not in the parser package: farmhunt
reads EVTX and never writes it for a user. The layout it shares with the reader (sizes,
the file header) is the reader's, in :mod:`farmhunt.sources.windows.evtx_chunks`.

The files follow the format Windows itself writes (see the libyal "Windows XML Event
Log (EVTX)" specification): a 4 KiB file header with its CRC32, then 64 KiB chunks,
each with its header CRC32, its event-records CRC32, a common-string table and a
template table. Every record holds Binary XML the way Windows writes it: a
*template* (the element tree with substitution tokens, defined inline the first time a
chunk uses it and referenced by offset afterwards) plus the record's typed
substitution values. Writing templates rather than plain elements is deliberate: it is
the only encoding every reader agrees on (readers disagree on whether an element
written directly in a record carries the "dependency identifier" field).

Usage::

    write_evtx(path, [
        EventSpec(
            channel="Security",
            provider="Microsoft-Windows-Security-Auditing",
            provider_guid="{54849625-5478-4994-a5ba-3e3b0328c30d}",
            event_id=4624,
            time=datetime(2024, 5, 2, 8, 30, tzinfo=UTC),
            computer="WS-0042.corp.example.com",
            data={"TargetUserName": "jdoe", "LogonType": UInt32(10), "IpAddress": "198.51.100.7"},
        ),
    ])

Event-data values are typed as Windows types them: ``str`` is a Unicode string,
``bool`` a Boolean, ``int`` an unsigned 32-bit integer (64-bit when larger, signed
64-bit when negative), ``datetime`` a FILETIME, ``uuid.UUID`` a GUID, ``bytes`` binary
data and ``None`` an empty value; wrap a value in :class:`UInt8`, :class:`UInt16`,
:class:`UInt64`, :class:`HexInt32`, :class:`HexInt64`, :class:`Sid` or :class:`Guid`
to choose the Windows type exactly (Security events type ``TargetUserSid`` as a SID
and ``TargetLogonId`` as a hexadecimal 64-bit integer, for instance).
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from farmhunt.sources.windows.evtx_chunks import (
    CHUNK_HEADER_SIZE,
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    file_header,
)

EVENT_NAMESPACE = "http://schemas.microsoft.com/win/2004/08/events/event"

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class _Typed:
    value: Any


class UInt8(_Typed):
    """An unsigned 8-bit integer (System Level, Opcode, Version)."""


class UInt16(_Typed):
    """An unsigned 16-bit integer (EventID, Task, Sysmon DestinationPort)."""


class UInt32(_Typed):
    """An unsigned 32-bit integer (LogonType, ProcessId)."""


class UInt64(_Typed):
    """An unsigned 64-bit integer (EventRecordID)."""


class Int64(_Typed):
    """A signed 64-bit integer."""


class HexInt32(_Typed):
    """A 32-bit integer shown in hexadecimal (4625 Status, SubStatus)."""


class HexInt64(_Typed):
    """A 64-bit integer shown in hexadecimal (logon ids, Keywords)."""


class Sid(_Typed):
    """A security identifier written in binary, e.g. ``Sid("S-1-5-18")``."""


class Guid(_Typed):
    """A GUID, e.g. ``Guid("{5770385f-c22a-43e0-bf4c-06f5698ffbd9}")``."""


@dataclass(frozen=True)
class UserData:
    """An event's ``<UserData>`` payload, e.g. TerminalServices 1149's ``EventXML``.

    Written as ``<UserData><{name} xmlns="{namespace}" {attributes}><Field>value</Field>…``;
    a field whose value is itself a :class:`UserData` becomes a nested element (UMDF's
    ``<Request major="27" minor="20"/>``).
    """

    name: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    namespace: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class EventSpec:
    """One event to write. ``data`` is the EventData: a name→value mapping (``<Data
    Name="…">``), or a sequence of unnamed ``<Data>`` values as classic providers write.
    """

    channel: str
    event_id: int
    time: datetime
    computer: str
    provider: str
    data: Mapping[str, Any] | Sequence[Any] | None = None
    user_data: UserData | None = None
    provider_guid: str | uuid.UUID | None = None
    event_source_name: str | None = None
    qualifiers: int | None = None
    version: int = 0
    level: int = 4
    task: int = 0
    opcode: int = 0
    keywords: int = 0x8000000000000000
    process_id: int = 4
    thread_id: int = 0
    user_sid: str | None = None
    activity_id: str | uuid.UUID | None = None
    record_id: int | None = None
    """The EventRecordID; by default the writer numbers records consecutively."""


@dataclass
class ChunkInfo:
    """Where a chunk sits in the written file and which records it holds."""

    index: int
    offset: int
    first_record_id: int
    last_record_id: int

    @property
    def record_count(self) -> int:
        return self.last_record_id - self.first_record_id + 1


@dataclass
class EvtxLayout:
    """What :func:`write_evtx` wrote: the chunks and the records in each."""

    chunks: list[ChunkInfo] = field(default_factory=list)
    records: int = 0


# Value type codes of Binary XML.
_NULL, _STRING, _UINT8, _UINT16, _UINT32, _UINT64 = 0x00, 0x01, 0x04, 0x06, 0x08, 0x0A
_INT64, _BOOL, _BINARY, _GUID, _FILETIME, _SID = 0x09, 0x0D, 0x0E, 0x0F, 0x11, 0x13
_HEX32, _HEX64 = 0x14, 0x15


def filetime(when: datetime) -> int:
    """A datetime as a Windows FILETIME (100-nanosecond ticks since 1601-01-01 UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when.astimezone(UTC) - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def _sid_bytes(text: str) -> bytes:
    match = re.fullmatch(r"S-(\d+)-(\d+)((?:-\d+)*)", text.strip(), re.IGNORECASE)
    if not match:
        raise ValueError(f"not a SID: {text!r}")
    subs = [int(s) for s in match.group(3).split("-")[1:]]
    authority = int(match.group(2))
    return (
        bytes([int(match.group(1)), len(subs)])
        + authority.to_bytes(6, "big")
        + b"".join(struct.pack("<I", s) for s in subs)
    )


def _guid_bytes(value: str | uuid.UUID) -> bytes:
    guid = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip("{}"))
    return guid.bytes_le


_TYPED: dict[type, tuple[int, Any]] = {
    UInt8: (_UINT8, struct.Struct("<B").pack),
    UInt16: (_UINT16, struct.Struct("<H").pack),
    UInt32: (_UINT32, struct.Struct("<I").pack),
    UInt64: (_UINT64, struct.Struct("<Q").pack),
    Int64: (_INT64, struct.Struct("<q").pack),
    HexInt32: (_HEX32, struct.Struct("<I").pack),
    HexInt64: (_HEX64, struct.Struct("<Q").pack),
    Sid: (_SID, _sid_bytes),
    Guid: (_GUID, _guid_bytes),
}


def _encode_value(value: Any) -> tuple[int, bytes]:
    """The Binary XML type code and bytes of one substitution value."""
    if value is None:
        return _NULL, b""
    if isinstance(value, _Typed):
        code, encode = _TYPED[type(value)]
        return code, encode(value.value)
    if isinstance(value, bool):
        return _BOOL, struct.pack("<I", int(value))
    if isinstance(value, int):
        if value < 0:
            return _INT64, struct.pack("<q", value)
        if value < 1 << 32:
            return _UINT32, struct.pack("<I", value)
        return _UINT64, struct.pack("<Q", value)
    if isinstance(value, datetime):
        return _FILETIME, struct.pack("<Q", filetime(value))
    if isinstance(value, uuid.UUID):
        return _GUID, value.bytes_le
    if isinstance(value, (bytes, bytearray)):
        return _BINARY, bytes(value)
    if isinstance(value, str):
        return _STRING, value.encode("utf-16-le")
    raise TypeError(f"cannot write a {type(value).__name__} as an event value: {value!r:.60}")


# ------------------------------------------------------------------- element trees


@dataclass
class _Sub:
    """A substitution placeholder in a template: value ``index`` of the record."""

    index: int
    type_code: int


@dataclass
class _Elem:
    name: str
    attrs: list[tuple[str, str | _Sub]] = field(default_factory=list)
    children: list[_Elem | str | _Sub] = field(default_factory=list)


class _TreeBuilder:
    """Turns an :class:`EventSpec` into a template tree plus its substitution values."""

    def __init__(self) -> None:
        self.values: list[tuple[int, bytes]] = []
        self.declared: list[int] = []

    def sub(self, value: Any, declared: int | None = None) -> _Sub:
        code, data = _encode_value(value)
        self.values.append((code, data))
        # A template declares the value's type; an empty (NULL) value keeps the type
        # the field would have, so that it shares the template of non-empty ones.
        code = declared if code == _NULL and declared else code
        self.declared.append(code)
        return _Sub(len(self.values) - 1, code)

    def key(self, spec: EventSpec) -> str:
        """The template's identity: the element names and the substitution types (the
        tree is a function of these), without walking the tree."""
        data: Any = None
        if spec.user_data is not None:
            data = _user_data_shape(spec.user_data)
        elif isinstance(spec.data, Mapping):
            data = tuple(spec.data)
        elif spec.data is not None:
            data = len(spec.data)
        present: tuple[Any, ...] = (spec.provider_guid, spec.event_source_name)
        present += (spec.qualifiers, spec.activity_id, spec.user_sid)
        flags = tuple(v is not None for v in present)
        return repr((flags, data, tuple(self.declared)))

    def user_data(self, element: UserData) -> _Elem:
        payload = _Elem(element.name)
        if element.namespace:
            payload.attrs.append(("xmlns", element.namespace))
        for name, value in element.attributes.items():
            payload.attrs.append((name, self.sub(value, _STRING)))
        for name, value in element.fields.items():
            if isinstance(value, UserData):
                payload.children.append(self.user_data(value))
            else:
                payload.children.append(_Elem(name, children=[self.sub(value, _STRING)]))
        return payload

    def build(self, spec: EventSpec) -> _Elem:
        provider = _Elem("Provider", [("Name", self.sub(spec.provider))])
        if spec.provider_guid is not None:
            provider.attrs.append(("Guid", self.sub(Guid(spec.provider_guid))))
        if spec.event_source_name is not None:
            provider.attrs.append(("EventSourceName", self.sub(spec.event_source_name)))
        event_id = _Elem("EventID", children=[self.sub(UInt16(spec.event_id))])
        if spec.qualifiers is not None:
            event_id.attrs.append(("Qualifiers", self.sub(UInt16(spec.qualifiers))))
        correlation = _Elem("Correlation")
        if spec.activity_id is not None:
            correlation.attrs.append(("ActivityID", self.sub(Guid(spec.activity_id))))
        security = _Elem("Security")
        if spec.user_sid is not None:
            security.attrs.append(("UserID", self.sub(Sid(spec.user_sid))))
        system = _Elem(
            "System",
            children=[
                provider,
                event_id,
                _Elem("Version", children=[self.sub(UInt8(spec.version))]),
                _Elem("Level", children=[self.sub(UInt8(spec.level))]),
                _Elem("Task", children=[self.sub(UInt16(spec.task))]),
                _Elem("Opcode", children=[self.sub(UInt8(spec.opcode))]),
                _Elem("Keywords", children=[self.sub(HexInt64(spec.keywords))]),
                _Elem("TimeCreated", [("SystemTime", self.sub(spec.time))]),
                _Elem("EventRecordID", children=[self.sub(UInt64(spec.record_id or 0))]),
                correlation,
                _Elem(
                    "Execution",
                    [
                        ("ProcessID", self.sub(UInt32(spec.process_id))),
                        ("ThreadID", self.sub(UInt32(spec.thread_id))),
                    ],
                ),
                _Elem("Channel", children=[self.sub(spec.channel)]),
                _Elem("Computer", children=[self.sub(spec.computer)]),
                security,
            ],
        )
        event = _Elem("Event", [("xmlns", EVENT_NAMESPACE)], [system])
        if spec.user_data is not None:
            event.children.append(_Elem("UserData", children=[self.user_data(spec.user_data)]))
        elif spec.data is not None:
            data = _Elem("EventData")
            if isinstance(spec.data, Mapping):
                for name, value in spec.data.items():
                    data.children.append(
                        _Elem("Data", [("Name", name)], [self.sub(value, _STRING)])
                    )
            else:
                for value in spec.data:
                    data.children.append(_Elem("Data", children=[self.sub(value, _STRING)]))
            event.children.append(data)
        return event


def _user_data_shape(element: UserData) -> tuple[Any, ...]:
    fields = tuple(
        (name, _user_data_shape(value) if isinstance(value, UserData) else None)
        for name, value in element.fields.items()
    )
    return (element.name, element.namespace, tuple(element.attributes), fields)


def _name_hash(name: str) -> int:
    value = 0
    for unit in struct.unpack(f"<{len(name)}H", name.encode("utf-16-le")):
        value = (value * 65599 + unit) & 0xFFFFFFFF
    return value & 0xFFFF


# --------------------------------------------------------------------------- chunks


class _Chunk:
    """One 64 KiB chunk being filled: its records, string table and template table."""

    def __init__(self) -> None:
        self.data = bytearray(CHUNK_HEADER_SIZE)
        self.names: dict[str, int] = {}
        self.string_buckets = [0] * 64
        self.templates: dict[str, tuple[int, int]] = {}
        self.template_buckets = [0] * 32
        self.first_id: int | None = None
        self.last_id = 0
        self.last_record_offset = 0

    # Each encoder appends to ``out``, whose first byte sits at chunk offset ``base``;
    # table updates are collected in ``pending`` and applied only if the record fits.

    def _name(self, name: str, out: bytearray, base: int, pending: _Pending) -> None:
        known = self.names.get(name, pending.names.get(name))
        if known is not None:
            out += struct.pack("<I", known)
            return
        offset = base + len(out) + 4
        hashed = _name_hash(name)
        bucket = hashed % 64
        chained = pending.string_buckets.get(bucket, self.string_buckets[bucket])
        encoded = name.encode("utf-16-le")
        out += struct.pack("<IIHH", offset, chained, hashed, len(name))
        out += encoded + b"\x00\x00"
        pending.names[name] = offset
        pending.string_buckets[bucket] = offset

    def _content(
        self, node: _Elem | str | _Sub, out: bytearray, base: int, pending: _Pending
    ) -> None:
        if isinstance(node, str):
            out += struct.pack("<BBH", 0x05, _STRING, len(node)) + node.encode("utf-16-le")
        elif isinstance(node, _Sub):
            out += struct.pack("<BHB", 0x0E, node.index, node.type_code)
        else:
            self._element(node, out, base, pending)

    def _element(self, elem: _Elem, out: bytearray, base: int, pending: _Pending) -> None:
        out += struct.pack("<BH", 0x41 if elem.attrs else 0x01, 0xFFFF)
        size_at = len(out)
        out += b"\x00\x00\x00\x00"
        self._name(elem.name, out, base, pending)
        if elem.attrs:
            list_at = len(out)
            out += b"\x00\x00\x00\x00"
            for i, (name, value) in enumerate(elem.attrs):
                out.append(0x46 if i < len(elem.attrs) - 1 else 0x06)
                self._name(name, out, base, pending)
                self._content(value, out, base, pending)
            struct.pack_into("<I", out, list_at, len(out) - list_at - 4)
        if elem.children:
            out.append(0x02)
            for child in elem.children:
                self._content(child, out, base, pending)
            out.append(0x04)
        else:
            out.append(0x03)
        struct.pack_into("<I", out, size_at, len(out) - size_at - 4)

    def encode_record(self, spec: EventSpec, record_id: int) -> tuple[bytes, _Pending] | None:
        """The record's bytes at the chunk's end, or None when it does not fit."""
        builder = _TreeBuilder()
        tree = builder.build(spec)
        key = builder.key(spec)
        pending = _Pending()
        start = len(self.data)
        out = bytearray()
        out += struct.pack("<4sIQQ", b"\x2a\x2a\x00\x00", 0, record_id, filetime(spec.time))
        out += bytes([0x0F, 0x01, 0x01, 0x00, 0x0C, 0x01])
        known = self.templates.get(key)
        if known is not None:
            template_id, definition = known
            out += struct.pack("<II", template_id, definition)
        else:
            guid = uuid.UUID(bytes=hashlib.md5(key.encode("utf-8")).digest())
            template_id = struct.unpack("<I", guid.bytes_le[:4])[0]
            definition = start + len(out) + 8
            out += struct.pack("<II", template_id, definition)
            bucket = template_id % 32
            chained = self.template_buckets[bucket]
            out += struct.pack("<I", chained) + guid.bytes_le
            size_at = len(out)
            out += b"\x00\x00\x00\x00"
            body_at = len(out)
            out += bytes([0x0F, 0x01, 0x01, 0x00])
            self._element(tree, out, start, pending)
            out.append(0x00)
            struct.pack_into("<I", out, size_at, len(out) - body_at)
            pending.template = (key, template_id, definition, bucket)
        out += struct.pack("<I", len(builder.values))
        for code, data in builder.values:
            if len(data) > 0xFFFF:
                raise ValueError(
                    f"event {record_id}: a value of {len(data):,} bytes is too large "
                    "(EVTX values are at most 65,535 bytes)"
                )
            out += struct.pack("<HBB", len(data), code, 0)
        for _code, data in builder.values:
            out += data
        out.append(0x00)
        out += b"\x00" * (-(len(out) + 4) % 8)
        size = len(out) + 4
        struct.pack_into("<I", out, 4, size)
        out += struct.pack("<I", size)
        if start + size > CHUNK_SIZE:
            return None
        return bytes(out), pending

    def commit(self, record: bytes, pending: _Pending, record_id: int) -> None:
        self.last_record_offset = len(self.data)
        self.data += record
        self.names.update(pending.names)
        for bucket, offset in pending.string_buckets.items():
            self.string_buckets[bucket] = offset
        if pending.template is not None:
            key, template_id, definition, bucket = pending.template
            self.templates[key] = (template_id, definition)
            self.template_buckets[bucket] = definition
        if self.first_id is None:
            self.first_id = record_id
        self.last_id = record_id

    def finish(self) -> bytes:
        """The chunk's 64 KiB with header, tables and both checksums filled in."""
        first = self.first_id or 0
        free = len(self.data)
        data = self.data + bytes(CHUNK_SIZE - free)
        struct.pack_into(
            "<8sQQQQIIII",
            data,
            0,
            b"ElfChnk\x00",
            first,
            self.last_id,
            first,
            self.last_id,
            128,
            self.last_record_offset,
            free,
            zlib.crc32(data[CHUNK_HEADER_SIZE:free]),
        )
        struct.pack_into("<64I", data, 128, *self.string_buckets)
        struct.pack_into("<32I", data, 384, *self.template_buckets)
        struct.pack_into("<I", data, 124, zlib.crc32(bytes(data[:120]) + bytes(data[128:512])))
        return bytes(data)


@dataclass
class _Pending:
    names: dict[str, int] = field(default_factory=dict)
    string_buckets: dict[int, int] = field(default_factory=dict)
    template: tuple[str, int, int, int] | None = None


def write_evtx(
    target: str | Path | BinaryIO,
    events: Iterable[EventSpec],
    *,
    first_record_id: int = 1,
    max_records_per_chunk: int | None = None,
) -> EvtxLayout:
    """Write ``events`` as an EVTX file; return which records went into which chunk.

    Records are numbered from ``first_record_id`` unless an event sets ``record_id``
    (ids must increase). ``max_records_per_chunk`` closes chunks early, which tests
    use to get multi-chunk files from a few events. Chunks are written as they fill,
    so memory stays at one chunk whatever the number of events; a file object must be
    seekable (the header, written last, goes back to its start).
    """
    if isinstance(target, (str, Path)):
        with open(target, "wb") as out:
            return _write(out, events, first_record_id, max_records_per_chunk)
    return _write(target, events, first_record_id, max_records_per_chunk)


def _write(
    out: BinaryIO,
    events: Iterable[EventSpec],
    first_record_id: int,
    max_records_per_chunk: int | None,
) -> EvtxLayout:
    start = out.tell()
    out.write(bytes(FILE_HEADER_SIZE))
    layout = EvtxLayout()
    chunk = _Chunk()
    next_id = first_record_id
    count_in_chunk = 0
    for spec in events:
        record_id = spec.record_id if spec.record_id is not None else next_id
        if record_id < next_id:
            raise ValueError(f"record id {record_id} does not increase (expected ≥ {next_id})")
        spec_with_id = _with_record_id(spec, record_id)
        full = max_records_per_chunk is not None and count_in_chunk >= max_records_per_chunk
        encoded = None if full else chunk.encode_record(spec_with_id, record_id)
        if encoded is None:
            if chunk.first_id is None:
                raise ValueError(f"event {record_id} is too large for an EVTX chunk")
            _close(chunk, out, layout)
            chunk, count_in_chunk = _Chunk(), 0
            encoded = chunk.encode_record(spec_with_id, record_id)
            if encoded is None:
                raise ValueError(f"event {record_id} is too large for an EVTX chunk")
        chunk.commit(encoded[0], encoded[1], record_id)
        count_in_chunk += 1
        layout.records += 1
        next_id = record_id + 1
    if chunk.first_id is not None:
        _close(chunk, out, layout)
    end = out.tell()
    out.seek(start)
    out.write(file_header(len(layout.chunks), next_id))
    out.seek(end)
    return layout


def _close(chunk: _Chunk, out: BinaryIO, layout: EvtxLayout) -> None:
    index = len(layout.chunks)
    if index >= 0xFFFF:
        raise ValueError("an EVTX file holds at most 65,535 chunks (4 GiB)")
    layout.chunks.append(
        ChunkInfo(index, FILE_HEADER_SIZE + index * CHUNK_SIZE, chunk.first_id or 0, chunk.last_id)
    )
    out.write(chunk.finish())


def _with_record_id(spec: EventSpec, record_id: int) -> EventSpec:
    if spec.record_id == record_id:
        return spec
    copy = EventSpec(**{**spec.__dict__})
    copy.record_id = record_id
    return copy
