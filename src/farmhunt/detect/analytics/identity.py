"""Identity analytics: where workers sign in from, judged against the roster.

The FBI asks employers to check where workers connect from: VPN and hosting exits,
countries the roster does not expect, one account in two places at once. These
analytics join the sign-ins (``authentication``) to the enrichment's ``ip_info`` (kind,
country, provider of every address) and to the worker each account belongs to
(``worker_links``), and compare with the latest HR roster row of that worker.

Everything heavy runs as Ibis expressions in the engine; Python sees one aggregated row
per worker (or per flagged worker and address) to word the finding. The helpers here
(attributing rows to workers, the roster, classified sign-ins, allow-lists) are shared
with the network, working-hours and co-location analytics.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from farmhunt.detect.allowlist import ignored_ip_expr
from farmhunt.detect.analytics import analytic
from farmhunt.detect.context import MAX_UIDS, Context
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.params import params_of
from farmhunt.detect.windows import distinct_in_range
from farmhunt.enrich.facts.identifiers import unambiguous_links
from farmhunt.enrich.facts.roster import RosterRow, read_roster
from farmhunt.enrich.facts.times import iso, span

NOT_PUBLIC = (
    "private",
    "cgnat",
    "loopback",
    "link_local",
    "multicast",
    "reserved",
    "invalid",
)
"""ip_info kinds that are not a place on the Internet a person connects from."""

SIGN_IN_IDENTIFIERS = ("user.email_addr", "user.name", "user.uid", "actor.user.email_addr")
"""Columns of ``authentication`` naming the account, in the order they are trusted."""

ACTOR_IDENTIFIERS = ("actor.user.email_addr", "actor.user.name", "actor.user.uid")
"""Columns of SaaS tables (``api_activity``, ``file_hosting_activity``) naming the actor."""


def shared(
    ctx: Context,
    key: str,
    build: Callable[[], list[ir.Table]],
    users: Iterable[str] = (),
) -> ir.Table:
    """A relation several analytics read in one run: the rows of the parts ``build``
    returns, stored in the engine once (:func:`materialize`) and dropped when no
    remaining rule runs one of ``users`` (``Context.remember``)."""
    name = f"identity:{key}"
    if name not in ctx.memo:
        table = materialize(ctx, build())
        ctx.remember(name, table, users=users, release=lambda: drop(ctx, table))
    found: ir.Table = ctx.recall(name)
    return found


def materialize(ctx: Context, parts: Sequence[ir.Table]) -> ir.Table:
    """The rows of all ``parts`` (one schema) as one table, filled one part at a time,
    in the run's scratch database when it has one (``Context.memo_database``); :func:`drop`
    removes it.

    A single ``CREATE TABLE AS`` over a ``UNION ALL`` of several store scans holds
    memory beyond DuckDB's limit while it runs (the union of the remote-access sources
    took far more than inserting each source in turn: docs/performance.md), so the
    union is never built in one statement.
    """
    name = ibis.util.gen_name("farmhunt_union")
    database = ctx.memo_database()
    if database is None:
        ctx.backend.create_table(name, parts[0], temp=True)
        for part in parts[1:]:
            ctx.backend.insert(name, part)
        return ctx.backend.table(name)
    where = f"{database}.main"
    ctx.backend.create_table(name, parts[0], database=where)
    for part in parts[1:]:
        ctx.backend.insert(name, part, database=where)
    return ctx.backend.table(name, database=where)


def drop(ctx: Context, table: ir.Table) -> None:
    """Drop a table made by :func:`materialize`."""
    qualified = ".".join('"' + p.replace('"', '""') + '"' for p in table.get_name().split("."))
    ctx.con.execute(f"DROP TABLE IF EXISTS {qualified}")


# -- attribution ---------------------------------------------------------------------------


def links(ctx: Context) -> ir.Table:
    """identifier → worker_id, for identifiers that name exactly one worker."""
    return shared(ctx, "links", lambda: [_links(ctx)])  # small: kept for the run


def _links(ctx: Context) -> ir.Table:
    return unambiguous_links(ctx.table("worker_links"))


def with_worker(ctx: Context, t: ir.Table, columns: Iterable[str]) -> ir.Table:
    """``t`` with a ``worker_id`` column: the worker of the first of ``columns`` whose
    value ``worker_links`` resolves (exact identifier, as the events hold it)."""
    lk = links(ctx)
    out = t
    found = []
    for index, column in enumerate(c for c in columns if c in t.columns):
        ident, worker = f"__id{index}", f"__wk{index}"
        right = lk.select(**{ident: lk.identifier, worker: lk.worker_id})
        out = out.left_join(right, out[column].cast("string") == right[ident])
        found.append(worker)
    if not found:
        return t.mutate(worker_id=ibis.null().cast("string"))
    worker_id = ibis.coalesce(*[out[w] for w in found]) if len(found) > 1 else out[found[0]]
    out = out.mutate(worker_id=worker_id)
    return out.drop(*[c for c in out.columns if c.startswith(("__id", "__wk"))])


def narrow(t: ir.Table, columns: Iterable[str]) -> ir.Table:
    """Only the columns an analytic reads (the tables are wide; a narrow relation keeps
    the compiled query small)."""
    return t.select(*[c for c in dict.fromkeys(columns) if c in t.columns])


def first_of(t: ir.Table, columns: Iterable[str]) -> ir.StringValue:
    """The first non-empty of ``columns`` (as text)."""
    values = [t[c].cast("string").nullif("") for c in columns if c in t.columns]
    if not values:
        return ibis.null().cast("string")
    return ibis.coalesce(*values) if len(values) > 1 else values[0]


# -- the roster ----------------------------------------------------------------------------


Person = RosterRow
"""A worker as the roster gives them (the one roster type: :mod:`farmhunt.enrich.facts.roster`)."""


def roster(ctx: Context) -> dict[str, Person]:
    """Latest roster facts per worker id (one small row per person)."""
    if "identity:roster" not in ctx.memo:
        ctx.memo["identity:roster"] = read_roster(ctx.table("workers"))
    people: dict[str, Person] = ctx.memo["identity:roster"]
    return people


def subject_of(person: Person | None, fallback: str) -> tuple[str, str]:
    """(subject, subject type) of a finding about a worker: the roster email."""
    if person is not None and person.email:
        return person.email, "email"
    if person is not None:
        return person.worker_id, "worker"
    return fallback, "email" if "@" in fallback else "username"


# -- allow-lists from the settings -----------------------------------------------------------


@dataclass(frozen=True)
class Trip:
    worker_id: str
    country: str
    start: date
    end: date


def trips(ctx: Context, people: dict[str, Person]) -> list[Trip]:
    """``allow.travel`` entries, each resolved to a worker id (by id or roster email)."""
    by_email = {p.email.lower(): p.worker_id for p in people.values() if p.email}
    out = []
    for entry in ctx.settings.allow.travel:
        key = entry.worker
        worker = key if key in people else by_email.get(key.lower())
        if worker is not None:
            out.append(Trip(worker, entry.country.upper(), entry.start, entry.end))
    return out


def travel_table(ctx: Context, people: dict[str, Person]) -> ir.Table | None:
    rows = [
        {"worker_id": t.worker_id, "country": t.country, "start": t.start, "end": t.end}
        for t in trips(ctx, people)
    ]
    if not rows:
        return None
    return ibis.memtable(
        rows, schema={"worker_id": "string", "country": "string", "start": "date", "end": "date"}
    )


def off_known_trips(t: ir.Table, travel: ir.Table | None, country: str = "country") -> ir.Table:
    """``t`` without the rows inside an ``allow.travel`` entry of their worker: on the
    trip's days and from the country visited."""
    if travel is None:
        return t
    tr = travel.select(
        __tw=travel.worker_id, __tc=travel.country, __ts=travel.start, __te=travel.end
    )
    day = t.time.date()
    return t.anti_join(
        tr, [t.worker_id == tr.__tw, t[country] == tr.__tc, day >= tr.__ts, day <= tr.__te]
    )


# -- sign-ins --------------------------------------------------------------------------------


def classified(ctx: Context, t: ir.Table, ip_column: str) -> ir.Table:
    """``t`` joined to ``ip_info`` on ``ip_column``: ``__ip``, ``__kind`` (unknown when
    enrichment has not seen it), ``__country`` (ip_info's, else the source's own location),
    ``__provider`` and ``__reason``; rows without an address or in ``allow.ignore_ips``
    are left out."""
    info = ctx.table("ip_info")
    info = info.select(
        __i_ip=info.ip,
        __i_kind=info.kind,
        __i_country=info.country,
        __i_provider=ibis.coalesce(info.provider.nullif(""), info.asn_org.nullif("")),
        __i_asn_org=info.asn_org,
        __i_reason=info.reason,
    )
    base = t.filter(t[ip_column].notnull() & (t[ip_column] != ""))
    j = base.left_join(info, base[ip_column] == info.__i_ip)
    location = _location_column(ip_column)
    own_country = j[location].cast("string").upper().nullif("") if location in j.columns else None
    country = j.__i_country.upper().nullif("")
    j = j.mutate(
        __ip=j[ip_column],
        __kind=ibis.coalesce(j.__i_kind, special_kind(j[ip_column]), ibis.literal("unknown")),
        __country=ibis.coalesce(country, own_country) if own_country is not None else country,
        __ip_country=country,
        __own_country=own_country if own_country is not None else ibis.null().cast("string"),
        __provider=j.__i_provider,
        __asn_org=j.__i_asn_org,
        __reason=j.__i_reason,
    )
    j = j.drop(*[c for c in j.columns if c.startswith("__i_")])
    return j.filter(~ignored_ip_expr(ctx.settings, j.__ip))


def special_kind(ip: ir.StringValue) -> ir.StringValue:
    """The kind of an address enrichment has not classified (yet), when its text alone
    says it is not on the Internet: private, carrier-grade NAT, loopback, link-local."""
    text = ip.lower()
    return ibis.cases(
        (
            text.re_search(r"^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|f[cd][0-9a-f]{2}:)"),
            "private",
        ),
        (text.re_search(r"^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\."), "cgnat"),
        (text.re_search(r"^(127\.|::1$)"), "loopback"),
        (text.re_search(r"^(169\.254\.|fe[89ab][0-9a-f]:)"), "link_local"),
        else_=ibis.null().cast("string"),
    )


def _location_column(ip_column: str) -> str:
    prefix = ip_column.rsplit(".", 1)[0]
    return f"{prefix}.location.country"


SIGN_INS_USERS = ("impossible_travel", "vpn_sign_ins", "foreign_sign_ins", "foreign_working_hours")
"""The analytics that read :func:`sign_ins` (the engine drops it after the last)."""


def sign_ins(ctx: Context) -> ir.Table:
    """Sign-ins from public addresses, one row per event, with the worker they belong to
    and what the address is. Columns: ``uid``, ``time``, ``worker_id``, ``account``,
    ``ip``, ``kind``, ``country``, ``provider``, ``is_proxy``, ``lat``, ``lon``,
    ``status_id``, ``product``."""
    return shared(ctx, "sign_ins", lambda: [_sign_ins(ctx)], SIGN_INS_USERS)


def _sign_ins(ctx: Context) -> ir.Table:
    a = narrow(
        ctx.table("authentication"),
        [
            "metadata.uid",
            "time",
            *SIGN_IN_IDENTIFIERS,
            "src_endpoint.ip",
            "src_endpoint.is_proxy",
            "src_endpoint.location.country",
            "src_endpoint.location.lat",
            "src_endpoint.location.long",
            "src_endpoint.location.city",
            "status_id",
            "metadata.product.name",
        ],
    )
    a = with_worker(ctx, a, SIGN_IN_IDENTIFIERS)
    # an account no worker owns counts only when it signed in: a failed sign-in's user
    # name is whatever was typed (a password, sometimes), not an account to report
    a = a.filter(a.worker_id.notnull() | (a.status_id.fill_null(0) == 1))
    a = a.mutate(__account=first_of(a, SIGN_IN_IDENTIFIERS))
    c = classified(ctx, a, "src_endpoint.ip")
    c = c.filter(~c.__kind.isin(NOT_PUBLIC))
    return c.select(
        uid=c["metadata.uid"],
        time=c.time,
        worker_id=c.worker_id,
        account=c.__account,
        who=ibis.coalesce(c.worker_id, c.__account.lower()),
        ip=c.__ip,
        kind=c.__kind,
        country=c.__country,
        ip_country=c.__ip_country,
        idp_country=c.__own_country,
        provider=c.__provider,
        asn_org=c.__asn_org,
        reason=c.__reason,
        is_proxy=c["src_endpoint.is_proxy"].fill_null(False),
        lat=c["src_endpoint.location.lat"].cast("float64"),
        lon=c["src_endpoint.location.long"].cast("float64"),
        city=c["src_endpoint.location.city"],
        status_id=c.status_id,
        product=c["metadata.product.name"],
    )


def uids_of(
    t: ir.Table,
    key: str,
    keys: Iterable[Any],
    *,
    limit: int = MAX_UIDS,
    ties: Iterable[str] = (),
) -> dict[Any, list[str]]:
    """Up to ``limit`` event uids per key (earliest first, then by uid and the ``ties``
    columns, so the same uids are kept on every run), for the flagged keys only."""
    wanted = sorted({k for k in keys if k is not None})
    if not wanted:
        return {}
    sub = t.filter(t[key].isin(wanted))
    order = [sub.time, sub.uid, *(sub[c] for c in ties)]
    ranked = sub.mutate(__rn=ibis.row_number().over(group_by=sub[key], order_by=order))
    rows = (
        ranked.filter(ranked.__rn < limit)
        .select(__k=ranked[key], uid=ranked.uid, __rn=ranked.__rn)
        .order_by(["__k", "__rn"])
        .to_pyarrow()
        .to_pylist()
    )
    out: dict[Any, list[str]] = defaultdict(list)
    for row in rows:
        if row["uid"]:
            out[row["__k"]].append(row["uid"])
    return out


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def percent(share: float) -> str:
    return f"{round(100 * share)}%"


# -- VPN, hosting and proxy sign-ins ------------------------------------------------------------


@dataclass(frozen=True)
class VpnSignInParams:
    tier: Literal["strong", "weak"] = "strong"
    """``strong``: mostly, or often through several exits; ``weak``: now and then."""
    kinds: tuple[str, ...] = ("vpn", "hosting", "cloud")
    """ip_info kinds counted as an anonymising exit."""
    min_sign_ins: int = 10
    """Sign-ins a worker needs before a share means anything."""
    min_vpn_sign_ins: int = 3
    """Sign-ins through such exits the weak tier needs."""
    min_share: float = 0.05
    """Share of sign-ins through such exits the weak tier needs."""
    strong_share: float = 0.75
    """Share of sign-ins through such exits that is "mostly"."""
    mixed_share: float = 0.3
    """Share that is "often" when spread over ``min_exits`` addresses."""
    min_exits: int = 2
    """Distinct exit addresses of the "often, through several" case."""


@analytic("vpn_sign_ins", params=VpnSignInParams)
def vpn_sign_ins(ctx: Context, rule: Rule) -> list[Finding]:
    """Per worker: how many sign-ins came through VPN, hosting or cloud exits (ip_info
    kind, or the IdP's own proxy flag), their share, and through how many providers.

    ``tier: strong`` reports workers who sign in mostly through such exits
    (``share >= strong_share``) or often through several of them (``share >=
    mixed_share`` and ``exits >= min_exits`` distinct addresses); ``tier: weak`` reports
    the rest who use one at all (at least ``min_vpn_sign_ins`` and ``min_share``): the
    consumer-VPN profile, one exit now and then.
    """
    p = params_of(rule, VpnSignInParams)
    kinds = list(p.kinds)
    tier = p.tier
    min_total = p.min_sign_ins
    min_vpn = p.min_vpn_sign_ins
    min_share = p.min_share
    strong_share = p.strong_share
    mixed_share = p.mixed_share
    min_exits = p.min_exits

    s = sign_ins(ctx)
    s = s.mutate(
        vpn=s.kind.isin(kinds) | s.is_proxy,
        exit_key=ibis.coalesce(s.provider, s.ip),
    )
    per = s.group_by("who").aggregate(
        worker_id=s.worker_id.max(),
        account=s.account.max(),
        total=s.count(),
        vpn_count=s.vpn.sum(),
        exits=s.ip.nunique(where=s.vpn),
        providers=s.exit_key.nunique(where=s.vpn),
        vpn_days=s.time.date().nunique(where=s.vpn),
        first=s.time.min(where=s.vpn),
        last=s.time.max(where=s.vpn),
    )
    per = per.mutate(share=per.vpn_count.cast("float64") / per.total)
    strong = (per.share >= strong_share) | ((per.share >= mixed_share) & (per.exits >= min_exits))
    base = (per.total >= min_total) & (per.vpn_count >= min_vpn) & (per.share >= min_share)
    chosen = per.filter(base & (strong if tier == "strong" else ~strong))
    rows = chosen.order_by("who").to_pyarrow().to_pylist()
    if not rows:
        return []
    who = [r["who"] for r in rows]
    vpn_rows = s.filter(s.vpn & s.who.isin(who))
    exits = (
        vpn_rows.group_by(["who", "ip", "kind", "provider", "country"])
        .aggregate(n=vpn_rows.count(), proxy_flag=vpn_rows.is_proxy.max())
        .order_by(["who", ibis.desc("n"), "ip", "kind", "provider", "country"])
        .to_pyarrow()
        .to_pylist()
    )
    exits_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in exits:
        exits_of[e["who"]].append(e)
    uids = uids_of(vpn_rows, "who", who)
    people = roster(ctx)
    findings = []
    for r in rows:
        person = people.get(r["worker_id"]) if r["worker_id"] else None
        subject, subject_type = subject_of(person, r["account"] or r["who"])
        listed = exits_of[r["who"]]
        by_provider: dict[str, int] = defaultdict(int)
        for e in listed:
            by_provider[e["provider"] or e["ip"]] += e["n"]
        providers_text = ", ".join(
            f"{p} ×{n}" for p, n in sorted(by_provider.items(), key=lambda x: (-x[1], x[0]))[:5]
        )
        share = float(r["share"])
        if share >= strong_share:
            profile = "mostly through such exits"
        elif tier == "strong":
            profile = "regularly, through several exits"
        elif r["exits"] == 1:
            profile = "through one exit now and then, the profile of a consumer VPN"
        else:
            profile = f"a small share, through {r['exits']} exits"
        explanation = (
            f"{r['vpn_count']} of {r['total']} sign-ins ({percent(share)}) of {subject} came "
            f"from VPN, hosting or cloud exits ({profile}): "
            f"{plural(r['exits'], 'address', 'addresses')} of "
            f"{plural(r['providers'], 'provider')} ({providers_text}) on "
            f"{plural(r['vpn_days'], 'day')}, {span(r['first'], r['last'])}."
        )
        findings.append(
            Finding(
                rule=rule,
                subject=subject,
                subject_type=subject_type,
                first_seen=r["first"],
                last_seen=r["last"],
                event_count=int(r["vpn_count"]),
                event_uids=uids.get(r["who"], []),
                explanation=explanation,
                evidence={
                    "sign_ins": int(r["total"]),
                    "vpn_sign_ins": int(r["vpn_count"]),
                    "share": round(share, 3),
                    "exit_addresses": int(r["exits"]),
                    "providers": int(r["providers"]),
                    "days": int(r["vpn_days"]),
                    "exits": [
                        {
                            "ip": e["ip"],
                            "kind": e["kind"],
                            "provider": e["provider"],
                            "country": e["country"],
                            "sign_ins": int(e["n"]),
                            "idp_proxy_flag": bool(e["proxy_flag"]),
                        }
                        for e in listed[:10]
                    ],
                },
                worker_id=r["worker_id"],
                tables=["authentication", "ip_info"],
            )
        )
    return findings


# -- countries the roster does not expect -------------------------------------------------------


@dataclass(frozen=True)
class ForeignSignInParams:
    skip_kinds: tuple[str, ...] = ("vpn", "hosting", "cloud", "corporate", "venue")
    """ip_info kinds whose location says nothing about where the person is."""
    countries: tuple[str, ...] = ()
    """Only these countries (ISO codes); empty: any country but the worker's."""
    exclude_countries: tuple[str, ...] = ()
    """Countries left to another rule."""
    min_sign_ins: int = 1
    """Sign-ins from the foreign country a worker needs."""
    min_days: int = 1
    """Distinct days with such sign-ins a worker needs."""


@analytic("foreign_sign_ins", params=ForeignSignInParams)
def foreign_sign_ins(ctx: Context, rule: Rule) -> list[Finding]:
    """Per worker: sign-ins from a country other than the roster's ``work_country``.

    The country is ip_info's (else the IdP's location). Addresses whose location says
    nothing about the person are left out (``skip_kinds``: VPN, hosting, cloud exits,
    the company's own and known venues), and so are the days and country of an
    ``allow.travel`` entry. ``countries`` limits the rule to those countries (the
    operators' own networks); ``exclude_countries`` leaves them to another rule.
    """
    p = params_of(rule, ForeignSignInParams)
    skip = list(p.skip_kinds)
    only = {c.upper() for c in p.countries}
    exclude = {c.upper() for c in p.exclude_countries}
    min_sign_ins = p.min_sign_ins
    min_days = p.min_days

    people = roster(ctx)
    homes = [{"__hw": p.worker_id, "__hc": p.country} for p in people.values() if p.country]
    if not homes:
        return []
    home = ibis.memtable(homes, schema={"__hw": "string", "__hc": "string"})
    s = sign_ins(ctx)
    s = s.filter(s.worker_id.notnull() & s.country.notnull() & ~s.kind.isin(skip) & ~s.is_proxy)
    s = s.join(home, s.worker_id == home.__hw).drop("__hw")
    s = s.filter(s.country != s.__hc)
    if only:
        s = s.filter(s.country.isin(sorted(only)))
    if exclude:
        s = s.filter(~s.country.isin(sorted(exclude)))
    s = off_known_trips(s, travel_table(ctx, people))
    per = s.group_by(["worker_id", "country"]).aggregate(
        n=s.count(),
        days=s.time.date().nunique(),
        first=s.time.min(),
        last=s.time.max(),
        ips=s.ip.nunique(),
        kinds=s.kind.collect(distinct=True),
        providers=s.provider.collect(distinct=True),
        cities=s.city.collect(distinct=True),
    )
    per = per.filter((per.n >= min_sign_ins) & (per.days >= min_days))
    rows = per.order_by(["worker_id", ibis.desc("n"), "country"]).to_pyarrow().to_pylist()
    if not rows:
        return []
    by_worker: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_worker[r["worker_id"]].append(r)
    flagged = s.filter(s.worker_id.isin(sorted(by_worker)))
    uids = uids_of(flagged, "worker_id", by_worker)
    ips = (
        flagged.group_by(["worker_id", "country", "ip", "kind", "provider"])
        .aggregate(n=flagged.count())
        .order_by(["worker_id", "country", ibis.desc("n"), "ip", "kind", "provider"])
        .to_pyarrow()
        .to_pylist()
    )
    ips_of: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in ips:
        ips_of[(row["worker_id"], row["country"])].append(row)
    findings = []
    for worker, countries in by_worker.items():
        person = people[worker]
        subject, subject_type = subject_of(person, worker)
        total = sum(int(c["n"]) for c in countries)
        parts = []
        for c in countries[:5]:
            via = ", ".join(
                f"{i['ip']} ({i['provider'] or i['kind']})"
                for i in ips_of[(worker, c["country"])][:3]
            )
            parts.append(
                f"{c['country']}: {plural(int(c['n']), 'sign-in')} on "
                f"{plural(int(c['days']), 'day')} from {via}"
            )
        first = min(c["first"] for c in countries)
        last = max(c["last"] for c in countries)
        explanation = (
            f"{subject} works in {person.country} according to the roster, but "
            f"{plural(total, 'sign-in')} came from "
            f"{'another country' if len(countries) == 1 else f'{len(countries)} other countries'}"
            f" ({'; '.join(parts)}), {span(first, last)}."
        )
        findings.append(
            Finding(
                rule=rule,
                subject=subject,
                subject_type=subject_type,
                first_seen=first,
                last_seen=last,
                event_count=total,
                event_uids=uids.get(worker, []),
                explanation=explanation,
                evidence={
                    "roster_country": person.country,
                    "countries": [
                        {
                            "country": c["country"],
                            "sign_ins": int(c["n"]),
                            "days": int(c["days"]),
                            "addresses": [
                                {
                                    "ip": i["ip"],
                                    "kind": i["kind"],
                                    "provider": i["provider"],
                                    "sign_ins": int(i["n"]),
                                }
                                for i in ips_of[(worker, c["country"])][:5]
                            ],
                            "cities": sorted(x for x in (c["cities"] or []) if x)[:5],
                            "first": iso(c["first"]),
                            "last": iso(c["last"]),
                        }
                        for c in countries
                    ],
                    "roster_row": person.row_uid,
                },
                worker_id=worker,
                tables=["authentication", "ip_info", "workers"],
            )
        )
    return findings


# -- impossible travel ----------------------------------------------------------------------


EARTH_KM = 6371.0088


def _radians(value: ir.NumericValue) -> ir.NumericValue:
    return value * (math.pi / 180.0)


def haversine_km(
    lat1: ir.NumericValue, lon1: ir.NumericValue, lat2: ir.NumericValue, lon2: ir.NumericValue
) -> ir.NumericValue:
    """Great-circle distance in km, as an engine expression."""
    p1, p2 = _radians(lat1), _radians(lat2)
    dp, dl = p2 - p1, _radians(lon2) - _radians(lon1)
    a = (dp / 2).sin() ** 2 + p1.cos() * p2.cos() * (dl / 2).sin() ** 2
    return 2 * EARTH_KM * a.clip(lower=0, upper=1).sqrt().asin()


def located_sign_ins(ctx: Context, skip: Sequence[str]) -> ir.Table:
    """Sign-ins whose location means where the person is: the IdP gave coordinates, the
    address is not an anonymising, mobile or shared network (``skip``), and ip_info's
    country does not contradict the IdP's own."""
    s = sign_ins(ctx)
    agree = s.ip_country.isnull() | s.idp_country.isnull() | (s.ip_country == s.idp_country)
    return s.filter(
        s.lat.notnull() & s.lon.notnull() & ~s.kind.isin(list(skip)) & ~s.is_proxy & agree
    )


LOCATIONLESS_KINDS = ("vpn", "hosting", "cloud", "mobile", "corporate", "venue", "business")
"""ip_info kinds whose location is not where the person is (exits, carrier NAT, offices)."""


@dataclass(frozen=True)
class TravelParams:
    skip_kinds: tuple[str, ...] = LOCATIONLESS_KINDS
    """ip_info kinds left out: their location is not where the person is."""
    max_kmh: float = 900.0
    """Fastest believable travel between two sign-ins (an airliner's cruising speed)."""
    min_km: float = 500.0
    """Closer hops are geolocation noise."""
    min_hops: int = 1
    """Impossible hops an account needs."""


@analytic("impossible_travel", params=TravelParams)
def impossible_travel(ctx: Context, rule: Rule) -> list[Finding]:
    """Consecutive sign-ins of one account further apart than anyone can travel in the
    time between them (``max_kmh``), at least ``min_km`` apart (closer hops are
    geolocation noise). Only sign-ins with the IdP's coordinates from networks whose
    location is the person's (``skip_kinds`` leaves out VPN, hosting, cloud, mobile,
    corporate, venue and transit/enterprise networks) are compared."""
    p = params_of(rule, TravelParams)
    skip = list(p.skip_kinds)
    max_kmh = p.max_kmh
    min_km = p.min_km
    min_hops = p.min_hops

    s = located_sign_ins(ctx, skip)
    # one row per (account, second): IdPs log several events of one sign-in at one time
    s = s.group_by(["who", "time"]).aggregate(
        worker_id=s.worker_id.max(),
        account=s.account.max(),
        uid=s.uid.min(),
        lat=s.lat.mean(),
        lon=s.lon.mean(),
        ip=s.ip.min(),
        country=s.country.max(),
        city=s.city.max(),
    )
    w = ibis.window(group_by=s.who, order_by=[s.time, s.uid])
    s = s.mutate(
        p_time=s.time.lag().over(w),
        p_lat=s.lat.lag().over(w),
        p_lon=s.lon.lag().over(w),
        p_ip=s.ip.lag().over(w),
        p_country=s.country.lag().over(w),
        p_city=s.city.lag().over(w),
        p_uid=s.uid.lag().over(w),
    )
    s = s.filter(s.p_time.notnull())
    km = haversine_km(s.p_lat, s.p_lon, s.lat, s.lon)
    hours = (s.time.epoch_seconds() - s.p_time.epoch_seconds()).cast("float64") / 3600.0
    s = s.mutate(km=km, hours=hours)
    s = s.mutate(kmh=ibis.ifelse(s.hours > 0, s.km / s.hours, ibis.literal(float("inf"))))
    hops = s.filter((s.km >= min_km) & (s.kmh > max_kmh))
    rows = (
        hops.select(
            "who",
            "worker_id",
            "account",
            "p_time",
            "time",
            "p_ip",
            "ip",
            "p_country",
            "country",
            "p_city",
            "city",
            "km",
            "hours",
            "kmh",
            "p_uid",
            "uid",
        )
        .order_by(["who", "time"])
        .to_pyarrow()
        .to_pylist()
    )
    by_who: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_who[r["who"]].append(r)
    people = roster(ctx)
    findings = []
    for who, found in by_who.items():
        if len(found) < min_hops:
            continue
        worker = found[0]["worker_id"]
        person = people.get(worker) if worker else None
        subject, subject_type = subject_of(person, found[0]["account"] or who)
        worst = max(found, key=lambda h: (h["kmh"], h["km"]))
        described = _hop(worst)
        explanation = (
            f"{subject} signed in from places no one can travel between in the time "
            f"between them, {plural(len(found), 'time')}: {described}"
            + (f" ({len(found) - 1} more)" if len(found) > 1 else "")
            + "."
        )
        uids: list[str] = []
        for h in found:
            uids += [u for u in (h["p_uid"], h["uid"]) if u and u not in uids]
        findings.append(
            Finding(
                rule=rule,
                subject=subject,
                subject_type=subject_type,
                first_seen=found[0]["p_time"],
                last_seen=found[-1]["time"],
                event_count=len(found),
                event_uids=uids[:MAX_UIDS],
                explanation=explanation,
                evidence={
                    "hops": [
                        {
                            "from": {
                                "time": iso(h["p_time"]),
                                "ip": h["p_ip"],
                                "country": h["p_country"],
                                "city": h["p_city"],
                            },
                            "to": {
                                "time": iso(h["time"]),
                                "ip": h["ip"],
                                "country": h["country"],
                                "city": h["city"],
                            },
                            "km": round(h["km"]),
                            "hours": round(h["hours"], 2),
                            "kmh": None if math.isinf(h["kmh"]) else round(h["kmh"]),
                        }
                        for h in found[:20]
                    ],
                    "max_kmh": max_kmh,
                },
                worker_id=worker,
                tables=["authentication", "ip_info"],
            )
        )
    return findings


def _place(city: str | None, country: str | None, ip: str | None) -> str:
    where = ", ".join(x for x in (city, country) if x)
    return f"{where} ({ip})" if where else str(ip)


def _hop(h: dict[str, Any]) -> str:
    speed = "at once" if math.isinf(h["kmh"]) else f"{round(h['kmh']):,} km/h"
    minutes = h["hours"] * 60
    gap = f"{round(minutes)} min" if minutes < 120 else f"{h['hours']:.1f} h"
    return (
        f"{_place(h['p_city'], h['p_country'], h['p_ip'])} at {h['p_time']:%Y-%m-%d %H:%M}, then "
        f"{_place(h['city'], h['country'], h['ip'])} {gap} later, {round(h['km']):,} km away "
        f"({speed})"
    )


# -- one account in several countries within hours --------------------------------------------


ACTIVITY_PLACES_USERS = ("countries_within_hours", "shared_residential_ip")
"""The analytics that read :func:`activity_places`."""

ACTIVITY_IPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("authentication", SIGN_IN_IDENTIFIERS),
    ("api_activity", ACTOR_IDENTIFIERS),
    ("file_hosting_activity", ACTOR_IDENTIFIERS),
)
"""Tables whose ``src_endpoint.ip`` is where a worker acted from, and the columns
naming the worker."""


def activity_places(ctx: Context, tables: Sequence[str] | None = None) -> ir.Table:
    """Every attributed event with a public source address, from sign-ins, git and
    drive: ``table``, ``uid``, ``time``, ``worker_id``, ``account``, ``who``, ``ip``,
    ``kind``, ``country``, ``agree`` (the address database and the source's own location
    do not contradict each other), ``provider``, ``is_proxy``."""
    every = [table for table, _ in ACTIVITY_IPS]
    if tables is not None and set(tables) >= set(every):
        tables = None  # the same rows: one relation
    key = "activity_places:" + ",".join(sorted(tables)) if tables is not None else "activity_places"
    return shared(ctx, key, lambda: _activity_places(ctx, tables), ACTIVITY_PLACES_USERS)


def _activity_places(ctx: Context, tables: Sequence[str] | None) -> list[ir.Table]:
    parts = []
    for table, columns in ACTIVITY_IPS:
        if tables is not None and table not in tables:
            continue
        t = narrow(
            ctx.table(table),
            [
                "metadata.uid",
                "time",
                *columns,
                "src_endpoint.ip",
                "src_endpoint.is_proxy",
                "src_endpoint.location.country",
            ],
        )
        t = with_worker(ctx, t, columns)
        t = t.mutate(__account=first_of(t, columns))
        c = classified(ctx, t, "src_endpoint.ip")
        c = c.filter(~c.__kind.isin(NOT_PUBLIC))
        proxy = (
            c["src_endpoint.is_proxy"].fill_null(False)
            if "src_endpoint.is_proxy" in c.columns
            else ibis.literal(False)
        )
        parts.append(
            c.select(
                table=ibis.literal(table),
                uid=c["metadata.uid"],
                time=c.time,
                worker_id=c.worker_id,
                account=c.__account,
                who=ibis.coalesce(c.worker_id, c.__account.lower()),
                ip=c.__ip,
                kind=c.__kind,
                country=c.__country,
                agree=c.__ip_country.isnull()
                | c.__own_country.isnull()
                | (c.__ip_country == c.__own_country),
                provider=c.__provider,
                is_proxy=proxy,
            )
        )
    return parts


def country_counts(a: ir.Table, seconds: int) -> ir.Table:
    """Each activity row with ``__n``: the distinct countries of its account (``who``)
    within ``seconds`` up to it (a range self-join: Spark rejects COUNT(DISTINCT) OVER)."""
    return distinct_in_range(a, keys=["who"], order="time", value="country", seconds=seconds)


@dataclass(frozen=True)
class CountriesWithinHoursParams:
    skip_kinds: tuple[str, ...] = LOCATIONLESS_KINDS
    """ip_info kinds left out: their location is not where the person is."""
    window_hours: float = 8.0
    """Length of the sliding window."""
    min_countries: int = 2
    """Distinct countries within one window."""
    require_return: bool = False
    """Only report a return to the first country (X, then Y, then X again)."""


@analytic("countries_within_hours", params=CountriesWithinHoursParams)
def countries_within_hours(ctx: Context, rule: Rule) -> list[Finding]:
    """One account active from ``min_countries`` countries within ``window_hours`` (a
    value count of countries per account over a sliding window), counting sign-ins, git
    and drive actions. With ``require_return`` the account must also come back to the
    first country within the window (X, then Y, then X again): two people on one account
    rather than one person on a trip. Networks whose country is not the person's
    (``skip_kinds``) are left out."""
    p = params_of(rule, CountriesWithinHoursParams)
    skip = list(p.skip_kinds)
    hours = p.window_hours
    min_countries = p.min_countries
    require_return = p.require_return

    a = activity_places(ctx)
    a = a.filter(a.country.notnull() & a.agree & ~a.kind.isin(skip) & ~a.is_proxy)
    seconds = int(hours * 3600)
    marked = country_counts(a, seconds)
    ends = marked.filter(marked.__n >= min_countries)
    # candidate accounts only, then the exact windows in Python (small)
    who = ends.select("who").distinct().to_pyarrow().column("who").to_pylist()
    if not who:
        return []
    rows = (
        a.filter(a.who.isin(who))
        .select(
            "who",
            "worker_id",
            "account",
            "table",
            "uid",
            "time",
            "ip",
            "kind",
            "country",
            "provider",
        )
        .order_by(["who", "time", "uid", "table", "ip", "country"])
        .to_pyarrow()
        .to_pylist()
    )
    by_who: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_who[r["who"]].append(r)
    people = roster(ctx)
    findings = []
    window = seconds
    for key, events in by_who.items():
        windows = _country_windows(events, window, min_countries, require_return)
        if not windows:
            continue
        worker = events[0]["worker_id"]
        person = people.get(worker) if worker else None
        subject, subject_type = subject_of(person, events[0]["account"] or key)
        first_window = windows[0]
        sequence = _sequence(first_window)
        explanation = (
            f"{subject} was active from {len({e['country'] for e in first_window})} countries "
            f"within {hours:g} hours: {sequence}"
            + (" — and back again, so two people used the account" if require_return else "")
            + (f"; {len(windows) - 1} more such windows" if len(windows) > 1 else "")
            + "."
        )
        uids: list[str] = []
        for win in windows:
            uids += [e["uid"] for e in win if e["uid"] and e["uid"] not in uids]
        findings.append(
            Finding(
                rule=rule,
                subject=subject,
                subject_type=subject_type,
                first_seen=windows[0][0]["time"],
                last_seen=windows[-1][-1]["time"],
                event_count=sum(len(w) for w in windows),
                event_uids=uids[:MAX_UIDS],
                explanation=explanation,
                evidence={
                    "windows": [
                        [
                            {
                                "time": iso(e["time"]),
                                "country": e["country"],
                                "ip": e["ip"],
                                "kind": e["kind"],
                                "provider": e["provider"],
                                "table": e["table"],
                            }
                            for e in win[:12]
                        ]
                        for win in windows[:10]
                    ],
                    "window_hours": hours,
                    "roster_country": person.country if person else None,
                },
                worker_id=worker,
                tables=sorted({e["table"] for w in windows for e in w} | {"ip_info"}),
            )
        )
    return findings


def _country_windows(
    events: list[dict[str, Any]], seconds: int, need: int, require_return: bool
) -> list[list[dict[str, Any]]]:
    """Non-overlapping runs of events within ``seconds`` that show ``need`` countries
    (and, with ``require_return``, the first country again after another one)."""
    out: list[list[dict[str, Any]]] = []
    start = 0
    index = 0
    while index < len(events):
        end_time = events[index]["time"]
        while (end_time - events[start]["time"]).total_seconds() > seconds:
            start += 1
        window = events[start : index + 1]
        if _qualifies(window, need, require_return):
            out.append(_trim(window))
            index += 1
            start = index
            continue
        index += 1
    return out


def _qualifies(window: list[dict[str, Any]], need: int, require_return: bool) -> bool:
    if len({e["country"] for e in window}) < need:
        return False
    if not require_return:
        return True
    return _returns(window)


def _returns(window: list[dict[str, Any]]) -> bool:
    """Whether some country is left and then seen again within the window."""
    seen_left: set[str] = set()
    previous = None
    for e in window:
        country = e["country"]
        if previous is not None and country != previous:
            seen_left.add(previous)
            if country in seen_left:
                return True
        previous = country
    return False


def _trim(window: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The window with each run of one country shortened to its first and last event."""
    out: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []
    for e in [*window, None]:
        if run and (e is None or e["country"] != run[0]["country"]):
            out.append(run[0])
            if run[-1]["time"] != run[0]["time"]:
                out.append(run[-1])
            run = []
        if e is not None:
            run.append(e)
    return out


def _sequence(window: list[dict[str, Any]]) -> str:
    return " → ".join(
        f"{e['country']} {e['time']:%Y-%m-%d %H:%M} ({e['ip']}, {e['provider'] or e['kind']})"
        for e in window
    )
