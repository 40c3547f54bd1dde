"""Building the company: workers, homes, devices, networks, farms and look-alikes.

Every fact a detection could use is decided here, once, so that all sources agree:
where each worker lives and which network their home exit is, which laptop they were
shipped and where to, which farm (if any) really holds that laptop and how it is
driven, and which benign oddities (couples at one address, night shifts, travel,
approved remote support) make honest workers look suspicious.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import phonenumbers

from farmhunt.reference import ipkvm_devices
from farmhunt.simulate import world
from farmhunt.simulate.activities import Net
from farmhunt.simulate.config import SimConfig

DOMAIN = "northwind-labs.com"
GITHUB_ORG = "northwind-labs"

# (country, weight) of the honest workforce; fraudulent hires claim the US.
COUNTRIES = [
    ("US", 50),
    ("CA", 6),
    ("GB", 8),
    ("DE", 6),
    ("PL", 6),
    ("IN", 10),
    ("BR", 4),
    ("MX", 3),
    ("PH", 3),
    ("AU", 2),
    ("UA", 2),
]
DEPARTMENTS = [
    (
        "Engineering",
        [
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "DevOps Engineer",
            "Data Engineer",
            "QA Engineer",
        ],
        55,
    ),
    ("IT", ["IT Support Specialist", "Systems Administrator"], 6),
    ("Product", ["Product Manager", "Product Designer"], 10),
    ("Sales", ["Account Executive", "Sales Engineer"], 12),
    ("Finance", ["Financial Analyst", "Payroll Specialist"], 6),
    ("People", ["Recruiter", "HR Business Partner"], 5),
    ("Support", ["Customer Support Engineer"], 6),
]
REMOTE_TOOLS = ["AnyDesk", "TeamViewer", "Chrome Remote Desktop", "RustDesk", "Splashtop"]
APPROVED_SUPPORT_TOOL = "TeamViewer"
OPERATOR_ZONES = ["Asia/Shanghai", "Asia/Pyongyang", "Asia/Vladivostok"]
FARM_CITIES = ["Phoenix", "Nashville", "Baltimore", "Atlanta", "Austin"]
STREETS = [
    "Maple",
    "Oak",
    "Cedar",
    "Pine",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Sunset",
    "Ridge",
    "Meadow",
    "Willow",
    "Highland",
    "River",
]
STREET_KINDS = ["St", "Ave", "Dr", "Ln", "Ct", "Blvd", "Way"]


@dataclass
class Device:
    asset_id: str
    serial: str
    hostname: str
    os: str
    """windows, macos or linux."""
    owner_email: str
    shipped_to: str
    shipped_on: date
    host_uuid: str
    vpn_ip: str
    """Address the corporate VPN assigns this laptop (what the concentrator's Zeek sees)."""
    lan_ip: str
    personal_device: bool = False
    """The hire asked to work on a personal computer: the laptop was set up in the
    inventory but never shipped (no ship address, no ship date)."""


@dataclass(frozen=True)
class HomeLan:
    """The network a laptop joins at home: its Wi-Fi and the router behind it.

    The SSID is what people leave as the router's default ("NETGEAR23"), so it repeats
    across homes; the access point's BSSID and the gateway's MAC address are one router's.
    """

    ssid: str
    bssid: str
    gateway_mac: str


ROUTER_SSIDS = ["NETGEAR", "MySpectrumWiFi", "ATT", "xfinitywifi", "TP-Link_", "Linksys"]


def _mac(rng: random.Random, oui: str) -> str:
    return oui + "".join(f":{rng.randrange(256):02x}" for _ in range(3))


def home_lan(seed: int, address: str, ssid: str | None = None) -> HomeLan:
    """The LAN at an address: one per address, so people who share a home share it."""
    rng = stable_rng("lan", seed, address)
    name = ssid or f"{rng.choice(ROUTER_SSIDS)}{rng.randint(10, 99)}"
    oui = rng.choice(["a0:40:a0", "9c:3d:cf", "e8:9f:80", "50:c7:bf", "b0:be:76"])
    return HomeLan(name, _mac(rng, oui), _mac(rng, oui))


@dataclass
class Worker:
    worker_id: str
    first: str
    last: str
    email: str
    username: str
    department: str
    title: str
    employment_type: str
    hire_date: date
    country: str
    region: str
    city: str
    timezone: str
    home_address: str
    ship_address: str
    phone: str
    payroll_account: str
    manager_email: str
    idp: str
    """okta or entra: the company is mid-migration, each worker signs in through one."""
    github_login: str
    home_net: Net
    mobile_net: Net | None
    device: Device
    start_hour: float
    """Local hour the working day starts."""
    role: str = "benign"
    """benign, farm or lone."""
    farm_id: str | None = None
    traits: set[str] = field(default_factory=set)
    """Benign look-alike traits: it_support, shared_home, consumer_vpn, night_shift,
    traveller, conference, mobile_only, new_hire_cloner."""
    behaviours: set[str] = field(default_factory=set)
    """Fraudulent behaviours injected for this worker (recorded in truth.json)."""
    operator_tz: str | None = None
    access: str | None = None
    """How a farm laptop is driven: a remote-access tool name or an IP-KVM device name."""
    vpn_exits: list[Net] = field(default_factory=list)
    lan: HomeLan | None = None
    """The network the laptop joins where it really is (the farm's, for a farm laptop)."""
    wired: bool = False
    """On Ethernet rather than Wi-Fi (the router's MAC still shows, the Wi-Fi does not)."""
    teamviewer_id: str | None = None
    """TeamViewer ClientID of the laptop's install, when TeamViewer is installed."""

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def fraudulent(self) -> bool:
        return self.role != "benign"

    @property
    def engineer(self) -> bool:
        return self.department == "Engineering"


@dataclass
class Farm:
    farm_id: str
    address: str
    city: str
    net: Net
    members: list[str]
    operator_tz: str
    wifi_ssid: str


@dataclass
class Office:
    """The company's own site in its home country: people who live in its city go in on
    some weekdays; there the laptops sit on the office LAN (seen by the office's Zeek
    sensor) and reach the Internet from the corporate egress address."""

    city: str
    net: Net
    """The office's public egress: inside the corporate range the company's farmhunt.yaml
    names, so sign-ins from the office classify as ``corporate``."""
    lan_prefix: str
    """First three octets of the office LAN (laptops get an address in it by DHCP)."""
    members: frozenset[str]
    """Workers who go in on some weekdays."""


@dataclass
class Company:
    config: SimConfig
    workers: list[Worker]
    farms: list[Farm]
    conference: tuple[date, Net] | None
    repos: list[tuple[str, str]]
    """(name, visibility) of the organisation's repositories."""
    office: Office | None = None

    _by_id: dict[str, Worker] = field(default_factory=dict, init=False, repr=False, compare=False)

    def worker(self, worker_id: str) -> Worker:
        """The worker with this id; writers ask once per event, so by index, not by scan
        (a scan made a large company quadratic; figures in docs/performance.md)."""
        if len(self._by_id) != len(self.workers):
            self._by_id = {w.worker_id: w for w in self.workers}
        return self._by_id[worker_id]


def stable_rng(*parts: object) -> random.Random:
    """A generator seeded from the parts, identical across runs and Python versions."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _street(rng: random.Random, place: world.Place) -> str:
    number = rng.randint(12, 9890)
    unit = f" Apt {rng.randint(1, 40)}" if rng.random() < 0.3 else ""
    zip_code = place.postcode_prefix + "".join(rng.choices(string.digits, k=2))
    return (
        f"{number} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}{unit}, "
        f"{place.city}, {place.region} {zip_code}, {place.country}"
    )


def _phone(rng: random.Random, place: world.Place, voip: bool = False) -> str:
    """A valid number of the place's country; ``voip`` numbers come from the exchanges the
    simulated VoIP carrier holds (listed in the indicator file the simulator writes)."""
    if place.country in ("US", "CA"):
        area = rng.choice(place.area_codes)
        exchange = rng.choice(VOIP_EXCHANGES) if voip else rng.randint(201, 989)
        while (not voip and exchange in VOIP_EXCHANGES) or exchange % 100 == 11:
            exchange = rng.randint(201, 989)
        return f"+1 ({area}) {exchange:03d}-{rng.randint(0, 9999):04d}"
    if voip and place.country == "GB":
        return f"+44 56 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
    example = phonenumbers.example_number_for_type(
        place.country, phonenumbers.PhoneNumberType.MOBILE
    )
    if example is None:
        raise ValueError(f"no phone numbering plan for {place.country}")
    national = phonenumbers.national_significant_number(example)
    for _ in range(20):
        digits = national[:3] + "".join(rng.choices(string.digits, k=len(national) - 3))
        number = phonenumbers.parse(f"+{example.country_code}{digits}")
        if phonenumbers.is_valid_number(number):
            break
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


VOIP_EXCHANGES = (555, 606, 707)
"""NXX exchanges the simulated VoIP carrier holds in every area code."""


def voip_prefixes() -> list[str]:
    """E.164 prefixes of the simulated VoIP carrier (what a commercial list would give)."""
    codes = sorted({a for p in world.places() if p.country in ("US", "CA") for a in p.area_codes})
    return [f"+1{area}{exchange}" for area in codes for exchange in VOIP_EXCHANGES]


def _payroll(rng: random.Random) -> str:
    account = "".join(rng.choices(string.digits, k=10))
    return "sha256:" + hashlib.sha256(account.encode()).hexdigest()[:24]


def _hostname(rng: random.Random, os_name: str, first: str, last: str) -> str:
    if os_name == "macos":
        return (
            f"{first}s-MacBook-Pro" if rng.random() < 0.5 else f"NWL-MBP-{rng.randint(1000, 9999)}"
        )
    if os_name == "linux":
        return f"nwl-{first.lower()}{last[0].lower()}-{rng.randint(10, 99)}"
    return f"NWL-LT-{rng.randint(10000, 99999)}"


def _device(
    rng: random.Random,
    worker_id: str,
    os_name: str,
    first: str,
    last: str,
    email: str,
    ship_to: str,
    hire: date,
) -> Device:
    serial_chars = string.ascii_uppercase + string.digits
    serial = ("C02" if os_name == "macos" else "PF") + "".join(rng.choices(serial_chars, k=8))
    return Device(
        asset_id=f"NWL-{rng.randint(100000, 999999)}",
        serial=serial,
        hostname=_hostname(rng, os_name, first, last),
        os=os_name,
        owner_email=email,
        shipped_to=ship_to,
        shipped_on=hire - timedelta(days=rng.randint(3, 10)),
        host_uuid=str(__import__("uuid").UUID(int=rng.getrandbits(128), version=4)).upper(),
        vpn_ip=f"10.{rng.randint(8, 15)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}",
        lan_ip=f"192.168.{rng.choice([0, 1, 1, 4, 86])}.{rng.randint(2, 250)}",
    )


def build_company(config: SimConfig) -> Company:
    """The whole company, deterministic for the config's seed."""
    config.check()
    rng = stable_rng("company", config.seed)
    workers: list[Worker] = []
    departments = [d for d in DEPARTMENTS for _ in range(d[2])]
    manager_pool: list[str] = []
    farm_sizes = [rng.randint(*config.farm_size) for _ in range(config.farms)]
    honest_count = config.workers - sum(farm_sizes) - config.lone_impostors
    for index in range(honest_count):
        country = rng.choices([c for c, _ in COUNTRIES], [w for _, w in COUNTRIES])[0]
        workers.append(_honest_worker(rng, config, index, country, departments, manager_pool))
        if index < max(3, config.workers // 12):
            manager_pool.append(workers[-1].email)
    _ensure_it_support(workers, rng)
    farms = _plant_farms(config, rng, workers, departments, manager_pool, farm_sizes)
    _plant_lone_impostors(config, rng, workers, departments, manager_pool)
    _make_unique(workers)
    conference = _add_confounders(config, rng, workers) if config.confounders else None
    _connect_homes(config, workers, farms)
    record_hiring_behaviours(workers)
    repos = [
        (name, "private")
        for name in (
            "payments-api",
            "ledger-core",
            "mobile-app",
            "web-frontend",
            "infra-terraform",
            "data-pipeline",
            "auth-service",
            "ml-models",
            "billing-service",
            "search-indexer",
            "customer-portal",
            "internal-tools",
            "k8s-manifests",
            "risk-engine",
            "sdk-python",
        )
    ] + [("docs", "public"), ("design-system", "internal"), ("oss-utils", "public")]
    return Company(config, workers, farms, conference, repos, _open_office(config, workers))


OFFICE_STAY_AWAY = frozenset({"night_shift", "mobile_only"})
"""Look-alike traits whose holders never go in (the office is shut at night; a worker on
mobile data only is fully remote)."""


def _open_office(config: SimConfig, workers: list[Worker]) -> Office | None:
    """The office in the home-country city where most honest workers live (ties by name),
    and who goes in: honest workers living there. Its own generator, so adding the
    office changes nothing else about the company."""
    rng = stable_rng("office", config.seed)
    honest = [w for w in workers if not w.fraudulent and w.country == "US"]
    if not honest:
        return None
    counts: dict[str, int] = {}
    for w in honest:
        counts[w.city] = counts.get(w.city, 0) + 1
    city = min(counts, key=lambda c: (-counts[c], c))
    place = world.place_named(city)
    net = world.net_from(world.blocks_of("corporate", "US")[0], place, rng)
    members = frozenset(
        w.worker_id for w in honest if w.city == city and not w.traits & OFFICE_STAY_AWAY
    )
    return Office(city, net, f"10.40.{rng.randint(0, 255)}", members)


def _honest_worker(
    rng: random.Random,
    config: SimConfig,
    index: int,
    country: str,
    departments: list[tuple[str, list[str], int]],
    managers: list[str],
) -> Worker:
    place = world.place_in(country, rng)
    first, last = world.person_name(country, rng)
    department, titles, _ = rng.choice(departments)
    worker_id = f"E{10001 + index}"
    email = f"{first.lower()}.{last.lower()}@{DOMAIN}".replace(" ", "")
    if any(email == m for m in managers):
        email = email.replace("@", f"{index}@")
    home = _street(rng, place)
    hire = config.start - timedelta(days=rng.randint(20, 1500))
    os_name = rng.choices(["windows", "macos", "linux"], [55, 35, 10])[0]
    residential = rng.choice(world.blocks_of("residential", country))
    mobile_blocks = world.blocks_of("mobile", country)
    mobile = (
        world.net_from(rng.choice(mobile_blocks), place, rng)
        if any(b.country == country for b in mobile_blocks)
        else None
    )
    return Worker(
        worker_id=worker_id,
        first=first,
        last=last,
        email=email,
        username=email.split("@")[0],
        department=department,
        title=rng.choice(titles),
        employment_type=rng.choices(["Full-time", "Contractor"], [85, 15])[0],
        hire_date=hire,
        country=country,
        region=place.region,
        city=place.city,
        timezone=place.timezone,
        home_address=home,
        ship_address=home,
        phone=_phone(rng, place),
        payroll_account=_payroll(rng),
        manager_email=rng.choice(managers) if managers else "",
        idp="okta" if rng.random() < 0.6 else "entra",
        github_login=f"{first.lower()}{last.lower()}{rng.randint(1, 99)}".replace(" ", ""),
        home_net=world.net_from(residential, place, rng),
        mobile_net=mobile,
        device=_device(rng, worker_id, os_name, first, last, email, home, hire),
        start_hour=rng.choice([7.5, 8.0, 8.5, 9.0, 9.0, 9.5, 10.0]),
    )


def _make_unique(workers: list[Worker]) -> None:
    """Two people with one name get distinct emails, logins and host names, as a directory
    would give them (the first keeps the plain form)."""
    seen: dict[str, int] = {}
    hosts: dict[str, int] = {}
    for worker in workers:
        count = seen.get(worker.email, 0)
        seen[worker.email] = count + 1
        if count:
            local, domain = worker.email.split("@")
            worker.email = f"{local}{count + 1}@{domain}"
            worker.username = f"{worker.username}{count + 1}"
            worker.github_login = f"{worker.github_login}x{count + 1}"
            worker.device.owner_email = worker.email
        host_count = hosts.get(worker.device.hostname, 0)
        hosts[worker.device.hostname] = host_count + 1
        if host_count:
            worker.device.hostname = f"{worker.device.hostname}-{host_count + 1}"


def _ensure_it_support(workers: list[Worker], rng: random.Random) -> None:
    it_staff = [w for w in workers if w.department == "IT"]
    if not it_staff and workers:
        chosen = rng.choice(workers[3:] or workers)
        chosen.department, chosen.title = "IT", "IT Support Specialist"
        it_staff = [chosen]
    for worker in it_staff:
        worker.traits.add("it_support")


def _fraud_identity(
    rng: random.Random,
    config: SimConfig,
    workers: list[Worker],
    departments: list[tuple[str, list[str], int]],
    managers: list[str],
    ship_address: str,
) -> Worker:
    """A hire under a stolen US identity: claims a US city and zone, an engineer."""
    index = len(workers)
    worker = _honest_worker(rng, config, index, "US", departments, managers)
    worker.department = "Engineering"
    worker.title = rng.choice(
        [
            "Software Engineer",
            "Senior Software Engineer",
            "Full Stack Developer",
            "Blockchain Developer",
        ]
    )
    worker.employment_type = rng.choices(["Contractor", "Full-time"], [60, 40])[0]
    worker.hire_date = config.start - timedelta(days=rng.randint(15, 200))
    intensity = config.intensity
    place = world.place_named(worker.city)
    if rng.random() < intensity.voip_phone:
        worker.phone = _phone(rng, place, voip=True)
    if rng.random() < intensity.ship_elsewhere:
        worker.ship_address = ship_address
    worker.device.shipped_to = worker.ship_address
    worker.device.shipped_on = worker.hire_date - timedelta(days=rng.randint(3, 10))
    worker.device.os = "windows" if rng.random() < 0.8 else "macos"
    worker.device.hostname = _hostname(rng, worker.device.os, worker.first, worker.last)
    worker.idp = "okta" if rng.random() < 0.6 else "entra"
    worker.vpn_exits = [
        world.net_from(rng.choice(world.blocks_of("vpn")), world.place_in("US", rng), rng)
        for _ in range(3)
    ]
    return worker


def _connect_homes(config: SimConfig, workers: list[Worker], farms: list[Farm]) -> None:
    """Each laptop's LAN and remote-support install, from generators of their own so the
    rest of the company does not change: a farm laptop joins the farm's router, anyone
    else their home's (a couple at one address shares it, on purpose)."""
    by_farm = {f.farm_id: f for f in farms}
    for w in workers:
        farm = by_farm.get(w.farm_id or "")
        w.lan = (
            home_lan(config.seed, farm.address, farm.wifi_ssid)
            if farm is not None
            else home_lan(config.seed, w.home_address)
        )
        w.wired = stable_rng("wired", config.seed, w.worker_id).random() < 0.25
        if w.access == "TeamViewer" or "it_support" in w.traits:
            w.teamviewer_id = str(
                stable_rng("tv", config.seed, w.worker_id).randint(10**8, 2 * 10**9)
            )
    for farm in farms:
        members = [w for w in workers if w.farm_id == farm.farm_id]
        # What the endpoint shows: a Mac on Wi-Fi its access point's BSSID (wifi_status),
        # a Windows laptop its gateway's MAC (NetworkList signatures); shared when two do.
        on_wifi = [w for w in members if not w.wired and w.device.os == "macos"]
        routed = [w for w in members if w.device.os == "windows"]
        for group, behaviour in ((on_wifi, "shared_wifi"), (routed, "shared_router")):
            if len(group) > 1:
                for w in group:
                    w.behaviours.add(behaviour)


REUSE_KINDS = ("phone", "payroll_account", "ship_address")
"""What fraudulent hires of one farm reuse between them (one value per farm and kind)."""
HIRING_BEHAVIOURS = frozenset(
    {
        "voip_phone",
        "shared_phone",
        "shared_payroll_account",
        "shared_ship_address",
        "laptop_shipped_elsewhere",
    }
)


def is_voip(phone: str) -> bool:
    """Whether the number lies in the simulated VoIP carrier's blocks (the indicator list)."""
    digits = "+" + "".join(c for c in phone if c.isdigit())
    return digits.startswith(_voip_prefixes()) or digits.startswith("+4456")


@cache
def _voip_prefixes() -> tuple[str, ...]:
    return tuple(voip_prefixes())


def record_hiring_behaviours(workers: list[Worker]) -> None:
    """Set each fraudulent hire's hiring-trail behaviours from the roster as it ended up.

    Truth is derived from the values themselves, not from the choices that produced them:
    a phone counts as shared only when another worker holds it too, and a laptop shipped
    to the farm address as a shared ship address when other hires were shipped there too.
    """
    holders: dict[tuple[str, str], int] = {}
    for w in workers:
        for key in (("phone", w.phone), ("payroll", w.payroll_account), ("ship", w.ship_address)):
            holders[key] = holders.get(key, 0) + 1
    for w in workers:
        if not w.fraudulent:
            continue
        w.behaviours -= HIRING_BEHAVIOURS
        facts = {
            "voip_phone": is_voip(w.phone),
            "shared_phone": holders[("phone", w.phone)] > 1,
            "shared_payroll_account": holders[("payroll", w.payroll_account)] > 1,
            "shared_ship_address": holders[("ship", w.ship_address)] > 1,
            "laptop_shipped_elsewhere": bool(w.device.shipped_to)
            and w.device.shipped_to != w.home_address,
        }
        w.behaviours |= {name for name, present in facts.items() if present}


def _plant_farms(
    config: SimConfig,
    rng: random.Random,
    workers: list[Worker],
    departments: list[tuple[str, list[str], int]],
    managers: list[str],
    sizes: list[int],
) -> list[Farm]:
    farms = []
    kvms = [d.device for d in ipkvm_devices() if d.device in ("PiKVM", "TinyPilot", "JetKVM")]
    for number in range(config.farms):
        city = FARM_CITIES[number % len(FARM_CITIES)]
        place = world.place_named(city)
        address = _street(rng, place)
        residential = rng.choice(world.blocks_of("residential", "US"))
        farm = Farm(
            farm_id=f"farm-{number + 1}",
            address=address,
            city=city,
            net=world.net_from(residential, place, rng),
            members=[],
            operator_tz=rng.choice(OPERATOR_ZONES),
            wifi_ssid=rng.choice(["NETGEAR", "MySpectrumWiFi", "ATT", "xfinitywifi"])
            + f"-{rng.randint(10, 99)}",
        )
        size = sizes[number]
        shared_phone = _phone(rng, place, voip=True)
        shared_payroll = _payroll(rng)
        reuses: dict[str, list[Worker]] = {kind: [] for kind in REUSE_KINDS}
        members: list[Worker] = []
        for _ in range(size):
            worker = _fraud_identity(rng, config, workers, departments, managers, address)
            worker.role, worker.farm_id = "farm", farm.farm_id
            worker.operator_tz = farm.operator_tz
            worker.behaviours.add("laptop_farm")
            if rng.random() < config.intensity.kvm_share:
                worker.access = rng.choice(kvms)
                worker.behaviours.add("ip_kvm")
            else:
                worker.access = rng.choice(REMOTE_TOOLS[:4])
                worker.behaviours.add("remote_access_tool")
            if rng.random() < config.intensity.hiring_reuse:
                reuses[rng.choice(REUSE_KINDS)].append(worker)
            if rng.random() < config.intensity.jiggler:
                worker.behaviours.add("mouse_jiggler")
            if rng.random() < config.intensity.exfil:
                worker.behaviours.add("exfiltration")
            worker.behaviours.update({"operator_hours", "vpn_sign_ins"})
            farm.members.append(worker.worker_id)
            workers.append(worker)
            members.append(worker)
        for kind, holders in reuses.items():
            # A value is shared only when two hold it: a lone pick gets a partner.
            if len(holders) == 1 and len(members) > 1:
                holders.append(rng.choice([m for m in members if m is not holders[0]]))
            for worker in holders:
                if kind == "phone":
                    worker.phone = shared_phone
                elif kind == "payroll_account":
                    worker.payroll_account = shared_payroll
                else:
                    worker.ship_address = worker.device.shipped_to = address
        farms.append(farm)
    return farms


def _plant_lone_impostors(
    config: SimConfig,
    rng: random.Random,
    workers: list[Worker],
    departments: list[tuple[str, list[str], int]],
    managers: list[str],
) -> None:
    for _ in range(config.lone_impostors):
        worker = _fraud_identity(
            rng, config, workers, departments, managers, _street(rng, world.place_in("US", rng))
        )
        worker.role = "lone"
        worker.operator_tz = rng.choice(OPERATOR_ZONES)
        worker.behaviours.update({"time_zone_drift", "vpn_sign_ins", "personal_device_vpn_only"})
        # asked HR to work on a personal computer: the laptop is in the inventory, unshipped,
        # and HR holds no separate ship-to address
        worker.device.personal_device = True
        worker.device.shipped_to = ""
        worker.ship_address = worker.home_address
        if rng.random() < config.intensity.exfil:
            worker.behaviours.add("exfiltration")
        workers.append(worker)


CONFOUNDER_SHARES: dict[str, tuple[float, int]] = {
    "consumer_vpn": (0.03, 2),
    "night_shift": (0.015, 1),
    "traveller": (0.03, 2),
    "mobile_only": (0.015, 1),
    "new_hire_cloner": (0.01, 1),
}
"""(share of the company, minimum) of each benign look-alike trait. The minimums are the
counts a small company always had, so small companies keep every look-alike; the shares
make a large one hold as many as such a workforce would (a fixed two consumer-VPN users
among 5,000 workers would test nothing)."""


def confounder_count(trait: str, workers: int) -> int:
    """How many honest workers get ``trait`` in a company of ``workers``."""
    share, minimum = CONFOUNDER_SHARES[trait]
    return max(minimum, round(share * workers))


def _add_confounders(
    config: SimConfig, rng: random.Random, workers: list[Worker]
) -> tuple[date, Net] | None:
    """Honest workers whose behaviour resembles the fraud, on purpose."""
    honest = [w for w in workers if not w.fraudulent and "it_support" not in w.traits]
    rng.shuffle(honest)
    take = iter(honest)

    def pick(trait: str, count: int) -> list[Worker]:
        chosen = []
        for _ in range(count):
            worker = next(take, None)
            if worker is None:
                break
            worker.traits.add(trait)
            chosen.append(worker)
        return chosen

    us_pairs = [w for w in honest if w.country == "US"][:2]
    if len(us_pairs) == 2:
        a, b = us_pairs
        b.home_address = b.ship_address = b.device.shipped_to = a.home_address
        b.city, b.region, b.timezone = a.city, a.region, a.timezone
        b.home_net = a.home_net
        a.traits.add("shared_home")
        b.traits.add("shared_home")
    size = len(workers)
    for worker in pick("consumer_vpn", confounder_count("consumer_vpn", size)):
        worker.vpn_exits = [
            world.net_from(rng.choice(world.blocks_of("vpn")), world.place_in("US", rng), rng)
        ]
    for worker in pick("night_shift", confounder_count("night_shift", size)):
        worker.start_hour = 22.0
    for worker in pick("traveller", confounder_count("traveller", size)):
        worker.traits.add("traveller")
    for worker in pick("mobile_only", confounder_count("mobile_only", size)):
        if worker.mobile_net is not None:
            worker.home_net = worker.mobile_net
    for worker in pick("new_hire_cloner", confounder_count("new_hire_cloner", size)):
        worker.department, worker.title = "Engineering", "Software Engineer"
        worker.hire_date = config.start + timedelta(days=min(2, config.days - 1))
    conference_day = config.start + timedelta(days=min(3, config.days - 1))
    venue = world.net_from(world.blocks_of("venue")[0], world.place_named("Austin"), rng)
    for worker in pick("conference", min(6, max(2, len(workers) // 10))):
        worker.traits.add("conference")
    return conference_day, venue
