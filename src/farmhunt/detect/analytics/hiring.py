"""Hiring-trail analytics: what the HR roster and the device inventory give away.

The FBI asks employers to verify identities and hiring records: VoIP numbers, phones
and bank accounts reused across hires, laptops shipped to an address that is not the
worker's home. These analytics read the latest roster row of each worker (``workers``,
latest ``time`` per ``employee_id``), the device inventory (``devices``) and the
enrichment's ``phone_info``. The roster is small (one row per person), so the latest
rows are chosen in the engine and compared here; addresses are compared after
normalisation (:func:`address_key`).

Hiring records have no event time of their own: a finding's times come from dates in
the data, the hire date, the device's ship date and the export's snapshot date
(:func:`data_date`), never from the clock of the import, so the same files give the
same findings whenever they are scanned; its ``event_uids`` are the roster and
inventory rows' ``metadata.uid``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar, cast

import duckdb
import ibis
import ibis.expr.types as ir

from farmhunt.detect.analytics import analytic
from farmhunt.detect.context import Context
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.params import params_of
from farmhunt.detect.subjects import subjects_for
from farmhunt.enrich.facts.addresses import AddressKey, address_key, same_place
from farmhunt.enrich.facts.contacts import payroll_key, phone_key
from farmhunt.enrich.facts.identifiers import WorkerIndex, roster_identifiers, worker_of
from farmhunt.enrich.facts.roster import RosterRow, latest_rows, read_roster, row_source
from farmhunt.enrich.facts.times import bounds, data_date, iso
from farmhunt.schema import STORE_TABLES

T = TypeVar("T")

# -- the roster and the inventory -----------------------------------------------------


def memo(ctx: Context, key: str, compute: Callable[[], T]) -> T:
    """``compute()``, once per run when the context keeps a memo (several rules read the
    same roster, inventory and presence)."""
    store = getattr(ctx, "memo", None)
    if not isinstance(store, dict):
        return compute()
    full = f"{__name__}.{key}"
    if full not in store:
        store[full] = compute()
    return cast(T, store[full])


def table_or_none(ctx: Context, name: str) -> ir.Table | None:
    """The table, or None when the workspace has none (enrichment not run …)."""
    try:
        return ctx.table(name)
    except (duckdb.Error, ibis.common.exceptions.IbisError, KeyError):
        return None


def roster(ctx: Context) -> dict[str, RosterRow]:
    """employee_id → the worker's latest roster row (with every home they ever gave)."""
    return memo(ctx, "roster", lambda: _roster(ctx))


def _roster(ctx: Context) -> dict[str, RosterRow]:
    t = table_or_none(ctx, "workers")
    return {} if t is None else read_roster(t)


def identifier_map(ctx: Context, workers: dict[str, RosterRow]) -> WorkerIndex:
    """The identifiers the roster itself gives (email, login, id) → employee_id."""
    return roster_identifiers(
        (
            row.employee_id,
            [row.values.get(c) for c in ("email", "username", "github_login", "employee_id")],
        )
        for row in workers.values()
    )


RETIRED_DEVICE_WORDS = ("retired", "returned", "disposed", "in stock", "instock", "spare")
"""Inventory statuses of laptops no longer with the worker they were assigned to."""


@dataclass
class DeviceRow:
    asset: str
    hostname: str | None
    serial: str | None
    device_uid: str | None
    shipped_to: str | None
    shipped_on: datetime | None
    uid: str | None
    time: datetime | None
    source: str
    status: str | None


def devices_by_worker(ctx: Context, ids: WorkerIndex) -> dict[str, list[DeviceRow]]:
    """employee_id → the latest inventory row of each laptop assigned to them."""
    return memo(ctx, "devices", lambda: _devices_by_worker(ctx, ids))


def _devices_by_worker(ctx: Context, ids: WorkerIndex) -> dict[str, list[DeviceRow]]:
    t = table_or_none(ctx, "devices")
    if t is None:
        return {}
    key = ibis.coalesce(
        t["serial_number"].nullif(""),
        t["asset_id"].nullif(""),
        t["hostname"].nullif(""),
        t["device_uid"].nullif(""),
    ).lower()
    latest = latest_rows(t, key)
    rows = latest.select(
        "__key",
        "asset_id",
        "serial_number",
        "hostname",
        "device_uid",
        "owner_email",
        "owner",
        "shipped_to",
        "shipped_on",
        "device_status",
        "time",
        "metadata.uid",
        "raw_source.file",
        "raw_source.record",
    )
    out: dict[str, list[DeviceRow]] = defaultdict(list)
    for row in sorted(rows.to_pyarrow().to_pylist(), key=lambda r: str(r["__key"])):
        status = str(row.get("device_status") or "").lower()
        if any(word in status for word in RETIRED_DEVICE_WORDS):
            continue  # back in stock or disposed of: no longer the worker's laptop
        worker = worker_of((ids, ctx.workers), (row.get("owner_email"), row.get("owner")))
        if worker is None:
            continue
        out[worker].append(
            DeviceRow(
                asset=row.get("asset_id") or row.get("serial_number") or row["__key"],
                hostname=row.get("hostname"),
                serial=row.get("serial_number"),
                device_uid=row.get("device_uid"),
                shipped_to=row.get("shipped_to"),
                shipped_on=row.get("shipped_on"),
                uid=row.get("metadata.uid"),
                time=row.get("time"),
                source=row_source(row),
                status=row.get("device_status"),
            )
        )
    return out


def mask(value: str) -> str:
    """A bank account (or its hash) shown by its last four characters only."""
    text = str(value)
    return "…" + text[-4:] if len(text) > 4 else "…"


def _roster_finding(
    rule: Rule,
    worker: RosterRow,
    explanation: str,
    evidence: dict[str, Any],
    uids: list[str | None],
    times: list[datetime | None],
    tables: list[str],
) -> Finding:
    first, last = bounds([worker.when, *times])
    return Finding(
        rule=rule,
        subject=worker.subject,
        subject_type=worker.subject_type,
        first_seen=first,
        last_seen=last,
        event_count=len({u for u in uids if u}),
        event_uids=sorted({u for u in uids if u}),
        explanation=explanation,
        evidence=evidence,
        worker_id=worker.employee_id,
        tables=tables,
    )


def _row_evidence(worker: RosterRow, *columns: str) -> dict[str, Any]:
    return {
        "employee_id": worker.employee_id,
        "email": worker.email,
        "name": worker.full_name,
        "hire_date": iso(worker.hire_date),
        "roster_row": worker.uid,
        "roster_source": worker.source,
        **{c: iso(worker.values.get(c)) for c in columns},
    }


# -- values shared by several hires -----------------------------------------------------


def _attribute_key(attribute: str, row: dict[str, Any], ignore: set[str]) -> str | None:
    if attribute == "phone":
        return phone_key(row.get("phone_e164"), row.get("phone"))
    if attribute == "home_address":
        key = address_key(row.get("home_address"))
        return key.building if key else None
    if attribute == "payroll_account":
        text = payroll_key(row.get(attribute))
    else:
        raw = row.get(attribute)
        text = None if raw is None else str(raw).strip().lower()
    if not text or text in ignore:
        return None
    return text


def _shown(attribute: str, value: str, worker: RosterRow) -> str:
    if attribute == "payroll_account":
        return mask(str(worker.values.get("payroll_account") or value))
    if attribute == "phone":
        return str(worker.values.get("phone_e164") or worker.values.get("phone") or value)
    return str(worker.values.get(attribute) or value)


ATTRIBUTE_WORDS = {
    "phone": "phone number",
    "payroll_account": "payroll account",
    "personal_email": "personal email address",
    "home_address": "home address",
}


@dataclass(frozen=True)
class SharedAttributeParams:
    attribute: Literal["phone", "payroll_account", "personal_email", "home_address"] = "phone"
    """The roster attribute compared."""
    min_workers: int = 2
    """Workers giving the same value."""
    household_max: int = 2
    """A household (one home, at most this many people) sharing it is left out."""
    ignore_values: tuple[str, ...] = ()
    """Values that are shared legitimately (a company switchboard number)."""


@analytic("hiring_shared_attribute", params=SharedAttributeParams)
def shared_attribute(ctx: Context, rule: Rule) -> list[Finding]:
    """Workers whose latest roster rows give the same phone, payroll account, personal
    email or home address (``params.attribute``), ``params.min_workers`` or more of
    them. A household (every sharer gives the same home, at most
    ``params.household_max`` people) sharing a phone or an account is left out."""
    p = params_of(rule, SharedAttributeParams)
    attribute = p.attribute
    min_workers = p.min_workers
    household_max = p.household_max
    ignore = {v.strip().lower() for v in p.ignore_values}
    workers = roster(ctx)
    groups: dict[str, list[RosterRow]] = defaultdict(list)
    for worker in workers.values():
        key = _attribute_key(attribute, worker.values, ignore)
        if key is not None:
            groups[key].append(worker)
    word = ATTRIBUTE_WORDS.get(attribute, attribute)
    findings = []
    for key, members in sorted(groups.items()):
        if len(members) < min_workers:
            continue
        homes = [address_key(m.values.get("home_address")) for m in members]
        household = (
            attribute != "home_address"
            and len(members) <= household_max
            and all(h is not None for h in homes)
            and len({h.building for h in homes if h is not None}) == 1
        )
        if household:
            continue
        shown = _shown(attribute, key, members[0])
        for worker in members:
            others = [m for m in members if m is not worker]
            names = ", ".join(m.described() for m in others[:5])
            more = f" and {len(others) - 5} more" if len(others) > 5 else ""
            distinct_homes = len({h.building for h in homes if h is not None})
            explanation = (
                f"{worker.described()} gives the {word} {shown} in the HR roster "
                f"({worker.source or 'latest row'}), as do {names}{more}: "
                f"{len(members)} different people"
                + (
                    f" giving {distinct_homes} different home addresses."
                    if distinct_homes > 1
                    else " giving one home address."
                    if distinct_homes == 1 and attribute != "home_address"
                    else "."
                )
            )
            evidence = {
                "attribute": attribute,
                "value": shown,
                "workers": [_row_evidence(m, "home_address") for m in members],
                "distinct_homes": distinct_homes,
            }
            findings.append(
                _roster_finding(
                    rule,
                    worker,
                    explanation,
                    evidence,
                    [m.uid for m in members],
                    [m.dated for m in members],
                    ["workers"],
                )
            )
    return findings


# -- where the laptop went ------------------------------------------------------------


@dataclass(frozen=True)
class Shipment:
    """One place a worker's laptop was (to be) shipped, and which record says so."""

    employee_id: str
    address: str
    key: AddressKey
    source: str
    """``roster`` or ``inventory``."""
    record: str
    uid: str | None
    when: datetime | None
    asset: str | None = None

    def where(self) -> str:
        """Which record says so, for explanations."""
        what = "roster ship address" if self.source == "roster" else f"inventory {self.asset}"
        return f"{what}, {self.record}" if self.record else what


def shipments(
    ctx: Context, workers: dict[str, RosterRow], ignore: Iterable[str] = ()
) -> list[Shipment]:
    """Every ship address: the roster's ``ship_address``, and each assigned laptop's
    ``shipped_to`` from the device inventory; addresses in ``ignore`` (the company's
    offices and IT depots) left out."""
    skip = {k.building for k in (address_key(a) for a in ignore) if k is not None}
    return [s for s in _shipments(ctx, workers) if s.key.building not in skip]


def _shipments(ctx: Context, workers: dict[str, RosterRow]) -> list[Shipment]:
    out = []
    for worker in workers.values():
        address = worker.values.get("ship_address")
        key = address_key(address)
        if key is not None:
            out.append(
                Shipment(
                    worker.employee_id,
                    str(address),
                    key,
                    "roster",
                    worker.source,
                    worker.uid,
                    worker.dated,
                )
            )
    for employee_id, devices in devices_by_worker(ctx, identifier_map(ctx, workers)).items():
        if employee_id not in workers:
            continue
        for device in devices:
            key = address_key(device.shipped_to)
            if key is not None and device.shipped_to is not None:
                out.append(
                    Shipment(
                        employee_id,
                        device.shipped_to,
                        key,
                        "inventory",
                        device.source,
                        device.uid,
                        device.shipped_on or data_date(device.time),
                        device.asset,
                    )
                )
    return out


def _is_home(worker: RosterRow, key: AddressKey) -> bool:
    if worker.homes:
        return key.building in worker.homes
    home = address_key(worker.values.get("home_address"))
    return same_place(home, key)


def _shipment_evidence(s: Shipment) -> dict[str, Any]:
    return {
        "source": s.source,
        "address": s.address,
        "record": s.record,
        "row": s.uid,
        "asset": s.asset,
        "date": iso(s.when),
    }


@dataclass(frozen=True)
class ShipAwayParams:
    ignore_addresses: tuple[str, ...] = ()
    """Ship addresses that are the company's own (offices, IT depots)."""


@analytic("hiring_ship_away_from_home", params=ShipAwayParams)
def ship_away_from_home(ctx: Context, rule: Rule) -> list[Finding]:
    """Workers whose laptop was (to be) shipped to an address that is not their home:
    the roster's ship address, or an assigned laptop's ``shipped_to``, compared with
    every home address the roster ever gave them (normalised, by building)."""
    workers = roster(ctx)
    away: dict[str, list[Shipment]] = defaultdict(list)
    for s in shipments(ctx, workers, params_of(rule, ShipAwayParams).ignore_addresses):
        worker = workers[s.employee_id]
        if not worker.values.get("home_address"):
            continue
        if not _is_home(worker, s.key):
            away[s.employee_id].append(s)
    findings = []
    for employee_id, items in sorted(away.items()):
        worker = workers[employee_id]
        places = sorted({s.address for s in items})
        explanation = (
            f"{worker.described()}'s laptop went to {'; '.join(places)} "
            f"({'; '.join(sorted({s.where() for s in items}))}), "
            f"not to their home address {worker.values.get('home_address')}."
        )
        findings.append(
            _roster_finding(
                rule,
                worker,
                explanation,
                _row_evidence(worker, "home_address", "ship_address")
                | {"shipments": [_shipment_evidence(s) for s in items]},
                [worker.uid, *(s.uid for s in items)],
                [s.when for s in items],
                sorted({"workers", *("devices" for s in items if s.source == "inventory")}),
            )
        )
    return findings


@dataclass(frozen=True)
class SharedShipParams:
    min_workers: int = 2
    """Different workers' laptops shipped to one place."""
    ignore_addresses: tuple[str, ...] = ()
    """Ship addresses that are the company's own (offices, IT depots)."""


@analytic("hiring_shared_ship_address", params=SharedShipParams)
def shared_ship_address(ctx: Context, rule: Rule) -> list[Finding]:
    """Laptops of ``params.min_workers`` or more different workers shipped to one place
    that is not the home of the worker it is flagged for. People living together (the
    place is home to each of them) are not flagged."""
    p = params_of(rule, SharedShipParams)
    min_workers = p.min_workers
    workers = roster(ctx)
    by_place: dict[str, list[Shipment]] = defaultdict(list)
    for s in shipments(ctx, workers, p.ignore_addresses):
        by_place[s.key.building].append(s)
    findings = []
    for _place, items in sorted(by_place.items()):
        people = sorted({s.employee_id for s in items})
        if len(people) < min_workers:
            continue
        residents = [p for p in people if _is_home(workers[p], items[0].key)]
        for employee_id in people:
            if employee_id in residents:
                continue
            worker = workers[employee_id]
            mine = [s for s in items if s.employee_id == employee_id]
            others = [workers[p] for p in people if p != employee_id]
            names = ", ".join(o.described() for o in others[:5])
            more = f" and {len(others) - 5} more" if len(others) > 5 else ""
            lives = (
                f"; it is the home of {', '.join(workers[r].employee_id for r in residents)}"
                if residents
                else "; it is none of their homes"
            )
            explanation = (
                f"{worker.described()}'s laptop was shipped to {mine[0].address} "
                f"({mine[0].where()}), which is not their home "
                f"({worker.values.get('home_address') or 'no home address'}); laptops of "
                f"{names}{more} went to the same address{lives}."
            )
            evidence = {
                "address": mine[0].address,
                "normalised": str(mine[0].key),
                "workers": [
                    _row_evidence(workers[p], "home_address")
                    | {
                        "lives_there": p in residents,
                        "shipments": [_shipment_evidence(s) for s in items if s.employee_id == p],
                    }
                    for p in people
                ],
            }
            findings.append(
                _roster_finding(
                    rule,
                    worker,
                    explanation,
                    evidence,
                    [s.uid for s in items] + [workers[p].uid for p in people],
                    [s.when for s in mine],
                    sorted({"workers", *("devices" for s in items if s.source == "inventory")}),
                )
            )
    return findings


# -- VoIP numbers ---------------------------------------------------------------------


@dataclass(frozen=True)
class VoipPhoneParams:
    line_types: tuple[str, ...] = ()
    """phone_info line types reported (voip …)."""


@analytic("hiring_voip_phone", params=VoipPhoneParams)
def voip_phone(ctx: Context, rule: Rule) -> list[Finding]:
    """Workers whose current roster phone number is VoIP (``phone_info.is_voip``: by
    libphonenumber's line type or a listed VoIP prefix) or of a line type listed in
    ``params.line_types``."""
    info = table_or_none(ctx, "phone_info")
    if info is None:
        return []
    workers = roster(ctx)
    line_types = [v.lower() for v in params_of(rule, VoipPhoneParams).line_types]
    flagged = info.filter(
        info["is_voip"].fill_null(False)
        | (info["line_type"].lower().isin(line_types) if line_types else ibis.literal(False))
    ).select("worker_id", "phone", "e164", "line_type", "region", "is_voip", "reason")
    findings = []
    for row in flagged.to_pyarrow().to_pylist():
        worker = workers.get(row["worker_id"])
        if worker is None or (worker.values.get("phone") or "") != (row["phone"] or ""):
            continue  # a number the worker no longer gives
        why = row.get("reason") or row.get("line_type")
        kind = "a VoIP number" if row.get("is_voip") else f"a {row.get('line_type')} line"
        explanation = (
            f"{worker.described()} gave the phone number {row['phone']} "
            f"({row.get('e164') or 'unparsed'}) in the HR roster ({worker.source or 'roster'}); "
            f"it is {kind}: {why}."
        )
        findings.append(
            _roster_finding(
                rule,
                worker,
                explanation,
                _row_evidence(worker, "phone", "phone_e164")
                | {
                    "line_type": row.get("line_type"),
                    "region": row.get("region"),
                    "reason": row.get("reason"),
                },
                [worker.uid],
                [worker.dated],
                ["workers", "phone_info"],
            )
        )
    return findings


# -- a managed laptop that never reports --------------------------------------------------

PRESENCE_COLUMNS = (
    "device.hostname",
    "device.uid",
    "device.name",
    "device.hw_info.serial_number",
    "device.hw_info.uuid",
)
"""Columns naming the host an event was recorded on (only on-device sources fill them)."""


Presence = tuple[set[str], datetime | None, datetime | None]


def _with_short_names(idents: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    for ident in idents:
        ident = ident.strip().lower()
        seen.add(ident)
        seen.add(ident.split(".", 1)[0])
    return seen


def _on_device(place: str) -> bool:
    """Whether a ``table.column`` names the host an event was recorded on."""
    table, _, column = place.partition(".")
    spec = STORE_TABLES.get(table)
    return spec is not None and spec.class_uid is not None and column in PRESENCE_COLUMNS


def presence_from_links(ctx: Context) -> Presence | None:
    """Host identifiers that identity resolution saw in an on-device column
    (``<table>.device.*``), from ``worker_links``; None when there are no links."""
    links = table_or_none(ctx, "worker_links")
    if links is None:
        return None
    rows = (
        links.filter(links["identifier"].notnull())
        .select("identifier", "seen_in", "first_seen", "last_seen")
        .to_pyarrow()
        .to_pylist()
    )
    if not rows:
        return None
    on_device = [r for r in rows if any(_on_device(place) for place in r["seen_in"] or [])]
    first, last = bounds([r["first_seen"] for r in on_device] + [r["last_seen"] for r in on_device])
    return _with_short_names(r["identifier"] for r in on_device), first, last


def endpoint_presence(ctx: Context) -> Presence:
    """Every host identifier seen in on-device telemetry (lower case; host names also by
    their first label), and the span that telemetry covers: from ``worker_links`` (where
    identity resolution recorded each identifier's columns), else by reading the event
    tables."""
    return memo(ctx, "presence", lambda: _endpoint_presence(ctx))


def _endpoint_presence(ctx: Context) -> Presence:
    linked = presence_from_links(ctx)
    if linked is not None:
        return linked
    parts = []
    for name, spec in sorted(STORE_TABLES.items()):
        if spec.class_uid is None:
            continue
        t = table_or_none(ctx, name)
        if t is None:
            continue
        for column in PRESENCE_COLUMNS:
            if column in t.columns:
                parts.append(
                    t.filter(t[column].notnull())
                    .group_by(ident=t[column].cast("string").lower())
                    .aggregate(first=t["time"].min(), last=t["time"].max())
                )
    if not parts:
        return set(), None, None
    union = parts[0]
    for part in parts[1:]:
        union = union.union(part)
    rows = (
        union.group_by("ident")
        .aggregate(first=union["first"].min(), last=union["last"].max())
        .to_pyarrow()
        .to_pylist()
    )
    first, last = bounds([r["first"] for r in rows] + [r["last"] for r in rows])
    return _with_short_names(r["ident"] for r in rows), first, last


def account_days(ctx: Context, tables: list[str]) -> dict[str, dict[str, Any]]:
    """lower(account identifier) → {days: set of dates, events: count} from sign-ins and
    SaaS activity (successful sign-ins only)."""
    parts = []
    for name in tables:
        t = table_or_none(ctx, name)
        if t is None:
            continue
        columns = [c for c in subjects_for(name) if c in t.columns]
        if not columns:
            continue
        if name == "authentication" and "status_id" in t.columns:
            t = t.filter(t["status_id"] == 1)
        values = [t[c].cast("string").nullif("") for c in columns]
        ident = (ibis.coalesce(*values) if len(values) > 1 else values[0]).lower()
        parts.append(
            t.select(ident=ident, day=t["time"].date())
            .filter(lambda s: s["ident"].notnull())
            .group_by("ident", "day")
            .aggregate(events=lambda s: s.count())
        )
    out: dict[str, dict[str, Any]] = {}
    if not parts:
        return out
    union = parts[0]
    for part in parts[1:]:
        union = union.union(part)
    for row in union.to_pyarrow().to_pylist():
        entry = out.setdefault(row["ident"], {"days": set(), "events": 0})
        entry["days"].add(row["day"])
        entry["events"] += row["events"]
    return out


@dataclass(frozen=True)
class DeviceAbsentParams:
    min_active_days: int = 3
    """Days of account activity with no managed laptop reporting."""
    grace_days: float = 7.0
    """Days after the hire or ship date that do not count."""
    min_fleet_coverage: float = 0.6
    """Share of active workers' laptops that must report before the rule speaks."""
    min_fleet_devices: int = 3
    """Reporting laptops needed before the rule speaks."""
    include_unassigned: bool = False
    """Also report workers with no laptop assigned in the inventory."""
    activity_tables: tuple[str, ...] = ("authentication", "api_activity")
    """Tables whose events are account activity."""


@analytic("hiring_managed_device_absent", params=DeviceAbsentParams)
def managed_device_absent(ctx: Context, rule: Rule) -> list[Finding]:
    """Workers whose account is in daily use while no laptop assigned to them ever
    reports in endpoint telemetry (the impostor works from a personal device).

    Only where endpoint telemetry covers the fleet: at least ``min_fleet_coverage`` of
    the active workers' laptops report, else the rule says nothing. Days before the
    hire date or the ship date plus ``grace_days`` do not count.
    """
    p = params_of(rule, DeviceAbsentParams)
    min_days = p.min_active_days
    grace = timedelta(days=p.grace_days)
    min_coverage = p.min_fleet_coverage
    min_fleet = p.min_fleet_devices
    include_unassigned = p.include_unassigned
    tables = list(p.activity_tables)
    workers = roster(ctx)
    if not workers:
        return []
    ids = identifier_map(ctx, workers)
    devices = devices_by_worker(ctx, ids)
    seen, tel_first, tel_last = endpoint_presence(ctx)
    if tel_first is None or tel_last is None:
        return []
    days: dict[str, set[Any]] = defaultdict(set)
    events: dict[str, int] = defaultdict(int)
    accounts: dict[str, set[str]] = defaultdict(set)
    for ident, entry in account_days(ctx, tables).items():
        owner = worker_of((ids, ctx.workers), (ident,))
        if owner is None or owner not in workers:
            continue
        accounts[owner].add(ident)
        events[owner] += entry["events"]
        days[owner] |= entry["days"]
    candidates = []
    reporting = 0
    for employee_id, worker in workers.items():
        status = str(worker.values.get("employment_status") or "").lower()
        if status.startswith(("term", "inactive", "leave")):
            continue
        owned = devices.get(employee_id, [])
        if not owned and not include_unassigned:
            continue
        starts = [d for d in (worker.hire_date,) if d is not None]
        starts += [d.shipped_on for d in owned if d.shipped_on is not None]
        ready = max(starts) + grace if starts else None
        active = sorted(
            d
            for d in days.get(employee_id, set())
            if tel_first.date() <= d <= tel_last.date() and (ready is None or d >= ready.date())
        )
        if len(active) < min_days:
            continue
        reports = any(
            (
                d.hostname
                and (d.hostname.lower() in seen or d.hostname.lower().split(".")[0] in seen)
            )
            or (d.serial and d.serial.lower() in seen)
            or (d.device_uid and d.device_uid.lower() in seen)
            for d in owned
        )
        if reports:
            reporting += 1
        else:
            candidates.append((worker, owned, active))
    fleet = reporting + len(candidates)
    if reporting < min_fleet or fleet == 0 or reporting / fleet < min_coverage:
        return []
    findings = []
    for worker, owned, active in candidates:
        names = (
            ", ".join(f"{d.hostname or d.asset} (serial {d.serial or '?'})" for d in owned)
            or "no laptop assigned in the inventory"
        )
        explanation = (
            f"{worker.described()} was active on {len(active)} days from {active[0]} to "
            f"{active[-1]} ({events[worker.employee_id]} sign-ins and SaaS actions), but "
            f"their laptop {names} never appears in endpoint telemetry, which covers "
            f"{reporting} of {fleet} active workers' laptops from {tel_first:%Y-%m-%d} to "
            f"{tel_last:%Y-%m-%d}."
        )
        evidence = _row_evidence(worker, "employment_status") | {
            "active_days": len(active),
            "first_active_day": str(active[0]),
            "last_active_day": str(active[-1]),
            "account_events": events[worker.employee_id],
            "accounts": sorted(accounts[worker.employee_id])[:10],
            "devices": [
                {
                    "asset": d.asset,
                    "hostname": d.hostname,
                    "serial": d.serial,
                    "device_uid": d.device_uid,
                    "shipped_on": iso(d.shipped_on),
                    "shipped_to": d.shipped_to,
                    "row": d.uid,
                    "record": d.source,
                }
                for d in owned
            ],
            "fleet_reporting": reporting,
            "fleet_active": fleet,
        }
        first = datetime.combine(active[0], datetime.min.time(), tzinfo=tel_first.tzinfo)
        last = datetime.combine(active[-1], datetime.max.time(), tzinfo=tel_first.tzinfo)
        finding = _roster_finding(
            rule,
            worker,
            explanation,
            evidence,
            [worker.uid, *(d.uid for d in owned)],
            [],
            ["workers", "devices", *tables],
        )
        finding.first_seen, finding.last_seen = first, last
        finding.device = owned[0].hostname if owned else None
        findings.append(finding)
    return findings
