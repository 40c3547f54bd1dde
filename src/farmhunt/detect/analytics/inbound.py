"""Inbound Remote Desktop from the Internet: sessions into company hosts, not scans.

On a real network most connections to port 3389 from the Internet are scanners'
probes that nobody answered (Zeek ``conn_state`` S0, REJ …), and a company host's
*outbound* RDP to an outside server is not that server being reached "from the
Internet". A finding here is about a company host that took part in a session:

- **a session**, not a probe (:func:`session`): the connection was answered (Zeek's
  no-reply states are stored with ``status_id`` 2, Failure, by the Zeek mapping) and
  carried payload one way or the other (a handshake alone is a port check);
- **inbound to a company host**: the sensor says so (Zeek ``local_orig`` F and
  ``local_resp`` T, Sysmon ``Initiated`` false: ``connection_info.direction_id`` 1);
  a connection the sensor calls outbound or lateral (the client is local) is never
  inbound; when the sensor does not say (no ``local_*`` fields, or neither end in
  Zeek's ``Site::local_nets``), the destination's address must be the company's own
  (private, a corporate range or ``network.private_ranges``);
- **from the Internet**: the client's address is public and not the company's own
  (``inside_kinds``, ``allow.ignore_ips``).

Probes to the same host are counted in the evidence, since many unanswered addresses
around a real session say the port is exposed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from farmhunt.detect.analytics import analytic
from farmhunt.detect.analytics.identity import (
    NOT_PUBLIC,
    classified,
    narrow,
    plural,
    roster,
    special_kind,
    uids_of,
)
from farmhunt.detect.context import Context
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.params import params_of
from farmhunt.detect.subjects import subject_type as subject_type_of
from farmhunt.enrich.facts.times import iso, span

INBOUND, OUTBOUND, LATERAL = 1, 2, 3
"""OCSF ``connection_info.direction_id`` values (0 and null: not known)."""

FAILURE = 2
"""OCSF ``status_id`` Failure: Zeek's states where the responder never answered."""


def session(t: ir.Table) -> ir.BooleanValue:
    """Whether a ``network_activity`` row is a session rather than a probe: not a failed
    attempt (S0, REJ, RSTOS0, SH) and not a Zeek conn entry without payload either
    way (a port check, or OTH midstream packets with no data). Rows that do not say
    (Sysmon, Zeek ssl entries: no packet counts) count as sessions."""
    failed = t["status_id"].fill_null(0) == FAILURE
    # packet counts say the row is a Zeek conn entry, whose unset bytes mean none
    empty = (
        t["traffic.packets_out"].notnull()
        & (t["traffic.bytes_in"].fill_null(0) == 0)
        & (t["traffic.bytes_out"].fill_null(0) == 0)
    )
    return ~(failed | empty)


def _dst_kind(ctx: Context, t: ir.Table) -> ir.Table:
    """``t`` with ``dst_kind``: what the destination address is (ip_info's kind, else
    what its text says, else null)."""
    info = ctx.table("ip_info")
    info = info.select(__d_ip=info.ip, __d_kind=info.kind).distinct(on="__d_ip")
    j = t.left_join(info, t.dst_ip == info.__d_ip)
    j = j.mutate(dst_kind=ibis.coalesce(j.__d_kind, special_kind(j.dst_ip)))
    return j.drop("__d_ip", "__d_kind")


@dataclass(frozen=True)
class InboundRdpParams:
    ports: tuple[int, ...] = (3389,)
    """Destination ports of an RDP session."""
    inside_kinds: tuple[str, ...] = ("corporate",)
    """ip_info kinds that are the company's own (besides private and special ranges)."""


@analytic("inbound_rdp_from_outside", params=InboundRdpParams)
def inbound_rdp_from_outside(ctx: Context, rule: Rule) -> list[Finding]:
    """RDP sessions (``ports``) into company hosts from addresses on the Internet that
    are not the company's own (``inside_kinds``), as the network sees them
    (``network_activity``: Zeek conn at the VPN concentrator or the perimeter, Sysmon
    network events). The sessions the laptop logs itself (RDP events) are the endpoint
    rules' (endpoint.inbound_rdp_session)."""
    p = params_of(rule, InboundRdpParams)
    inside = list(p.inside_kinds)
    ours = [*NOT_PUBLIC, *inside]
    ports = list(p.ports)
    net = ctx.table("network_activity")
    net = narrow(
        net,
        [
            "metadata.uid",
            "connection_info.uid",
            "time",
            "device.hostname",
            "dst_endpoint.hostname",
            "dst_endpoint.ip",
            "dst_endpoint.port",
            "src_endpoint.ip",
            "connection_info.direction_id",
            "status_id",
            "traffic.bytes_in",
            "traffic.bytes_out",
            "traffic.packets_out",
            "metadata.product.name",
        ],
    )
    net = net.filter(net["dst_endpoint.port"].isin(ports))
    direction = net["connection_info.direction_id"].fill_null(0)
    inbound = direction == INBOUND
    # the laptop that logged an inbound connection is the target; else the destination
    device = ibis.ifelse(inbound, net["device.hostname"].nullif(""), ibis.null().cast("string"))
    union = net.filter(~direction.isin([OUTBOUND, LATERAL])).select(
        uid=net["metadata.uid"],
        connection=ibis.coalesce(net["connection_info.uid"].nullif(""), net["metadata.uid"]),
        time=net.time,
        target=ibis.coalesce(
            device, net["dst_endpoint.hostname"].nullif(""), net["dst_endpoint.ip"].nullif("")
        ),
        target_col=ibis.cases(
            (device.notnull(), "device.hostname"),
            (net["dst_endpoint.hostname"].nullif("").notnull(), "dst_endpoint.hostname"),
            else_="dst_endpoint.ip",
        ),
        inbound=inbound,
        dst_ip=net["dst_endpoint.ip"],
        client_ip=net["src_endpoint.ip"],
        session=session(net),
        product=net["metadata.product.name"],
    )
    union = _dst_kind(ctx, union)
    # direction not known: the destination must be one of the company's addresses
    union = union.filter(union.inbound | union.dst_kind.fill_null("public").isin(ours))
    c = classified(ctx, union, "client_ip")
    c = c.filter(~c.__kind.isin(ours) & c.target.notnull())
    c = c.cache()  # few rows, read three times
    per = c.group_by(["target", "target_col", "client_ip"]).aggregate(
        n=c.connection.nunique(where=c.session),
        probes=c.connection.nunique(where=~c.session),
        first=c.time.min(where=c.session),
        last=c.time.max(where=c.session),
        kind=c.__kind.max(),
        country=c.__country.max(),
        provider=c.__provider.max(),
        products=c.product.collect(distinct=True),
    )
    rows = per.order_by(["target", "first", "target_col", "client_ip"]).to_pyarrow().to_pylist()
    by_target: dict[str, list[dict[str, Any]]] = defaultdict(list)
    probes: dict[str, tuple[int, int]] = {}
    for r in rows:
        if int(r["n"]):
            by_target[r["target"]].append(r)
        elif int(r["probes"]):
            count, addresses = probes.get(r["target"], (0, 0))
            probes[r["target"]] = (count + int(r["probes"]), addresses + 1)
    if not by_target:
        return []
    sessions = c.filter(c.session)
    uids = uids_of(sessions, "target", by_target)
    people = roster(ctx)
    return [
        _finding(ctx, rule, target, items, probes.get(target, (0, 0)), uids, people, ports)
        for target, items in by_target.items()
    ]


def _finding(
    ctx: Context,
    rule: Rule,
    target: str,
    items: list[dict[str, Any]],
    probed: tuple[int, int],
    uids: dict[Any, list[str]],
    people: dict[str, Any],
    ports: list[int],
) -> Finding:
    worker = ctx.worker_for(target)
    person = people.get(worker) if worker else None
    column = items[0]["target_col"] or "dst_endpoint.ip"
    clients = "; ".join(
        f"{i['client_ip']} ("
        + (", ".join(x for x in (i["provider"], i["country"]) if x) or i["kind"])
        + f", {plural(int(i['n']), 'session')})"
        for i in items[:5]
    )
    first = min(i["first"] for i in items)
    last = max(i["last"] for i in items)
    scans = (
        f" Besides, {plural(probed[1], 'other address')} only probed the port "
        f"({plural(probed[0], 'unanswered or empty connection')}): the port is exposed."
        if probed[0]
        else ""
    )
    explanation = (
        f"{target}"
        + (f" (the laptop of {person.label})" if person else "")
        + f" took Remote Desktop sessions from the Internet: {clients}, "
        + f"{span(first, last)}. Laptops of remote workers do not accept RDP from "
        "outside the company." + scans
    )
    return Finding(
        rule=rule,
        subject=target,
        subject_type=subject_type_of(column),
        first_seen=first,
        last_seen=last,
        event_count=sum(int(i["n"]) for i in items),
        event_uids=uids.get(target, []),
        explanation=explanation,
        evidence={
            "clients": [
                {
                    "ip": i["client_ip"],
                    "kind": i["kind"],
                    "country": i["country"],
                    "provider": i["provider"],
                    "sessions": int(i["n"]),
                    "probes": int(i["probes"]),
                    "sensors": sorted(x for x in (i["products"] or []) if x),
                    "first": iso(i["first"]),
                    "last": iso(i["last"]),
                }
                for i in items[:20]
            ],
            "probes_from_other_addresses": probed[0],
            "probing_addresses": probed[1],
            "ports": ports,
        },
        device=target if column.endswith("hostname") else None,
        worker_id=worker,
        tables=["network_activity", "ip_info"],
    )
