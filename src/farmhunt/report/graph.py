"""The farm graph's layout: workers on an outer ellipse, shared values on an inner one.

Each shared value (a phone, a ship address, a residential IP …) is a node joined to
every worker holding it, so a value four workers share is a star and two workers
sharing several values are joined through each. The layout is deterministic (sorted
ids, fixed angles), so the same workspace draws the same picture.

The ellipses are wider than tall because the value boxes are: with up to eight workers
and six values, a box keeps at least 20 px from every worker's circle and from every
other box. The picture is then cropped to what it draws (:attr:`Graph.top`,
:attr:`Graph.height`), so a farm of two does not sit in a frame sized for eight.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

WIDTH = 860
HEIGHT = 560
"""The drawing area before cropping; the ellipses are centred in it."""
OUTER = (270.0, 190.0)
"""Horizontal and vertical radius of the workers' ellipse."""
INNER = (160.0, 95.0)
"""Horizontal and vertical radius of the shared values' ellipse."""
BOX = 132
"""Width of a shared value's box."""
BOX_HEIGHT = 34
WORKER_RADIUS = 11
LABEL_GAP = 18
"""Distance from a worker's circle centre to its label, outwards."""
MARGIN = 14
"""Space kept around what is drawn when the picture is cropped."""

KIND_LABELS = {
    "residential_ip": "home IP",
    "ship_address": "ship address",
    "payroll_account": "payroll account",
    "phone": "phone",
    "kvm_serial": "KVM serial",
    "remote_tool_id": "remote-access tool id",
    "wifi_bssid": "Wi-Fi access point",
    "wifi_ssid": "Wi-Fi network name",
    "gateway_mac": "router MAC",
    "household": "household",
}
"""What the analyst reads for each kind of shared value (the scoring model's kinds)."""

_KIND_WORD = re.compile(r"\b(" + "|".join(sorted(KIND_LABELS, key=len, reverse=True)) + r")\b")


def human_kinds(text: str) -> str:
    """``text`` with the kind names the scoring writes (``residential_ip``) put in the
    words the graph uses (``home IP``)."""
    return _KIND_WORD.sub(lambda m: KIND_LABELS[m.group()], text)


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
    top: float = 0.0
    """The first y the picture shows (its viewBox starts there)."""


def _ring(
    count: int, radii: tuple[float, float], offset: float, single_centre: bool = False
) -> list[tuple[float, float]]:
    if count == 1 and single_centre:
        return [(WIDTH / 2, HEIGHT / 2)]
    rx, ry = radii
    return [
        (
            WIDTH / 2 + rx * math.cos(offset + 2 * math.pi * i / count),
            HEIGHT / 2 + ry * math.sin(offset + 2 * math.pi * i / count),
        )
        for i in range(count)
    ]


def _vertical_extent(workers: list[Node], values: list[Node]) -> tuple[float, float]:
    """Top and bottom of everything drawn: circles, their two label lines, value boxes."""
    tops = [n.y - WORKER_RADIUS for n in workers] + [n.label_y - 13 for n in workers]
    bottoms = [n.y + WORKER_RADIUS for n in workers] + [n.label_y + 13 + 4 for n in workers]
    tops += [n.y - BOX_HEIGHT / 2 for n in values]
    bottoms += [n.y + BOX_HEIGHT / 2 for n in values]
    return min(tops), max(bottoms)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def farm_graph(cluster: dict[str, Any], names: dict[str, str | None]) -> Graph:
    """The graph of one cluster; ``names`` gives worker ids their roster names."""
    members = sorted(cluster["workers"])
    spots = dict(zip(members, _ring(len(members), OUTER, -math.pi / 2), strict=True))
    workers = []
    for member, (x, y) in spots.items():
        ux, uy = (x - WIDTH / 2) / OUTER[0], (y - HEIGHT / 2) / OUTER[1]
        side = "start" if ux > 0.3 else ("end" if ux < -0.3 else "middle")
        lx, ly = x + LABEL_GAP * ux, y + LABEL_GAP * uy
        ly += -13 if uy < -0.7 else (10 if uy > 0.7 else -2)
        workers.append(
            Node(x, y, member, names.get(member) or "", "worker", side, label_x=lx, label_y=ly)
        )
    shared = cluster["shared"]
    values = []
    edges = []
    for attribute, (x, y) in zip(
        shared, _ring(len(shared), INNER, -math.pi / 2 + math.pi / 4, True), strict=True
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
    top, bottom = _vertical_extent(workers, values)
    return Graph(
        WIDTH,
        round(bottom - top + 2 * MARGIN),
        workers,
        values,
        edges,
        top=round(top - MARGIN, 1),
    )
