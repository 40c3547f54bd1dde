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
    spec = get_table(table)
    row: dict[str, Any] = {
        "time": time,
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
    for key, value in columns.items():
        if value is not None:
            row[key] = value
    return table, row
