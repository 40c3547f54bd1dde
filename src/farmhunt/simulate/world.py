"""Reference places, networks and names the company is built from (data files beside)."""

from __future__ import annotations

import csv
import ipaddress
import random
from dataclasses import dataclass
from functools import cache
from importlib import resources

from farmhunt.simulate.activities import Net


@dataclass(frozen=True)
class Place:
    country: str
    region: str
    city: str
    timezone: str
    lat: float
    lon: float
    area_codes: tuple[str, ...]
    postcode_prefix: str


@dataclass(frozen=True)
class Block:
    kind: str
    country: str
    provider: str
    asn: int
    network: ipaddress.IPv4Network


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("farmhunt.simulate.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def places() -> tuple[Place, ...]:
    return tuple(
        Place(
            r["country"],
            r["region"],
            r["city"],
            r["timezone"],
            float(r["lat"]),
            float(r["lon"]),
            tuple(r["area_codes"].split(";")),
            r["postcode_prefix"],
        )
        for r in _rows("places.csv")
    )


@cache
def blocks() -> tuple[Block, ...]:
    return tuple(
        Block(
            r["kind"], r["country"], r["provider"], int(r["asn"]), ipaddress.IPv4Network(r["cidr"])
        )
        for r in _rows("networks.csv")
    )


@cache
def names() -> dict[tuple[str, str], tuple[str, ...]]:
    return {(r["group"], r["kind"]): tuple(r["names"].split(";")) for r in _rows("names.csv")}


NAME_GROUP = {
    "US": "anglo",
    "CA": "anglo",
    "GB": "anglo",
    "AU": "anglo",
    "DE": "de",
    "PL": "pl",
    "IN": "in",
    "BR": "br",
    "MX": "mx",
    "PH": "ph",
    "UA": "ua",
}


def place_in(country: str, rng: random.Random) -> Place:
    return rng.choice([p for p in places() if p.country == country])


def place_named(city: str) -> Place:
    return next(p for p in places() if p.city == city)


def blocks_of(kind: str, country: str | None = None) -> list[Block]:
    found = [b for b in blocks() if b.kind == kind and (country is None or b.country == country)]
    return found or [b for b in blocks() if b.kind == kind]


def address_in(block: Block, rng: random.Random) -> str:
    """A host address inside the block (never the network or broadcast address)."""
    size = block.network.num_addresses
    return str(block.network.network_address + rng.randrange(1, max(size - 1, 2)))


def net_from(block: Block, place: Place, rng: random.Random, ip: str | None = None) -> Net:
    return Net(
        ip=ip or address_in(block, rng),
        kind=block.kind,
        provider=block.provider,
        asn=block.asn,
        country=place.country,
        region=place.region,
        city=place.city,
        lat=round(place.lat + rng.uniform(-0.05, 0.05), 4),
        lon=round(place.lon + rng.uniform(-0.05, 0.05), 4),
    )


def person_name(country: str, rng: random.Random) -> tuple[str, str]:
    group = NAME_GROUP.get(country, "anglo")
    return rng.choice(names()[(group, "first")]), rng.choice(names()[(group, "last")])
