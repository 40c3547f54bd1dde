"""``--format csv``: one row per worker and finding, safe to open in a spreadsheet.

A worker without findings (a farm member only) is one row with empty finding columns;
findings linked to no worker follow with empty worker columns. Host and process names
come from logs, so every text cell that a spreadsheet would read as a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed with ``'``, and
every cell is quoted (OWASP, CSV injection).
"""

from __future__ import annotations

import csv
import io
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

WORKER_COLUMNS = (
    "rank",
    "worker_id",
    "full_name",
    "email",
    "score",
    "level",
    "cluster_id",
    "worker_explanation",
)
FINDING_COLUMNS = (
    "finding_id",
    "rule_id",
    "title",
    "category",
    "severity",
    "weight",
    "points",
    "subject",
    "subject_type",
    "device",
    "first_seen",
    "last_seen",
    "event_count",
    "explanation",
    "false_positives",
    "triage",
    "event_uids",
)
COLUMNS = WORKER_COLUMNS + FINDING_COLUMNS


def neutralize(value: Any) -> Any:
    """A cell a spreadsheet shows as text: formula-like text gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " | ".join(str(v) for v in value)
    return neutralize(value)


def _worker_cells(worker: dict[str, Any] | None) -> dict[str, Any]:
    if worker is None:
        return {}
    cells = {c: worker.get(c) for c in WORKER_COLUMNS}
    cells["worker_explanation"] = worker.get("explanation")
    return cells


def _finding_cells(finding: dict[str, Any] | None) -> dict[str, Any]:
    return {c: finding.get(c) for c in FINDING_COLUMNS} if finding else {}


def render_csv(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    rows: list[dict[str, Any]] = []
    for worker in doc["workers"]:
        for finding in worker["findings"] or [None]:
            rows.append({**_worker_cells(worker), **_finding_cells(finding)})
    for finding in doc["unattributed"]:
        rows.append(_finding_cells(finding))
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in COLUMNS])
    return out.getvalue()
