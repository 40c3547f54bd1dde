"""OCSF events stored as Parquet (Amazon Security Lake and other OCSF data lakes).

Rows may be nested structs (``metadata.product.name`` as struct fields, as Security Lake
writes them) or flat dotted columns; both become the same nested event and go through
the JSON passthrough's mapping. Files are read a row group at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

import orjson
import pyarrow.parquet as pq

from farmhunt.sources.base import FileError, Parser, RawRecord, Rejected, Row, Sample, Stream
from farmhunt.sources.ocsf.parser import OcsfJsonParser

BATCH_ROWS = 10_000


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(type(value).__name__)


def _nest(row: dict[str, Any]) -> dict[str, Any]:
    """Flat dotted columns (``src_endpoint.ip``) as nested objects; nested ones as they are."""
    if not any("." in key for key in row):
        return row
    nested: dict[str, Any] = {}
    for key, value in row.items():
        target = nested
        parts = key.split(".")
        for part in parts[:-1]:
            inner = target.get(part)
            if not isinstance(inner, dict):
                inner = {}
                target[part] = inner
            target = inner
        target[parts[-1]] = value
    return nested


class OcsfParquetParser(Parser):
    name = "ocsf-parquet"
    title = "OCSF events in Parquet (Security Lake, OCSF data lakes)"
    product = "OCSF"
    vendor = "OCSF"
    line_oriented = False

    def sniff(self, sample: Sample) -> float:
        return 0.6 if sample.head.startswith(b"PAR1") else 0.0

    def frame(self, stream: Stream) -> Iterator[RawRecord | Rejected]:
        try:
            source = pq.ParquetFile(stream.path)
        except Exception as exc:
            raise FileError(f"not a readable Parquet file: {exc}") from None
        names = set(source.schema_arrow.names)
        if "class_uid" not in names or "time" not in names:
            raise FileError(
                "Parquet file without class_uid and time columns: not OCSF events "
                f"(columns: {', '.join(sorted(names)[:12])})"
            )
        number = 0
        for batch in source.iter_batches(batch_size=BATCH_ROWS):
            for row in batch.to_pylist():
                number += 1
                event = _nest(row)
                try:
                    text = orjson.dumps(event, default=_default).decode("utf-8")
                except TypeError as exc:
                    yield Rejected(number, f"value that cannot be kept as JSON: {exc}")
                    continue
                yield RawRecord(number, event, text)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        return OcsfJsonParser().normalize(record)
