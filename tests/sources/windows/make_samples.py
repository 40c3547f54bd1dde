"""Writes the EVTX and PowerShell samples of the Windows tests, and the Windows examples.

EVTX is binary and PowerShell's export is UTF-16, so these samples are generated from
the event lists below with farmhunt's EVTX writer rather than typed in:
``python -m tests.sources.windows.make_samples`` rewrites them, and
``test_samples_are_reproducible`` checks the committed files are exactly this output.
The events are invented (documentation IP ranges, example.com names) but shaped like
the real ones: field names, order and Windows types of each provider's manifest.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from farmhunt.simulate.writers.evtx import (
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    EventSpec,
    EvtxLayout,
    Guid,
    HexInt32,
    HexInt64,
    Sid,
    UInt16,
    UInt32,
    UserData,
    write_evtx,
)

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
EXAMPLES = HERE.parents[2] / "examples" / "windows"

HOST = "LT-0193.corp.example.com"
T0 = datetime(2024, 5, 2, 13, 58, 4, 118_520, tzinfo=UTC)
USER_SID = "S-1-5-21-3623811015-3361044348-30300820-1013"
NEW_SID = "S-1-5-21-3623811015-3361044348-30300820-1014"
OPERATOR_IP = "203.0.113.77"
LOGON_ID = 0x2F4A1C9

SYSMON = {
    "channel": "Microsoft-Windows-Sysmon/Operational",
    "provider": "Microsoft-Windows-Sysmon",
    "provider_guid": "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}",
    "computer": HOST,
    "version": 5,
    "user_sid": "S-1-5-18",
    "process_id": 3212,
    "thread_id": 4100,
}
SECURITY = {
    "channel": "Security",
    "provider": "Microsoft-Windows-Security-Auditing",
    "provider_guid": "{54849625-5478-4994-a5ba-3e3b0328c30d}",
    "computer": HOST,
    "level": 0,
    "process_id": 788,
    "thread_id": 6012,
}
RCM = {
    "channel": "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
    "provider": "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
    "provider_guid": "{c76baa63-ae81-421c-b425-340b4b24157f}",
    "computer": HOST,
    "keywords": 0x1000000000000000,
    "user_sid": "S-1-5-20",
    "process_id": 1196,
    "thread_id": 2212,
}
CORE = {
    "channel": "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
    "provider": "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
    "provider_guid": "{1139c61b-b549-4251-8ed3-27250a1edec8}",
    "computer": HOST,
    "task": 4,
    "keywords": 0x4000000000000000,
    "user_sid": "S-1-5-20",
    "process_id": 1196,
    "thread_id": 3320,
}
PNP = {
    "channel": "Microsoft-Windows-Kernel-PnP/Configuration",
    "provider": "Microsoft-Windows-Kernel-PnP",
    "provider_guid": "{9c205a39-1250-487d-abd7-e831c6290539}",
    "computer": HOST,
    "keywords": 0x4000000000000000,
    "user_sid": "S-1-5-18",
    "process_id": 4,
    "thread_id": 9920,
}
UMDF = {
    "channel": "Microsoft-Windows-DriverFrameworks-UserMode/Operational",
    "provider": "Microsoft-Windows-DriverFrameworks-UserMode",
    "provider_guid": "{2e35aaeb-857f-4beb-a418-2e6c0e54d988}",
    "computer": HOST,
    "version": 1,
    "keywords": 0x8000000000000000,
    "user_sid": "S-1-5-19",
    "process_id": 1432,
    "thread_id": 2604,
}

PIKVM = "USB\\VID_1D6B&PID_0104\\CAFEBABE"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def sysmon_events() -> list[EventSpec]:
    anydesk = "C:\\Users\\mkovacs\\Downloads\\AnyDesk.exe"
    guid = "{7a1c2f0e-9b3d-6633-5f01-000000002a00}"
    return [
        EventSpec(
            **SYSMON,
            event_id=1,
            task=1,
            time=at(0),
            data={
                "RuleName": "-",
                "UtcTime": "2024-05-02 13:58:04.117",
                "ProcessGuid": Guid(guid),
                "ProcessId": UInt32(7412),
                "Image": anydesk,
                "FileVersion": "8.0.9",
                "Description": "AnyDesk",
                "Product": "AnyDesk",
                "Company": "AnyDesk Software GmbH",
                "OriginalFileName": "AnyDesk.exe",
                "CommandLine": f'"{anydesk}" --control',
                "CurrentDirectory": "C:\\Users\\mkovacs\\Downloads\\",
                "User": "CORP\\mkovacs",
                "LogonGuid": Guid("{7a1c2f0e-8f10-6633-c9a1-f40200000000}"),
                "LogonId": HexInt64(LOGON_ID),
                "TerminalSessionId": UInt32(3),
                "IntegrityLevel": "Medium",
                "Hashes": (
                    "SHA1=4B2C0F0E4E1C1C2F7B5A8E0D9F3A6C1B2D4E6F80,"
                    "MD5=9C1E3A5B7D9F1A3C5E7B9D1F3A5C7E9B,"
                    "SHA256=1F4E7A0D3C6B9E2F5A8D1C4B7E0A3F6D9C2B5E8A1D4C7F0B3E6A9D2C5F8B1E4A,"
                    "IMPHASH=0C8F3E2B1A9D7C5E3F1B9D7A5C3E1F9B"
                ),
                "ParentProcessGuid": Guid("{7a1c2f0e-8f31-6633-1c01-000000002a00}"),
                "ParentProcessId": UInt32(5120),
                "ParentImage": "C:\\Windows\\explorer.exe",
                "ParentCommandLine": "C:\\Windows\\Explorer.EXE",
                "ParentUser": "CORP\\mkovacs",
            },
        ),
        EventSpec(
            **SYSMON,
            event_id=22,
            task=22,
            time=at(1.5),
            data={
                "RuleName": "-",
                "UtcTime": "2024-05-02 13:58:05.601",
                "ProcessGuid": Guid(guid),
                "ProcessId": UInt32(7412),
                "QueryName": "relay-4c1d2e3f.net.anydesk.com",
                "QueryStatus": "0",
                "QueryResults": (
                    "type:  5 relay-4c1d2e3f.edge.example.net;::ffff:203.0.113.41;"
                    "::ffff:203.0.113.42;"
                ),
                "Image": anydesk,
                "User": "CORP\\mkovacs",
            },
        ),
        EventSpec(
            **SYSMON,
            event_id=3,
            task=3,
            time=at(2.0),
            data={
                "RuleName": "-",
                "UtcTime": "2024-05-02 13:58:05.911",
                "ProcessGuid": Guid(guid),
                "ProcessId": UInt32(7412),
                "Image": anydesk,
                "User": "CORP\\mkovacs",
                "Protocol": "tcp",
                "Initiated": True,
                "SourceIsIpv6": False,
                "SourceIp": "10.20.4.117",
                "SourceHostname": HOST,
                "SourcePort": UInt16(51744),
                "SourcePortName": "-",
                "DestinationIsIpv6": False,
                "DestinationIp": "203.0.113.41",
                "DestinationHostname": "relay-4c1d2e3f.edge.example.net",
                "DestinationPort": UInt16(443),
                "DestinationPortName": "https",
            },
        ),
        EventSpec(
            **SYSMON,
            event_id=22,
            task=22,
            time=at(30),
            data={
                "RuleName": "-",
                "UtcTime": "2024-05-02 13:58:34.002",
                "ProcessGuid": Guid(guid),
                "ProcessId": UInt32(7412),
                "QueryName": "boot.net.anydesk.com",
                "QueryStatus": "9003",
                "QueryResults": "-",
                "Image": anydesk,
                "User": "CORP\\mkovacs",
            },
        ),
        EventSpec(
            **{**SYSMON, "version": 3},
            event_id=5,
            task=5,
            time=at(600),
            data={
                "RuleName": "-",
                "UtcTime": "2024-05-02 14:08:04.125",
                "ProcessGuid": Guid(guid),
                "ProcessId": UInt32(7412),
                "Image": anydesk,
                "User": "CORP\\mkovacs",
            },
        ),
    ]


def logon_data(ip: str, port: str, logon_type: int) -> dict[str, Any]:
    return {
        "SubjectUserSid": Sid("S-1-5-18"),
        "SubjectUserName": "LT-0193$",
        "SubjectDomainName": "CORP",
        "SubjectLogonId": HexInt64(0x3E7),
        "TargetUserSid": Sid(USER_SID),
        "TargetUserName": "mkovacs",
        "TargetDomainName": "CORP",
        "TargetLogonId": HexInt64(LOGON_ID),
        "LogonType": UInt32(logon_type),
        "LogonProcessName": "User32 ",
        "AuthenticationPackageName": "Negotiate",
        "WorkstationName": "LT-0193",
        "LogonGuid": Guid("{5b9e1c42-77a0-3d1f-9e2c-4a6b8d0f1e23}"),
        "TransmittedServices": "-",
        "LmPackageName": "-",
        "KeyLength": UInt32(0),
        "ProcessId": HexInt64(0x3C8),
        "ProcessName": "C:\\Windows\\System32\\svchost.exe",
        "IpAddress": ip,
        "IpPort": port,
        "ImpersonationLevel": "%%1833",
        "RestrictedAdminMode": "%%1843",
        "TargetOutboundUserName": "-",
        "TargetOutboundDomainName": "-",
        "VirtualAccount": "%%1843",
        "TargetLinkedLogonId": HexInt64(0),
        "ElevatedToken": "%%1843",
    }


def session_data(session: str) -> dict[str, Any]:
    return {
        "AccountName": "mkovacs",
        "AccountDomain": "CORP",
        "LogonID": HexInt64(LOGON_ID),
        "SessionName": session,
        "ClientName": "DESKTOP-8K2Q1LM",
        "ClientAddress": OPERATOR_IP,
    }


def security_events() -> list[EventSpec]:
    subject = {
        "SubjectUserSid": Sid(USER_SID),
        "SubjectUserName": "mkovacs",
        "SubjectDomainName": "CORP",
        "SubjectLogonId": HexInt64(LOGON_ID),
    }
    return [
        EventSpec(
            **SECURITY,
            event_id=4625,
            task=12544,
            keywords=0x8010000000000000,
            time=at(-20),
            data={
                "SubjectUserSid": Sid("S-1-0-0"),
                "SubjectUserName": "-",
                "SubjectDomainName": "-",
                "SubjectLogonId": HexInt64(0),
                "TargetUserSid": Sid("S-1-0-0"),
                "TargetUserName": "administrator",
                "TargetDomainName": "LT-0193",
                "Status": HexInt32(0xC000006D),
                "FailureReason": "%%2313",
                "SubStatus": HexInt32(0xC000006A),
                "LogonType": UInt32(3),
                "LogonProcessName": "NtLmSsp ",
                "AuthenticationPackageName": "NTLM",
                "WorkstationName": "DESKTOP-8K2Q1LM",
                "TransmittedServices": "-",
                "LmPackageName": "-",
                "KeyLength": UInt32(0),
                "ProcessId": HexInt64(0),
                "ProcessName": "-",
                "IpAddress": "198.51.100.23",
                "IpPort": "0",
            },
        ),
        EventSpec(
            **SECURITY,
            event_id=4624,
            version=2,
            task=12544,
            keywords=0x8020000000000000,
            time=at(-10),
            data=logon_data(OPERATOR_IP, "50211", 10),
        ),
        EventSpec(
            **SECURITY,
            event_id=4672,
            task=12548,
            keywords=0x8020000000000000,
            time=at(-10),
            data={
                **subject,
                "PrivilegeList": "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege",
            },
        ),
        EventSpec(
            **SECURITY,
            event_id=4779,
            task=12551,
            keywords=0x8020000000000000,
            time=at(900),
            data=session_data("RDP-Tcp#3"),
        ),
        EventSpec(
            **SECURITY,
            event_id=4778,
            task=12551,
            keywords=0x8020000000000000,
            time=at(1500),
            data=session_data("RDP-Tcp#5"),
        ),
        EventSpec(
            **SECURITY,
            event_id=4720,
            task=13824,
            keywords=0x8020000000000000,
            time=at(1620),
            data={
                "TargetUserName": "svc_helpdesk",
                "TargetDomainName": "LT-0193",
                "TargetSid": Sid(NEW_SID),
                **subject,
                "PrivilegeList": "-",
                "SamAccountName": "svc_helpdesk",
                "DisplayName": "%%1793",
                "UserPrincipalName": "-",
                "HomeDirectory": "%%1793",
                "HomePath": "%%1793",
                "ScriptPath": "%%1793",
                "ProfilePath": "%%1793",
                "UserWorkstations": "%%1793",
                "PasswordLastSet": "%%1794",
                "AccountExpires": "%%1794",
                "PrimaryGroupId": "513",
                "AllowedToDelegateTo": "-",
                "OldUacValue": "0x0",
                "NewUacValue": "0x15",
                "UserAccountControl": "\r\n\t\t%%2080\r\n\t\t%%2082\r\n\t\t%%2084",
                "UserParameters": "%%1793",
                "SidHistory": "-",
                "LogonHours": "%%1797",
            },
        ),
        EventSpec(
            **SECURITY,
            event_id=4732,
            task=13826,
            keywords=0x8020000000000000,
            time=at(1621),
            data={
                "MemberName": "-",
                "MemberSid": Sid(NEW_SID),
                "TargetUserName": "Administrators",
                "TargetDomainName": "Builtin",
                "TargetSid": Sid("S-1-5-32-544"),
                **subject,
                "PrivilegeList": "-",
            },
        ),
    ]


def rcm_events() -> list[EventSpec]:
    return [
        EventSpec(
            **RCM,
            event_id=1149,
            time=at(-11),
            activity_id="{f4e2a1b0-3c5d-4e6f-8a9b-0c1d2e3f4a5b}",
            user_data=UserData(
                "EventXML",
                {"Param1": "mkovacs", "Param2": "CORP", "Param3": OPERATOR_IP},
                namespace="Event_NS",
            ),
        ),
        EventSpec(
            **RCM,
            event_id=1149,
            time=at(1499),
            activity_id="{0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d}",
            user_data=UserData(
                "EventXML",
                {"Param1": "mkovacs", "Param2": "CORP", "Param3": "2001:db8:4c::17"},
                namespace="Event_NS",
            ),
        ),
    ]


def core_events() -> list[EventSpec]:
    first = "{f4e2a1b0-3c5d-4e6f-8a9b-0c1d2e3f4a5b}"
    second = "{6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a}"
    return [
        EventSpec(
            **CORE, event_id=131, time=at(-12), activity_id=first,
            data={"ConnType": "TCP", "ClientIP": f"{OPERATOR_IP}:50211"},
        ),
        EventSpec(
            **CORE, event_id=104, time=at(-11.5), activity_id=first,
            data={"TimezoneBiasHour": "[9]"},
        ),
        EventSpec(
            **CORE, event_id=102, time=at(900), activity_id=first, data={},
        ),
        EventSpec(
            **CORE, event_id=131, time=at(2400), activity_id=second,
            data={"ConnType": "TCP", "ClientIP": "[2001:db8:4c::17]:61022"},
        ),
        EventSpec(
            **CORE, event_id=140, time=at(2401), level=3, activity_id=second,
            data={"IPString": "2001:db8:4c::17"},
        ),
        EventSpec(
            **CORE, event_id=104, time=at(2405), activity_id=second,
            data={"TimezoneBiasHour": "[-5]"},
        ),
    ]  # fmt: skip


def pnp_events() -> list[EventSpec]:
    composite = {
        "DeviceInstanceId": PIKVM,
        "DriverName": "usb.inf",
        "ClassGuid": "{36fc9e60-c465-11cf-8056-444553540000}",
        "DriverDate": "6/21/2006",
        "DriverVersion": "10.0.22621.2506",
        "DriverProvider": "Microsoft",
        "DriverInbox": True,
        "DriverSection": "Composite.Dev.NT",
        "DriverRank": "0xFF2000",
        "MatchingDeviceId": "USB\\COMPOSITE",
        "OutrankedDrivers": "",
        "DeviceUpdated": False,
        "Status": HexInt32(0),
        "ParentDeviceInstanceId": "USB\\ROOT_HUB30\\4&2f1a3c5e&0&0",
    }
    keyboard = {
        **composite,
        "DeviceInstanceId": "HID\\VID_1D6B&PID_0104&MI_00\\7&1b2c3d4e&0&0000",
        "DriverName": "keyboard.inf",
        "ClassGuid": "{4d36e96b-e325-11ce-bfc1-08002be10318}",
        "DriverSection": "HID_Keyboard_Inst.NT",
        "MatchingDeviceId": "HID_DEVICE_SYSTEM_KEYBOARD",
        "ParentDeviceInstanceId": "USB\\VID_1D6B&PID_0104&MI_00\\6&3a4b5c6d&0&0000",
    }
    disk = {
        **composite,
        "DeviceInstanceId": "USBSTOR\\Disk&Ven_PiKVM&Prod_Mass_Storage&Rev_0510\\CAFEBABE&0",
        "DriverName": "disk.inf",
        "ClassGuid": "{4d36e967-e325-11ce-bfc1-08002be10318}",
        "DriverSection": "disk_install.NT",
        "MatchingDeviceId": "GenDisk",
        "ParentDeviceInstanceId": "USB\\VID_1D6B&PID_0104&MI_02\\6&3a4b5c6d&0&0002",
    }
    return [
        EventSpec(**PNP, event_id=400, task=223, time=at(-300), data=composite),
        EventSpec(
            **PNP,
            event_id=410,
            task=223,
            time=at(-299.6),
            data={
                "DeviceInstanceId": PIKVM,
                "DriverName": "usb.inf",
                "ClassGuid": "{36fc9e60-c465-11cf-8056-444553540000}",
                "ServiceName": "usbccgp",
                "LowerFilters": "",
                "UpperFilters": "",
                "Problem": HexInt32(0),
                "Status": HexInt32(0),
            },
        ),
        EventSpec(**PNP, event_id=400, task=223, time=at(-299.1), data=keyboard),
        EventSpec(**PNP, event_id=400, task=223, time=at(-298.7), data=disk),
    ]


def umdf_events() -> list[EventSpec]:
    phone = "USB\\VID_18D1&PID_4EE1\\0A1B2C3D4E5F"
    lifetime = "{b7e6d5c4-a3b2-4c1d-9e8f-7a6b5c4d3e2f}"
    namespace = "http://www.microsoft.com/DriverFrameworks/UserMode/Event"
    return [
        EventSpec(
            **UMDF,
            event_id=2003,
            task=33,
            opcode=1,
            time=at(3600),
            user_data=UserData(
                "UMDFHostDeviceArrivalBegin",
                {"InstanceId": phone},
                namespace=namespace,
                attributes={"lifetime": lifetime},
            ),
        ),
        EventSpec(
            **UMDF,
            event_id=2100,
            task=37,
            opcode=1,
            time=at(3600.4),
            user_data=UserData(
                "UMDFHostDeviceRequest",
                {
                    "Request": UserData("Request", attributes={"major": "27", "minor": "20"}),
                    "Argument1": "0x0",
                    "Argument2": "0x0",
                    "Argument3": "0x0",
                    "Argument4": "0x0",
                    "Status": "0",
                },
                namespace=namespace,
                attributes={"lifetime": lifetime, "instance": phone},
            ),
        ),
    ]


def many_logons(count: int) -> Iterator[EventSpec]:
    for i in range(count):
        yield EventSpec(
            **SECURITY,
            event_id=4624,
            version=2,
            task=12544,
            keywords=0x8020000000000000,
            time=at(60 * i),
            data=logon_data(f"198.51.100.{10 + i % 200}", str(50000 + i), 10 if i % 2 else 3),
        )


def powershell_export() -> str:
    """``Get-WinEvent … | ConvertTo-Json`` as Windows PowerShell 5.1 prints it."""

    def date(when: datetime) -> str:
        return f"/Date({int(when.timestamp() * 1000)})/"

    def record(
        event_id: int, log: str, provider: str, when: datetime, values: list[Any], **more: Any
    ) -> dict[str, Any]:
        return {
            "Id": event_id,
            "Version": more.get("version", 0),
            "Qualifiers": None,
            "Level": more.get("level", 4),
            "Task": more.get("task", 0),
            "Opcode": 0,
            "Keywords": more.get("keywords", -9223372036854775808),
            "RecordId": more["record_id"],
            "ProviderName": provider,
            "ProviderId": more.get("provider_id"),
            "LogName": log,
            "ProcessId": more.get("pid", 788),
            "ThreadId": 6012,
            "MachineName": HOST,
            "UserId": more.get("user"),
            "TimeCreated": date(when),
            "ActivityId": more.get("activity"),
            "RelatedActivityId": None,
            "ContainerLog": log.lower(),
            "MatchedQueryIds": [],
            "Bookmark": {},
            "LevelDisplayName": "Information",
            "OpcodeDisplayName": "Info",
            "TaskDisplayName": more.get("task_name"),
            "KeywordsDisplayNames": more.get("keyword_names", []),
            "Properties": [{"Value": v} for v in values],
            "Message": more.get("message"),
        }

    system_sid = {"BinaryLength": 12, "AccountDomainSid": None, "Value": "S-1-5-18"}
    # At ConvertTo-Json's default depth (2) the property values are one level too deep
    # to be expanded: a SID becomes its text, a GUID its text, numbers stay numbers.
    logon_values = [
        str(v.value).strip("{}") if isinstance(v, Guid) else getattr(v, "value", v)
        for v in logon_data(OPERATOR_IP, "50211", 10).values()
    ]
    records = [
        record(
            4624,
            "Security",
            "Microsoft-Windows-Security-Auditing",
            at(-10),
            logon_values,
            version=2,
            level=0,
            task=12544,
            keywords=-9214364837600034816,
            record_id=118337,
            provider_id="54849625-5478-4994-a5ba-3e3b0328c30d",
            task_name="Logon",
            keyword_names=["Audit Success"],
            message="An account was successfully logged on.\r\n\r\nSubject:\r\n\t...",
        ),
        record(
            1149,
            "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
            "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
            at(-11),
            ["mkovacs", "CORP", OPERATOR_IP],
            record_id=2291,
            pid=1196,
            user={"BinaryLength": 12, "AccountDomainSid": None, "Value": "S-1-5-20"},
            activity="f4e2a1b0-3c5d-4e6f-8a9b-0c1d2e3f4a5b",
            message=(
                "Remote Desktop Services: User authentication succeeded:\r\n\r\n"
                f"User: mkovacs\r\nDomain: CORP\r\nSource Network Address: {OPERATOR_IP}"
            ),
        ),
        record(
            104,
            "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
            "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
            at(-11.5),
            ["[9]"],
            record_id=40211,
            pid=1196,
            task=4,
            user={"BinaryLength": 12, "AccountDomainSid": None, "Value": "S-1-5-20"},
            activity="f4e2a1b0-3c5d-4e6f-8a9b-0c1d2e3f4a5b",
        ),
        record(
            400,
            "Microsoft-Windows-Kernel-PnP/Configuration",
            "Microsoft-Windows-Kernel-PnP",
            at(-300),
            [
                PIKVM,
                "usb.inf",
                "36fc9e60-c465-11cf-8056-444553540000",
                "/Date(1150848000000)/",
                "10.0.22621.2506",
                "Microsoft",
                True,
                "Composite.Dev.NT",
                16719872,
                "USB\\COMPOSITE",
                "",
                False,
                0,
                "USB\\ROOT_HUB30\\4&2f1a3c5e&0&0",
            ],
            record_id=877,
            pid=4,
            task=223,
            user=system_sid,
            message=f"Device {PIKVM} was configured.\r\n\r\nDriver Name: usb.inf",
        ),
        record(
            7045,
            "System",
            "Service Control Manager",
            at(-200),
            ["AnyDesk Service", "C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe --service"],
            record_id=5120,
            pid=764,
            message="A service was installed in the system.",
        ),
    ]
    text = json.dumps(records, indent=4, ensure_ascii=False)
    # Windows PowerShell 5.1 writes two spaces after each colon and CRLF line ends.
    return text.replace('": ', '":  ').replace("\n", "\r\n")


def evtx_bytes(events: Iterable[EventSpec], **options: Any) -> tuple[bytes, EvtxLayout]:
    out = io.BytesIO()
    layout = write_evtx(out, events, **options)
    return out.getvalue(), layout


def corrupt_chunk_file() -> bytes:
    """Three chunks of logons; 64 bytes in the middle of the second are scrambled."""
    data, layout = evtx_bytes(many_logons(60), max_records_per_chunk=20)
    scrambled = bytearray(data)
    second = layout.chunks[1].offset + 9000
    for i in range(64):
        scrambled[second + i] ^= 0x5A
    return bytes(scrambled)


def truncated_file() -> bytes:
    """Two chunks of logons, copied while only 12 KiB of the second chunk had arrived."""
    data, _ = evtx_bytes(many_logons(40), max_records_per_chunk=20)
    return data[: FILE_HEADER_SIZE + CHUNK_SIZE + 12 * 1024]


def evtx_dump_outputs(files: dict[str, bytes]) -> tuple[str, str]:
    """What the evtx tool prints for some of the EVTX samples: ``evtx_dump -o jsonl``
    (one record a line) and ``evtx_dump`` (a ``Record N`` line, then indented JSON)."""
    from evtx import PyEvtxParser

    lines: list[str] = []
    for name in ("RemoteConnectionManager.evtx", "RdpCoreTS.evtx", "Kernel-PnP-Configuration.evtx"):
        for record in PyEvtxParser(io.BytesIO(files[name])).records_json():
            lines.append(json.dumps(json.loads(record["data"]), ensure_ascii=False))
    blocks: list[str] = []
    for record in PyEvtxParser(io.BytesIO(files["Security.evtx"])).records_json():
        text = json.dumps(json.loads(record["data"]), indent=2, ensure_ascii=False)
        blocks.append(f"Record {record['event_record_id']}\n{text}")
    return "\n".join(lines) + "\n", "\n".join(blocks) + "\n"


def sample_files() -> dict[str, bytes]:
    """The generated samples by file name (the JSON samples are written by hand)."""
    files = {
        "Sysmon.evtx": evtx_bytes(sysmon_events(), first_record_id=48211)[0],
        "Security.evtx": evtx_bytes(security_events(), first_record_id=118330)[0],
        "RemoteConnectionManager.evtx": evtx_bytes(rcm_events(), first_record_id=2290)[0],
        "RdpCoreTS.evtx": evtx_bytes(core_events(), first_record_id=40210)[0],
        "Kernel-PnP-Configuration.evtx": evtx_bytes(pnp_events(), first_record_id=870)[0],
        "DriverFrameworks-UserMode.evtx": evtx_bytes(umdf_events(), first_record_id=15)[0],
        "corrupt_chunk.evtx.gz": gzip.compress(corrupt_chunk_file(), mtime=0),
        "truncated.evtx": truncated_file(),
        "powershell_get_winevent.json": b"\xff\xfe" + powershell_export().encode("utf-16-le"),
    }
    jsonl, records = evtx_dump_outputs(files)
    files["evtx_dump.jsonl"] = jsonl.encode("utf-8")
    files["evtx_dump_records.txt"] = records.encode("utf-8")
    return files


def example_files() -> dict[str, bytes]:
    samples = sample_files()
    return {name: samples[name] for name in ("Security.evtx", "Sysmon.evtx", "RdpCoreTS.evtx")}


def write_all() -> None:
    SAMPLES.mkdir(exist_ok=True)
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    for name, data in sample_files().items():
        (SAMPLES / name).write_bytes(data)
    for name, data in example_files().items():
        (EXAMPLES / name).write_bytes(data)


if __name__ == "__main__":
    write_all()
