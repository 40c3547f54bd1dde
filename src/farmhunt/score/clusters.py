"""Candidate laptop farms: workers linked by what they share, weighted by rarity.

Each shared value links every pair of workers that hold it, with weight
``base(kind) × rarity``, rarity = log(N / n) / log(N) for a value held by n of N workers:
a value two workers share in a company of hundreds counts almost fully, an office or
carrier address that dozens share counts almost nothing. Links explained by a shared
home (a couple, flatmates) are kept as *household* links: they join a cluster, with a
benign note, but do not make it a farm.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from farmhunt.enrich.facts.addresses import address_text
from farmhunt.enrich.facts.contacts import payroll_key, phone_key
from farmhunt.enrich.facts.identifiers import UNAMBIGUOUS_LINKS_SQL
from farmhunt.enrich.facts.roster import LATEST_WORKERS_SQL
from farmhunt.reference import ipkvm_devices
from farmhunt.score.model import ScoringModel


@dataclass
class Attribute:
    kind: str
    value: str
    workers: set[str]
    weight: float = 0.0
    note: str = ""


@dataclass
class Cluster:
    cluster_id: str
    members: list[str]
    strength: float
    farm_strength: float
    """Strength of the non-household links alone."""
    shared: list[Attribute] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        kinds = sorted({a.kind for a in self.shared})
        text = (
            f"{len(self.members)} workers linked by shared {', '.join(kinds)} "
            f"(strength {self.strength:.2f})"
        )
        if self.farm_strength == 0:
            text += "; every link is explained by a shared home (household, not a farm)"
        return text


def _roster(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT employee_id, phone_e164, phone, payroll_account, home_address, ship_address "
        f"FROM ({LATEST_WORKERS_SQL}) ORDER BY employee_id"
    ).fetchall()
    keys = ("worker", "phone_e164", "phone", "payroll", "home", "ship")
    return [dict(zip(keys, r, strict=True)) for r in rows if r[0]]


def _residential_ips(
    con: duckdb.DuckDBPyConnection, min_sign_ins: int
) -> Iterable[tuple[str, str]]:
    """(worker, ip) for residential addresses a worker signed in from repeatedly."""
    return con.execute(
        f"""
        SELECT l.worker_id, a."src_endpoint.ip"
        FROM authentication a
        JOIN ip_info i ON i.ip = a."src_endpoint.ip" AND i.kind = 'residential'
        JOIN ({UNAMBIGUOUS_LINKS_SQL}) l
          ON l.identifier = lower(coalesce(a."user.email_addr", a."user.name"))
        GROUP BY 1, 2 HAVING count(*) >= ?
        """,
        [min_sign_ins],
    ).fetchall()


def _kvm_serials(con: duckdb.DuckDBPyConnection) -> Iterable[tuple[str, str]]:
    """(worker, serial) of IP-KVM devices seen on workers' laptops (factory defaults
    excluded: every unit of a model ships with them)."""
    kvms = ipkvm_devices()
    ids = sorted({f"{k.usb_vendor_id}:{k.usb_product_id}" for k in kvms})
    defaults = sorted({k.usb_serial.lower() for k in kvms if k.usb_serial})
    return con.execute(
        f"""
        SELECT DISTINCT l.worker_id, lower(p."peripheral_device.serial_number")
        FROM peripheral_device_query p
        JOIN ({UNAMBIGUOUS_LINKS_SQL}) l ON l.identifier = lower(p."device.hostname")
        WHERE p."unmapped.usb_vendor_id" || ':' || p."unmapped.usb_product_id"
              IN ({", ".join("?" for _ in ids)})
          AND p."peripheral_device.serial_number" IS NOT NULL
          AND lower(p."peripheral_device.serial_number") NOT IN ({", ".join("?" for _ in defaults)})
        """,
        [*ids, *defaults],
    ).fetchall()


ENDPOINT_IDS = {
    "wifi_bssid": "$.wifi.bssid",
    "wifi_ssid": "$.wifi.ssid",
    "gateway_mac": "$.network.gateway_mac",
    "remote_tool_id": "$.remote_tool.id",
}
"""Link kinds read from endpoint rows (osquery ``wifi_status`` / ``registry``, see
docs/sources/osquery.md) and where the parser put each value under ``unmapped``."""
HOME_KINDS = frozenset({"residential_ip", "ship_address", "wifi_bssid", "wifi_ssid", "gateway_mac"})
"""Kinds a household shares by living together: at one home address, a household link."""


def _endpoint_ids(con: duckdb.DuckDBPyConnection) -> Iterable[tuple[str, str, str]]:
    """(kind, worker, value) for the network and remote-tool ids seen on workers' laptops."""
    picks = " UNION ALL ".join(
        f"SELECT '{kind}' AS kind, \"device.hostname\" AS host, "
        f"json_extract_string(\"unmapped\", '{path}') AS value FROM base_event "
        'WHERE json_valid("unmapped")'
        for kind, path in ENDPOINT_IDS.items()
    )
    return con.execute(
        f"""
        SELECT DISTINCT e.kind, l.worker_id,
               CASE WHEN e.kind = 'wifi_ssid' THEN e.value ELSE lower(e.value) END
        FROM ({picks}) e
        JOIN ({UNAMBIGUOUS_LINKS_SQL}) l ON l.identifier = lower(e.host)
        WHERE e.value IS NOT NULL AND e.value <> ''
        """
    ).fetchall()


def shared_attributes(con: duckdb.DuckDBPyConnection, model: ScoringModel) -> list[Attribute]:
    """Every value two or more workers share, with its rarity-weighted link weight."""
    roster = _roster(con)
    homes = {r["worker"]: address_text(r["home"]) for r in roster}
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in roster:
        phone = phone_key(r["phone_e164"], r["phone"])
        if phone:
            holders[("phone", phone)].add(r["worker"])
        payroll = payroll_key(r["payroll"])
        if payroll:
            holders[("payroll_account", payroll)].add(r["worker"])
        ship = address_text(r["ship"])
        if ship:
            holders[("ship_address", ship)].add(r["worker"])
    for worker, ip in _safe(con, lambda: _residential_ips(con, 2)):
        holders[("residential_ip", ip)].add(worker)
    for worker, serial in _safe(con, lambda: _kvm_serials(con)):
        holders[("kvm_serial", serial)].add(worker)
    for kind, worker, value in _safe(con, lambda: _endpoint_ids(con)):
        holders[(kind, value)].add(worker)
    population = max(len(roster), 2)
    out = []
    for (kind, value), workers in holders.items():
        if len(workers) < 2:
            continue
        rarity = max(math.log(population / len(workers)) / math.log(population), 0.0)
        attribute = Attribute(kind, value, workers, model.link_weights[kind] * rarity)
        household_homes = {homes.get(w) for w in workers}
        same_home = len(household_homes) == 1 and None not in household_homes
        if same_home and kind in HOME_KINDS:
            attribute.note = "the workers share a home address: a household, not a farm"
            attribute.weight = model.link_weights["household"] * rarity
        out.append(attribute)
    return sorted(out, key=lambda a: (-a.weight, a.kind, a.value))


def _safe(con: duckdb.DuckDBPyConnection, fetch: Any) -> list[Any]:
    """A query over tables a workspace may not have filled yet yields nothing."""
    try:
        return list(fetch())
    except duckdb.Error:
        return []


def find_clusters(attributes: list[Attribute], model: ScoringModel) -> list[Cluster]:
    """Connected groups of workers whose pairwise links reach ``model.min_link``."""
    pair: dict[tuple[str, str], float] = defaultdict(float)
    for attribute in attributes:
        holders = sorted(attribute.workers)
        for i, a in enumerate(holders):
            for b in holders[i + 1 :]:
                pair[(a, b)] += attribute.weight
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (a, b), weight in pair.items():
        if weight >= model.min_link:
            parent[root(a)] = root(b)
    groups: dict[str, set[str]] = defaultdict(set)
    for a, b in pair:
        if root(a) == root(b) and pair[(a, b)] >= model.min_link:
            groups[root(a)].update((a, b))
    clusters = []
    for members in groups.values():
        inside = [a for a in attributes if len(a.workers & members) >= 2]
        strength = sum(w for (a, b), w in pair.items() if a in members and b in members)
        farm = sum(a.weight * _pairs(len(a.workers & members)) for a in inside if not a.note)
        ordered = sorted(members)
        cluster_id = (
            "farm-" + hashlib.blake2b("|".join(ordered).encode(), digest_size=4).hexdigest()
        )
        clusters.append(Cluster(cluster_id, ordered, round(strength, 3), round(farm, 3), inside))
    return sorted(clusters, key=lambda c: (-c.farm_strength, -len(c.members), c.cluster_id))


def _pairs(n: int) -> int:
    return n * (n - 1) // 2
