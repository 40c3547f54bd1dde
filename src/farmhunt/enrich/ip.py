"""What an IP address is: its country, its network's owner, and what kind of network.

Detections need more than a country: a sign-in from a VPN or hosting exit, several
workers behind one *residential* address (a laptop farm), or from a country the roster
does not expect. An office, a hotel, a conference venue, a mobile carrier's
carrier-grade NAT or the corporate egress is not a farm, so every address gets a
**kind** (:data:`KINDS`) and the **reason** for it, which findings quote.

Precedence, first match wins:

1. the user's own statements: ``network.corporate_egress`` / ``corporate_vpn_pools``
   (corporate), ``network.private_ranges`` (private), ``network.venues`` (venue), then
   the indicator lists ``vpn_cidrs.txt``, ``vpn_asns.txt``, ``vpn_providers.txt`` (vpn);
2. special-purpose ranges (RFC 1918 private, 100.64/10 carrier-grade NAT, loopback,
   link-local, multicast, documentation and other reserved ranges);
3. the provider data shipped in ``network_data/providers.csv``: a pattern on the ASN
   organisation name gives vpn, hosting, cloud, mobile, business or residential;
4. else unknown (with the organisation name, so an analyst can judge).

Country and ASN come from the MaxMind ``.mmdb`` databases named in ``network.mmdb``
when configured, else from the GeoLite2-derived database the ``geoip2fast`` package
ships, read directly (:class:`ShippedGeoData`). Nothing is fetched over the network.
"""

from __future__ import annotations

import bisect
import csv
import functools
import gzip
import importlib.util
import io
import ipaddress
import pickle
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from farmhunt.enrich.indicators import CidrSet, Indicators, load_indicators
from farmhunt.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

KINDS: dict[str, str] = {
    "corporate": "the company's own egress or corporate VPN pool (network settings)",
    "venue": "a known venue or hotel network (network.venues)",
    "private": "private address space (RFC 1918, IPv6 unique-local, network.private_ranges)",
    "cgnat": "carrier-grade NAT shared space 100.64.0.0/10 (RFC 6598)",
    "loopback": "loopback",
    "link_local": "link-local (169.254/16, fe80::/10)",
    "multicast": "multicast",
    "reserved": "documentation, benchmarking and other special-purpose ranges",
    "vpn": "a VPN or anonymising proxy exit (indicator lists or provider data)",
    "hosting": "a hosting / data-centre provider",
    "cloud": "a public cloud (AWS, Azure, Google Cloud …)",
    "mobile": "a mobile carrier (carrier-grade NAT: many subscribers share an address)",
    "business": "a transit, enterprise or corporate-proxy network (offices, hotels, venues)",
    "residential": "a consumer broadband ISP",
    "unknown": "public address whose network farmhunt has no data about",
    "invalid": "not an IP address",
}
"""Every kind an address can get, with what it means."""

PROVIDER_KINDS = ("vpn", "hosting", "cloud", "mobile", "business", "residential")
"""Kinds the provider data file may give."""

PROVIDERS_FILE = "providers.csv"


@dataclass(frozen=True, slots=True)
class IpInfo:
    """What is known about one address (``ip`` exactly as the events hold it)."""

    ip: str
    country: str | None
    asn: int | None
    asn_org: str | None
    asn_cidr: str | None
    kind: str
    provider: str | None
    reason: str

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


class GeoFacts(NamedTuple):
    country: str | None = None
    asn: int | None = None
    asn_org: str | None = None
    asn_cidr: str | None = None


class EnrichDataError(RuntimeError):
    """A data file (provider data, shipped database, a .mmdb) cannot be used."""


# -- provider data ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderRule:
    """One row of ``providers.csv``: ASN organisation names matching ``pattern``."""

    pattern: re.Pattern[str]
    kind: str
    provider: str
    note: str
    line: int


def load_providers(path: Path | None = None) -> tuple[ProviderRule, ...]:
    """Read provider rules (the shipped file by default); first matching rule wins."""
    if path is None:
        text = resources.files("farmhunt.enrich.network_data").joinpath(PROVIDERS_FILE)
        content = text.read_text(encoding="utf-8")
        name = PROVIDERS_FILE
    else:
        content = path.read_text(encoding="utf-8")
        name = str(path)
    rules = []
    reader = csv.DictReader(io.StringIO(content))
    expected = ["pattern", "kind", "provider", "note"]
    if reader.fieldnames != expected:
        raise EnrichDataError(f"{name}: header must be {','.join(expected)}")
    for row in reader:
        line = reader.line_num
        if row["kind"] not in PROVIDER_KINDS:
            raise EnrichDataError(
                f"{name}:{line}: kind {row['kind']!r} is not one of {', '.join(PROVIDER_KINDS)}"
            )
        try:
            pattern = re.compile(row["pattern"], re.IGNORECASE)
        except re.error as exc:
            raise EnrichDataError(f"{name}:{line}: bad pattern: {exc}") from None
        if not row["provider"]:
            raise EnrichDataError(f"{name}:{line}: provider name is empty")
        rules.append(ProviderRule(pattern, row["kind"], row["provider"], row["note"] or "", line))
    return tuple(rules)


@functools.cache
def shipped_providers() -> tuple[ProviderRule, ...]:
    return load_providers()


# -- the shipped geoip2fast database ----------------------------------------------------------

GEOIP2FAST_FILE = "geoip2fast-asn-ipv6.dat.gz"
"""Country + ASN, IPv4 + IPv6: the most complete database geoip2fast ships."""


class _NoClasses(pickle.Unpickler):
    """The database is plain lists and strings: refuse anything that names a class."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in the database")


class ShippedGeoData:
    """The GeoLite2-derived country and ASN tables the ``geoip2fast`` package ships.

    The tables are read straight from the package's data file rather than through the
    ``GeoIP2Fast`` class, which keeps them in module globals (a second instance loading
    another file silently changes the first one's answers) and changes the process
    environment on import. The file holds sorted first addresses in chunks with their
    prefix lengths and country / ASN-name ids; a lookup is two binary searches.
    """

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            path = _geoip2fast_dir() / GEOIP2FAST_FILE
        self.path = path
        try:
            with gzip.open(path, "rb") as handle:
                version, info, _total, tables = _NoClasses(handle).load()
        except (OSError, pickle.UnpicklingError, EOFError, ValueError) as exc:
            raise EnrichDataError(f"cannot read the geoip2fast database {path}: {exc}") from None
        if version not in (120, 121) or not (info.get("country") and info.get("asn")):
            raise EnrichDataError(
                f"{path}: unsupported geoip2fast database (version {version}, {info})"
            )
        self.source: str = str(info.get("info", ""))
        (
            self._index,
            self._index_asn,
            self._countries,
            self._asn_names,
            self._first,
            self._first_asn,
            self._country_ids,
            self._asn_ids,
            self._lengths,
            self._lengths_asn,
        ) = tables

    @property
    def date(self) -> str:
        """The GeoLite2 release the data was built from (YYYYMMDD), when it says."""
        match = re.search(r"(\d{8})$", self.source)
        return match.group(1) if match else "unknown"

    def asn_names(self) -> list[str]:
        """Every ASN organisation name the database holds (to check the provider data)."""
        return [str(name) for name in self._asn_names]

    def lookup(self, address: IPAddress) -> GeoFacts:
        value = int(address)
        country = None
        found = _find(self._index, self._first, self._lengths, value, address.version)
        if found is not None:
            root, chunk, _, _ = found
            code_id = self._country_ids[root][chunk]
            if code_id >= 16:  # ids below 16 are the reserved / private / not-found entries
                country = str(self._countries[code_id]).split(":", 1)[0] or None
        asn_org = asn_cidr = None
        found = _find(self._index_asn, self._first_asn, self._lengths_asn, value, address.version)
        if found is not None:
            root, chunk, first, length = found
            name = str(self._asn_names[self._asn_ids[root][chunk]])
            if name and name not in ("<unknown>", "IANA.ORG"):
                asn_org, asn_cidr = name, _cidr_text(first, length, address.version)
        return GeoFacts(country, None, asn_org, asn_cidr)


def _find(
    index: Sequence[int],
    firsts: Sequence[Sequence[int]],
    lengths: Sequence[Sequence[int]],
    value: int,
    version: int,
) -> tuple[int, int, int, int] | None:
    """(chunk, position, first address, prefix length) of the network holding ``value``."""
    root = bisect.bisect_right(index, value) - 1
    if root < 0:
        return None
    chunk = bisect.bisect_right(firsts[root], value) - 1
    if chunk < 0:
        return None
    first, length = firsts[root][chunk], lengths[root][chunk]
    bits = 32 if version == 4 else 128
    if first >= 2**bits or value > first + 2 ** (bits - length) - 1:
        return None
    return root, chunk, first, length


def _cidr_text(first: int, length: int, version: int) -> str:
    if version == 4:
        return f"{socket.inet_ntoa(first.to_bytes(4, 'big'))}/{length}"
    return f"{ipaddress.IPv6Address(first)}/{length}"


def _geoip2fast_dir() -> Path:
    spec = importlib.util.find_spec("geoip2fast")
    if spec is None or not spec.submodule_search_locations:
        raise EnrichDataError("the geoip2fast package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def shipped_geo() -> ShippedGeoData:
    """The shipped database, loaded once per process (about half a second)."""
    return ShippedGeoData()


# -- optional MaxMind / IPinfo databases ----------------------------------------------------


class MmdbData:
    """Country and ASN from ``.mmdb`` files (MaxMind GeoLite2/GeoIP2 Country, City, ASN,
    ISP; IPinfo's country/ASN databases). Each file answers the fields it has; the first
    file that has a field wins."""

    def __init__(self, paths: Sequence[Path]) -> None:
        import maxminddb

        self.readers = []
        for path in paths:
            try:
                self.readers.append((path, maxminddb.open_database(str(path))))
            except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
                raise EnrichDataError(f"cannot read MaxMind database {path}: {exc}") from None

    def close(self) -> None:
        for _, reader in self.readers:
            reader.close()

    def lookup(self, address: IPAddress) -> GeoFacts:
        country: str | None = None
        asn: int | None = None
        org: str | None = None
        cidr: str | None = None
        for _, reader in self.readers:
            if reader.metadata().ip_version == 4 and address.version == 6:
                continue
            try:
                record, length = reader.get_with_prefix_len(address)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            c, a, o = _mmdb_fields(record)
            country = country or c
            if org is None and o is not None:
                asn, org = a, o
                cidr = str(ipaddress.ip_network((int(address), length), strict=False))
            elif asn is None and a is not None:
                asn = a
        return GeoFacts(country, asn, org, cidr)


def _mmdb_fields(record: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    country = None
    for key in ("country", "registered_country"):
        value = record.get(key)
        if isinstance(value, dict) and isinstance(value.get("iso_code"), str):
            country = value["iso_code"]
            break
        if isinstance(value, str) and len(value) == 2:  # IPinfo: "country": "US"
            country = value
            break
    if country is None and isinstance(record.get("country_code"), str):
        country = record["country_code"]
    asn: int | None = None
    raw_asn = record.get("autonomous_system_number", record.get("asn"))
    if isinstance(raw_asn, int):
        asn = raw_asn
    elif isinstance(raw_asn, str) and re.fullmatch(r"(?i)AS\d+", raw_asn):
        asn = int(raw_asn[2:])
    org = record.get("autonomous_system_organization", record.get("as_name"))
    return (
        country.upper() if country else None,
        asn,
        org if isinstance(org, str) and org else None,
    )


# -- special-purpose ranges -------------------------------------------------------------------

_SPECIAL_RANGES: list[tuple[str, str, str]] = [
    ("10.0.0.0/8", "private", "RFC 1918 private range"),
    ("172.16.0.0/12", "private", "RFC 1918 private range"),
    ("192.168.0.0/16", "private", "RFC 1918 private range"),
    ("100.64.0.0/10", "cgnat", "RFC 6598 shared address space (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link_local", "link-local (RFC 3927)"),
    ("0.0.0.0/8", "reserved", "'this network' (RFC 1122)"),
    ("192.0.0.0/24", "reserved", "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "reserved", "documentation range TEST-NET-1 (RFC 5737)"),
    ("198.51.100.0/24", "reserved", "documentation range TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "reserved", "documentation range TEST-NET-3 (RFC 5737)"),
    ("198.18.0.0/15", "reserved", "benchmarking range (RFC 2544)"),
    ("224.0.0.0/4", "multicast", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved", "reserved for future use and broadcast (RFC 1112)"),
    ("192.88.99.0/24", "reserved", "deprecated 6to4 relay anycast (RFC 7526)"),
    ("::/128", "reserved", "unspecified address"),
    ("::1/128", "loopback", "loopback (RFC 4291)"),
    ("fc00::/7", "private", "unique local address (RFC 4193)"),
    ("fe80::/10", "link_local", "link-local (RFC 4291)"),
    ("ff00::/8", "multicast", "multicast (RFC 4291)"),
    ("2001:db8::/32", "reserved", "documentation range (RFC 3849)"),
    ("2001::/23", "reserved", "IETF protocol assignments, Teredo (RFC 2928, RFC 4380)"),
]
"""The IANA special-purpose registries' non-global IPv4 entries (complete) and the
IPv6 ones inside global unicast 2000::/3 (everything outside it is reserved)."""
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_SPECIAL = CidrSet((ipaddress.ip_network(c), f"{k}|{r}") for c, k, r in _SPECIAL_RANGES)


def special_range(address: IPAddress) -> tuple[str, str] | None:
    """(kind, reason) for a special-purpose address, None for an ordinary public one."""
    hit = _SPECIAL.lookup(address)
    if hit is not None:
        kind, reason = hit[1].split("|", 1)
        return kind, f"{reason}: {hit[0]}"
    if address.version == 6 and address not in _GLOBAL_UNICAST_V6:
        return "reserved", "IPv6 outside global unicast 2000::/3"
    return None


def parse_ip(text: str) -> IPAddress | None:
    """The address in ``text`` (brackets, a zone id and IPv4-mapped IPv6 allowed)."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


# -- the classifier ---------------------------------------------------------------------------


class IpClassifier:
    """Classify addresses with the given settings; load data once, cache answers.

    ``indicators`` defaults to the lists in ``settings.indicators.paths``; ``providers``
    to the shipped provider data; ``geo`` to the shipped geoip2fast database.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        indicators: Indicators | None = None,
        providers: Sequence[ProviderRule] | None = None,
        geo: ShippedGeoData | None = None,
        cache_size: int = 1 << 18,
    ) -> None:
        self.settings = settings or Settings()
        net = self.settings.network
        self.indicators = (
            indicators
            if indicators is not None
            else load_indicators(self.settings.indicators.paths)
        )
        self.providers = tuple(providers) if providers is not None else shipped_providers()
        self.geo = geo or shipped_geo()
        self.mmdb = MmdbData(net.mmdb) if net.mmdb else None
        self._corporate = CidrSet(
            [(n, "network.corporate_egress") for n in net.corporate_egress]
            + [(n, "network.corporate_vpn_pools") for n in net.corporate_vpn_pools]
        )
        self._private = CidrSet((n, "network.private_ranges") for n in net.private_ranges)
        self._venues = CidrSet((v.cidr, v.label) for v in net.venues)
        self._rule_cache: dict[str, ProviderRule | None] = {}
        self._cached = functools.lru_cache(maxsize=cache_size)(self._classify)

    def close(self) -> None:
        if self.mmdb is not None:
            self.mmdb.close()

    def __enter__(self) -> IpClassifier:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def classify(self, ip: str, asn: int | None = None) -> IpInfo:
        """Classify one address; ``asn`` is an AS number the event itself reported
        (Okta and Entra ID do), used when the databases give none."""
        return self._cached(ip, asn)

    def classify_many(
        self, ips: Iterable[str], asns: Iterable[int | None] | None = None
    ) -> list[IpInfo]:
        """Classify many addresses (each distinct one once), in input order."""
        pairs = zip(ips, asns, strict=True) if asns is not None else ((ip, None) for ip in ips)
        return [self._cached(ip, asn) for ip, asn in pairs]

    def facts(self, address: IPAddress, asn_hint: int | None = None) -> GeoFacts:
        """Country and ASN: the .mmdb files first, the shipped database for the rest."""
        mm = self.mmdb.lookup(address) if self.mmdb else GeoFacts()
        need_geo = mm.country is None or mm.asn_org is None
        geo = self.geo.lookup(address) if need_geo else GeoFacts()
        org, cidr = (mm.asn_org, mm.asn_cidr) if mm.asn_org else (geo.asn_org, geo.asn_cidr)
        return GeoFacts(mm.country or geo.country, mm.asn or asn_hint, org, cidr)

    def provider_rule(self, asn_org: str | None) -> ProviderRule | None:
        """The first provider rule whose pattern matches the organisation name."""
        if not asn_org:
            return None
        if asn_org not in self._rule_cache:
            self._rule_cache[asn_org] = next(
                (r for r in self.providers if r.pattern.search(asn_org)), None
            )
        return self._rule_cache[asn_org]

    def _classify(self, ip: str, asn_hint: int | None) -> IpInfo:
        address = parse_ip(ip) if isinstance(ip, str) else None
        if address is None:
            return IpInfo(ip, None, None, None, None, "invalid", None, "not an IP address")
        special = special_range(address)
        facts = self.facts(address, asn_hint) if special is None else GeoFacts(asn=asn_hint)

        def info(kind: str, provider: str | None, reason: str) -> IpInfo:
            return IpInfo(ip, facts.country, facts.asn, facts.asn_org, facts.asn_cidr, kind,
                          provider, reason)  # fmt: skip

        # 1. the user's own statements
        hit = self._corporate.lookup(address)
        if hit is not None:
            what = "corporate VPN pool" if hit[1].endswith("pools") else "corporate egress"
            return info("corporate", what, f"in {what} {hit[0]} ({hit[1]})")
        hit = self._private.lookup(address)
        if hit is not None:
            return info("private", None, f"in internal range {hit[0]} ({hit[1]})")
        hit = self._venues.lookup(address)
        if hit is not None:
            return info("venue", hit[1], f"known venue {hit[1]!r} {hit[0]} (network.venues)")
        ind = self.indicators
        hit = ind.vpn_cidrs.lookup(address)
        if hit is not None:
            return info("vpn", facts.asn_org, f"listed VPN exit {hit[0]} ({hit[1]})")
        if facts.asn is not None and facts.asn in ind.vpn_asns:
            label = ind.vpn_asns[facts.asn]
            return info("vpn", facts.asn_org, f"AS{facts.asn} is a listed VPN network ({label})")
        named = ind.vpn_providers.lookup(facts.asn_org)
        if named is not None:
            return info(
                "vpn",
                named[0],
                f"ASN organisation {facts.asn_org!r} is listed VPN provider "
                f"{named[0]!r} ({named[1]})",
            )
        # 2. special-purpose ranges
        if special is not None:
            return info(special[0], None, special[1])
        # 3. the shipped provider data
        if facts.asn_org is None:
            return info("unknown", None, "no ASN data for this address")
        rule = self.provider_rule(facts.asn_org)
        if rule is not None:
            return info(
                rule.kind,
                rule.provider,
                f"ASN organisation {facts.asn_org!r} is {rule.provider}: {rule.note} "
                f"({PROVIDERS_FILE}:{rule.line})",
            )
        return info(
            "unknown", None, f"ASN organisation {facts.asn_org!r} is not in the provider data"
        )
