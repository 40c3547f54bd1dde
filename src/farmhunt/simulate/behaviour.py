"""What each worker does each day, as activities in UTC.

Honest workers keep their claimed zone's office hours (with weekends, holidays, days
off, travel, a night shift or a conference where the config says so). Fraudulent
workers keep the operators' hours (UTC+8/+9/+10) on most days and the claimed zone's on
the rest, sign in from the farm's residential address or VPN exits, and their laptops
show the remote-access tool or IP-KVM that drives them; exfiltration comes late in the
period. Every random choice is seeded by (seed, worker, day), so a day's activities do
not depend on how many other workers or days are simulated.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from farmhunt.reference import ipkvm_devices
from farmhunt.simulate import world
from farmhunt.simulate.activities import (
    Activity,
    DisplayAttach,
    DnsLookup,
    DriveEvent,
    GitEvent,
    InventorySnapshot,
    Logon,
    Net,
    NetConnect,
    ProcessStart,
    RdpSession,
    SignIn,
    TlsSession,
    UsbAttach,
)
from farmhunt.simulate.company import Company, Worker, stable_rng

UTC = ZoneInfo("UTC")
OFFICE_DAY_SHARE = 0.5
"""Chance that an office member goes in on a weekday (hybrid work: two or three days)."""
HOLIDAYS = {
    "US": {(11, 27), (11, 28), (12, 25), (1, 1), (7, 4), (9, 1)},
    "CA": {(12, 25), (12, 26), (1, 1), (7, 1), (10, 13)},
    "GB": {(12, 25), (12, 26), (1, 1), (8, 25)},
    "IN": {(10, 20), (11, 5), (1, 26), (8, 15)},
}
APPS = [
    "Slack",
    "Google Workspace",
    "GitHub",
    "Atlassian Cloud",
    "AWS IAM Identity Center",
    "Zoom",
    "Salesforce",
    "Workday",
]
USER_AGENTS = {
    "windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "macos": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "linux": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "ios": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
}
RDP_CLIENTS = ["DESKTOP-8K2J1QF", "DESKTOP-Q7PL0AM", "WIN-3RB5T0KX2C", "USER-PC"]
DOCS = [
    "Q4 roadmap",
    "Architecture overview",
    "On-call runbook",
    "Customer list 2025",
    "Pricing model",
    "Security review",
    "Interview loop notes",
    "Payroll calendar",
    "Design spec: billing v2",
    "Incident postmortem 2025-10",
    "API keys rotation plan",
    "Board deck draft",
    "Sales pipeline",
    "Hiring plan",
    "Vendor contracts",
]


@dataclass(frozen=True)
class Software:
    kind: str
    name: str
    version: str
    publisher: str
    windows_image: str
    mac_image: str
    domains: tuple[str, ...]


@cache
def software() -> dict[str, Software]:
    text = resources.files("farmhunt.simulate.data").joinpath("software.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        r["name"]: Software(
            r["kind"],
            r["name"],
            r["version"],
            r["publisher"],
            r["windows_image"],
            r["mac_image"],
            tuple(d for d in r["domains"].split(";") if d),
        )
        for r in rows
    }


def _of_kind(kind: str) -> list[Software]:
    return [s for s in software().values() if s.kind == kind]


TOOL_SOFTWARE = {
    "AnyDesk": "AnyDesk",
    "TeamViewer": "TeamViewer",
    "RustDesk": "RustDesk",
    "Chrome Remote Desktop": "Chrome Remote Desktop",
    "Splashtop": "Splashtop Streamer",
}


def _image(sw: Software, worker: Worker) -> str:
    path = sw.mac_image if worker.device.os == "macos" else sw.windows_image
    if worker.device.os == "linux":
        path = "/usr/bin/" + sw.name.lower().replace(" ", "-")
    return path.replace("{user}", worker.username.split(".")[0])


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _ip_for(domain: str) -> str:
    """A stable public address for a domain (documentation ranges are avoided on purpose:
    these stand for real services)."""
    digest = hashlib.blake2b(domain.encode(), digest_size=4).digest()
    first = [13, 20, 34, 35, 52, 104, 142, 151, 162, 172][digest[0] % 10]
    return f"{first}.{digest[1]}.{digest[2]}.{max(digest[3], 1)}"


class DayPlanner:
    """Activities of one worker on one day."""

    def __init__(self, company: Company, worker: Worker, day: date) -> None:
        self.company, self.worker, self.day = company, worker, day
        self.config = company.config
        self.rng: random.Random = stable_rng("day", self.config.seed, worker.worker_id, day)
        self.out: list[Activity] = []
        self.farm = next((f for f in company.farms if f.farm_id == worker.farm_id), None)
        self.pid = self.rng.randint(1200, 9000)
        # drawn from a generator of its own, so that opening the office leaves every
        # other draw of the day as it was
        self.at_office = self._office_day()
        self.tool_today = False
        """Whether the farm's remote-access tool runs today (set by :meth:`_fraud`)."""
        self.snapshot: int | None = None
        """Index in ``out`` of the morning's inventory snapshot, if one was taken."""
        self.on_vpn = False

    def _office_day(self) -> bool:
        """Whether the worker goes into the office today: office members on some weekdays,
        unless travelling or at the conference."""
        office, worker, day = self.company.office, self.worker, self.day
        if office is None or worker.worker_id not in office.members or day.weekday() >= 5:
            return False
        if "traveller" in worker.traits and day.toordinal() % 5 in (1, 2):
            return False
        conference = self.company.conference
        if (
            "conference" in worker.traits
            and conference
            and day in (conference[0], conference[0] + timedelta(days=1))
        ):
            return False
        draw = stable_rng("office", self.config.seed, worker.worker_id, day).random()
        return draw < OFFICE_DAY_SHARE

    # -- time --------------------------------------------------------------------
    def _drift(self) -> float:
        """How far a lone impostor's day has slid from the claimed zone's hours toward
        the operators' (0 none, 1 all the way): it grows through the period, faster and
        further the less careful the impostor (``operator_hours_share``)."""
        days = max(self.config.days - 1, 1)
        progress = min(max((self.day - self.config.start).days / days, 0.0), 1.0)
        return min(1.0, progress * 2 * self.config.intensity.operator_hours_share)

    def _drifting_start(self) -> tuple[datetime, float]:
        """A lone impostor's start of day: the claimed zone's start moved by the drift
        toward 09:00 in the operators' zone (by the shorter way round the clock)."""
        worker, rng = self.worker, self.rng
        claimed = datetime(
            self.day.year, self.day.month, self.day.day, tzinfo=ZoneInfo(worker.timezone)
        )
        begin = claimed + timedelta(hours=worker.start_hour)
        operator = datetime(
            self.day.year,
            self.day.month,
            self.day.day,
            9,
            tzinfo=ZoneInfo(worker.operator_tz or "Asia/Shanghai"),
        )
        gap = ((operator - begin).total_seconds() / 3600 + 12) % 24 - 12
        drift = self._drift()
        self.at_operator_hours = drift >= 0.5
        start = begin + timedelta(hours=drift * gap + rng.uniform(-0.4, 0.4))
        return start, 0.08 + drift * (0.4 - 0.08)

    def _sessions(self) -> list[tuple[datetime, datetime]]:
        worker, rng, intensity = self.worker, self.rng, self.config.intensity
        if worker.role == "lone" and worker.operator_tz:
            return self._lone_sessions()
        if (
            worker.fraudulent
            and worker.operator_tz
            and rng.random() < intensity.operator_hours_share
        ):
            zone, start, weekend_rate = ZoneInfo(worker.operator_tz), rng.uniform(8.5, 10), 0.4
            self.at_operator_hours = True
        else:
            zone, start, weekend_rate = ZoneInfo(worker.timezone), worker.start_hour, 0.08
            self.at_operator_hours = False
        local_day = datetime(self.day.year, self.day.month, self.day.day, tzinfo=zone)
        if local_day.weekday() >= 5 and rng.random() > weekend_rate:
            return []
        if (self.day.month, self.day.day) in HOLIDAYS.get(worker.country, set()) and not (
            worker.fraudulent
        ):
            return []
        if self.day < worker.hire_date or (not worker.fraudulent and rng.random() < 0.04):
            return []
        begin = local_day + timedelta(hours=start + rng.uniform(-0.4, 0.4))
        length = rng.uniform(7.5, 9.5) if not worker.fraudulent else rng.uniform(9, 12)
        lunch = begin + timedelta(hours=rng.uniform(3.5, 4.5))
        back = lunch + timedelta(minutes=rng.randint(30, 60))
        return [
            (begin.astimezone(UTC), lunch.astimezone(UTC)),
            (back.astimezone(UTC), (begin + timedelta(hours=length)).astimezone(UTC)),
        ]

    def _lone_sessions(self) -> list[tuple[datetime, datetime]]:
        """A lone impostor's day, starting where the drift has taken it."""
        rng, worker = self.rng, self.worker
        begin, weekend_rate = self._drifting_start()
        local = begin.astimezone(ZoneInfo(worker.timezone))
        if local.weekday() >= 5 and rng.random() > weekend_rate:
            return []
        if self.day < worker.hire_date:
            return []
        length = rng.uniform(9, 12)
        lunch = begin + timedelta(hours=rng.uniform(3.5, 4.5))
        back = lunch + timedelta(minutes=rng.randint(30, 60))
        return [
            (begin.astimezone(UTC), lunch.astimezone(UTC)),
            (back.astimezone(UTC), (begin + timedelta(hours=length)).astimezone(UTC)),
        ]

    def _moment(self, start: datetime, end: datetime) -> datetime:
        span = max((end - start).total_seconds(), 1)
        return (
            (start + timedelta(seconds=self.rng.uniform(0, span)))
            .astimezone(UTC)
            .replace(microsecond=self.rng.randrange(0, 1000) * 1000)
        )

    # -- networks ----------------------------------------------------------------
    def _net(self) -> Net:
        worker, rng = self.worker, self.rng
        if worker.role == "farm" and self.farm is not None:
            if worker.vpn_exits and rng.random() < self.config.intensity.vpn_login:
                return rng.choice(worker.vpn_exits)
            return self.farm.net
        if worker.role == "lone":
            return rng.choice(worker.vpn_exits)
        if self.at_office and self.company.office is not None:
            return self.company.office.net
        if "conference" in worker.traits and self.company.conference:
            conf_day, venue = self.company.conference
            if self.day in (conf_day, conf_day + timedelta(days=1)):
                return venue
        if "traveller" in worker.traits and self.day.toordinal() % 5 in (1, 2):
            # one trip, one place: the destination and the hotel's network stay the same
            # for every session of the trip
            trip = stable_rng("trip", worker.worker_id, self.day.toordinal() // 5)
            city = world.place_in(trip.choice(["GB", "DE", "JP", "MX"]), trip)
            block = trip.choice(world.blocks_of("residential", city.country))
            return world.net_from(block, city, stable_rng("hotel", worker.worker_id, city.city))
        if "consumer_vpn" in worker.traits and worker.vpn_exits and rng.random() < 0.5:
            return worker.vpn_exits[0]
        if worker.mobile_net is not None and rng.random() < 0.1:
            return worker.mobile_net
        return worker.home_net

    # -- the day -------------------------------------------------------------------
    def plan(self) -> list[Activity]:
        sessions = self._sessions()
        worker = self.worker
        first = sessions[0][0] if sessions else None
        # A lone impostor works from a personal device: the company laptop never checks in.
        managed = worker.role != "lone"
        if first is not None and managed:
            self._inventory(first - timedelta(minutes=self.rng.randint(5, 50)))
        self.on_vpn = False
        for start, end in sessions:
            net = self._net()
            self._sign_in(start, net)
            for _ in range(self.rng.randint(1, 3)):
                self._sign_in(self._moment(start, end), net, sso=True)
            if managed:
                self._endpoint(start, end)
            self._drive(start, end, net)
            if worker.engineer:
                self._git(start, end, net)
        if sessions and worker.fraudulent:
            self._fraud(sessions)
        if sessions and "it_support" in worker.traits:
            self._it_support(sessions[0])
        self.out.sort(key=lambda a: a.time)
        return self.out

    def _sign_in(self, when: datetime, net: Net, sso: bool = False) -> None:
        rng, worker = self.rng, self.worker
        client = "ios" if net.kind == "mobile" else worker.device.os
        success = rng.random() > 0.03
        self.out.append(
            SignIn(
                when,
                worker.worker_id,
                net,
                rng.choice(APPS)
                if sso
                else "Okta Dashboard"
                if worker.idp == "okta"
                else "Microsoft 365",
                success,
                not sso,
                USER_AGENTS[client],
                {"ios": "iOS", "macos": "Mac OS X", "windows": "Windows 10", "linux": "Linux"}[
                    client
                ],
                "" if success else rng.choice(["INVALID_CREDENTIALS", "MFA_TIMEOUT"]),
                f"102{rng.getrandbits(64):016x}",
            )
        )

    def _new_pid(self) -> int:
        self.pid += self.rng.randint(4, 400)
        return self.pid

    def _process(
        self,
        when: datetime,
        sw: Software,
        args: str = "",
        parent: str = "C:\\Windows\\explorer.exe",
    ) -> int:
        worker = self.worker
        image = _image(sw, worker)
        pid = self._new_pid()
        cmd = f'"{image}"' + (f" {args}" if args else "")
        self.out.append(
            ProcessStart(
                when,
                worker.worker_id,
                worker.device.hostname,
                f"NWL\\{worker.username}",
                image,
                cmd,
                pid,
                parent,
                4120,
                sw.publisher,
                sw.name,
                _basename(image),
                hashlib.sha256(image.encode()).hexdigest().upper(),
            )
        )
        return pid

    def _traffic(
        self,
        when: datetime,
        image: str,
        pid: int,
        domain: str,
        port: int = 443,
        on_vpn: bool | None = None,
    ) -> None:
        worker, rng = self.worker, self.rng
        if on_vpn is None:
            on_vpn = self.on_vpn
        dst = _ip_for(domain)
        office = self.company.office
        at_office = self.at_office and office is not None and not on_vpn
        if at_office and office is not None:
            src = f"{office.lan_prefix}.{int(worker.worker_id[1:]) % 250 + 2}"
        else:
            src = worker.device.vpn_ip if on_vpn else worker.device.lan_ip
        self.out.append(
            DnsLookup(
                when,
                worker.worker_id,
                worker.device.hostname,
                image,
                pid,
                src,
                domain,
                (dst,),
                on_vpn,
                at_office,
            )
        )
        sport = rng.randint(49152, 65000)
        later = when + timedelta(milliseconds=rng.randint(20, 300))
        self.out.append(
            NetConnect(
                later,
                worker.worker_id,
                worker.device.hostname,
                image,
                pid,
                src,
                sport,
                dst,
                port,
                domain,
                "tcp",
                rng.randint(2_000, 400_000),
                rng.randint(5_000, 3_000_000),
                round(rng.uniform(0.5, 900), 3),
                on_vpn,
                at_office,
            )
        )
        if port == 443:
            self.out.append(
                TlsSession(
                    later,
                    worker.worker_id,
                    worker.device.hostname,
                    src,
                    sport,
                    dst,
                    port,
                    domain,
                    f"CN={domain}",
                    "CN=R11,O=Let's Encrypt,C=US",
                    on_vpn,
                    at_office,
                )
            )

    def _endpoint(self, start: datetime, end: datetime) -> None:
        worker, rng = self.worker, self.rng
        # at the office the laptop is on the company LAN: no VPN client needed
        self.on_vpn = rng.random() < (0.7 if not worker.fraudulent else 0.5) and not self.at_office
        if worker.device.os == "windows":
            self.out.append(
                Logon(
                    start,
                    worker.worker_id,
                    worker.device.hostname,
                    worker.username,
                    rng.choice([2, 7, 11]),
                    "127.0.0.1",
                    "-",
                )
            )
        apps = _of_kind("base") + (_of_kind("dev") if worker.engineer else [])
        for sw in apps:
            when = self._moment(start, start + timedelta(minutes=40))
            pid = self._process(when, sw)
            for domain in sw.domains[: rng.randint(1, len(sw.domains))] if sw.domains else []:
                self._traffic(self._moment(when, end), _image(sw, worker), pid, domain)
        meetings = rng.randint(0, 3)
        for _ in range(meetings):
            sw = rng.choice(_of_kind("video")[:2])
            when = self._moment(start, end)
            pid = self._process(when, sw)
            self._traffic(when, _image(sw, worker), pid, sw.domains[0])

    def _drive(self, start: datetime, end: datetime, net: Net) -> None:
        rng, worker = self.rng, self.worker
        for _ in range(rng.randint(1, 6)):
            title = rng.choice(DOCS)
            owner = worker.email if rng.random() < 0.3 else rng.choice(self.company.workers).email
            action = rng.choices(["view", "edit", "download", "create"], [60, 25, 10, 5])[0]
            self.out.append(
                DriveEvent(
                    self._moment(start, end),
                    worker.worker_id,
                    net,
                    action,
                    _doc_id(title),
                    title,
                    rng.choice(["document", "spreadsheet", "presentation", "pdf"]),
                    owner,
                    rng.choice(["private", "shared_internally", "people_within_domain_with_link"]),
                )
            )
        if rng.random() < 0.02:
            title = rng.choice(DOCS)
            self.out.append(
                DriveEvent(
                    self._moment(start, end),
                    worker.worker_id,
                    net,
                    "change_user_access",
                    _doc_id(title),
                    title,
                    "document",
                    worker.email,
                    "shared_externally",
                    f"{worker.first.lower()}.{worker.last.lower()}@gmail.com",
                )
            )

    def _git(self, start: datetime, end: datetime, net: Net) -> None:
        rng, worker = self.rng, self.worker
        repos = self.company.repos
        mine = [repos[i % len(repos)] for i in range(int(worker.worker_id[1:]) % 7, 99, 5)][:3]
        first_week = (
            "new_hire_cloner" in worker.traits and 0 <= (self.day - worker.hire_date).days < 5
        )
        clones = rng.randint(6, 12) if first_week else (1 if rng.random() < 0.15 else 0)
        for _ in range(clones):
            name, visibility = rng.choice(repos)
            self.out.append(
                GitEvent(
                    self._moment(start, end), worker.worker_id, net, "git.clone", name, visibility
                )
            )
        for _ in range(rng.randint(2, 8)):
            name, visibility = rng.choice(mine)
            self.out.append(
                GitEvent(
                    self._moment(start, end),
                    worker.worker_id,
                    net,
                    rng.choice(["git.fetch", "git.fetch", "git.push"]),
                    name,
                    visibility,
                    rng.choice(["http", "ssh"]),
                )
            )

    def _inventory(self, when: datetime) -> None:
        worker = self.worker
        installed = _of_kind("base") + (_of_kind("dev") if worker.engineer else [])
        installed += [s for s in _of_kind("video")[:2]]
        admins = ["Administrator"]
        usb: list[UsbAttach] = [
            UsbAttach(
                when,
                worker.worker_id,
                worker.device.hostname,
                "046d",
                "c52b",
                "Logitech",
                "USB Receiver",
                "",
            )
        ]
        displays: list[DisplayAttach] = []
        if worker.engineer and self.rng.random() < 0.5:
            admins.append(worker.username)
        if worker.role == "farm":
            admins.append(worker.username)
            if worker.access in TOOL_SOFTWARE:
                installed.append(software()[TOOL_SOFTWARE[worker.access]])
            else:
                kvm = next(d for d in ipkvm_devices() if d.device == worker.access)
                usb.append(
                    UsbAttach(
                        when,
                        worker.worker_id,
                        worker.device.hostname,
                        kvm.usb_vendor_id,
                        kvm.usb_product_id,
                        kvm.usb_manufacturer,
                        kvm.usb_product,
                        kvm.usb_serial,
                        "hid",
                    )
                )
                if kvm.edid_monitor_name:
                    displays.append(
                        DisplayAttach(
                            when,
                            worker.worker_id,
                            worker.device.hostname,
                            kvm.edid_monitor_name.split(" / ")[0],
                            kvm.edid_maker,
                            kvm.edid_product.split("-")[0],
                            "",
                        )
                    )
            if "mouse_jiggler" in worker.behaviours:
                installed.append(_of_kind("jiggler")[int(worker.worker_id[1:]) % 2])
            installed += [s for s in _of_kind("video")[2:]]
        if "it_support" in worker.traits:
            installed.append(software()["TeamViewer"])
            admins.append(worker.username)
        processes = tuple(
            (self._new_pid(), _basename(_image(s, worker)), _image(s, worker)) for s in installed
        )
        listening = ((7070, "tcp", "AnyDesk.exe"),) if worker.access == "AnyDesk" else ()
        self.snapshot = len(self.out)
        self.out.append(
            InventorySnapshot(
                when,
                worker.worker_id,
                worker.device.hostname,
                worker.device.os,
                tuple((s.name, s.version, s.publisher) for s in installed),
                tuple(admins),
                processes,
                listening,
                tuple(usb),
                tuple(displays),
                ((worker.username, "user", "console"),),
            )
        )

    def _fraud(self, sessions: list[tuple[datetime, datetime]]) -> None:
        worker, rng, intensity = self.worker, self.rng, self.config.intensity
        start, end = sessions[0][0], sessions[-1][1]
        if worker.role == "farm" and worker.access in TOOL_SOFTWARE:
            self.tool_today = rng.random() < intensity.remote_tool_daily
            if not self.tool_today:
                self._tool_idle()
        if self.tool_today and worker.access in TOOL_SOFTWARE:
            sw = software()[TOOL_SOFTWARE[worker.access]]
            pid = self._process(
                start - timedelta(minutes=2), sw, "--service", "C:\\Windows\\System32\\services.exe"
            )
            for domain in sw.domains:
                domain = domain.replace("{hex8}", f"{rng.getrandbits(32):08x}")
                self._traffic(start, _image(sw, worker), pid, domain, on_vpn=self.on_vpn)
        if (
            worker.role == "farm"
            and worker.device.os == "windows"
            and rng.random() < intensity.rdp_inbound
        ):
            noon = datetime(
                self.day.year,
                self.day.month,
                self.day.day,
                12,
                tzinfo=ZoneInfo(worker.operator_tz or "Asia/Shanghai"),
            )
            offset = int((noon.utcoffset() or timedelta()).total_seconds() // 60)
            client = rng.choice(RDP_CLIENTS)
            source = f"192.168.{rng.randint(0, 5)}.{rng.randint(2, 250)}"
            when = self._moment(start, end)
            self.out.append(
                Logon(
                    when,
                    worker.worker_id,
                    worker.device.hostname,
                    worker.username,
                    10,
                    source,
                    client,
                )
            )
            self.out.append(
                RdpSession(
                    when,
                    worker.worker_id,
                    worker.device.hostname,
                    worker.username,
                    "connect",
                    client,
                    source,
                    offset,
                    keyboard_layout="Chinese (Simplified) - US Keyboard",
                )
            )
            self.worker.behaviours.add("inbound_rdp")
        managed = worker.role != "lone"
        if managed and rng.random() < intensity.concurrent_calls:
            base = self._moment(start, end)
            for index, sw in enumerate(_of_kind("video")):
                pid = self._process(base + timedelta(minutes=index * 3), sw)
                self._traffic(
                    base + timedelta(minutes=index * 3), _image(sw, worker), pid, sw.domains[0]
                )
            worker.behaviours.add("concurrent_video_calls")
        if managed and "mouse_jiggler" in worker.behaviours:
            self._process(start, _of_kind("jiggler")[int(worker.worker_id[1:]) % 2])
        if rng.random() < intensity.operator_slip and worker.operator_tz:
            country = "RU" if worker.operator_tz == "Asia/Vladivostok" else "CN"
            block = rng.choice(world.blocks_of("operator", country))
            city = world.place_in(country, rng)
            self._sign_in(self._moment(start, end), world.net_from(block, city, rng))
            worker.behaviours.add("operator_network_sign_in")
        late = (self.day - self.config.start).days >= self.config.days * 2 // 3
        if late and "exfiltration" in worker.behaviours and rng.random() < 0.5:
            self._exfiltrate(start, end)

    def _tool_idle(self) -> None:
        """On a day the farm does not use its tool, the morning's snapshot shows it
        installed but not running or listening (``remote_tool_daily`` governs both)."""
        if self.snapshot is None:
            return
        snap = self.out[self.snapshot]
        if not isinstance(snap, InventorySnapshot):
            return
        sw = software()[TOOL_SOFTWARE[self.worker.access or ""]]
        image = _image(sw, self.worker)
        self.out[self.snapshot] = replace(
            snap,
            processes=tuple(p for p in snap.processes if p[2] != image),
            listening=tuple(p for p in snap.listening if p[2] != "AnyDesk.exe"),
        )

    def _exfiltrate(self, start: datetime, end: datetime) -> None:
        worker, rng = self.worker, self.rng
        net = self._net()
        when = self._moment(start, end)
        for name, visibility in self.company.repos:
            if visibility == "public":
                continue
            when += timedelta(seconds=rng.randint(20, 120))
            self.out.append(
                GitEvent(
                    when,
                    worker.worker_id,
                    net,
                    rng.choice(["git.clone", "repo.download_zip"]),
                    name,
                    visibility,
                )
            )
        for title in rng.sample(DOCS, k=min(10, len(DOCS))):
            when += timedelta(seconds=rng.randint(5, 40))
            self.out.append(
                DriveEvent(
                    when,
                    worker.worker_id,
                    net,
                    "download",
                    _doc_id(title),
                    title,
                    "document",
                    rng.choice(self.company.workers).email,
                    "shared_internally",
                )
            )
        if worker.role != "lone":
            git = software()["Git"]
            personal = f"https://github.com/{worker.github_login}-dev/{rng.choice(self.company.repos)[0]}.git"
            parent = _image(software()["Visual Studio Code"], worker)
            self._process(when, git, f"remote add backup {personal}", parent)
            self._process(when + timedelta(seconds=30), git, "push backup --all", parent)
        self.worker.behaviours.add("exfiltration_observed")

    def _it_support(self, session: tuple[datetime, datetime]) -> None:
        rng, worker = self.rng, self.worker
        if rng.random() < 0.6:
            sw = software()["TeamViewer"]
            when = self._moment(*session)
            pid = self._process(when, sw)
            self._traffic(when, _image(sw, worker), pid, sw.domains[0])


def _doc_id(title: str) -> str:
    return "1" + hashlib.blake2b(title.encode(), digest_size=16).hexdigest()[:32]


def days_of(company: Company) -> Iterator[date]:
    for offset in range(company.config.days):
        yield company.config.start + timedelta(days=offset)


def day_activities(
    company: Company, day: date, workers: list[Worker] | None = None
) -> list[Activity]:
    """All activities of the company (or of ``workers``) on one day, in time order."""
    out: list[Activity] = []
    for worker in company.workers if workers is None else workers:
        out.extend(DayPlanner(company, worker, day).plan())
    out.sort(key=lambda a: a.time)
    return out
