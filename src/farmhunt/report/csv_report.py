"""``--format csv``: one row per worker and finding, safe to open in a spreadsheet.

A worker without findings (a farm member only) is one row with empty finding columns;
findings linked to no worker follow with empty worker columns, ordered by the rank of
the account or host they name among the unresolved subjects (the ``unresolved_subject_``
columns: a subject, not a person, ranked as the table view ranks it without a roster).
Host and process names come from logs, so every text cell that a spreadsheet would
read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return,
also after leading white space or control characters, and in full-width forms like
``＝``) is prefixed with ``'``, and every cell is quoted (OWASP, CSV injection). A CSV
report is also printed to terminals (``farmhunt report -f csv``, ``cat``, ``less -r``),
so control, bidi-override and zero-width characters are written as escapes (``\\x1b``)
as every other output writes them (:func:`farmhunt.report.values.visible`): a host name
cannot clear the screen or plant a terminal hyperlink.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import Any

from farmhunt.report.values import visible

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
SUBJECT_COLUMNS = (
    "unresolved_subject_rank",
    "unresolved_subject_score",
    "unresolved_subject_level",
)
"""Filled on the rows of findings linked to no worker: their subject's rank among the
report's ``unresolved_subjects``."""
COLUMNS = WORKER_COLUMNS + FINDING_COLUMNS + SUBJECT_COLUMNS


FORMULA_CHARACTERS = frozenset("=+-@")
"""Characters that start a formula once a spreadsheet has trimmed what precedes them."""


def _skipped(char: str) -> bool:
    """Characters a spreadsheet may drop or look past before a formula: white space of
    any kind (no-break spaces too), control and format characters (NUL, zero-width)."""
    return char.isspace() or unicodedata.category(char)[0] in ("C", "Z")


def formula_like(value: str) -> bool:
    """Whether a spreadsheet could read ``value`` as a formula: it starts with one of
    :data:`FORMULA_STARTS`, or its first character that is not white space or a control
    character is ``=``, ``+``, ``-`` or ``@`` or a compatibility form of one (full-width
    ``＝``, small ``﹫`` …), which some spreadsheets fold to the plain character."""
    if value.startswith(FORMULA_STARTS):
        return True
    first = next((c for c in value if not _skipped(c)), "")
    return bool(first) and unicodedata.normalize("NFKC", first)[:1] in FORMULA_CHARACTERS


def neutralize(value: Any) -> Any:
    """A cell a spreadsheet shows as text: formula-like text gets a leading ``'``."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " | ".join(str(v) for v in value)
    if isinstance(value, str):
        value = visible(value)
    return neutralize(value)


def _worker_cells(worker: dict[str, Any] | None) -> dict[str, Any]:
    if worker is None:
        return {}
    cells = {c: worker.get(c) for c in WORKER_COLUMNS}
    cells["worker_explanation"] = worker.get("explanation")
    return cells


def _finding_cells(finding: dict[str, Any] | None) -> dict[str, Any]:
    return {c: finding.get(c) for c in FINDING_COLUMNS} if finding else {}


def _subject_cells(subject: dict[str, Any] | None) -> dict[str, Any]:
    if subject is None:
        return {}
    return {f"unresolved_subject_{k}": subject[k] for k in ("rank", "score", "level")}


def render_csv(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    rows: list[dict[str, Any]] = []
    for worker in doc["workers"]:
        for finding in worker["findings"] or [None]:
            rows.append({**_worker_cells(worker), **_finding_cells(finding)})
    ranked = {
        finding_id: subject
        for subject in doc.get("unresolved_subjects", [])
        for finding_id in subject["finding_ids"]
    }
    unattributed = [(ranked.get(f.get("finding_id")), f) for f in doc["unattributed"]]
    unattributed.sort(key=lambda pair: pair[0]["rank"] if pair[0] else len(ranked) + 1)
    for subject, finding in unattributed:
        rows.append({**_finding_cells(finding), **_subject_cells(subject)})
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in COLUMNS])
    return out.getvalue()
