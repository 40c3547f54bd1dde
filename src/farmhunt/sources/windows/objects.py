"""Files and registry keys acted on: Sysmon 11/23/26 and 12/13/14, Security 4663/4657.

Sysmon names the object ``TargetFilename`` or ``TargetObject`` and the acting process
``Image`` / ``ProcessId`` / ``ProcessGuid``; the Security log names them ``ObjectName``
(+ ``ObjectValueName``) and ``ProcessName`` / ``ProcessId`` (hex). Both land in
``file_activity`` (OCSF File System Activity) and ``registry_activity`` (OCSF Registry
Key Activity), with the acting process under ``actor.process``. Sigma's file_event and
registry_* rules query the Sysmon names; ``detect/fieldmap.py`` maps them to these
columns.
"""

from __future__ import annotations

from typing import Any

from farmhunt.sources.windows.common import Mapped, basename, int_field, parse_hashes, take
from farmhunt.sources.windows.model import WinEvent, fast_time, norm_guid, split_account

SYSMON_ACTOR = {
    "Image": "actor.process.file.path",
    "ProcessId": "actor.process.pid",
    "User": "actor.process.user.name",
}
SYSMON_FILE = {**SYSMON_ACTOR, "TargetFilename": "file.path"}
SYSMON_REGISTRY = {
    **SYSMON_ACTOR,
    "TargetObject": "unmapped.target_object",
    "EventType": "unmapped.event_type",
    "Details": "reg_value.data",
}
SECURITY_OBJECT = {
    "SubjectUserName": "actor.user.name",
    "SubjectDomainName": "actor.user.domain",
    "SubjectUserSid": "actor.user.uid",
    "ProcessName": "actor.process.file.path",
    "ProcessId": "actor.process.pid",
    "AccessMask": "access_mask",
}

_SYSMON_HEAD = ("RuleName", "UtcTime", "ProcessGuid", "ProcessId")
_SYSMON_REG = ("RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image")
_SYSMON_DELETE = (*_SYSMON_HEAD, "User", "Image", "TargetFilename", "Hashes", "IsExecutable")
SYSMON_FIELDS: dict[int, tuple[str, ...]] = {
    11: (*_SYSMON_HEAD, "Image", "TargetFilename", "CreationUtcTime", "User"),
    12: (*_SYSMON_REG, "TargetObject", "User"),
    13: (*_SYSMON_REG, "TargetObject", "Details", "User"),
    14: (*_SYSMON_REG, "TargetObject", "NewName", "User"),
    23: (*_SYSMON_DELETE, "Archived"),
    26: _SYSMON_DELETE,
}
"""EventData names of these Sysmon events in manifest order (schema 4.90)."""

_SUBJECT = ("SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId")
_PROCESS = ("ProcessId", "ProcessName")
SECURITY_FIELDS: dict[int, tuple[str, ...]] = {
    4663: (
        *_SUBJECT,
        *("ObjectServer", "ObjectType", "ObjectName", "HandleId", "AccessList", "AccessMask"),
        *_PROCESS,
        "ResourceAttributes",
    ),
    4657: (
        *_SUBJECT,
        *("ObjectName", "ObjectValueName", "HandleId", "OperationType", "OldValueType"),
        *("OldValue", "NewValueType", "NewValue"),
        *_PROCESS,
    ),
}
"""EventData names of Security 4663 and 4657 in manifest order."""


def _actor(ev: WinEvent, columns: dict[str, Any], used: set[str]) -> None:
    """The acting process's name, Sysmon's ProcessGuid, and its user as the actor."""
    image = columns.get("actor.process.file.path")
    if image:
        columns["actor.process.name"] = columns["actor.process.file.name"] = basename(image)
    if "ProcessGuid" in ev.data:
        used.add("ProcessGuid")
        columns["actor.process.uid"] = norm_guid(ev.data["ProcessGuid"])
    if "actor.user.name" not in columns:
        user, domain = split_account(ev.get("User"))
        if user is not None:
            columns["actor.user.name"], columns["actor.user.domain"] = user, domain


def _file(path: Any, columns: dict[str, Any]) -> None:
    if isinstance(path, str) and path:
        columns["file.name"] = basename(path)


def file_create(ev: WinEvent) -> Mapped:
    """Sysmon 11 FileCreate: a file created or overwritten."""
    columns, used = take(ev, "file_activity", SYSMON_FILE)
    _actor(ev, columns, used)
    _file(columns.get("file.path"), columns)
    created = ev.get("CreationUtcTime")
    if created not in (None, "", 0, "0"):
        used.add("CreationUtcTime")
        columns["file.created_time"] = fast_time(created, "CreationUtcTime")
    return Mapped("file_activity", 1, columns, used)


def file_delete(ev: WinEvent) -> Mapped:
    """Sysmon 23 FileDelete (archived) and 26 FileDeleteDetected."""
    columns, used = take(ev, "file_activity", SYSMON_FILE)
    _actor(ev, columns, used)
    _file(columns.get("file.path"), columns)
    hashes = parse_hashes(ev.get("Hashes"))
    if hashes is not None:
        used.add("Hashes")
        columns["file.hashes"] = hashes
    return Mapped("file_activity", 4, columns, used)


_KEY_ACTIVITY = {"createkey": 1, "deletekey": 4, "renamekey": 5}
"""Sysmon EventType → Registry Key Activity id; value events (SetValue, DeleteValue,
CreateValue) modify the key that holds them (3)."""


def registry_event(ev: WinEvent) -> Mapped:
    """Sysmon 12 (key or value created/deleted), 13 (value set), 14 (key renamed)."""
    columns, used = take(ev, "registry_activity", SYSMON_REGISTRY)
    _actor(ev, columns, used)
    target = columns.get("unmapped.target_object")
    kind = str(columns.get("unmapped.event_type") or "").lower()
    if not kind:
        kind = {13: "setvalue", 14: "renamekey"}.get(ev.event_id, "")
    activity = _KEY_ACTIVITY.get(kind, 3 if kind.endswith("value") else 99)
    if isinstance(target, str):
        if activity == 3:
            key, _, name = target.rpartition("\\")
            columns["reg_key.path"], columns["reg_value.name"] = key or None, name
        elif activity == 5 and ev.get("NewName"):
            used.add("NewName")
            columns["prev_reg_key.path"] = target
            columns["reg_key.path"] = columns["unmapped.new_name"] = ev.get("NewName")
        else:
            columns["reg_key.path"] = target
    details = columns.get("reg_value.data")
    if isinstance(details, str):
        columns["reg_value.type"] = _sysmon_value_type(details)
    return Mapped("registry_activity", activity, columns, used)


def _sysmon_value_type(details: str) -> str | None:
    """Sysmon prints DWORD and QWORD data as ``DWORD (0x00000001)``, binary data as
    ``Binary Data``; other data is text (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ alike)."""
    if details.startswith("DWORD ("):
        return "REG_DWORD"
    if details.startswith("QWORD ("):
        return "REG_QWORD"
    if details == "Binary Data":
        return "REG_BINARY"
    return None


_ACCESS_FILE = ((0x10000, 4), (0x40000, 7), (0x2 | 0x4, 3), (0x100, 6), (0x1, 2), (0x80, 8))
_ACCESS_KEY = ((0x10000, 4), (0x40000, 6), (0x2 | 0x4, 3), (0x1 | 0x8, 2))
"""Access-mask bits → activity, strongest first: DELETE, WRITE_DAC, then (files)
WriteData/AppendData, WriteAttributes, ReadData, ReadAttributes or (keys)
KEY_SET_VALUE/KEY_CREATE_SUB_KEY, KEY_QUERY_VALUE/KEY_ENUMERATE_SUB_KEYS."""


def _activity(mask: int | None, bits: tuple[tuple[int, int], ...]) -> int:
    if mask is None:
        return 0
    return next((activity for bit, activity in bits if mask & bit), 99)


def object_access(ev: WinEvent) -> Mapped:
    """Security 4663: an attempt to access an object. Files and registry keys have a
    table; other objects (SAM, services, kernel objects) stay in base_event."""
    kind = str(ev.get("ObjectType") or "").lower()
    if kind not in ("file", "key"):
        return Mapped("base_event", 0, {}, set())
    table = "file_activity" if kind == "file" else "registry_activity"
    columns, used = take(ev, table, SECURITY_OBJECT)
    _actor(ev, columns, used)
    name = ev.get("ObjectName")
    if isinstance(name, str):
        used.add("ObjectName")
        if kind == "file":
            columns["file.path"] = name
            _file(name, columns)
        else:
            columns["reg_key.path"] = columns["unmapped.target_object"] = name
    mask = int_field(ev, "AccessMask")
    bits = _ACCESS_FILE if kind == "file" else _ACCESS_KEY
    return Mapped(table, _activity(mask, bits), columns, used)


_VALUE_OPERATION = {"%%1904": 3, "%%1905": 3, "%%1906": 3}
"""4657 OperationType: new value created, existing value modified, value deleted; each
modifies the key (the operation itself stays in ``unmapped.OperationType``)."""


def registry_value_change(ev: WinEvent) -> Mapped:
    """Security 4657: a registry value was modified (SACL auditing)."""
    columns, used = take(ev, "registry_activity", SECURITY_OBJECT)
    _actor(ev, columns, used)
    key, value = ev.get("ObjectName"), ev.get("ObjectValueName")
    if isinstance(key, str):
        used.add("ObjectName")
        columns["reg_key.path"] = key
        columns["unmapped.target_object"] = f"{key}\\{value}" if value else key
    if isinstance(value, str):
        used.add("ObjectValueName")
        columns["reg_value.name"] = value
    new = ev.get("NewValue")
    if new is not None:
        used.add("NewValue")
        columns["reg_value.data"] = str(new)
    activity = _VALUE_OPERATION.get(str(ev.get("OperationType") or "").strip(), 3)
    return Mapped("registry_activity", activity, columns, used)
