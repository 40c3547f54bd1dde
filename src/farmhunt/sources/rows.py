"""Building OCSF rows with the class columns filled from the schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from farmhunt.schema import OCSF_VERSION, get_table
from farmhunt.sources.base import Row


def event(
    table: str,
    activity_id: int,
    time: datetime,
    columns: dict[str, Any],
    *,
    severity_id: int = 1,
) -> Row:
    """An OCSF row for ``table``: class, category, activity and type ids from the schema.

    ``None`` values are dropped, so parsers can pass optional fields as they come.
    """
    row: dict[str, Any] = {"time": time}
    if type(activity_id) is int and type(severity_id) is int:
        cached = (table, activity_id, severity_id)
        head = _HEADS.get(cached)
        if head is None:
            if len(_HEADS) >= 1024:
                _HEADS.clear()  # ids read from a log: keep the memo bounded
            head = _HEADS[cached] = _head(table, activity_id, severity_id)
        row.update(head)
    else:
        row.update(_head(table, activity_id, severity_id))
    for key, value in columns.items():
        if value is not None:
            row[key] = value
    return table, row


_HEADS: dict[tuple[str, int, int], dict[str, Any]] = {}
"""The class columns per table, activity and severity: the same for every row of them,
and looking them up again per row showed in the profile of large imports."""


def _head(table: str, activity_id: int, severity_id: int) -> dict[str, Any]:
    spec = get_table(table)
    return {
        "class_uid": spec.class_uid,
        "class_name": spec.class_name,
        "category_uid": spec.category_uid,
        "category_name": spec.category_name,
        "activity_id": activity_id,
        "activity_name": spec.activities.get(activity_id, "Other"),
        "type_uid": spec.type_uid(activity_id),
        "severity_id": severity_id,
        "metadata.version": OCSF_VERSION,
    }
