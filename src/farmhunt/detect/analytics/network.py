"""Network analytics: traffic to remote-access infrastructure and to listed domains.

The FBI asks employers to monitor for remote-access software and protocols and for
unusual network traffic. A laptop in a farm is driven from abroad through a
remote-access tool whose agent keeps talking to the vendor's relays, or through RDP.

- :func:`remote_access_traffic`: DNS look-ups, TLS server names and connections to the
  domains of the remote-control tools (the LOLRMM catalog as the endpoint rules narrow
  it), minus the tools the company approves (``allow.remote_tools``) and catalog domains
  too generic to mean remote control (``ignore_domains``: code hosting, cloud storage,
  vendor docs …).

Inbound Remote Desktop from the Internet is :mod:`~farmhunt.detect.analytics.inbound`'s.

Events from the corporate VPN concentrator's sensor (Zeek) carry only the address the
VPN handed to a laptop: such findings keep the address as their subject and say how to
map it to a laptop (the VPN's own session log), rather than guessing a worker.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from farmhunt.detect.analytics import analytic
from farmhunt.detect.analytics.identity import (
    drop,
    materialize,
    narrow,
    plural,
    roster,
    uids_of,
)
from farmhunt.detect.catalogs import approved_remote_control_tools, remote_control_tools
from farmhunt.detect.context import Context
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.params import NoParams, params_of
from farmhunt.detect.sigma_ibis import fold_or
from farmhunt.detect.subjects import subject_type as subject_type_of
from farmhunt.enrich.facts.times import iso, span
from farmhunt.reference import remote_access_tools

HOST_COLUMNS = ("device.hostname", "src_endpoint.hostname", "src_endpoint.ip")
"""Who a network event is about: the host that logged it, else the source."""

# -- remote-access infrastructure -----------------------------------------------------------


@dataclass(frozen=True)
class DomainPattern:
    tool: str
    pattern: str
    """As the catalog writes it: ``relay.example.com``, ``*.example.com``, ``a*.b.com``."""

    def matches(self, host: ir.StringValue) -> ir.BooleanValue:
        p = self.pattern
        if "*" not in p:
            return host == p
        if p.startswith("*.") and "*" not in p[2:]:
            return host.endswith(p[1:])
        return host.re_search(_wildcard(p).pattern)

    def matches_text(self, host: str) -> bool:
        p = self.pattern
        if "*" not in p:
            return host == p
        return _wildcard(p).search(host) is not None


@functools.cache
def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def matcher(patterns: list[DomainPattern], host: ir.StringValue) -> ir.BooleanValue:
    """One expression matching any pattern: exact names in one IN; ``*.x`` patterns as an
    IN over the host's last labels (one per label count, not one test per pattern); the
    rest as anchored regular expressions."""
    exact = [d.pattern for d in patterns if "*" not in d.pattern]
    suffixes: dict[int, list[str]] = defaultdict(list)
    others = []
    for d in patterns:
        if d.pattern.startswith("*.") and "*" not in d.pattern[2:]:
            bare = d.pattern[2:]
            suffixes[bare.count(".") + 1].append(bare)
        elif "*" in d.pattern:
            others.append(d)
    parts = []
    if exact:
        parts.append(host.isin(exact))
    for labels, names in sorted(suffixes.items()):
        tail = host.re_extract(r"\.(" + r"[^.]+" + r"\.[^.]+" * (labels - 1) + r")$", 1)
        parts.append(tail.isin(sorted(names)))
    parts += [d.matches(host) for d in others]
    return fold_or(parts).fill_null(False)


def _clean(domain: str) -> str | None:
    domain = domain.strip().lower().rstrip(".")
    if not domain or any(c in domain for c in "<>/ []{}()|\\^$+") or ":" in domain:
        return None
    if re.fullmatch(r"[\d.]+", domain):  # bare addresses are not names
        return None
    if domain.startswith("*.") and domain.count(".") < 2:
        return None  # "*.com"
    return domain


def _ignored(domain: str, ignore: Iterable[str], prefixes: Iterable[str]) -> bool:
    bare = domain[2:] if domain.startswith("*.") else domain
    for suffix in ignore:
        suffix = suffix.lower().lstrip("*.")
        if bare == suffix or bare.endswith("." + suffix):
            return True
    return any(bare.startswith(p.lower()) for p in prefixes)


@dataclass(frozen=True)
class RemoteAccessTrafficParams:
    ignore_domains: tuple[str, ...] = ()
    """Catalog domains (and their subdomains) that generic software uses too."""
    ignore_prefixes: tuple[str, ...] = ()
    """Catalog domains starting with these are left out."""
    ignore_names: tuple[str, ...] = ()
    """Names under a tool's wildcard domain that other software uses too."""
    include_websites: bool = False
    """Also report visits to the tools' websites (not only their infrastructure)."""


def remote_access_domains(ctx: Context, rule: Rule) -> list[DomainPattern]:
    """The domains of the remote-control tools (the LOLRMM catalog narrowed to tools that
    let someone drive a computer, :func:`~farmhunt.detect.catalogs.remote_control_tools`),
    less the approved families' (``allow.remote_tools``) and the generic ones (rule
    parameters ``ignore_domains``, ``ignore_prefixes``)."""
    p = params_of(rule, RemoteAccessTrafficParams)
    ignore = list(p.ignore_domains)
    prefixes = list(p.ignore_prefixes)
    family_of = {n.lower(): f.name for f in remote_control_tools() for n in f.names}
    approved = {n.lower() for f in approved_remote_control_tools(ctx.settings) for n in f.names}
    approved_domains = {
        d
        for tool in remote_access_tools()
        if tool.name.lower() in approved
        for raw in tool.domains
        if (d := _clean(raw))
    }
    out: dict[str, DomainPattern] = {}
    for tool in remote_access_tools():
        name = tool.name.lower()
        if name not in family_of or name in approved:
            continue
        for raw in tool.domains:
            domain = _clean(raw)
            if domain is None or domain in approved_domains or _ignored(domain, ignore, prefixes):
                continue
            out.setdefault(domain, DomainPattern(family_of[name], domain))
    return sorted(out.values(), key=lambda d: d.pattern)


def _website(name: str, patterns: list[DomainPattern]) -> bool:
    """Whether a name is a vendor's web site (``www.``, or the bare domain the catalog
    lists) rather than its relays, APIs and agents."""
    if name.startswith("www."):
        return True
    return any(d.pattern == name and name.count(".") == 1 for d in patterns)


def _network_source(ctx: Context, table: str, column: str, kind: str) -> ir.Table | None:
    t = ctx.table(table)
    if column not in t.columns:
        return None
    t = narrow(
        t,
        [
            "metadata.uid",
            "time",
            *HOST_COLUMNS,
            column,
            "dst_endpoint.port",
            "metadata.product.name",
        ],
    )
    host = t[column].lower().nullif("")
    return t.filter(host.notnull()).select(
        uid=t["metadata.uid"],
        time=t.time,
        device=t["device.hostname"],
        src_host=t["src_endpoint.hostname"],
        src_ip=t["src_endpoint.ip"],
        name=host.re_replace(r"\.$", ""),
        via=ibis.literal(kind),
        port=t["dst_endpoint.port"].cast("int64")
        if "dst_endpoint.port" in t.columns
        else ibis.null().cast("int64"),
        product=t["metadata.product.name"],
    )


NETWORK_SOURCES = (
    ("dns_activity", "query.hostname", "DNS"),
    ("network_activity", "tls.sni", "TLS"),
    ("network_activity", "dst_endpoint.hostname", "connection"),
    ("http_activity", "dst_endpoint.hostname", "HTTP"),
)


@analytic("remote_access_traffic", params=RemoteAccessTrafficParams)
def remote_access_traffic(ctx: Context, rule: Rule) -> list[Finding]:
    """Hosts (or VPN addresses) that looked up or reached remote-access infrastructure."""
    patterns = remote_access_domains(ctx, rule)
    p = params_of(rule, RemoteAccessTrafficParams)
    include_websites = p.include_websites
    # names under a tool's wildcard that other software uses too (ignore_names)
    skip = sorted({n.lower().rstrip(".") for n in p.ignore_names})
    return _domain_traffic(
        ctx, rule, patterns, include_websites, "remote-access infrastructure", skip
    )


@analytic("indicator_domain_traffic", params=NoParams)
def indicator_domain_traffic(ctx: Context, rule: Rule) -> list[Finding]:
    """Hosts (or VPN addresses) that looked up or reached a domain of the analyst's
    ``domains.txt``; each name is shown with the list line that names it."""
    patterns = [
        DomainPattern(f"listed in {label}", pattern)
        for pattern, label in ctx.indicators.domains.patterns()
    ]
    return _domain_traffic(ctx, rule, patterns, True, "a domain on the indicator list")


def _domain_traffic(
    ctx: Context,
    rule: Rule,
    patterns: list[DomainPattern],
    include_websites: bool,
    what: str,
    skip: list[str] | None = None,
) -> list[Finding]:
    """Findings per host (or address) whose DNS, TLS, connection or HTTP names match
    ``patterns`` (except the exact names in ``skip``); ``what`` names the kind of
    destination in explanations."""
    if not patterns:
        return []
    parts = [
        p
        for table, column, kind in NETWORK_SOURCES
        if (p := _network_source(ctx, table, column, kind)) is not None
    ]
    if not parts:
        return []
    # few rows, read four times: kept in a table, filled one source at a time
    hits = materialize(ctx, [_hits(part, patterns, skip or []) for part in parts])
    try:
        return _domain_findings(ctx, rule, hits, patterns, include_websites, what)
    finally:
        drop(ctx, hits)


def _hits(source: ir.Table, patterns: list[DomainPattern], skip: list[str]) -> ir.Table:
    """The events of one source whose name matches, with their subject."""
    match = matcher(patterns, source.name)
    if skip:
        match = match & ~source.name.isin(skip)
    hits = source.filter(match)
    hits = hits.mutate(
        subject=ibis.coalesce(
            hits.device.nullif(""), hits.src_host.nullif(""), hits.src_ip.nullif("")
        ),
        subject_col=ibis.cases(
            (hits.device.nullif("").notnull(), "device.hostname"),
            (hits.src_host.nullif("").notnull(), "src_endpoint.hostname"),
            else_="src_endpoint.ip",
        ),
    )
    return hits.filter(hits.subject.notnull())


def _domain_findings(
    ctx: Context,
    rule: Rule,
    hits: ir.Table,
    patterns: list[DomainPattern],
    include_websites: bool,
    what: str,
) -> list[Finding]:
    per = hits.group_by(["subject", "subject_col", "name", "via"]).aggregate(
        n=hits.count(),
        days=hits.time.date().nunique(),
        first=hits.time.min(),
        last=hits.time.max(),
        src_ip=hits.src_ip.max(),
    )
    # name and via break ties: tools first seen at the same moment keep one order
    rows = per.order_by(["subject", "first", "name", "via", "subject_col"]).to_pyarrow().to_pylist()
    if not rows:
        return []
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_subject[r["subject"]].append(r)
    subjects = sorted(by_subject)
    # who each subject is, and what an address subject is
    workers = _workers_of(ctx, subjects)
    kinds = _address_kinds(
        ctx, [s for s in subjects if by_subject[s][0]["subject_col"].endswith(".ip")]
    )
    mine = hits.filter(hits.subject.isin(subjects))
    daily = (
        mine.group_by("subject")
        .aggregate(days=mine.time.date().nunique(), n=mine.count())
        .to_pyarrow()
        .to_pylist()
    )
    days_of = {r["subject"]: (int(r["days"]), int(r["n"])) for r in daily}
    uids = uids_of(mine, "subject", subjects, ties=("via", "name"))
    people = roster(ctx)
    findings = []
    for subject in subjects:
        items = by_subject[subject]
        if not include_websites and all(_website(i["name"], patterns) for i in items):
            continue  # only the vendors' web sites: interest, not a running agent
        column = items[0]["subject_col"]
        tools: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for item in items:
            tool = next((d.tool for d in patterns if d.matches_text(item["name"])), "?")
            tools[tool][item["name"]].add(item["via"])
        days, count = days_of.get(subject, (0, 0))
        tool_text = "; ".join(
            f"{tool}: "
            + ", ".join(
                f"{name} ({'/'.join(sorted(via))})" for name, via in sorted(names.items())[:4]
            )
            for tool, names in sorted(tools.items())
        )
        worker = workers.get(subject)
        who = ""
        if worker is not None:
            person = people.get(worker)
            who = f" (the laptop of {person.label if person else worker})"
        note = ""
        if column.endswith(".ip"):
            kind, reason = kinds.get(subject, ("unknown", None))
            note = (
                f" {subject} is an address the corporate VPN hands out ({reason}); the sensor "
                "sees only that address, so the laptop behind it is not known here: the "
                "VPN's session log for that time names it."
                if kind == "corporate"
                else f" The sensor saw only the source address {subject} ({kind}), not a host."
            )
        first = min(i["first"] for i in items)
        last = max(i["last"] for i in items)
        explanation = (
            f"{subject}{who} reached {what} {plural(count, 'time')} on "
            f"{plural(days, 'day')} ({span(first, last)}): {tool_text}.{note}"
        )
        findings.append(
            Finding(
                rule=rule,
                subject=subject,
                subject_type=subject_type_of(column),
                first_seen=first,
                last_seen=last,
                event_count=count,
                event_uids=uids.get(subject, []),
                explanation=explanation,
                evidence={
                    "tools": sorted(tools),
                    "names": [
                        {
                            "name": i["name"],
                            "via": i["via"],
                            "events": int(i["n"]),
                            "days": int(i["days"]),
                            "first": iso(i["first"]),
                            "last": iso(i["last"]),
                        }
                        for i in items[:30]
                    ],
                    "subject_column": column,
                    "address_kind": kinds.get(subject, (None, None))[0]
                    if column.endswith(".ip")
                    else None,
                },
                device=subject if column.endswith("hostname") else None,
                worker_id=worker,
                tables=sorted({t for t, _, k in NETWORK_SOURCES if k in {i["via"] for i in items}}),
            )
        )
    return findings


def _workers_of(ctx: Context, identifiers: list[str]) -> dict[str, str]:
    if not identifiers:
        return {}
    found = {}
    for ident in identifiers:
        worker = ctx.worker_for(ident)
        if worker is not None:
            found[ident] = worker
    return found


def _address_kinds(ctx: Context, ips: list[str]) -> dict[str, tuple[str, str | None]]:
    if not ips:
        return {}
    info = ctx.table("ip_info")
    rows = info.filter(info.ip.isin(ips)).select("ip", "kind", "reason").to_pyarrow().to_pylist()
    return {r["ip"]: (r["kind"], r["reason"]) for r in rows}
