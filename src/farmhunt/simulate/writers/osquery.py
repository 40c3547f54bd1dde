"""osquery results logs, one file per device, as the filesystem logger writes snapshots
of the scheduled queries in ``packs/farmhunt.conf``."""

from __future__ import annotations

import json
from datetime import datetime

from farmhunt.simulate.activities import Activity, InventorySnapshot
from farmhunt.simulate.company import Worker
from farmhunt.simulate.writers import Writer, uid, uid_int

PACK = "pack_farmhunt_"
OS_VERSION = {
    "windows": {
        "name": "Microsoft Windows 11 Enterprise",
        "version": "10.0.22631",
        "major": "10",
        "minor": "0",
        "patch": "",
        "build": "22631",
        "platform": "windows",
        "arch": "64-bit",
    },
    "macos": {
        "name": "macOS",
        "version": "15.1.1",
        "major": "15",
        "minor": "1",
        "patch": "1",
        "build": "24B91",
        "platform": "darwin",
        "arch": "arm64",
    },
    "linux": {
        "name": "Ubuntu",
        "version": "24.04.1 LTS (Noble Numbat)",
        "major": "24",
        "minor": "4",
        "patch": "0",
        "build": "",
        "platform": "ubuntu",
        "arch": "x86_64",
    },
}


def _calendar(when: datetime) -> str:
    return when.strftime("%a %b ") + f"{when.day:2d}" + when.strftime(" %H:%M:%S %Y UTC")


class OsqueryWriter(Writer):
    def start(self) -> None:
        self.described: set[str] = set()
        """Devices whose system_info/os_version were written (then weekly)."""

    def write(self, activity: Activity) -> None:
        if not isinstance(activity, InventorySnapshot):
            return
        worker = self.company.worker(activity.worker_id)
        if worker.role == "lone":
            return
        handle = self.file(f"osquery/{worker.device.hostname}/osqueryd.snapshots.log")
        for offset, (query, rows) in enumerate(self._queries(worker, activity)):
            when = activity.time.timestamp() + offset
            line = {
                "name": PACK + query,
                "hostIdentifier": worker.device.host_uuid,
                "calendarTime": _calendar(datetime.fromtimestamp(when, activity.time.tzinfo)),
                "unixTime": int(when),
                "epoch": 0,
                "counter": 1,
                "numerics": False,
                "decorations": {
                    "host_uuid": worker.device.host_uuid,
                    "hostname": worker.device.hostname,
                    "username": worker.username,
                },
                "snapshot": rows,
                "action": "snapshot",
            }
            handle.write(json.dumps(line, separators=(",", ":")) + "\n")
            self.count += len(rows)

    def _queries(
        self, worker: Worker, s: InventorySnapshot
    ) -> list[tuple[str, list[dict[str, str]]]]:
        os_name = worker.device.os
        day = int(s.time.timestamp() // 86400)
        out: list[tuple[str, list[dict[str, str]]]] = []
        if day % 7 == 0 or worker.worker_id not in self.described:
            self.described.add(worker.worker_id)
            out.append(
                (
                    "system_info",
                    [
                        {
                            "hostname": worker.device.hostname,
                            "uuid": worker.device.host_uuid,
                            "cpu_brand": "Apple M2 Pro"
                            if os_name == "macos"
                            else "Intel(R) Core(TM) i7-1365U",
                            "physical_memory": "34359738368",
                            "hardware_vendor": "Apple Inc." if os_name == "macos" else "Dell Inc.",
                            "hardware_model": "Mac14,10" if os_name == "macos" else "Latitude 7440",
                            "hardware_serial": worker.device.serial,
                            "board_serial": "",
                            "computer_name": worker.device.hostname,
                        }
                    ],
                )
            )
            out.append(("os_version", [OS_VERSION[os_name]]))
        out.append(
            (
                "processes",
                [
                    {
                        "pid": str(pid),
                        "name": name,
                        "path": path,
                        "cmdline": f'"{path}"',
                        "cwd": "",
                        "uid": "1000",
                        "username": worker.username,
                        "parent": "1",
                        "start_time": str(int(s.time.timestamp()) - 60),
                        "on_disk": "1",
                    }
                    for pid, name, path in s.processes
                ],
            )
        )
        if os_name == "windows":
            out.append(
                (
                    "programs",
                    [
                        {
                            "name": n,
                            "version": v,
                            "publisher": p,
                            "install_location": "",
                            "install_date": "20250915",
                            "identifying_number": "{"
                            + f"{uid_int('prod', n, digits=8):08d}-0000-0000-0000-000000000000"
                            + "}",
                        }
                        for n, v, p in s.software
                    ],
                )
            )
        elif os_name == "macos":
            out.append(
                (
                    "apps",
                    [
                        {
                            "name": f"{n}.app",
                            "path": f"/Applications/{n}.app",
                            "bundle_identifier": "com."
                            + p.split()[0].lower().strip(".,")
                            + "."
                            + n.lower().replace(" ", ""),
                            "bundle_short_version": v,
                            "bundle_version": v,
                            "bundle_executable": n,
                        }
                        for n, v, p in s.software
                    ],
                )
            )
        else:
            out.append(
                (
                    "deb_packages",
                    [
                        {
                            "name": n.lower().replace(" ", "-"),
                            "version": v,
                            "source": "",
                            "arch": "amd64",
                            "revision": "1",
                            "maintainer": p,
                            "status": "install ok installed",
                        }
                        for n, v, p in s.software
                    ],
                )
            )
        out.append(
            (
                "usb_devices",
                [
                    {
                        "vendor": u.vendor,
                        "vendor_id": u.vendor_id,
                        "model": u.model,
                        "model_id": u.product_id,
                        "serial": u.serial,
                        "class": "3" if u.usb_class == "hid" else "0",
                        "subclass": "0",
                        "protocol": "",
                        "version": "1.0",
                        "removable": "1",
                        "usb_address": str(index + 2),
                        "usb_port": str(index + 1),
                    }
                    for index, u in enumerate(s.usb)
                ],
            )
        )
        if os_name == "macos":
            out.append(
                (
                    "connected_displays",
                    [
                        {
                            "name": d.name,
                            "vendor_id": d.vendor_id,
                            "product_id": d.product_id,
                            "serial_number": d.serial,
                            "manufactured_week": "0",
                            "manufactured_year": "2023",
                            "display_id": "2",
                            "connection_type": "HDMI",
                            "display_type": "External",
                            "main": "0",
                            "online": "1",
                            "resolution": "1920 x 1080",
                        }
                        for d in s.displays
                    ],
                )
            )
        out.append(
            (
                "listening_ports",
                [
                    {
                        "pid": "0",
                        "port": str(port),
                        "protocol": "6" if proto == "tcp" else "17",
                        "family": "2",
                        "address": "0.0.0.0",
                        "name": name,
                        "path": "",
                        "cmdline": "",
                    }
                    for port, proto, name in s.listening
                ],
            )
        )
        out.append(
            (
                "logged_in_users",
                [
                    {
                        "type": kind,
                        "user": user,
                        "tty": "console",
                        "host": host,
                        "time": str(int(s.time.timestamp()) - 3600),
                        "pid": "0",
                    }
                    for user, kind, host in s.logged_in
                ],
            )
        )
        out.extend(self._network_and_ids(worker, s))
        admin_query = "local_admins_windows" if os_name == "windows" else "local_admins_posix"
        group = (
            "Administrators" if os_name == "windows" else "admin" if os_name == "macos" else "sudo"
        )
        out.append(
            (
                admin_query,
                [
                    {
                        "uid": str(500 + i),
                        "username": name,
                        "gid": "544" if os_name == "windows" else "80",
                        "groupname": group,
                        **(
                            {"uuid": "", "group_sid": "S-1-5-32-544"}
                            if os_name == "windows"
                            else {}
                        ),
                    }
                    for i, name in enumerate(s.admins)
                ],
            )
        )
        return [(q, rows) for q, rows in out if rows]

    def _network_and_ids(
        self, worker: Worker, s: InventorySnapshot
    ) -> list[tuple[str, list[dict[str, str]]]]:
        """Where the laptop is on the network (a Mac's Wi-Fi; a Windows laptop's
        NetworkList signature with its gateway's MAC) and its TeamViewer ClientID."""
        lan, out = worker.lan, []
        if lan is not None and worker.device.os == "macos" and not worker.wired:
            out.append(("wifi_status", [_wifi_row(lan.ssid, lan.bssid)]))
        registry: list[dict[str, str]] = []
        mtime = str(_epoch(s))
        if lan is not None and worker.device.os == "windows":
            key = NETWORK_SIGNATURES + (uid("sig", lan.gateway_mac, length=32) * 2).upper()
            first = "Network" if worker.wired else lan.ssid
            registry += [
                _registry_row(key, "FirstNetwork", "REG_SZ", first, mtime),
                _registry_row(
                    key,
                    "DefaultGatewayMac",
                    "REG_BINARY",
                    lan.gateway_mac.replace(":", "").upper(),
                    mtime,
                ),
            ]
        if worker.teamviewer_id and worker.device.os == "windows":
            registry.append(
                _registry_row(TEAMVIEWER_KEY, "ClientID", "REG_DWORD", worker.teamviewer_id, mtime)
            )
        if registry:
            out.append(("network_and_remote_ids", registry))
        return out


NETWORK_SIGNATURES = (
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\NetworkList"
    "\\Signatures\\Unmanaged\\"
)
TEAMVIEWER_KEY = "HKEY_LOCAL_MACHINE\\SOFTWARE\\TeamViewer"


def _epoch(s: InventorySnapshot) -> int:
    return int(s.time.timestamp()) - 86400


def _registry_row(key: str, name: str, kind: str, data: str, mtime: str) -> dict[str, str]:
    """A row of osquery's ``registry`` table (REG_DWORD data in decimal, REG_BINARY in hex)."""
    return {
        "key": key,
        "path": f"{key}\\{name}",
        "name": name,
        "type": kind,
        "data": data,
        "mtime": mtime,
    }


def _wifi_row(ssid: str, bssid: str) -> dict[str, str]:
    """A row of osquery's macOS ``wifi_status`` table."""
    return {
        "interface": "en0",
        "ssid": ssid.encode().hex(),
        "bssid": bssid,
        "network_name": ssid,
        "country_code": "US",
        "security_type": "WPA2 Personal",
        "rssi": "-52",
        "noise": "-94",
        "channel": "149",
        "channel_width": "80",
        "channel_band": "5",
        "transmit_rate": "866",
        "mode": "Station",
    }
