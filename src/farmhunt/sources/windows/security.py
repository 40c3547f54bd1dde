"""The Security log: logons, RDP session reconnects, account and group changes.

Field names are those of the Microsoft-Windows-Security-Auditing manifest (as shown
in each event's XML and documented per event on learn.microsoft.com).
"""

from __future__ import annotations

from typing import Any

from farmhunt.sources.windows import devices, objects
from farmhunt.sources.windows.common import Family, Mapped, basename, int_field, take
from farmhunt.sources.windows.model import WinEvent, logon_id

CHANNEL = "Security"
PROVIDER = "Microsoft-Windows-Security-Auditing"

_SUBJECT = ("SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId")
_TARGET_ACCOUNT = ("TargetUserName", "TargetDomainName", "TargetSid", *_SUBJECT)
_MEMBER: tuple[str, ...] = ("MemberName", "MemberSid", "TargetUserName", "TargetDomainName")
_MEMBER += ("TargetSid", *_SUBJECT, "PrivilegeList")
_SESSION: tuple[str, ...] = ("AccountName", "AccountDomain", "LogonID", "SessionName")
_SESSION += ("ClientName", "ClientAddress")

FIELDS: dict[int, tuple[str, ...]] = {
    4624: (
        *_SUBJECT,
        "TargetUserSid",
        "TargetUserName",
        "TargetDomainName",
        "TargetLogonId",
        "LogonType",
        "LogonProcessName",
        "AuthenticationPackageName",
        "WorkstationName",
        "LogonGuid",
        "TransmittedServices",
        "LmPackageName",
        "KeyLength",
        "ProcessId",
        "ProcessName",
        "IpAddress",
        "IpPort",
        "ImpersonationLevel",
        "RestrictedAdminMode",
        "TargetOutboundUserName",
        "TargetOutboundDomainName",
        "VirtualAccount",
        "TargetLinkedLogonId",
        "ElevatedToken",
    ),
    4625: (
        *_SUBJECT,
        "TargetUserSid",
        "TargetUserName",
        "TargetDomainName",
        "Status",
        "FailureReason",
        "SubStatus",
        "LogonType",
        "LogonProcessName",
        "AuthenticationPackageName",
        "WorkstationName",
        "TransmittedServices",
        "LmPackageName",
        "KeyLength",
        "ProcessId",
        "ProcessName",
        "IpAddress",
        "IpPort",
    ),
    4634: ("TargetUserSid", "TargetUserName", "TargetDomainName", "TargetLogonId", "LogonType"),
    4647: ("TargetUserSid", "TargetUserName", "TargetDomainName", "TargetLogonId"),
    4720: (
        *_TARGET_ACCOUNT,
        "PrivilegeList",
        "SamAccountName",
        "DisplayName",
        "UserPrincipalName",
        "HomeDirectory",
        "HomePath",
        "ScriptPath",
        "ProfilePath",
        "UserWorkstations",
        "PasswordLastSet",
        "AccountExpires",
        "PrimaryGroupId",
        "AllowedToDelegateTo",
        "OldUacValue",
        "NewUacValue",
        "UserAccountControl",
        "UserParameters",
        "SidHistory",
        "LogonHours",
    ),
    **dict.fromkeys((4722, 4723, 4724, 4725, 4726, 4740, 4767), _TARGET_ACCOUNT),
    **dict.fromkeys((4728, 4729, 4732, 4733, 4756, 4757), _MEMBER),
    4688: (
        *_SUBJECT,
        "NewProcessId",
        "NewProcessName",
        "TokenElevationType",
        "ProcessId",
        "CommandLine",
        "TargetUserSid",
        "TargetUserName",
        "TargetDomainName",
        "TargetLogonId",
        "ParentProcessName",
        "MandatoryLabel",
    ),
    **objects.SECURITY_FIELDS,
    4778: _SESSION,
    4779: _SESSION,
    6416: (
        *_SUBJECT,
        "DeviceId",
        "DeviceDescription",
        "ClassId",
        "ClassName",
        "VendorIds",
        "CompatibleIds",
        "LocationInformation",
    ),
}
"""EventData names in manifest order (for exports that list values without names).

For the account-management ids only the leading fields every version shares are
listed; later values of such an export keep positional names (``Property8``…)."""

SUBJECT = {
    "SubjectUserName": "actor.user.name",
    "SubjectDomainName": "actor.user.domain",
    "SubjectUserSid": "actor.user.uid",
}

LOGON = {
    **SUBJECT,
    "TargetUserName": "user.name",
    "TargetDomainName": "user.domain",
    "TargetUserSid": "user.uid",
    "TargetLogonId": "session.uid",
    "IpAddress": "src_endpoint.ip",
    "WorkstationName": "src_endpoint.hostname",
    "AuthenticationPackageName": "auth_protocol",
    "LogonProcessName": "logon_process.name",
}

SESSION = {
    "AccountName": "user.name",
    "AccountDomain": "user.domain",
    "LogonID": "session.uid",
    "SessionName": "session.terminal",
    "ClientName": "src_endpoint.hostname",
    "ClientAddress": "src_endpoint.ip",
}

ACCOUNT = {
    **SUBJECT,
    "TargetUserName": "user.name",
    "TargetDomainName": "user.domain",
    "TargetSid": "user.uid",
    "DisplayName": "user.full_name",
}

LOCKOUT = {k: v for k, v in ACCOUNT.items() if k != "TargetDomainName"}
"""4740 puts the caller computer's name in TargetDomainName: it stays in unmapped."""

MEMBERSHIP = {
    **SUBJECT,
    "MemberName": "user.name",
    "MemberSid": "user.uid",
    "TargetUserName": "group.name",
    "TargetSid": "group.uid",
}

LOGON_TYPES: dict[int, tuple[int, str]] = {
    0: (1, "System"),
    2: (2, "Interactive"),
    3: (3, "Network"),
    4: (4, "Batch"),
    5: (5, "OS Service"),
    7: (7, "Unlock"),
    8: (8, "Network Cleartext"),
    9: (9, "New Credentials"),
    10: (10, "Remote Interactive"),
    11: (11, "Cached Interactive"),
    12: (12, "Cached Remote Interactive"),
    13: (13, "Cached Unlock"),
}
"""Windows LogonType → OCSF ``logon_type_id`` and its caption (the ids coincide except
Windows' 0, which OCSF numbers 1; Windows' 6 'Proxy' has no OCSF id and maps to 99)."""

REMOTE_LOGON_TYPES = frozenset({3, 8, 10, 12})
LOCAL_LOGON_TYPES = frozenset({0, 2, 4, 5, 7, 9, 11, 13})

FAILURE_STATUS = {
    0xC0000064: "USER_DOES_NOT_EXIST",
    0xC000006A: "INVALID_CREDENTIALS",
    0xC000006E: "ACCOUNT_RESTRICTION",
    0xC000006F: "INVALID_LOGON_HOURS",
    0xC0000070: "INVALID_WORKSTATION",
    0xC0000071: "PASSWORD_EXPIRED",
    0xC0000072: "ACCOUNT_DISABLED",
    0xC0000133: "CLOCK_SKEW",
    0xC000015B: "LOGON_TYPE_NOT_GRANTED",
    0xC000018C: "TRUST_FAILURE",
    0xC0000193: "ACCOUNT_EXPIRED",
    0xC0000224: "PASSWORD_MUST_CHANGE",
    0xC0000234: "ACCOUNT_LOCKED_OUT",
    0xC0000413: "AUTHENTICATION_FIREWALL_FAILED",
}
"""NTSTATUS codes of 4625 (Status / SubStatus) → the OCSF-style failure detail."""

_GENERIC_FAILURE = 0xC000006D  # "bad user name or password": the SubStatus says which


def _strip(columns: dict[str, Any]) -> None:
    """Windows pads some names (LogonProcessName 'User32 '): trim every text value."""
    for key, value in list(columns.items()):
        if isinstance(value, str):
            columns[key] = value.strip() or None


def _ntstatus(ev: WinEvent, name: str) -> int | None:
    value = int_field(ev, name)
    return None if value is None else value & 0xFFFFFFFF


def logon(ev: WinEvent, *, success: bool = True, activity: int = 1) -> Mapped:
    columns, used = take(ev, "authentication", LOGON)
    _strip(columns)
    if "session.uid" in columns:
        columns["session.uid"] = logon_id(ev.get("TargetLogonId"))
    port = int_field(ev, "IpPort")
    if "IpPort" in ev.data:
        used.add("IpPort")
    if port:  # Windows writes 0 (or '-') when the logon did not come over the network
        columns["src_endpoint.port"] = port
    logon_type = int_field(ev, "LogonType")
    if logon_type is not None:
        used.add("LogonType")
        type_id, caption = LOGON_TYPES.get(logon_type, (99, str(logon_type)))
        columns["logon_type_id"], columns["logon_type"] = type_id, caption
        if logon_type in REMOTE_LOGON_TYPES:
            columns["is_remote"] = True
        elif logon_type in LOCAL_LOGON_TYPES:
            columns["is_remote"] = False
    columns["dst_endpoint.hostname"] = ev.computer
    columns["status_id"], columns["status"] = (1, "Success") if success else (2, "Failure")
    if not success:
        status, sub = _ntstatus(ev, "Status"), _ntstatus(ev, "SubStatus")
        code = sub if status in (None, _GENERIC_FAILURE) and sub else status
        if code is not None:
            columns["status_detail"] = FAILURE_STATUS.get(code, f"0x{code:08X}")
    return Mapped("authentication", activity, columns, used)


def logon_failed(ev: WinEvent) -> Mapped:
    return logon(ev, success=False)


def logoff(ev: WinEvent) -> Mapped:
    return logon(ev, activity=2)


def session(activity: int) -> Any:
    def mapper(ev: WinEvent) -> Mapped:
        for name in ("ClientName", "ClientAddress"):
            if str(ev.data.get(name, "")).strip().lower() == "unknown":  # console session
                ev.data[name] = None
        columns, used = take(ev, "rdp_activity", SESSION)
        if "session.uid" in columns:
            columns["session.uid"] = logon_id(ev.get("LogonID"))
        columns["dst_endpoint.hostname"] = ev.computer
        return Mapped("rdp_activity", activity, columns, used)

    return mapper


PROCESS_CREATE = {
    "NewProcessName": "process.file.path",
    "NewProcessId": "process.pid",
    "CommandLine": "process.cmd_line",
    "ParentProcessName": "process.parent_process.file.path",
    "ProcessId": "process.parent_process.pid",
    **SUBJECT,
}
"""4688 → the columns Sysmon 1 fills (see :mod:`.sysmon`): the new process, its parent
(ProcessId here is the creator's), and the creator's account as the actor."""

INTEGRITY = {
    "S-1-16-0": "Untrusted",
    "S-1-16-4096": "Low",
    "S-1-16-8192": "Medium",
    "S-1-16-8448": "MediumPlus",
    "S-1-16-12288": "High",
    "S-1-16-16384": "System",
    "S-1-16-20480": "Protected",
}
"""MandatoryLabel SIDs → the integrity level names Sysmon writes in IntegrityLevel."""


def _integrity(label: str) -> str:
    """The level of a MandatoryLabel: a SID in the event, or the rendered text
    (``Mandatory Label\\High Mandatory Level``) in exports of the message."""
    text = label.strip()
    if text.upper() in INTEGRITY:
        return INTEGRITY[text.upper()]
    if text.endswith(" Mandatory Level"):
        return text.rsplit("\\", 1)[-1].removesuffix(" Mandatory Level").replace(" ", "")
    return text


def process_create(ev: WinEvent) -> Mapped:
    """Security 4688: a process was created (with command lines when the "Include
    command line in process creation events" policy is on)."""
    columns, used = take(ev, "process_activity", PROCESS_CREATE)
    for prefix in ("process.", "process.parent_process."):
        path = columns.get(f"{prefix}file.path")
        if path:
            columns[f"{prefix}name"] = columns[f"{prefix}file.name"] = basename(path)
    # The new process runs as the target account when Windows names one (Windows 10+),
    # else as its creator; written DOMAIN\user, as Sysmon writes User.
    for user_field, domain_field in (
        ("TargetUserName", "TargetDomainName"),
        ("SubjectUserName", "SubjectDomainName"),
    ):
        user, domain = ev.get(user_field), ev.get(domain_field)
        if isinstance(user, str):
            columns["process.user.name"] = f"{domain}\\{user}" if domain else user
            break
    session = logon_id(ev.get("TargetLogonId"))
    if session in (None, "0x0"):
        session = logon_id(ev.get("SubjectLogonId"))
    if session is not None:
        columns["process.session.uid"] = session
    label = ev.get("MandatoryLabel")
    if isinstance(label, str):
        used.add("MandatoryLabel")
        columns["process.integrity"] = _integrity(label)
    return Mapped("process_activity", 1, columns, used)


def account(activity: int, spec: dict[str, str] = ACCOUNT) -> Any:
    def mapper(ev: WinEvent) -> Mapped:
        columns, used = take(ev, "account_change", spec)
        return Mapped("account_change", activity, columns, used)

    return mapper


def membership(activity: int) -> Any:
    def mapper(ev: WinEvent) -> Mapped:
        columns, used = take(ev, "group_management", MEMBERSHIP)
        return Mapped("group_management", activity, columns, used)

    return mapper


FAMILY = Family(
    channels=frozenset({CHANNEL.lower()}),
    product="Windows Security",
    mappers={
        4624: logon,
        4625: logon_failed,
        4634: logoff,
        4657: objects.registry_value_change,
        4663: objects.object_access,
        4688: process_create,
        4647: logoff,
        4778: session(8),  # Reconnect
        4779: session(7),  # Disconnect
        4720: account(1),  # Create
        4722: account(2),  # Enable
        4723: account(3),  # Password Change
        4724: account(4),  # Password Reset
        4725: account(5),  # Disable
        4726: account(6),  # Delete
        4740: account(9, LOCKOUT),  # Lock
        4767: account(12),  # Unlock
        4728: membership(3),  # added to a global group
        4732: membership(3),  # added to a local group (Administrators)
        4756: membership(3),  # added to a universal group
        4729: membership(4),
        4733: membership(4),
        4757: membership(4),
        6416: devices.external_device,
    },
    fields=FIELDS,
)
