"""Co-location: several workers behind one residential Internet address.

A laptop farm is a house holding the company laptops of several "remote workers": their
sign-ins, git pushes and drive actions all leave from the facilitator's home broadband
address. This analytic counts, per public address, the workers whose events came from
it, and keeps only addresses enrichment classifies as ``residential`` (``kinds``): an
office or corporate egress, a conference venue or hotel, a mobile carrier's
carrier-grade NAT and a VPN exit are shared by design, and are not farms.

How strong a shared address is depends on:

- **households**: workers whose roster home addresses are the same (after
  normalisation) are one household. A couple, or flatmates, working for the company
  share their broadband honestly; ``min_households``/``max_households`` choose the
  farm pattern (three or more households, the weak/strong split of the rules) or the
  two-household pattern;
- **rarity**: the company baseline is how many workers have any attributed public
  address at all (``N``); an address shared by ``n`` of them has an IDF-like rarity
  ``ln(N / n)``. An address a large share of the company uses (``max_company_share``)
  is an unlisted office or proxy, not a farm;
- **habit**: a worker counts at an address only after ``min_days`` days there (one
  visit to a colleague's home is not living there).

One finding per worker, naming the shared address(es) and the other workers, so that
scoring can assemble the farm.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from farmhunt.detect.analytics import analytic
from farmhunt.detect.analytics.identity import (
    Person,
    activity_places,
    plural,
    roster,
    subject_of,
    uids_of,
)
from farmhunt.detect.context import Context
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.params import params_of
from farmhunt.enrich.facts.times import iso, span

ABBREVIATIONS = {
    "street": "st",
    "avenue": "ave",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "road": "rd",
    "boulevard": "blvd",
    "place": "pl",
    "apartment": "apt",
    "unit": "apt",
    "suite": "apt",
    "#": "apt",
}


def household_key(address: str | None) -> str | None:
    """A home address reduced to compare households: case, accents, punctuation and the
    usual street-word spellings do not matter."""
    if not address or not address.strip():
        return None
    text = unicodedata.normalize("NFKD", address).encode("ascii", "ignore").decode().lower()
    text = text.replace("#", " # ")
    words = re.findall(r"[a-z0-9#]+", text)
    return " ".join(ABBREVIATIONS.get(w, w) for w in words) or None


@dataclass(frozen=True)
class SharedResidentialIpParams:
    kinds: tuple[str, ...] = ("residential",)
    """ip_info kinds of a home connection."""
    tables: tuple[str, ...] = ("authentication", "api_activity", "file_hosting_activity")
    """Tables whose source addresses are where workers connect from."""
    min_households: int = 3
    """Distinct households (roster home addresses) behind one address."""
    max_households: int | None = None
    """At most this many households (null: no upper bound); picks the two-household band."""
    min_workers: int = 2
    """Distinct workers behind one address."""
    min_days: int = 2
    """Days each worker was seen there."""
    max_company_share: float = 0.25
    """An address shared by more of the company than this is an office or a VPN."""


@analytic("shared_residential_ip", params=SharedResidentialIpParams)
def shared_residential_ip(ctx: Context, rule: Rule) -> list[Finding]:
    """Workers of several households behind one residential address (see module)."""
    p = params_of(rule, SharedResidentialIpParams)
    kinds = list(p.kinds)
    tables = list(p.tables)
    min_households = p.min_households
    max_households = p.max_households
    min_workers = p.min_workers
    min_days = p.min_days
    max_share = p.max_company_share

    a = activity_places(ctx, tables)
    linked = a.filter(a.worker_id.notnull())
    company = linked.worker_id.nunique().to_pyarrow().as_py() or 0
    if company == 0:
        return []
    at = linked.filter(linked.kind.isin(kinds))
    per = at.group_by(["ip", "worker_id"]).aggregate(
        days=at.time.date().nunique(),
        events=at.count(),
        first=at.time.min(),
        last=at.time.max(),
        provider=at.provider.max(),
        country=at.country.max(),
        kind=at.kind.max(),
    )
    per = per.filter(per.days >= min_days)
    counts = per.group_by("ip").aggregate(n=per.worker_id.nunique())
    candidates = counts.filter(counts.n >= min_workers)
    per = per.join(candidates, "ip")
    rows = per.order_by(["ip", "worker_id"]).to_pyarrow().to_pylist()
    if not rows:
        return []
    # every account seen at the candidate addresses, linked or not (for rarity)
    ips = sorted({r["ip"] for r in rows})
    seen = a.filter(a.ip.isin(ips))
    accounts = {
        r["ip"]: int(r["n"])
        for r in seen.group_by("ip").aggregate(n=seen.who.nunique()).to_pyarrow().to_pylist()
    }
    people = roster(ctx)
    by_ip: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_ip[r["ip"]].append(r)
    shared: dict[str, list[dict[str, Any]]] = defaultdict(list)
    """worker → the qualifying addresses they share, with everyone there."""
    for ip, here in by_ip.items():
        n = len(here)
        if n / company > max_share:
            continue
        homes = {r["worker_id"]: _home(people.get(r["worker_id"]), r["worker_id"]) for r in here}
        households = len(set(homes.values()))
        if households < min_households:
            continue
        if max_households is not None and households > max_households:
            continue
        rarity = math.log(company / n) if n < company else 0.0
        for r in here:
            shared[r["worker_id"]].append(
                {
                    "ip": ip,
                    "row": r,
                    "others": [o for o in here if o["worker_id"] != r["worker_id"]],
                    "households": households,
                    "homes": homes,
                    "workers": n,
                    "accounts": accounts.get(ip, n),
                    "rarity": rarity,
                }
            )
    if not shared:
        return []
    flagged = a.filter(a.worker_id.isin(sorted(shared)) & a.ip.isin(ips))
    flagged = flagged.mutate(__k=flagged.worker_id.concat("\x1f", flagged.ip))
    wanted = [f"{w}\x1f{s['ip']}" for w, items in shared.items() for s in items]
    uids = uids_of(flagged, "__k", wanted)
    findings = []
    for worker, items in sorted(shared.items()):
        items.sort(key=lambda s: (-s["households"], -s["rarity"], s["ip"]))
        person = people.get(worker)
        subject, subject_type = subject_of(person, worker)
        main = items[0]
        mine = main["row"]
        same_home = [
            o["worker_id"]
            for o in main["others"]
            if main["homes"][o["worker_id"]] == main["homes"][worker]
        ]
        others = ", ".join(
            f"{_label(people.get(o['worker_id']), o['worker_id'])} ({plural(o['days'], 'day')})"
            for o in main["others"][:8]
        )
        where = ", ".join(x for x in (mine["provider"], mine["country"]) if x)
        explanation = (
            f"{subject} used the residential address {main['ip']} ({where}) on "
            f"{plural(mine['days'], 'day')} ({span(mine['first'], mine['last'])}), and so did "
            f"{plural(len(main['others']), 'other worker')}: {others}. "
            f"{main['workers']} of the company's {company} workers "
            f"({main['households']} household{'s' if main['households'] != 1 else ''} by the "
            f"roster's home addresses) share it; rarity ln({company}/{main['workers']}) = "
            f"{main['rarity']:.2f}."
            + (
                f" {', '.join(same_home)} live{'s' if len(same_home) == 1 else ''} at the "
                "same home address as this worker."
                if same_home
                else ""
            )
            + (f" {len(items) - 1} more shared address(es)." if len(items) > 1 else "")
        )
        events: list[str] = []
        for item in items:
            events += uids.get(f"{worker}\x1f{item['ip']}", [])
        findings.append(
            Finding(
                rule=rule,
                subject=subject,
                subject_type=subject_type,
                first_seen=min(s["row"]["first"] for s in items),
                last_seen=max(s["row"]["last"] for s in items),
                event_count=sum(int(s["row"]["events"]) for s in items),
                event_uids=events[:100],
                explanation=explanation,
                evidence={
                    "shared_ips": [
                        {
                            "ip": s["ip"],
                            "kind": s["row"]["kind"],
                            "provider": s["row"]["provider"],
                            "country": s["row"]["country"],
                            "days": int(s["row"]["days"]),
                            "events": int(s["row"]["events"]),
                            "workers": s["workers"],
                            "households": s["households"],
                            "accounts": s["accounts"],
                            "rarity": round(s["rarity"], 3),
                            "others": [
                                {
                                    "worker_id": o["worker_id"],
                                    "email": _email(people.get(o["worker_id"])),
                                    "days": int(o["days"]),
                                    "events": int(o["events"]),
                                    "first": iso(o["first"]),
                                    "last": iso(o["last"]),
                                    "same_home": s["homes"][o["worker_id"]] == s["homes"][worker],
                                }
                                for o in s["others"]
                            ],
                        }
                        for s in items
                    ],
                    "company_workers": company,
                },
                worker_id=worker,
                tables=sorted(set(tables) | {"ip_info", "workers"}),
            )
        )
    return findings


def _home(person: Person | None, worker: str) -> str:
    key = household_key(person.home_address) if person is not None else None
    return key or f"worker:{worker}"


def _label(person: Person | None, worker: str) -> str:
    return person.label if person is not None else worker


def _email(person: Person | None) -> str | None:
    return person.email if person is not None else None
