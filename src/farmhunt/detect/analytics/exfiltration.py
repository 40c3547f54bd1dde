"""Exfiltration and SaaS analytics: bulk repository and Drive downloads, files shared
out of the company, code pushed to personal remotes, new credentials used from
anonymising networks.

The FBI's 2025 guidance warns that North Korean IT workers steal source code and data
before they are let go, then extort the employer, and asks employers to monitor network,
browser and SaaS logs for exfiltration to shared drives, cloud accounts and private code
repositories. Every threshold here is a rule parameter and every baseline comes from the
data: a worker is compared with their own history and with their peers (the same
department in the HR roster, else everyone using the service), never with a constant
alone. Counting runs in the engine (sliding windows per actor); only per-actor peaks
and the events of a flagged burst are fetched.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from farmhunt.detect.analytics import analytic
from farmhunt.detect.analytics.hiring import (
    identifier_map,
    memo,
    roster,
    table_or_none,
)
from farmhunt.detect.context import MAX_UIDS, Context, subject_expr
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.params import params_of
from farmhunt.detect.sigma_ibis import fold_or
from farmhunt.detect.subjects import subject_type, subjects_for
from farmhunt.detect.windows import distinct_in_range
from farmhunt.enrich.facts.identifiers import worker_of
from farmhunt.enrich.facts.roster import RosterRow
from farmhunt.enrich.facts.times import iso, window_text

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.I)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(value: Any) -> timedelta:
    """A rule parameter as a time span: seconds, or ``30m``, ``24h``, ``7d``, ``2w``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=float(value))
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration (e.g. 90, 30m, 24h, 7d)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * min(max(q, 0.0), 1.0)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def when(first: datetime, last: datetime) -> str:
    """``at T UTC`` or ``between T1 and T2 UTC``, for explanations."""
    if f"{first:%Y-%m-%d %H:%M}" == f"{last:%Y-%m-%d %H:%M}":
        return f"at {first:%Y-%m-%d %H:%M} UTC"
    return f"between {first:%Y-%m-%d %H:%M} and {last:%Y-%m-%d %H:%M} UTC"


def times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _lower_list(values: Iterable[Any]) -> list[str]:
    return [str(v).strip().lower() for v in values if str(v).strip()]


@dataclass
class Actor:
    """Who an account is: the worker behind it and the peers they are compared with."""

    key: str
    shown: str
    which: str
    worker: RosterRow | None = None

    @property
    def worker_id(self) -> str | None:
        return self.worker.employee_id if self.worker else None

    @property
    def department(self) -> str | None:
        if self.worker is None:
            return None
        value = self.worker.values.get("department")
        return str(value).strip().lower() if value else None


def actors_of(
    ctx: Context, workers: dict[str, RosterRow], rows: Iterable[dict[str, Any]]
) -> dict[str, Actor]:
    """Actors from (``__akey``, ``__actor``, ``__which``) rows, linked to their worker."""
    ids = identifier_map(ctx, workers)
    # the least spelling of each key, not the first seen: rows come in any order
    named: dict[str, tuple[str, str]] = {}
    for row in rows:
        key = row["__akey"]
        if key is None:
            continue
        spelling = (row["__actor"] or "", row["__which"] or "")
        if key not in named or spelling < named[key]:
            named[key] = spelling
    out: dict[str, Actor] = {}
    for key, (actor, which) in named.items():
        worker_id = worker_of((ids, ctx.workers), (actor,))
        out[key] = Actor(key, actor, which, workers.get(worker_id or ""))
    return out


def with_actor(t: ir.Table, table: str) -> ir.Table:
    """``t`` with the acting account (``__actor``, its column ``__which``, and the
    lower-cased ``__akey`` it is grouped by)."""
    actor, which = subject_expr(t, subjects_for(table))
    t = t.mutate(__actor=actor, __which=which)
    return t.mutate(__akey=t["__actor"].lower()).filter(lambda s: s["__akey"].notnull())


class Peers:
    """Every actor's peers' peaks, indexed once per run.

    An actor's peers are the same department when it has ``min_peers`` other members
    using the service, else every other actor of the service; "other" leaves out the
    actor's own accounts (the same worker). Building that list anew for each actor cost
    time quadratic in the actors, the slowest analytic on a large estate
    (docs/performance.md). Here each group's peaks are sorted once, and only the actor's own few
    accounts are taken out per actor.
    """

    def __init__(self, actors: dict[str, Actor], peaks: dict[str, float]) -> None:
        self.peaks = peaks
        self.everyone = sorted(peaks.get(a.key, 0.0) for a in actors.values())
        departments: dict[str, list[float]] = defaultdict(list)
        self.accounts: dict[str, list[Actor]] = defaultdict(list)
        for a in actors.values():
            department = a.department
            if department:
                departments[department].append(peaks.get(a.key, 0.0))
            if a.worker_id is not None:
                self.accounts[a.worker_id].append(a)
        self.departments = {d: sorted(v) for d, v in departments.items()}

    def of(self, actor: Actor, min_peers: int) -> tuple[list[float], str]:
        """The actor's peers' peaks (sorted) and which group they are."""
        own = [actor] if actor.worker_id is None else self.accounts[actor.worker_id]
        department = actor.department
        if department:
            pool = self.departments[department]
            gone = [self.peaks.get(a.key, 0.0) for a in own if a.department == department]
            if len(pool) - len(gone) >= min_peers:
                return _without(pool, gone), f"department {department}"
        gone = [self.peaks.get(a.key, 0.0) for a in own]
        return _without(self.everyone, gone), "everyone using the service"


def _without(ordered: list[float], gone: list[float]) -> list[float]:
    """A sorted list less one occurrence of each of ``gone``'s values."""
    out = list(ordered)
    for value in gone:
        del out[bisect.bisect_left(out, value)]
    return out


def peer_values(
    actor: Actor, actors: dict[str, Actor], peaks: dict[str, float], min_peers: int
) -> tuple[list[float], str]:
    """The peaks of the actor's peers (see :class:`Peers`; build that once for many)."""
    return Peers(actors, peaks).of(actor, min_peers)


def sliding_counts(t: ir.Table, item: str, window: timedelta) -> ir.Table:
    """Each row of ``t`` with ``__n``: the distinct ``item`` values of its ``__akey``
    within ``window`` up to the row (portable: no distinct window aggregate)."""
    seconds = int(window.total_seconds())
    return distinct_in_range(t, keys=["__akey"], order="time", value=item, seconds=seconds)


def sliding_peaks(t: ir.Table, item: str, window: timedelta) -> dict[str, tuple[int, datetime]]:
    """Per ``__akey``: the most distinct ``item`` values within ``window``, and when that
    window ended (the first such window when several reach the peak)."""
    counted = sliding_counts(t, item, window)
    tops = counted.group_by("__akey").aggregate(peak=counted["__n"].max())
    at = counted.join(tops, "__akey")
    at = at.filter(at["__n"] == at["peak"])
    peaks = at.group_by("__akey").aggregate(peak=at["peak"].max(), end=at["time"].min())
    return {r["__akey"]: (int(r["peak"]), r["end"]) for r in peaks.to_pyarrow().to_pylist()}


def burst_events(
    t: ir.Table,
    bursts: dict[str, datetime],
    window: timedelta,
    columns: Sequence[str],
) -> dict[str, list[dict[str, Any]]]:
    """Each actor's events in the window ending at its burst's end, oldest first (one
    query for every flagged actor)."""
    if not bursts:
        return {}
    start = min(bursts.values()) - window
    rows = t.filter(
        t["__akey"].isin(list(bursts))
        & (t["time"] >= ibis.literal(start))
        & (t["time"] <= ibis.literal(max(bursts.values())))
    )
    wanted = ["__akey", "time", "metadata.uid", *[c for c in columns if c in rows.columns]]
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    # the uid breaks ties in time: the first MAX_UIDS events are the same on every run
    for row in rows.select(*wanted).order_by(["time", "metadata.uid"]).to_pyarrow().to_pylist():
        end = bursts[row["__akey"]]
        if end - window <= row["time"] <= end:
            out[row["__akey"]].append(row)
    return out


def _finding(
    rule: Rule,
    actor: Actor,
    events: list[dict[str, Any]],
    explanation: str,
    evidence: dict[str, Any],
    table: str,
    device: str | None = None,
) -> Finding:
    times = [e["time"] for e in events if e.get("time") is not None]
    return Finding(
        rule=rule,
        subject=actor.shown,
        subject_type=subject_type(actor.which) if actor.which else "username",
        first_seen=min(times) if times else None,
        last_seen=max(times) if times else None,
        event_count=len(events),
        event_uids=[e["metadata.uid"] for e in events[:MAX_UIDS] if e.get("metadata.uid")],
        explanation=explanation,
        evidence=evidence,
        device=device,
        worker_id=actor.worker_id,
        tables=[table],
    )


def hire_cutoffs(
    actors: dict[str, Actor], days: float
) -> tuple[ir.Table | None, dict[str, datetime]]:
    """A small table of (``__akey``, ``__not_before``): each actor's hire date plus
    ``days``; events before it belong to onboarding."""
    cutoffs = {
        a.key: a.worker.hire_date + timedelta(days=days)
        for a in actors.values()
        if a.worker is not None and a.worker.hire_date is not None and days > 0
    }
    if not cutoffs:
        return None, {}
    data = pa.table(
        {
            "__hk": pa.array(list(cutoffs), pa.string()),
            "__not_before": pa.array(list(cutoffs.values()), pa.timestamp("us", tz="UTC")),
        }
    )
    return ibis.memtable(data), cutoffs


# -- bulk downloads of private repositories -------------------------------------------


@dataclass(frozen=True)
class RepoBulkDownloadParams:
    operations: tuple[str, ...] = ("git.clone", "repo.download_zip")
    """Audit-log operations that copy a repository."""
    visibilities: tuple[str, ...] = ("private", "internal", "non-public")
    """Repository visibilities that count (public code is no exfiltration)."""
    window: str | float = field(default="24h", metadata={"check": duration})
    """Window the repositories are counted in (seconds, or ``30m``, ``24h``, ``7d``)."""
    min_repositories: int = 8
    """Distinct repositories within one window."""
    peer_multiplier: float = 3.0
    """Times the peers' typical count the worker must exceed."""
    peer_quantile: float = 0.5
    """Quantile of the peers' counts that is "typical"."""
    min_peers: int = 5
    """Peers needed before the peer comparison is used."""
    new_hire_days: float = 14.0
    """Days after the hire date that make a worker a new hire."""
    service_operation_prefixes: tuple[str, ...] = ("git.", "repo.")
    """Operation prefixes that mark the code-host's audit log (to find the peers)."""


@analytic("exfil_repo_bulk_download", params=RepoBulkDownloadParams)
def repo_bulk_download(ctx: Context, rule: Rule) -> list[Finding]:
    """One account cloning or downloading (as ZIP) many distinct non-public repositories
    within a window, far more than its peers ever do.

    Threshold: at least ``min_repositories`` and at least ``peer_multiplier`` times the
    ``peer_quantile`` of the peers' own peaks (same department from the roster when it
    has ``min_peers`` members on the code host, else everyone on it). Clones within
    ``new_hire_days`` of the worker's hire date are onboarding and not counted.
    """
    p = params_of(rule, RepoBulkDownloadParams)
    operations = _lower_list(p.operations)
    visibilities = _lower_list(p.visibilities)
    window = duration(p.window)
    min_repos = p.min_repositories
    multiplier = p.peer_multiplier
    q = p.peer_quantile
    min_peers = p.min_peers
    new_hire_days = p.new_hire_days
    prefixes = _lower_list(p.service_operation_prefixes)

    t = with_actor(ctx.table("api_activity"), "api_activity")
    t = t.mutate(
        __op=t["api.operation"].lower(),
        __repo=t["resource.name"].lower(),
        __vis=t["resource.visibility"].lower(),
    )
    users = t.filter(fold_or([t["__op"].startswith(x) for x in prefixes]))
    actor_rows = users.select("__akey", "__actor", "__which").distinct().to_pyarrow().to_pylist()
    if not actor_rows:
        return []
    workers = roster(ctx)
    actors = actors_of(ctx, workers, actor_rows)
    private = t.filter(t["__vis"].isin(visibilities) & t["__repo"].notnull())
    pulls = private.filter(private["__op"].isin(operations))
    cutoffs, cutoff_at = hire_cutoffs(actors, new_hire_days)
    if cutoffs is not None:
        joined = pulls.left_join(cutoffs, pulls["__akey"] == cutoffs["__hk"])
        discounted = joined.filter(
            joined["__not_before"].isnull() | (joined["time"] >= joined["__not_before"])
        )
        onboarding = (
            joined.filter(
                joined["__not_before"].notnull() & (joined["time"] < joined["__not_before"])
            )
            .group_by("__akey")
            .aggregate(n=lambda s: s.count())
            .to_pyarrow()
            .to_pylist()
        )
        skipped = {r["__akey"]: int(r["n"]) for r in onboarding}
        pulls = discounted.drop("__hk", "__not_before")
    else:
        skipped = {}
    peaks = sliding_peaks(pulls, "__repo", window)
    if not peaks:
        return []
    peak_values = {k: float(v[0]) for k, v in peaks.items()}
    all_private = int(private.select("__repo").distinct().count().to_pyarrow().as_py())
    flagged: dict[str, tuple[Actor, int, datetime, list[float], str, float, int]] = {}
    peers = Peers(actors, peak_values)
    for key, (peak, end) in sorted(peaks.items()):
        actor = actors.get(key)
        if actor is None:
            continue
        values, group = peers.of(actor, min_peers)
        baseline = quantile(values, q)
        threshold = max(min_repos, math.ceil(multiplier * baseline))
        if peak >= threshold:
            flagged[key] = (actor, peak, end, values, group, baseline, threshold)
    columns = ["__repo", "resource.name", "api.operation", "resource.visibility", "src_endpoint.ip"]
    bursts = burst_events(pulls, {k: v[2] for k, v in flagged.items()}, window, columns)
    findings = []
    for key, (actor, peak, end, values, group, baseline, threshold) in flagged.items():
        events = bursts.get(key, [])
        repos = sorted({e["resource.name"] or e["__repo"] for e in events})
        ops = sorted({e["api.operation"] for e in events if e.get("api.operation")})
        ips = sorted({e["src_endpoint.ip"] for e in events if e.get("src_endpoint.ip")})
        first = events[0]["time"] if events else end
        explanation = (
            f"{actor.shown} pulled {peak} distinct non-public repositories "
            f"({', '.join(ops)}) {when(first, end)}, "
            f"{peak} of the {all_private} non-public repositories in the audit log. Their "
            f"peers ({group}, {len(values)} accounts) pull at most {baseline:g} in a "
            f"{window_text(window)} window (quantile {q:g} of their busiest windows), so the "
            f"threshold is {threshold}. Repositories: "
            + ", ".join(repos[:8])
            + (f" and {len(repos) - 8} more" if len(repos) > 8 else "")
            + "."
        )
        evidence = {
            "distinct_repositories": peak,
            "repositories": repos[:50],
            "operations": ops,
            "source_ips": ips[:10],
            "window": window_text(window),
            "window_end": iso(end),
            "non_public_repositories_in_log": all_private,
            "peer_group": group,
            "peer_accounts": len(values),
            "peer_baseline": baseline,
            "threshold": threshold,
            "hire_date": iso(actor.worker.hire_date) if actor.worker else None,
            "onboarding_pulls_not_counted": skipped.get(key, 0),
            "counted_from": iso(cutoff_at.get(key)),
        }
        findings.append(_finding(rule, actor, events, explanation, evidence, "api_activity"))
    return findings


# -- Google Drive download bursts -----------------------------------------------------


@dataclass(frozen=True)
class DriveDownloadSpikeParams:
    activity_ids: tuple[int, ...] = (2,)
    """``file_hosting_activity`` activity ids of a download."""
    window: str | float = field(default="24h", metadata={"check": duration})
    """Window the files are counted in (seconds, or ``30m``, ``24h``, ``7d``)."""
    min_files: int = 8
    """Distinct files within one window."""
    multiplier: float = 2.0
    """Times the worker's own typical window the spike must exceed."""
    own_quantile: float = 0.5
    """Quantile of the worker's own windows that is "typical"."""
    peer_quantile: float = 0.95
    """Quantile of the peers' windows the spike must exceed."""


@analytic("exfil_drive_download_spike", params=DriveDownloadSpikeParams)
def drive_download_spike(ctx: Context, rule: Rule) -> list[Finding]:
    """One account downloading many distinct files within a window, against its own
    daily history and the company's.

    Threshold: at least ``min_files`` and at least ``multiplier`` times the larger of
    the account's own typical day (``own_quantile`` of its active days, the burst's
    day left out) and everyone's typical heavy day (``peer_quantile`` of all accounts'
    active days).
    """
    p = params_of(rule, DriveDownloadSpikeParams)
    activities = list(p.activity_ids)
    window = duration(p.window)
    min_files = p.min_files
    multiplier = p.multiplier
    own_q = p.own_quantile
    peer_q = p.peer_quantile

    t = with_actor(ctx.table("file_hosting_activity"), "file_hosting_activity")
    t = t.mutate(
        __file=ibis.coalesce(t["file.uid"].nullif(""), t["file.name"].nullif("")),
        __day=t["time"].date(),
    )
    downloads = t.filter(t["activity_id"].isin(activities) & t["__file"].notnull())
    peaks = sliding_peaks(downloads, "__file", window)
    if not peaks:
        return []
    active = t.select("__akey", "__day").distinct()
    daily = downloads.group_by("__akey", "__day").aggregate(n=downloads["__file"].nunique())
    per_day = active.left_join(
        daily, (active["__akey"] == daily["__akey"]) & (active["__day"] == daily["__day"])
    ).select(akey=active["__akey"], day=active["__day"], n=daily["n"].fill_null(0))
    history: dict[str, dict[Any, int]] = defaultdict(dict)
    for row in per_day.to_pyarrow().to_pylist():
        history[row["akey"]][row["day"]] = int(row["n"])
    everyone = [n for days in history.values() for n in days.values()]
    peer = quantile(everyone, peer_q)
    candidates = {k: v for k, v in peaks.items() if v[0] >= min_files}
    if not candidates:
        return []
    actor_rows = (
        downloads.filter(downloads["__akey"].isin(list(candidates)))
        .select("__akey", "__actor", "__which")
        .distinct()
        .to_pyarrow()
        .to_pylist()
    )
    actors = actors_of(ctx, roster(ctx), actor_rows)
    flagged: dict[str, tuple[int, datetime, list[int], float, int]] = {}
    for key, (peak, end) in sorted(candidates.items()):
        own_days = [n for day, n in history.get(key, {}).items() if day != end.date()]
        own = quantile(own_days, own_q)
        threshold = max(min_files, math.ceil(multiplier * max(own, peer)))
        if peak >= threshold:
            flagged[key] = (peak, end, own_days, own, threshold)
    columns = ["__file", "file.name", "file.owner.email_addr", "src_endpoint.ip"]
    bursts = burst_events(downloads, {k: v[1] for k, v in flagged.items()}, window, columns)
    findings = []
    for key, (peak, end, own_days, own, threshold) in flagged.items():
        actor = actors[key]
        events = bursts.get(key, [])
        names = sorted({e["file.name"] or e["__file"] for e in events})
        owners = sorted(
            {e["file.owner.email_addr"] for e in events if e.get("file.owner.email_addr")}
        )
        first = events[0]["time"] if events else end
        explanation = (
            f"{actor.shown} downloaded {peak} distinct Drive files {when(first, end)}; "
            f"on a typical active day they "
            f"download {own:g} (quantile {own_q:g} of {len(own_days)} other days) and a heavy "
            f"day across the company is {peer:g} (quantile {peer_q:g} of {len(everyone)} "
            f"account-days), threshold {threshold}. Files: "
            + ", ".join(names[:8])
            + (f" and {len(names) - 8} more" if len(names) > 8 else "")
            + "."
        )
        evidence = {
            "distinct_files": peak,
            "files": names[:50],
            "file_owners": owners[:20],
            "source_ips": sorted(
                {e["src_endpoint.ip"] for e in events if e.get("src_endpoint.ip")}
            )[:10],
            "window": window_text(window),
            "window_end": iso(end),
            "own_baseline": own,
            "own_days": len(own_days),
            "company_baseline": peer,
            "company_account_days": len(everyone),
            "threshold": threshold,
        }
        findings.append(
            _finding(rule, actor, events, explanation, evidence, "file_hosting_activity")
        )
    return findings


# -- files shared outside the company -------------------------------------------------

_DOMAIN = r"@([^@\s>]+)\s*$"


def company_domains(ctx: Context, extra: Iterable[str] = ()) -> set[str]:
    """The company's mail domains: those of the roster's work emails (plus ``extra``);
    without a roster, those of the accounts acting in Google Drive (Drive's audit log
    names the customer's own users as actors)."""

    def domains_of(table: str, column: str) -> set[str]:
        t = table_or_none(ctx, table)
        if t is None or column not in t.columns:
            return set()
        found = t.select(d=t[column].lower().re_extract(_DOMAIN, 1)).distinct().to_pyarrow()
        return {d for d in found.column("d").to_pylist() if d}

    given = {d.strip().lower().lstrip("@") for d in extra if str(d).strip()}
    found = memo(
        ctx,
        "company_domains",
        lambda: (
            domains_of("workers", "email")
            or domains_of("file_hosting_activity", "actor.user.email_addr")
        ),
    )
    return given | found


_NAME_CHARS = re.compile(r"[^a-z]+")


def looks_like_own(address: str, actor: Actor) -> bool:
    """Whether an outside address is plausibly the sharer's own mailbox: the roster's
    personal email, or a local part spelling the same name as their work address or
    their roster name (``ann.lee@gmail.com`` for ``ann.lee2@example.com``)."""
    address = address.strip().lower()
    worker = actor.worker
    if worker is not None:
        personal = str(worker.values.get("personal_email") or "").strip().lower()
        if personal and personal == address:
            return True
    local = _NAME_CHARS.sub("", _plain_ascii(address.split("@", 1)[0]))
    if len(local) < 4:
        return False
    names = {actor.shown.split("@", 1)[0]}
    if worker is not None:
        names |= {str(worker.values.get(c) or "") for c in ("full_name", "email", "username")}
    for name in names:
        name = _NAME_CHARS.sub("", _plain_ascii(name.lower().split("@", 1)[0]))
        if name and name == local:
            return True
    return False


def _plain_ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class DriveExternalShareParams:
    activity_ids: tuple[int, ...] = (12,)
    """``file_hosting_activity`` activity ids of a share."""
    min_sharers: int = 1
    """Distinct workers sharing to one outside account."""
    min_files: int = 1
    """Files shared to one outside account."""
    company_domains: tuple[str, ...] = ()
    """Mail domains of the company besides the roster's (never outside)."""


@analytic("exfil_drive_external_share", params=DriveExternalShareParams)
def drive_external_share(ctx: Context, rule: Rule) -> list[Finding]:
    """Files shared with accounts outside the company's domains (from the roster's work
    emails; subdomains count as the company's). With ``min_sharers`` above 1, only
    external recipients that several different workers share with (a common drop box)."""
    p = params_of(rule, DriveExternalShareParams)
    activities = list(p.activity_ids)
    min_sharers = p.min_sharers
    min_files = p.min_files
    domains = sorted(company_domains(ctx, p.company_domains))
    if not domains:
        return []
    t = with_actor(ctx.table("file_hosting_activity"), "file_hosting_activity")
    recipient = t["dst_user.email_addr"].strip().lower()
    domain = recipient.re_extract(_DOMAIN, 1)
    internal = fold_or([domain == d for d in domains] + [domain.endswith("." + d) for d in domains])
    shares = t.mutate(__to=recipient, __to_domain=domain).filter(
        t["activity_id"].isin(activities) & recipient.contains("@") & ~internal
    )
    rows = (
        shares.select(
            "__akey",
            "__actor",
            "__which",
            "__to",
            "time",
            "metadata.uid",
            "file.name",
            "file.uid",
            "dst_user.email_addr",
            "unmapped.visibility_change",
        )
        .order_by(["time", "metadata.uid"])
        .to_pyarrow()
        .to_pylist()
    )
    if not rows:
        return []
    workers = roster(ctx)
    actors = actors_of(ctx, workers, rows)
    sharers: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if not looks_like_own(row["__to"], actors[row["__akey"]]):
            sharers[row["__to"]].add(row["__akey"])
    by_actor: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if min_sharers <= 1 or len(sharers[row["__to"]]) >= min_sharers:
            by_actor[row["__akey"]].append(row)
    findings = []
    for key, events in sorted(by_actor.items()):
        files = sorted({e["file.name"] or e["file.uid"] or "?" for e in events})
        if len(files) < min_files:
            continue
        actor = actors[key]
        recipients = sorted({e["__to"] for e in events})
        personal = (
            str(actor.worker.values.get("personal_email") or "").strip().lower()
            if actor.worker
            else ""
        )
        shared_by = {r: sorted(actors[a].shown for a in sharers[r]) for r in recipients}
        common = {r: s for r, s in shared_by.items() if len(s) > 1}
        own = sorted(r for r in recipients if looks_like_own(r, actor))
        explanation = (
            f"{actor.shown} shared {len(files)} file{'s' if len(files) != 1 else ''} "
            f"({', '.join(files[:5])}{' …' if len(files) > 5 else ''}) with "
            f"{', '.join(recipients[:5])}, outside the company's domains "
            f"({', '.join(domains[:5])}) {when(events[0]['time'], events[-1]['time'])}"
            + (
                "; "
                + "; ".join(
                    f"{r} receives files from {len(s)} workers: {', '.join(s[:5])}"
                    for r, s in common.items()
                )
                if common
                else ""
            )
            + (
                f"; {personal} is the worker's own personal address in the roster"
                if personal in recipients
                else ""
            )
            + "."
        )
        evidence = {
            "recipients": recipients[:20],
            "files": files[:50],
            "shares": len(events),
            "company_domains": domains[:20],
            "recipient_shared_by": {r: s[:20] for r, s in shared_by.items()},
            "roster_personal_email": personal or None,
            "looks_like_own_mailbox": own,
        }
        findings.append(
            _finding(rule, actor, events, explanation, evidence, "file_hosting_activity")
        )
    return findings


# -- git remotes outside the organisation ---------------------------------------------

_GIT_COMMAND = r"\bremote\s+(add|set-url)\b|\bpush\b.*\s--(all|mirror)\b"
_URL = re.compile(r"""(?:(?:https?|ssh|git)://[^\s"'`]+|[\w.-]+@[\w.-]+:[^\s"'`]+)""", re.I)
_SCP = re.compile(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>.+)$")


_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redact(text: str) -> str:
    """A URL or command line without the credentials embedded in URLs
    (``https://user:token@host/...`` → ``https://***@host/...``)."""
    return _USERINFO.sub("***@", text)


def remote_owner(url: str) -> tuple[str, str] | None:
    """(host, owner) of a git remote URL: ``https://github.com/owner/repo.git``,
    ``git@github.com:owner/repo.git``, ``ssh://git@github.com/owner/repo``."""
    url = url.strip().strip("\"'")
    scp = _SCP.match(url)
    if scp and "://" not in url:
        host, path = scp.group("host"), scp.group("path")
    else:
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        host, path = parts.hostname or "", parts.path
    owner = path.strip("/").split("/", 1)[0]
    if not host or not owner:
        return None
    return host.lower(), owner.lower()


def _args_after(cmd: str, words: Sequence[str]) -> list[str]:
    """The arguments after ``words`` (``remote add``, ``push``), options left out."""
    tokens = cmd.replace('"', " ").replace("'", " ").split()
    lowered = [w.lower() for w in tokens]
    for index in range(len(tokens) - len(words) + 1):
        if lowered[index : index + len(words)] == list(words):
            return [w for w in tokens[index + len(words) :] if not w.startswith("-")]
    return []


ORGANISATION_RESOURCES = ("repository", "organization", "team", "enterprise", "deploy_key")
"""GitHub resources whose owner is the organisation (a user's SSH key is the user's)."""


def organisation_names(ctx: Context, extra: Iterable[str] = ()) -> set[str]:
    """The organisation's names on the code host: the owners of the repositories in its
    GitHub audit log (``resource.owner.name``), plus any given."""
    return set(_lower_list(extra)) | memo(ctx, "organisation_names", lambda: _owners(ctx))


def _owners(ctx: Context) -> set[str]:
    t = table_or_none(ctx, "api_activity")
    if t is None:
        return set()
    # a user's SSH key is "owned" by the user: only the organisation's own resources count
    owned = t["resource.type"].lower().isin(ORGANISATION_RESOURCES)
    owners = (
        t.filter(
            (t["api.service.name"].lower() == "github") & owned & t["resource.owner.name"].notnull()
        )
        .select(o=t["resource.owner.name"].lower())
        .distinct()
        .to_pyarrow()
    )
    return {o for o in owners.column("o").to_pylist() if o}


@dataclass
class RemoteUse:
    """One git command naming a remote, and what it was found to point at."""

    time: datetime
    uid: str | None
    table: str
    device: str
    cmd: str
    user: str | None
    remote: str | None = None
    url: str | None = None
    owner: tuple[str, str] | None = None


@dataclass(frozen=True)
class GitPersonalRemoteParams:
    mode: Literal["bulk_push", "remote_added"] = "bulk_push"
    """``bulk_push``: pushes to a personal remote; ``remote_added``: the remote alone."""
    code_hosts: tuple[str, ...] = ("github.com",)
    """Code hosts whose repositories outside the organisation are personal."""
    org_names: tuple[str, ...] = ()
    """The organisation's names on the code host besides those its audit log shows."""
    tables: tuple[str, ...] = ("process_activity", "process_query")
    """Process tables whose command lines are read."""


@analytic("exfil_git_personal_remote", params=GitPersonalRemoteParams)
def git_personal_remote(ctx: Context, rule: Rule) -> list[Finding]:
    """Git on a company laptop pointed at a repository outside the organisation.

    ``git remote add|set-url <name> <url>`` where the URL is on a public code host
    (``code_hosts``) under an owner that is not the organisation (its names come from the
    GitHub audit log's repository owners, plus ``org_names``), and ``git push <remote>
    --all|--mirror`` to such a remote. ``mode: bulk_push`` reports laptops that pushed
    everything to such a remote; ``mode: remote_added`` those that only added one.
    """
    p = params_of(rule, GitPersonalRemoteParams)
    mode = p.mode
    hosts = set(_lower_list(p.code_hosts))
    orgs = organisation_names(ctx, p.org_names)
    if not orgs:
        return []
    by_device: dict[str, list[RemoteUse]] = defaultdict(list)
    for table in _lower_list(p.tables):
        t = table_or_none(ctx, table)
        if t is None or "process.cmd_line" not in t.columns:
            continue
        cmd = t["process.cmd_line"].lower()
        hits = t.filter(
            t["device.hostname"].notnull() & cmd.contains("git") & cmd.re_search(_GIT_COMMAND)
        ).select("time", "metadata.uid", "device.hostname", "process.cmd_line", "process.user.name")
        for row in hits.to_pyarrow().to_pylist():
            use = RemoteUse(
                row["time"],
                row["metadata.uid"],
                table,
                row["device.hostname"],
                row["process.cmd_line"],
                row["process.user.name"],
            )
            by_device[use.device].append(use)
    findings = []
    for device, uses in sorted(by_device.items()):
        uses.sort(key=_use_order)
        outside: dict[str, RemoteUse] = {}
        added: list[RemoteUse] = []
        pushed: list[RemoteUse] = []
        for use in uses:
            lowered = use.cmd.lower()
            urls = _URL.findall(use.cmd)
            if re.search(r"\bremote\s+(add|set-url)\b", lowered):
                args = _args_after(use.cmd, ["remote", "add"]) or _args_after(
                    use.cmd, ["remote", "set-url"]
                )
                owner = remote_owner(urls[0]) if urls else None
                if owner and owner[0] in hosts and owner[1] not in orgs:
                    use.remote = args[0] if args else None
                    use.url, use.owner = urls[0], owner
                    if use.remote:
                        outside[use.remote.lower()] = use
                    added.append(use)
            elif re.search(r"\bpush\b", lowered):
                args = _args_after(use.cmd, ["push"])
                target = args[0] if args else None
                owner = remote_owner(urls[0]) if urls else None
                if owner and owner[0] in hosts and owner[1] not in orgs:
                    use.url, use.owner, use.remote = urls[0], owner, target
                    pushed.append(use)
                elif target and target.lower() in outside:
                    source = outside[target.lower()]
                    use.url, use.owner, use.remote = source.url, source.owner, target
                    pushed.append(use)
        if mode == "bulk_push" and not pushed:
            continue
        if mode == "remote_added" and (pushed or not added):
            continue
        events = _dedupe(added + pushed)
        worker = ctx.worker_for(device) or ctx.worker_for(device.split(".", 1)[0])
        owners = sorted({f"{u.owner[0]}/{u.owner[1]}" for u in events if u.owner})
        what = (
            "pushed all branches (--all/--mirror) to "
            + ", ".join(sorted({redact(u.url or "") for u in pushed}))
            if pushed
            else "added the remote " + ", ".join(sorted({redact(u.url or "") for u in added}))
        )
        explanation = (
            f"On {device}, git {what} {when(events[0].time, events[-1].time)}: "
            f"{', '.join(owners)} {'is' if len(owners) == 1 else 'are'} not the "
            f"organisation ({', '.join(sorted(orgs)[:5])}). Commands: "
            + " | ".join(redact(u.cmd) for u in events[:4])
        )
        evidence = {
            "device": device,
            "outside_owners": owners,
            "organisation": sorted(orgs)[:10],
            "commands": [
                {
                    "time": iso(u.time),
                    "cmd_line": redact(u.cmd),
                    "user": u.user,
                    "remote": u.remote,
                    "url": redact(u.url) if u.url else None,
                    "table": u.table,
                }
                for u in events[:20]
            ],
            "bulk_push": bool(pushed),
        }
        findings.append(
            Finding(
                rule=rule,
                subject=device,
                subject_type="hostname",
                first_seen=events[0].time,
                last_seen=events[-1].time,
                event_count=len(events),
                event_uids=[u.uid for u in events[:MAX_UIDS] if u.uid],
                explanation=explanation,
                evidence=evidence,
                device=device,
                worker_id=worker,
                tables=sorted({u.table for u in events}),
            )
        )
    return findings


def _use_order(use: RemoteUse) -> tuple[datetime, str, str, str]:
    """Time, then uid, table and command: rows come from the engine in any order."""
    return (use.time, use.uid or "", use.table, use.cmd)


def _dedupe(uses: list[RemoteUse]) -> list[RemoteUse]:
    """One entry per command line per minute (osquery snapshots repeat running ones)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for use in sorted(uses, key=_use_order):
        key = (use.cmd, f"{use.time:%Y%m%d%H%M}")
        if key not in seen:
            seen.add(key)
            out.append(use)
    return out


# -- new credentials used from VPN and hosting exits ----------------------------------


@dataclass(frozen=True)
class NewCredentialParams:
    create_operations: tuple[str, ...] = (
        "public_key.create",
        "deploy_key.create",
        "personal_access_token.access_granted",
        "personal_access_token.request_created",
        "oauth_authorization.create",
        "oauth_access.create",
    )
    """Audit-log operations that create a credential."""
    kinds: tuple[str, ...] = ("vpn", "hosting")
    """ip_info kinds of an anonymising exit."""
    window: str | float = field(default="7d", metadata={"check": duration})
    """Time after the creation within which a use counts."""


@analytic("saas_new_credential_from_anonymizer", params=NewCredentialParams)
def new_credential_from_anonymizer(ctx: Context, rule: Rule) -> list[Finding]:
    """A credential created on the code host (SSH key, deploy key, personal access token,
    OAuth grant) and used within ``window`` from an address enrichment classed as one of
    ``kinds`` (VPN, hosting): the tooling of operators who work through anonymising
    exits. Credentials are matched by key fingerprint or token hash."""
    p = params_of(rule, NewCredentialParams)
    creations = _lower_list(p.create_operations)
    kinds = _lower_list(p.kinds)
    window = duration(p.window)
    info = table_or_none(ctx, "ip_info")
    if info is None:
        return []
    t = with_actor(ctx.table("api_activity"), "api_activity")
    made = t.filter(t["api.operation"].lower().isin(creations))
    made = made.mutate(
        __cred=ibis.coalesce(
            made["unmapped.key_fingerprint"].nullif(""),
            made["unmapped.hashed_token"].nullif(""),
        )
    ).filter(lambda s: s["__cred"].notnull())
    made = made.select(
        __ckey="__akey",
        __cred="__cred",
        __created=made["time"],
        __cuid=made["metadata.uid"],
        __cop=made["api.operation"],
    )
    used = t.filter(t["unmapped.key_fingerprint"].notnull() | t["unmapped.hashed_token"].notnull())
    used = used.join(info, used["src_endpoint.ip"] == info["ip"]).filter(
        lambda s: s["kind"].lower().isin(kinds)
    )
    seconds = int(window.total_seconds())
    pairs = used.join(
        made,
        [
            (used["unmapped.key_fingerprint"] == made["__cred"])
            | (used["unmapped.hashed_token"] == made["__cred"]),
            used["time"] >= made["__created"],
            used["time"] <= made["__created"] + ibis.interval(seconds=seconds),
        ],
    )
    rows = (
        pairs.select(
            "__akey",
            "__actor",
            "__which",
            "__cred",
            "__created",
            "__cuid",
            "__cop",
            "time",
            "metadata.uid",
            "api.operation",
            "resource.name",
            "src_endpoint.ip",
            "kind",
            "provider",
        )
        .order_by(["time", "metadata.uid"])
        .to_pyarrow()
        .to_pylist()
    )
    if not rows:
        return []
    actors = actors_of(ctx, roster(ctx), rows)
    by_actor: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_actor[row["__akey"]].append(row)
    findings = []
    for key, uses in sorted(by_actor.items()):
        actor = actors[key]
        creds = {u["__cred"]: (u["__cop"], u["__created"], u["__cuid"]) for u in uses}
        exits = sorted(
            {f"{u['src_endpoint.ip']} ({u['kind']}: {u['provider'] or '?'})" for u in uses}
        )
        made_text = "; ".join(
            f"{_short(cred)} ({op}) at {at:%Y-%m-%d %H:%M} UTC"
            for cred, (op, at, _) in creds.items()
        )
        operations = ", ".join(sorted({u["api.operation"] for u in uses}))
        explanation = (
            f"{actor.shown} created {made_text}, then used "
            f"{'it' if len(creds) == 1 else 'them'} {times(len(uses))} ({operations}) from "
            f"{', '.join(exits[:5])} {when(uses[0]['time'], uses[-1]['time'])}."
        )
        creation_events = [{"time": at, "metadata.uid": uid} for (_, at, uid) in creds.values()]
        events = creation_events + uses
        evidence = {
            "credentials": [
                {"credential": cred, "created_by": op, "created_at": iso(at), "event": uid}
                for cred, (op, at, uid) in creds.items()
            ],
            "exits": exits[:20],
            "uses": len(uses),
            "repositories": sorted({u["resource.name"] for u in uses if u["resource.name"]})[:20],
        }
        findings.append(_finding(rule, actor, events, explanation, evidence, "api_activity"))
    return findings


def _short(credential: str) -> str:
    return credential if len(credential) <= 20 else credential[:20] + "…"
