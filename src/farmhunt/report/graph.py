"""The farm graph's layout: workers on an outer circle, shared values on an inner one.

Each shared value (a phone, a ship address, a residential IP …) is a node joined to
every worker holding it, so a value four workers share is a star and two workers
sharing several values are joined through each. The layout is deterministic (sorted
ids, fixed angles), so the same workspace draws the same picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

WIDTH = 680
HEIGHT = 500
OUTER = 190.0
INNER = 105.0
BOX = 132
"""Width of a shared value's box."""

KIND_LABELS = {
    "residential_ip": "home IP",
    "ship_address": "ship address",
    "payroll_account": "payroll account",
    "phone": "phone",
    "kvm_serial": "KVM serial",
}


@dataclass(frozen=True)
class Node:
    x: float
    y: float
    label: str
    detail: str
    kind: str
    """worker, or the shared value's kind"""
    anchor: str = "middle"
    household: bool = False
    label_x: float = 0.0
    label_y: float = 0.0
    """Where a worker's label starts: outside the circle, away from the centre."""


@dataclass(frozen=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str
    household: bool


@dataclass(frozen=True)
class Graph:
    width: int
    height: int
    workers: list[Node]
    values: list[Node]
    edges: list[Edge]
    box: int = BOX


def _ring(count: int, radius: float, offset: float) -> list[tuple[float, float]]:
    if count == 1 and radius == INNER:
        return [(WIDTH / 2, HEIGHT / 2)]
    return [
        (
            WIDTH / 2 + radius * math.cos(offset + 2 * math.pi * i / count),
            HEIGHT / 2 + radius * math.sin(offset + 2 * math.pi * i / count),
        )
        for i in range(count)
    ]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def farm_graph(cluster: dict[str, Any], names: dict[str, str | None]) -> Graph:
    """The graph of one cluster; ``names`` gives worker ids their roster names."""
    members = sorted(cluster["workers"])
    spots = dict(zip(members, _ring(len(members), OUTER, -math.pi / 2), strict=True))
    workers = []
    for member, (x, y) in spots.items():
        ux, uy = (x - WIDTH / 2) / OUTER, (y - HEIGHT / 2) / OUTER
        side = "start" if ux > 0.3 else ("end" if ux < -0.3 else "middle")
        lx, ly = WIDTH / 2 + (OUTER + 18) * ux, HEIGHT / 2 + (OUTER + 18) * uy
        ly += -13 if uy < -0.7 else (10 if uy > 0.7 else -2)
        workers.append(
            Node(x, y, member, names.get(member) or "", "worker", side, label_x=lx, label_y=ly)
        )
    shared = cluster["shared"]
    values = []
    edges = []
    for attribute, (x, y) in zip(
        shared, _ring(len(shared), INNER, -math.pi / 2 + math.pi / 4), strict=True
    ):
        household = bool(attribute.get("note"))
        kind = attribute["kind"]
        values.append(
            Node(
                x,
                y,
                KIND_LABELS.get(kind, kind),
                _short(str(attribute["value"]), 34),
                kind,
                household=household,
            )
        )
        for holder in sorted(attribute["workers"]):
            if holder in spots:
                hx, hy = spots[holder]
                edges.append(Edge(x, y, hx, hy, kind, household))
    return Graph(WIDTH, HEIGHT, workers, values, edges)
