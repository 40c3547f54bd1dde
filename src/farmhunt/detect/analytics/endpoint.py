"""Endpoint analytics: what one Sigma rule cannot say about a laptop.

Each function answers one question an analyst asks of a company laptop, across the
endpoint tables, and explains its answer with the values it saw:

- ``endpoint_multiple_remote_tools``: does one laptop carry several remote-control
  products (not the approved one)?
- ``endpoint_remote_tool_with_owner_admin``: is the worker local admin on a laptop that
  carries an unapproved remote-control tool (least privilege broken, then used)?
- ``endpoint_owner_local_admin``: is the worker's own account in the laptop's admin group?
- ``endpoint_concurrent_video_calls``: does one laptop run more video-call clients at
  once than the company's laptops do?
- ``endpoint_inbound_rdp``: does someone Remote-Desktop into the laptop from outside the
  company's networks?
- ``endpoint_rdp_client_timezone``: do the RDP clients' clocks keep another time zone
  than the laptop owner's?

The heavy lifting is Ibis (DuckDB here, Spark on large estates); only aggregates per
host or per tool come back to Python. Thresholds and windows are the rule's ``params``;
company norms (how many call clients the laptops run, how many owners are admins) are
computed from the data.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir

from farmhunt.detect.allowlist import is_ignored_ip
from farmhunt.detect.analytics import analytic
from farmhunt.detect.catalogs import approved_remote_control_tools, remote_control_tools
from farmhunt.detect.context import MAX_UIDS, Context
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.params import params_of
from farmhunt.detect.windows import distinct_in_range
from farmhunt.enrich.facts.roster import read_roster
from farmhunt.enrich.facts.times import day_span, iso
from farmhunt.reference import video_call_clients

WINDOWS_ADMINISTRATORS_SID = "S-1-5-32-544"

# --------------------------------------------------------------------------- helpers


def host_key(value: ir.StringValue) -> ir.StringValue:
    """A host name as identity resolution keys it: lower case, without its DNS domain
    (Windows logs write ``LT-1.corp.example.com`` where osquery writes ``LT-1``)."""
    return value.lower().re_extract(r"^([^.]+)", 1)


def _when(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC"


def _uids(values: Iterable[Any]) -> list[str]:
    """At most ``MAX_UIDS`` distinct uids, the same ones in the same order on every run.

    The lists come from ``collect()``, whose order is the engine's: DuckDB's changes
    with its threads, and an ordered collect is not portable (Spark has none). Sorting
    keeps a report reproducible; the report orders the events it shows by time.
    """
    return sorted({str(v) for v in values if v})[:MAX_UIDS]


def _fetch(expr: ir.Table) -> list[dict[str, Any]]:
    """Rows of a (small, aggregated) result; list columns that aggregated nothing are []."""
    data = expr.to_pyarrow()
    lists = [f.name for f in data.schema if str(f.type).startswith(("list", "large_list"))]
    rows: list[dict[str, Any]] = data.to_pylist()
    for row in rows:
        for name in lists:
            if row[name] is None:
                row[name] = []
    return rows


def _finding(
    ctx: Context,
    rule: Rule,
    device: str,
    *,
    first: datetime,
    last: datetime,
    uids: list[str],
    count: int,
    explanation: str,
    evidence: dict[str, Any],
    tables: Iterable[str],
    worker: str | None = None,
    subject: str | None = None,
    subject_type: str = "hostname",
) -> Finding:
    return Finding(
        rule=rule,
        subject=subject or device,
        subject_type=subject_type,
        first_seen=first,
        last_seen=last,
        event_count=count,
        event_uids=uids[:MAX_UIDS],
        explanation=explanation,
        evidence=evidence,
        device=device,
        worker_id=worker or ctx.worker_for(device),
        tables=sorted(set(tables)),
    )


def _not_removed(t: ir.Table) -> ir.BooleanValue:
    """Query rows that say something exists (osquery 'removed' rows say it stopped)."""
    if "query_result_id" in t.columns:
        return t["query_result_id"].fill_null(1) != 3
    return ibis.literal(True)


def _ip_kinds(ctx: Context, ips: Iterable[str]) -> dict[str, str]:
    """ip → kind from the ``ip_info`` enrichment, for the given addresses."""
    wanted = sorted({ip for ip in ips if ip})
    if not wanted:
        return {}
    info = ctx.table("ip_info")
    rows = _fetch(info.filter(info["ip"].isin(wanted)).select("ip", "kind"))
    return {r["ip"]: r["kind"] for r in rows if r["kind"]}


# --------------------------------------------------------------------------- remote tools


def _approved_families(ctx: Context) -> set[str]:
    return {tool.name for tool in approved_remote_control_tools(ctx.settings)}


def tool_sightings(ctx: Context, skip: set[str]) -> ir.Table:
    """Every event showing a remote-control tool on a host, one row per event and tool:
    ``__device``, ``__host``, ``__time``, ``__uid``, ``__table``, ``__what`` (the name
    seen) and ``__tool`` (the product family). Families in ``skip`` are left out."""
    families = [f for f in remote_control_tools() if f.name not in skip]
    exe: dict[str, str] = {}
    package: dict[str, str] = {}
    prefix: dict[str, str] = {}
    for family in families:
        for key in (*family.executables, *family.process_names):
            exe.setdefault(key, family.name)
        for key in family.package_names:
            package.setdefault(key, family.name)
        for key in family.package_prefixes:
            prefix.setdefault(key, family.name)
    exe_keys = ibis.memtable({"__key": list(exe), "__tool": list(exe.values())})
    package_keys = ibis.memtable({"__key": list(package), "__tool": list(package.values())})
    prefix_keys = ibis.memtable({"__prefix": list(prefix), "__ptool": list(prefix.values())})
    columns = ["__device", "__host", "__time", "__uid", "__table", "__what", "__tool"]
    parts: list[ir.Table] = []
    sources = {
        "process_activity": ("process.file.name", "process.file.internal_name", "process.name"),
        "process_query": ("process.file.name", "process.name"),
        "network_connection_query": ("process.file.name", "process.name"),
    }
    for table, names in sources.items():
        t = ctx.table(table)
        for column in names:
            rows = t.filter(t[column].notnull() & t["device.hostname"].notnull()).select(
                __device=t["device.hostname"],
                __host=host_key(t["device.hostname"]),
                __time=t["time"],
                __uid=t["metadata.uid"],
                __table=ibis.literal(table),
                __what=t[column],
                __key=t[column].lower(),
            )
            parts.append(rows.join(exe_keys, "__key").select(*columns))
    s = ctx.table("software_inventory_info")
    packages = s.filter(s["package.name"].notnull() & s["device.hostname"].notnull()).select(
        __device=s["device.hostname"],
        __host=host_key(s["device.hostname"]),
        __time=s["time"],
        __uid=s["metadata.uid"],
        __table=ibis.literal("software_inventory_info"),
        __what=s["package.name"],
        __key=s["package.name"].lower(),
    )
    parts.append(packages.join(package_keys, "__key").select(*columns))
    by_prefix = packages.join(prefix_keys, packages["__key"].startswith(prefix_keys["__prefix"]))
    parts.append(by_prefix.mutate(__tool=by_prefix["__ptool"]).select(*columns))
    return ibis.union(*parts)


def _memo(ctx: Context) -> dict[str, Any]:
    """The run's cache shared by analytics (one per run), or a throwaway one."""
    memo = getattr(ctx, "memo", None)
    return memo if isinstance(memo, dict) else {}


def _tool_rows(ctx: Context, skip: set[str]) -> list[dict[str, Any]]:
    """Per host and tool: when, how often, where seen (fetched once per run)."""
    key = "endpoint.tool_rows:" + "\x1f".join(sorted(skip))
    memo = _memo(ctx)
    if key not in memo:
        s = tool_sightings(ctx, skip)
        per = s.group_by(["__host", "__tool"]).aggregate(
            __device=s["__device"].min(),
            __devices=s["__device"].collect(distinct=True),
            __first=s["__time"].min(),
            __last=s["__time"].max(),
            __n=s["__uid"].nunique(),
            __uids=s["__uid"].collect(distinct=True),
            __tables=s["__table"].collect(distinct=True),
            __whats=s["__what"].collect(distinct=True),
        )
        memo[key] = _fetch(per.order_by(["__host", "__first", "__tool"]))
    rows: list[dict[str, Any]] = memo[key]
    return rows


def _by_host(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["__host"]].append(row)
    return grouped


TABLE_WORDS = {
    "process_activity": "started",
    "process_query": "running",
    "software_inventory_info": "installed",
    "network_connection_query": "on the network",
}


def _tool_phrase(row: dict[str, Any]) -> str:
    how = ", ".join(TABLE_WORDS.get(t, t) for t in sorted(row["__tables"]))
    seen = ", ".join(sorted(row["__whats"])[:3])
    return f"{row['__tool']} ({how}: {seen}; {day_span(row['__first'], row['__last'])})"


def _tool_evidence(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "tool": row["__tool"],
        "seen_as": sorted(row["__whats"])[:10],
        "tables": sorted(row["__tables"]),
        "events": row["__n"],
        "first_seen": iso(row["__first"]),
        "last_seen": iso(row["__last"]),
    }


@dataclass(frozen=True)
class RemoteToolsParams:
    min_tools: int = 2
    """Distinct unapproved remote-control products on one host."""


@analytic("endpoint_multiple_remote_tools", params=RemoteToolsParams)
def multiple_remote_access_tools(ctx: Context, rule: Rule) -> list[Finding]:
    """Hosts carrying at least ``min_tools`` distinct unapproved remote-control products."""
    minimum = params_of(rule, RemoteToolsParams).min_tools
    approved = _approved_families(ctx)
    findings = []
    for tools in _by_host(_tool_rows(ctx, approved)).values():
        if len(tools) < minimum:
            continue
        device = tools[0]["__device"]
        names = sorted({d for t in tools for d in t["__devices"]})
        text = (
            f"{device} shows {len(tools)} remote-control products that are not approved: "
            + "; ".join(_tool_phrase(t) for t in tools)
            + ". One laptop rarely needs more than one; a second tool is often a fallback "
            "installed by whoever drives the laptop from elsewhere."
        )
        findings.append(
            _finding(
                ctx,
                rule,
                device,
                first=min(t["__first"] for t in tools),
                last=max(t["__last"] for t in tools),
                uids=_uids(u for t in tools for u in t["__uids"]),
                count=sum(t["__n"] for t in tools),
                explanation=text,
                evidence={
                    "tools": [_tool_evidence(t) for t in tools],
                    "approved": sorted(approved),
                    "device_names": names[:10],
                },
                tables={x for t in tools for x in t["__tables"]},
                worker=ctx.workers.first(names),
            )
        )
    return findings


# --------------------------------------------------------------------------- local admins


@dataclass(frozen=True)
class OwnerAdminParams:
    builtin_accounts: tuple[str, ...] = ()
    """Members of the admin group that are not the owner (Administrator, IT's account)."""
    admin_groups: tuple[str, ...] = ()
    """Names of the local administrators group (localised: Administrateurs …)."""


def _owner_admins(ctx: Context, rule: Rule) -> tuple[dict[str, dict[str, Any]], int]:
    """Hosts whose owner's own account is a local administrator, and how many hosts have
    admin-group data at all: {host: facts}, count (computed once per run and params)."""
    p = params_of(rule, OwnerAdminParams)
    params = (p.builtin_accounts, p.admin_groups)
    key = f"endpoint.owner_admins:{params}"
    memo = _memo(ctx)
    if key not in memo:
        memo[key] = _compute_owner_admins(ctx, rule)
    result: tuple[dict[str, dict[str, Any]], int] = memo[key]
    return result


def _compute_owner_admins(ctx: Context, rule: Rule) -> tuple[dict[str, dict[str, Any]], int]:
    p = params_of(rule, OwnerAdminParams)
    builtin = {a.lower() for a in p.builtin_accounts}
    groups = [g.lower() for g in p.admin_groups]
    q = ctx.table("admin_group_query")
    q = q.filter(q["device.hostname"].notnull() & _not_removed(q))
    snapshot = q.select(
        __device=q["device.hostname"],
        __host=host_key(q["device.hostname"]),
        __time=q["time"],
        __uid=q["metadata.uid"],
        __user=q["user.name"],
        __user_uid=q["user.uid"],
        __group=q["group.name"],
        __actor=ibis.null().cast("string"),
        __table=ibis.literal("admin_group_query"),
    )
    g = ctx.table("group_management")
    is_admin = g["group.uid"].upper().fill_null("") == WINDOWS_ADMINISTRATORS_SID
    if groups:
        is_admin = is_admin | g["group.name"].lower().isin(groups).fill_null(False)
    adds = g.filter(g["device.hostname"].notnull() & (g["activity_id"] == 3) & is_admin).select(
        __device=g["device.hostname"],
        __host=host_key(g["device.hostname"]),
        __time=g["time"],
        __uid=g["metadata.uid"],
        __user=g["user.name"],
        __user_uid=g["user.uid"],
        __group=g["group.name"],
        __actor=g["actor.user.name"],
        __table=ibis.literal("group_management"),
    )
    both = ibis.union(snapshot, adds)
    per = both.group_by(["__host", "__user", "__user_uid", "__table"]).aggregate(
        __device=both["__device"].min(),
        __devices=both["__device"].collect(distinct=True),
        __group=both["__group"].min(),
        __actors=both["__actor"].collect(distinct=True),
        __first=both["__time"].min(),
        __last=both["__time"].max(),
        __n=both["__uid"].count(),
        __uids=both["__uid"].collect(),
    )
    hosts_with_data = int(snapshot["__host"].nunique().execute() or 0)
    out: dict[str, dict[str, Any]] = {}
    # in one order (the group key last): the first row names the device, and the
    # sources are listed in this order
    ordered = per.order_by(["__host", "__first", "__table", "__user", "__user_uid"])
    for row in _fetch(ordered):
        user, user_uid = row["__user"], row["__user_uid"]
        if (user or "").strip() in ("", "-"):
            user = None  # Windows writes '-' for a local account's MemberName
        account = (user or user_uid or "").strip()
        short = account.rsplit("\\", 1)[-1].lower()
        if not account or short in builtin or account.endswith("$"):
            continue
        owner = ctx.workers.first(row["__devices"])
        holder = ctx.workers.first([user, user_uid, account.rsplit("\\", 1)[-1]])
        if owner is None or holder != owner:
            continue
        facts = out.setdefault(
            row["__host"],
            {
                "device": row["__device"],
                "devices": set(),
                "worker": owner,
                "accounts": set(),
                "sources": [],
                "first": row["__first"],
                "last": row["__last"],
                "uids": [],
                "n": 0,
            },
        )
        facts["devices"].update(row["__devices"])
        facts["accounts"].add(account)
        facts["first"] = min(facts["first"], row["__first"])
        facts["last"] = max(facts["last"], row["__last"])
        facts["uids"] += row["__uids"]
        facts["n"] += row["__n"]
        facts["sources"].append(
            {
                "account": account,
                "group": row["__group"],
                "how": "added to the group: Windows 4732"
                if row["__table"] == "group_management"
                else "a member in osquery's admin-group snapshot",
                "added_by": sorted(a for a in row["__actors"] if a)[:5],
                "first_seen": iso(row["__first"]),
                "last_seen": iso(row["__last"]),
                "table": row["__table"],
            }
        )
    return out, hosts_with_data


def _admin_sentence(facts: dict[str, Any]) -> str:
    accounts = ", ".join(sorted(facts["accounts"]))
    how = "; ".join(
        dict.fromkeys(
            f"{s['how']}" + (f" by {', '.join(s['added_by'])}" if s["added_by"] else "")
            for s in facts["sources"]
        )
    )
    span = day_span(facts["first"], facts["last"])
    return f"the owner's own account {accounts} is a local administrator ({how}, {span})"


@analytic("endpoint_owner_local_admin", params=OwnerAdminParams)
def owner_local_admin(ctx: Context, rule: Rule) -> list[Finding]:
    """The laptop's owner holds local admin rights on it (weak alone)."""
    admins, with_data = _owner_admins(ctx, rule)
    share = (
        f" Across the company the owner is admin on {len(admins)} of the {with_data} laptops "
        "whose admin group osquery reports."
        if with_data
        else ""
    )
    findings = []
    for facts in admins.values():
        text = (
            f"On {facts['device']} {_admin_sentence(facts)}. The owner can install "
            f"software, remote-access tools included.{share}"
        )
        findings.append(
            _finding(
                ctx,
                rule,
                facts["device"],
                first=facts["first"],
                last=facts["last"],
                uids=_uids(facts["uids"]),
                count=facts["n"],
                explanation=text,
                evidence={
                    "accounts": sorted(facts["accounts"]),
                    "sources": facts["sources"],
                    "company_hosts_with_owner_admin": len(admins),
                    "company_hosts_with_admin_data": with_data,
                },
                tables={s["table"] for s in facts["sources"]},
                worker=facts["worker"],
            )
        )
    return findings


@analytic("endpoint_remote_tool_with_owner_admin", params=OwnerAdminParams)
def remote_tool_with_owner_admin(ctx: Context, rule: Rule) -> list[Finding]:
    """An unapproved remote-control tool on a laptop whose owner is local admin: the
    owner could install it, and did not need IT to."""
    admins, _ = _owner_admins(ctx, rule)
    if not admins:
        return []
    approved = _approved_families(ctx)
    findings = []
    for host, tools in _by_host(_tool_rows(ctx, approved)).items():
        if host not in admins:
            continue
        facts = admins[host]
        text = (
            f"On {facts['device']} {_admin_sentence(facts)}, and remote-control software the "
            f"company has not approved is present: "
            + "; ".join(_tool_phrase(t) for t in tools)
            + ". Least privilege would have stopped the worker from installing it."
        )
        findings.append(
            _finding(
                ctx,
                rule,
                facts["device"],
                first=min([facts["first"], *(t["__first"] for t in tools)]),
                last=max([facts["last"], *(t["__last"] for t in tools)]),
                uids=_uids([*(u for t in tools for u in t["__uids"]), *facts["uids"]]),
                count=facts["n"] + sum(t["__n"] for t in tools),
                explanation=text,
                evidence={
                    "accounts": sorted(facts["accounts"]),
                    "admin_sources": facts["sources"],
                    "tools": [_tool_evidence(t) for t in tools],
                    "approved": sorted(approved),
                },
                tables={s["table"] for s in facts["sources"]}
                | {x for t in tools for x in t["__tables"]},
                worker=facts["worker"],
            )
        )
    return findings


# --------------------------------------------------------------------------- video calls


def _client_keys() -> ir.Table:
    keys: dict[str, str] = {}
    for client in video_call_clients():
        for executable in client.executables:
            keys.setdefault(executable.lower(), client.name)
    return ibis.memtable({"__key": list(keys), "__client": list(keys.values())})


def _concurrency(ctx: Context, table: str, window: int) -> ir.Table:
    """Per video-call-client process row: how many distinct clients the host ran in the
    ``window`` minutes up to it (a snapshot's rows share one time: all of them count)."""
    t = ctx.table(table)
    wanted = t["device.hostname"].notnull()
    if table == "process_activity":
        wanted = wanted & (t["activity_id"].fill_null(1) == 1)
    else:
        wanted = wanted & _not_removed(t)
    name = ibis.coalesce(t["process.file.name"], t["process.name"]).lower()
    rows = t.filter(wanted).select(
        __device=t["device.hostname"],
        __host=host_key(t["device.hostname"]),
        __time=t["time"],
        __uid=t["metadata.uid"],
        __what=ibis.coalesce(t["process.file.name"], t["process.name"]),
        __key=name,
    )
    rows = rows.join(_client_keys(), "__key")
    # a range self-join rather than COUNT(DISTINCT) OVER, which Spark rejects
    return distinct_in_range(
        rows, keys=["__host"], order="__time", value="__client", seconds=window * 60
    )


def _concurrent_hosts(
    ctx: Context, table: str, window: int, minimum: int, margin: int
) -> dict[str, dict[str, Any]]:
    """Hosts of one table over the company's norm: host → the first window at the peak."""
    counted = _concurrency(ctx, table, window)
    per_host = counted.group_by("__host").aggregate(__max=counted["__n"].max())
    typical = per_host["__max"].median().execute()
    if typical is None or (isinstance(typical, float) and math.isnan(typical)):
        return {}
    threshold = max(minimum, math.ceil(float(typical)) + margin)
    hits = counted.filter(counted["__n"] >= threshold)
    peaks = hits.group_by("__host").aggregate(__peak=hits["__n"].max())
    at_peak = hits.join(peaks, "__host")
    at_peak = at_peak.filter(at_peak["__n"] == at_peak["__peak"])
    first = at_peak.group_by("__host").aggregate(
        __at=at_peak["__time"].min(), __peak=at_peak["__peak"].max()
    )
    near = counted.join(first, "__host")
    near = near.filter(
        (near["__time"] <= near["__at"])
        & (near["__time"] >= near["__at"] - ibis.interval(minutes=window))
    )
    out: dict[str, dict[str, Any]] = {}
    for row in _fetch(near.order_by(["__host", "__time", "__uid", "__device", "__client"])):
        entry = out.setdefault(
            row["__host"],
            {
                "table": table,
                "device": row["__device"],
                "at": row["__at"],
                "peak": row["__peak"],
                "threshold": threshold,
                "typical": float(typical),
                "excess": row["__peak"] - threshold,
                "clients": {},
                "uids": [],
                "first": row["__time"],
            },
        )
        entry["clients"].setdefault(row["__client"], set()).add(row["__what"])
        entry["uids"].append(row["__uid"])
        entry["first"] = min(entry["first"], row["__time"])
    return out


@dataclass(frozen=True)
class VideoCallParams:
    window_minutes: int = 15
    """Window within which the clients run."""
    min_clients: int = 4
    """Distinct video-call clients within one window."""
    above_typical: int = 1
    """Clients above what the company's laptops typically run at once."""
    tables: tuple[str, ...] = ("process_query", "process_activity")
    """Process tables read."""


@analytic("endpoint_concurrent_video_calls", params=VideoCallParams)
def concurrent_video_calls(ctx: Context, rule: Rule) -> list[Finding]:
    """Hosts running more distinct video-call clients within a few minutes than the
    company's laptops typically do (and at least ``min_clients``)."""
    p = params_of(rule, VideoCallParams)
    window = p.window_minutes
    minimum = p.min_clients
    margin = p.above_typical
    best: dict[str, dict[str, Any]] = {}
    for table in p.tables:
        for host, entry in _concurrent_hosts(ctx, table, window, minimum, margin).items():
            if host not in best or entry["excess"] > best[host]["excess"]:
                best[host] = entry
    findings = []
    for entry in best.values():
        clients = sorted(entry["clients"])
        how = (
            f"in one osquery process snapshot at {_when(entry['at'])}"
            if entry["table"] == "process_query"
            else f"started within {window} minutes up to {_when(entry['at'])}"
        )
        text = (
            f"{entry['device']} ran {len(clients)} video-call clients at once "
            f"({', '.join(clients)}) {how}. At their busiest the company's laptops "
            f"typically run {entry['typical']:g} (the median over laptops), so "
            f"{entry['threshold']} or more stands out: one person holds one meeting; several "
            "clients at once suggest several people's meetings held from one laptop."
        )
        findings.append(
            _finding(
                ctx,
                rule,
                entry["device"],
                first=entry["first"],
                last=entry["at"],
                uids=_uids(entry["uids"]),
                count=len(entry["uids"]),
                explanation=text,
                evidence={
                    "clients": {c: sorted(v) for c, v in sorted(entry["clients"].items())},
                    "at": iso(entry["at"]),
                    "table": entry["table"],
                    "window_minutes": window,
                    "company_typical_max": entry["typical"],
                    "threshold": entry["threshold"],
                },
                tables=[entry["table"]],
            )
        )
    return findings


# --------------------------------------------------------------------------- RDP


@dataclass(frozen=True)
class InboundRdpSessionParams:
    tables: tuple[str, ...] = ("authentication",)
    """Where sessions are read: ``authentication``, ``rdp_activity``, ``user_session_query``."""
    logon_types: tuple[int, ...] = (10, 12)
    """Windows logon types of a Remote Desktop logon (``authentication``)."""
    rdp_activities: tuple[int, ...] = (4, 8)
    """``rdp_activity`` activity ids of an accepted connection."""
    trusted_kinds: tuple[str, ...] = ("corporate", "loopback")
    """ip_info kinds of addresses that are the company's own."""


def _rdp_sessions(ctx: Context, rule: Rule) -> ir.Table:
    """Inbound Remote Desktop sessions recorded on hosts, one row per event, from the
    tables the rule names: ``__device``, ``__host``, ``__time``, ``__uid``, ``__ip``,
    ``__client``, ``__user``, ``__table``, ``__what``."""
    parts = []
    p = params_of(rule, InboundRdpSessionParams)
    sources = p.tables
    if "authentication" in sources:
        a = ctx.table("authentication")
        types = list(p.logon_types)
        keep = (
            a["device.hostname"].notnull()
            & a["logon_type_id"].isin(types).fill_null(False)
            & (a["status_id"].fill_null(1) != 2)
            & (a["activity_id"].fill_null(1) == 1)
        )
        parts.append(
            a.filter(keep).select(
                __device=a["device.hostname"],
                __host=host_key(a["device.hostname"]),
                __time=a["time"],
                __uid=a["metadata.uid"],
                __ip=a["src_endpoint.ip"],
                __client=a["src_endpoint.hostname"],
                __user=a["user.name"],
                __table=ibis.literal("authentication"),
                __what=ibis.coalesce(a["logon_type"], a["logon_type_id"].cast("string")),
            )
        )
    if "rdp_activity" in sources:
        r = ctx.table("rdp_activity")
        activities = list(p.rdp_activities)
        keep = (
            r["device.hostname"].notnull()
            & r["activity_id"].isin(activities).fill_null(False)
            & (r["status_id"].fill_null(1) != 2)
            & (r["src_endpoint.ip"].notnull() | r["src_endpoint.hostname"].notnull())
            & (r["session.terminal"].lower().fill_null("") != "console")
        )
        parts.append(
            r.filter(keep).select(
                __device=r["device.hostname"],
                __host=host_key(r["device.hostname"]),
                __time=r["time"],
                __uid=r["metadata.uid"],
                __ip=r["src_endpoint.ip"],
                __client=r["src_endpoint.hostname"],
                __user=r["user.name"],
                __table=ibis.literal("rdp_activity"),
                __what=ibis.coalesce(r["metadata.event_code"], r["activity_name"]),
            )
        )
    if "user_session_query" in sources:
        u = ctx.table("user_session_query")
        keep = (
            u["device.hostname"].notnull()
            & u["session.terminal"].lower().startswith("rdp-tcp").fill_null(False)
            & _not_removed(u)
        )
        parts.append(
            u.filter(keep).select(
                __device=u["device.hostname"],
                __host=host_key(u["device.hostname"]),
                __time=u["time"],
                __uid=u["metadata.uid"],
                __ip=u["src_endpoint.ip"],
                __client=u["src_endpoint.hostname"],
                __user=u["user.name"],
                __table=ibis.literal("user_session_query"),
                __what=u["session.terminal"],
            )
        )
    if not parts:
        raise ValueError(f"{rule.source}: params.tables names no RDP source")
    return ibis.union(*parts)


@analytic("endpoint_inbound_rdp", params=InboundRdpSessionParams)
def inbound_rdp(ctx: Context, rule: Rule) -> list[Finding]:
    """Remote Desktop sessions into a laptop from outside the company's own networks."""
    trusted = set(params_of(rule, InboundRdpSessionParams).trusted_kinds)
    s = _rdp_sessions(ctx, rule)
    info = ctx.table("ip_info")
    info = info.select(__info_ip=info["ip"], __kind=info["kind"])
    joined = s.left_join(info, s["__ip"] == info["__info_ip"])
    s = joined.select(*s.columns, "__kind")
    s = s.filter(s["__kind"].isnull() | ~s["__kind"].isin(sorted(trusted)))
    per = s.group_by(["__host", "__ip", "__client", "__table"]).aggregate(
        __device=s["__device"].min(),
        __devices=s["__device"].collect(distinct=True),
        __kind=s["__kind"].min(),
        __users=s["__user"].collect(distinct=True),
        __whats=s["__what"].collect(distinct=True),
        __first=s["__time"].min(),
        __last=s["__time"].max(),
        __n=s["__uid"].count(),
        __uids=s["__uid"].collect(),
    )
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _fetch(per.order_by(["__host", "__first", "__ip", "__client", "__table"])):
        if not is_ignored_ip(ctx.settings, row["__ip"]):
            grouped[row["__host"]].append(row)
    findings = []
    for rows in grouped.values():
        device = rows[0]["__device"]
        names = sorted({d for r in rows for d in r["__devices"]})
        clients = []
        for r in rows:
            where = r["__ip"] or "an unrecorded address"
            if r["__ip"] and r["__kind"]:
                where += f" ({r['__kind']} address)"
            name = f" named {r['__client']}" if r["__client"] else ""
            clients.append(f"client{name} from {where}")
        users = sorted({u for r in rows for u in r["__users"] if u})
        count = sum(r["__n"] for r in rows)
        text = (
            f"{count} inbound Remote Desktop event{'s' if count != 1 else ''} on {device} "
            f"({day_span(min(r['__first'] for r in rows), max(r['__last'] for r in rows))}): "
            + "; ".join(sorted(set(clients))[:5])
            + (f"; accounts {', '.join(users[:5])}" if users else "")
            + ". A remote worker's own laptop is not normally driven over RDP from another "
            "computer outside the company's networks."
        )
        findings.append(
            _finding(
                ctx,
                rule,
                device,
                first=min(r["__first"] for r in rows),
                last=max(r["__last"] for r in rows),
                uids=_uids(u for r in rows for u in r["__uids"]),
                count=count,
                explanation=text,
                evidence={
                    "clients": [
                        {
                            "ip": r["__ip"],
                            "ip_kind": r["__kind"],
                            "client_name": r["__client"],
                            "accounts": sorted(u for u in r["__users"] if u),
                            "seen_as": sorted(w for w in r["__whats"] if w),
                            "events": r["__n"],
                            "first_seen": iso(r["__first"]),
                            "last_seen": iso(r["__last"]),
                            "table": r["__table"],
                        }
                        for r in rows[:20]
                    ],
                    "trusted_kinds": sorted(trusted),
                },
                tables={r["__table"] for r in rows},
                worker=ctx.workers.first(names),
            )
        )
    return findings


def _zone_offset(zone: str, when: datetime) -> int | None:
    """Minutes east of UTC of an IANA zone at an instant."""
    try:
        offset = when.astimezone(ZoneInfo(zone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return int(offset.total_seconds() // 60) if offset is not None else None


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


@dataclass(frozen=True)
class RdpTimezoneParams:
    min_difference_minutes: int = 180
    """Minutes between the client's UTC offset and the owner's roster zone."""
    link_seconds: int = 120
    """Seconds within which a client event belongs to a logon."""
    trusted_kinds: tuple[str, ...] = ("corporate", "loopback")
    """ip_info kinds of addresses that are the company's own."""


@analytic("endpoint_rdp_client_timezone", params=RdpTimezoneParams)
def rdp_client_timezone_mismatch(ctx: Context, rule: Rule) -> list[Finding]:
    """RDP clients whose reported UTC offset differs from the laptop owner's roster zone."""
    p = params_of(rule, RdpTimezoneParams)
    minimum = p.min_difference_minutes
    link = p.link_seconds
    trusted = set(p.trusted_kinds)
    r = ctx.table("rdp_activity")
    offsets = r.filter(
        r["device.hostname"].notnull() & r["unmapped.client_utc_offset_minutes"].notnull()
    )
    per = offsets.group_by(
        [
            host_key(offsets["device.hostname"]).name("__host"),
            offsets["unmapped.client_utc_offset_minutes"].name("__offset"),
            offsets["time"].truncate("D").name("__day"),
        ]
    ).aggregate(
        __device=offsets["device.hostname"].min(),
        __devices=offsets["device.hostname"].collect(distinct=True),
        __first=offsets["time"].min(),
        __last=offsets["time"].max(),
        __n=offsets["metadata.uid"].count(),
        __uids=offsets["metadata.uid"].collect(),
        __times=offsets["time"].collect(),
        __connections=offsets["connection_info.uid"].collect(distinct=True),
    )
    roster = read_roster(ctx.table("workers"))
    candidates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _fetch(per.order_by(["__host", "__day", "__offset"])):
        worker = ctx.workers.first(row["__devices"])
        person = roster.get(worker or "")
        zone = person.timezone if person is not None else None
        if not worker or not zone:
            continue
        expected = _zone_offset(zone, row["__first"])
        if expected is None or abs(row["__offset"] - expected) < minimum:
            continue
        candidates[row["__host"]].append(
            {**row, "worker": worker, "zone": zone, "expected": expected}
        )
    if not candidates:
        return []
    clients = r.filter(
        r["device.hostname"].notnull()
        & (r["src_endpoint.ip"].notnull() | r["src_endpoint.hostname"].notnull())
    )
    clients = clients.select(
        __host=host_key(clients["device.hostname"]),
        __time=clients["time"],
        __ip=clients["src_endpoint.ip"],
        __client=clients["src_endpoint.hostname"],
        __conn=clients["connection_info.uid"],
        __uid=clients["metadata.uid"],
    )
    clients = clients.filter(clients["__host"].isin(list(candidates)))
    by_host: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _fetch(clients):
        by_host[row["__host"]].append(row)
    kinds = _ip_kinds(ctx, (c["__ip"] for rows in by_host.values() for c in rows))
    findings = []
    for host, groups in candidates.items():
        linked: list[dict[str, Any]] = []
        for group in groups:
            for client in by_host.get(host, []):
                same = client["__conn"] and client["__conn"] in group["__connections"]
                near = any(
                    abs((client["__time"] - t).total_seconds()) <= link for t in group["__times"]
                )
                if same or near:
                    linked.append(client)
        ips = {c["__ip"] for c in linked if c["__ip"]}
        outside = {
            ip for ip in ips if kinds.get(ip) not in trusted and not is_ignored_ip(ctx.settings, ip)
        }
        if ips and not outside:
            continue  # every linked client came from the company's own networks
        first = min(g["__first"] for g in groups)
        last = max(g["__last"] for g in groups)
        worker, zone = groups[0]["worker"], groups[0]["zone"]
        email = roster[worker].email if worker in roster else None
        owner = f"{email} ({worker})" if email else worker
        seen = sorted({g["__offset"] for g in groups})
        gap = max(abs(g["__offset"] - g["expected"]) for g in groups)
        count = sum(g["__n"] for g in groups)
        names = sorted({c["__client"] for c in linked if c["__client"]})
        device = groups[0]["__device"]
        text = (
            f"RDP clients connecting to {device} reported "
            f"{', '.join(_offset_text(o) for o in seen)} ({count} connection"
            f"{'s' if count != 1 else ''}, {day_span(first, last)}), while its owner {owner} has "
            f"the roster time zone {zone}, then {_offset_text(groups[0]['expected'])}: "
            f"{gap / 60:g} hours apart"
            + (f"; client {', '.join(sorted(ips)[:3])}" if ips else "")
            + (f" ({', '.join(names[:3])})" if names else "")
            + ". The client's clock says where the person at the keyboard keeps time."
        )
        findings.append(
            _finding(
                ctx,
                rule,
                device,
                first=first,
                last=last,
                uids=_uids(
                    [*(u for g in groups for u in g["__uids"]), *(c["__uid"] for c in linked)]
                ),
                count=count,
                explanation=text,
                evidence={
                    "worker_timezone": zone,
                    "worker_utc_offset_minutes": sorted({g["expected"] for g in groups}),
                    "client_utc_offsets_minutes": seen,
                    "difference_hours": gap / 60,
                    "client_ips": sorted(ips)[:10],
                    "client_ip_kinds": {ip: kinds.get(ip) for ip in sorted(ips)[:10]},
                    "client_names": names[:10],
                    "days": sorted({iso(g["__day"]) for g in groups})[:31],
                },
                tables=["rdp_activity"],
                worker=worker,
            )
        )
    return findings
