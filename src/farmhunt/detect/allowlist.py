"""The configuration's ``allow.ignore_ips``, read one way for every detection.

Whether an address is ignored is decided by :mod:`ipaddress` (exact for IPv4 and IPv6,
whatever the prefix length). A query asks it through :func:`ignored_ip_expr`: the
distinct addresses of the column are decided here and the query keeps an ``isin`` over
those, which every engine evaluates the same. Text prefixes (``10.*``) were tried and
miss ranges that do not end on a text boundary (an IPv6 ``/40`` expands to
``2001:db8:ab??:*``).
"""

from __future__ import annotations

import ipaddress

import ibis
import ibis.expr.types as ir

from farmhunt.settings import Settings


def is_ignored_ip(settings: Settings, ip: str | None) -> bool:
    """Whether ``ip`` lies in one of ``allow.ignore_ips`` (text that is no address: no)."""
    networks = settings.allow.ignore_ips
    if not ip or not networks:
        return False
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    return any(address.version == n.version and address in n for n in networks)


def ignored_ip_expr(settings: Settings, ip: ir.StringValue) -> ir.BooleanValue:
    """An expression true where the column ``ip`` holds an ignored address (never null).
    Costs one distinct-address query, and only when ``allow.ignore_ips`` is set."""
    if not settings.allow.ignore_ips:
        return ibis.literal(False)
    values = ip.name("__ip").as_table().distinct().to_pyarrow().column(0).to_pylist()
    hits = sorted(v for v in values if is_ignored_ip(settings, v))
    if not hits:
        return ibis.literal(False)
    return ip.isin(hits).fill_null(False)
