"""Windows event logs of the Windows laptops: Sysmon, Security, RdpCoreTS, Kernel-PnP.

Rendered as Winlogbeat would ship them (one JSON document per line, per day), or with
``evtx=True`` as ``.evtx`` files per laptop and day written by farmhunt's EVTX writer
(``wevtutil epl`` collections). Both carry the same events.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from farmhunt.simulate.activities import (
    Activity,
    DnsLookup,
    InventorySnapshot,
    Logon,
    NetConnect,
    ProcessStart,
    RdpSession,
)
from farmhunt.simulate.company import Company, Worker
from farmhunt.simulate.writers import Writer, iso_ms, uid, uid_int

DOMAIN_NETBIOS = "NWL"
CHANNELS = {
    "sysmon": (
        "Microsoft-Windows-Sysmon/Operational",
        "Microsoft-Windows-Sysmon",
        "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}",
    ),
    "security": (
        "Security",
        "Microsoft-Windows-Security-Auditing",
        "{54849625-5478-4994-a5ba-3e3b0328c30d}",
    ),
    "rdpcore": (
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
        "{1139c61b-b549-4251-8ed3-27250a1edec8}",
    ),
    "pnp": (
        "Microsoft-Windows-Kernel-PnP/Configuration",
        "Microsoft-Windows-Kernel-PnP",
        "{9c205a39-1250-487d-abd7-e831c6290539}",
    ),
}


def _guid(*parts: object) -> str:
    h = uid("guid", *parts, length=32)
    return "{" + f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}" + "}"


def _sysmon_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}"


class WindowsWriter(Writer):
    def __init__(self, company: Company, out: Path, evtx: bool = False) -> None:
        super().__init__(company, out)
        self.evtx = evtx
        self.pending: dict[tuple[str, str], list[Any]] = {}
        self.records: dict[str, int] = {}
        self.kvm_seen: set[str] = set()

    def begin_day(self, day: date, part: str = "") -> None:
        self.day, self.part = day, part

    def _worker(self, activity: Activity) -> Worker | None:
        worker = self.company.worker(activity.worker_id)
        return worker if worker.device.os == "windows" and worker.role != "lone" else None

    def write(self, activity: Activity) -> None:
        worker = self._worker(activity)
        if worker is None:
            return
        for kind, event_id, data in self._events(worker, activity):
            self._emit(worker, activity.time, kind, event_id, data)

    def _events(self, w: Worker, a: Activity) -> list[tuple[str, int, dict[str, Any]]]:
        if isinstance(a, ProcessStart):
            return [
                (
                    "sysmon",
                    1,
                    {
                        "RuleName": "-",
                        "UtcTime": _sysmon_time(a.time),
                        "ProcessGuid": _guid(w.worker_id, a.pid, a.time),
                        "ProcessId": str(a.pid),
                        "Image": a.image,
                        "FileVersion": "-",
                        "Description": a.product,
                        "Product": a.product,
                        "Company": a.company,
                        "OriginalFileName": a.original_name,
                        "CommandLine": a.cmdline,
                        "CurrentDirectory": f"C:\\Users\\{w.username}\\",
                        "User": f"{DOMAIN_NETBIOS}\\{w.username}",
                        "LogonGuid": _guid(w.worker_id, "logon", self.day),
                        "LogonId": hex(0x2F4A000 + uid_int(w.worker_id, self.day, digits=4)),
                        "TerminalSessionId": "1",
                        "IntegrityLevel": "Medium",
                        "Hashes": f"SHA256={a.sha256}",
                        "ParentProcessGuid": _guid(w.worker_id, a.parent_pid),
                        "ParentProcessId": str(a.parent_pid),
                        "ParentImage": a.parent_image,
                        "ParentCommandLine": a.parent_image,
                        "ParentUser": f"{DOMAIN_NETBIOS}\\{w.username}",
                    },
                )
            ]
        if isinstance(a, NetConnect):
            return [
                (
                    "sysmon",
                    3,
                    {
                        "RuleName": "-",
                        "UtcTime": _sysmon_time(a.time),
                        "ProcessGuid": _guid(w.worker_id, a.pid, "net"),
                        "ProcessId": str(a.pid),
                        "Image": a.image,
                        "User": f"{DOMAIN_NETBIOS}\\{w.username}",
                        "Protocol": a.protocol,
                        "Initiated": "true",
                        "SourceIsIpv6": "false",
                        "SourceIp": a.src_ip,
                        "SourceHostname": w.device.hostname,
                        "SourcePort": str(a.src_port),
                        "SourcePortName": "-",
                        "DestinationIsIpv6": "false",
                        "DestinationIp": a.dst_ip,
                        "DestinationHostname": a.dst_host,
                        "DestinationPort": str(a.dst_port),
                        "DestinationPortName": "https" if a.dst_port == 443 else "-",
                    },
                )
            ]
        if isinstance(a, DnsLookup):
            answers = "".join(f"::ffff:{ip};" for ip in a.answers)
            return [
                (
                    "sysmon",
                    22,
                    {
                        "RuleName": "-",
                        "UtcTime": _sysmon_time(a.time),
                        "ProcessGuid": _guid(w.worker_id, a.pid, "dns"),
                        "ProcessId": str(a.pid),
                        "QueryName": a.query,
                        "QueryStatus": "0",
                        "QueryResults": answers,
                        "Image": a.image,
                        "User": f"{DOMAIN_NETBIOS}\\{w.username}",
                    },
                )
            ]
        if isinstance(a, Logon):
            return [
                (
                    "security",
                    4624,
                    {
                        "SubjectUserSid": "S-1-5-18",
                        "SubjectUserName": f"{w.device.hostname}$",
                        "SubjectDomainName": DOMAIN_NETBIOS,
                        "SubjectLogonId": "0x3e7",
                        "TargetUserSid": _sid(w),
                        "TargetUserName": a.user,
                        "TargetDomainName": DOMAIN_NETBIOS,
                        "TargetLogonId": hex(0x2F4A000 + uid_int(w.worker_id, a.time, digits=4)),
                        "LogonType": str(a.logon_type),
                        "LogonProcessName": "User32 "
                        if a.logon_type in (2, 10, 11)
                        else "NtLmSsp ",
                        "AuthenticationPackageName": "Negotiate",
                        "WorkstationName": a.src_host if a.logon_type == 10 else w.device.hostname,
                        "LogonGuid": _guid(w.worker_id, "lg", a.time),
                        "TransmittedServices": "-",
                        "LmPackageName": "-",
                        "KeyLength": "0",
                        "ProcessId": "0x3c8",
                        "ProcessName": "C:\\Windows\\System32\\svchost.exe",
                        "IpAddress": a.src_ip,
                        "IpPort": "0" if a.src_ip == "127.0.0.1" else "50211",
                        "ImpersonationLevel": "%%1833",
                        "RestrictedAdminMode": "-",
                        "VirtualAccount": "%%1843",
                        "ElevatedToken": "%%1842",
                    },
                )
            ]
        if isinstance(a, RdpSession):
            hours = a.client_utc_offset_minutes // 60
            return [
                ("rdpcore", 131, {"ConnType": "TCP", "ClientIP": f"{a.client_ip}:50122"}),
                ("rdpcore", 104, {"TimezoneBiasHour": f"[{hours}]"}),
                (
                    "security",
                    4778,
                    {
                        "AccountName": a.user,
                        "AccountDomain": DOMAIN_NETBIOS,
                        "LogonID": hex(0x2F4A000 + uid_int(w.worker_id, a.time, digits=4)),
                        "SessionName": "RDP-Tcp#0",
                        "ClientName": a.client_name,
                        "ClientAddress": a.client_ip,
                    },
                ),
            ]
        if isinstance(a, InventorySnapshot):
            out = []
            for usb in a.usb:
                instance = f"USB\\VID_{usb.vendor_id.upper()}&PID_{usb.product_id.upper()}"
                key = f"{w.worker_id}:{instance}"
                if usb.usb_class != "hid" or key in self.kvm_seen:
                    continue
                self.kvm_seen.add(key)
                out.append(
                    (
                        "pnp",
                        400,
                        {
                            "DeviceInstanceId": f"{instance}\\{usb.serial or '5&2b3c4d5e&0&2'}",
                            "DriverName": "usb.inf",
                            "ClassGuid": "{36fc9e60-c465-11cf-8056-444553540000}",
                            "DriverDate": "6/21/2006",
                            "DriverVersion": "10.0.22621.2506",
                            "DriverProvider": "Microsoft",
                            "DriverInbox": "true",
                            "DriverSection": "Composite.Dev.NT",
                            "DriverRank": "0xFF2000",
                            "MatchingDeviceId": "USB\\COMPOSITE",
                            "OutrankedDrivers": "",
                            "DeviceUpdated": "false",
                            "Status": "0x0",
                            "ParentDeviceInstanceId": "USB\\ROOT_HUB30\\4&2f1a3c5e&0&0",
                        },
                    )
                )
            return out
        return []

    def _emit(
        self, w: Worker, when: datetime, kind: str, event_id: int, data: dict[str, Any]
    ) -> None:
        channel, provider, guid = CHANNELS[kind]
        host = f"{w.device.hostname}.corp.northwind-labs.com"
        record_key = f"{w.worker_id}:{kind}"
        record = self.records.get(record_key, 1000) + 1
        self.records[record_key] = record
        self.count += 1
        if self.evtx:
            from farmhunt.simulate.writers.evtx import EventSpec

            self.pending.setdefault((w.device.hostname, kind), []).append(
                EventSpec(
                    channel=channel,
                    event_id=event_id,
                    time=when,
                    computer=host,
                    provider=provider,
                    provider_guid=guid,
                    data=data,
                    record_id=record,
                )
            )
            return
        document = {
            "@timestamp": iso_ms(when),
            "agent": {
                "name": w.device.hostname,
                "type": "winlogbeat",
                "version": "8.13.2",
                "id": _guid("agent", w.worker_id).strip("{}"),
            },
            "ecs": {"version": "8.0.0"},
            "event": {"code": str(event_id), "kind": "event", "provider": provider},
            "host": {
                "name": host,
                "hostname": w.device.hostname,
                "os": {"family": "windows", "platform": "windows", "build": "22631.4460"},
            },
            "winlog": {
                "api": "wineventlog",
                "channel": channel,
                "computer_name": host,
                "event_id": str(event_id),
                "provider_name": provider,
                "provider_guid": guid,
                "record_id": record,
                "event_data": data,
            },
        }
        self.file(f"windows/winlogbeat-{self.day.isoformat()}{self.part}.ndjson").write(
            json.dumps(document, separators=(",", ":")) + "\n"
        )

    def end_day(self, day: date, part: str = "") -> None:
        if not self.evtx:
            return
        from farmhunt.simulate.writers.evtx import write_evtx

        names = {
            "sysmon": "Sysmon",
            "security": "Security",
            "rdpcore": "RdpCoreTS",
            "pnp": "Kernel-PnP",
        }
        for (host, kind), events in sorted(self.pending.items()):
            path = self.out / "windows" / host / day.isoformat() / f"{names[kind]}.evtx"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_evtx(path, sorted(events, key=lambda e: e.time))
        self.pending.clear()


def _sid(w: Worker) -> str:
    return f"S-1-5-21-3623811015-3361044348-30300820-{1000 + uid_int(w.worker_id, digits=4)}"
