"""OCSF passthrough: nested OCSF JSON events flattened into the store's tables.

Users with a data lake (Amazon Security Lake, a Splunk or Tenzir OCSF pipeline) can
point farmhunt at it. Events are routed by ``class_uid``; attributes the store has a
column for are kept there, the rest in ``unmapped`` so nothing is lost. A class the
store has no table for goes to ``base_event`` whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from farmhunt.schema import TABLES, Table
from farmhunt.sources.base import Parser, RawRecord, RecordError, Row, Sample
from farmhunt.sources.coerce import coerce
from farmhunt.sources.rows import event as event_row
from farmhunt.sources.values import parse_time

_BY_CLASS: dict[int, Table] = {}
for _t in TABLES.values():
    if _t.class_uid is not None:
        _BY_CLASS.setdefault(_t.class_uid, _t)


_KEPT_BY_FARMHUNT = {"metadata.uid", "raw_data"}


def flatten(value: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Yield (dotted path, leaf) pairs; lists are leaves."""
    for key, inner in value.items():
        path = f"{prefix}{key}"
        if isinstance(inner, dict) and inner:
            yield from flatten(inner, path + ".")
        else:
            yield path, inner


class OcsfJsonParser(Parser):
    name = "ocsf"
    title = "OCSF events as JSON (lines, array or export page)"
    product = "OCSF"
    vendor = "OCSF"

    def sniff(self, sample: Sample) -> float:
        records = sample.first_dicts()
        if not records:
            return 0.0
        hits = sum(
            1
            for r in records
            if isinstance(r.get("class_uid"), int)
            and isinstance(r.get("metadata"), dict)
            and "time" in r
        )
        return 0.95 * hits / len(records)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        event = record.value
        if not isinstance(event, dict):
            raise RecordError("OCSF event is not a JSON object")
        class_uid = event.get("class_uid")
        if not isinstance(class_uid, int):
            raise RecordError("OCSF event has no integer class_uid")
        table = _BY_CLASS.get(class_uid, TABLES["base_event"])
        activity = event.get("activity_id")
        _, row = event_row(
            table.name,
            activity if isinstance(activity, int) else 0,
            parse_time(event.get("time"), "time"),
            {},
        )
        unmapped: dict[str, Any] = {}
        for path, leaf in flatten(event):
            if path == "unmapped" or path.startswith("unmapped."):
                unmapped[path.removeprefix("unmapped.")] = leaf
            elif path in _KEPT_BY_FARMHUNT:
                unmapped[path] = leaf  # the lake's own id; metadata.uid is farmhunt's
            elif table.has_column(path):
                if path != "time":
                    row[path] = coerce(table.column(path), leaf)
            elif leaf is not None:
                unmapped[path] = leaf
        if unmapped:
            row["unmapped"] = unmapped
        return [(table.name, row)]
