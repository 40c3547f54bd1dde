"""Column and table definitions, and their Arrow schemas.

Columns are named by their OCSF attribute path flattened with dots
(``src_endpoint.ip``), so a rule or an analyst can use the OCSF documentation as the
data dictionary. Values OCSF has no attribute for live in ``unmapped.<name>`` columns
(OCSF's own ``unmapped`` object, flattened) so they stay queryable. A few columns that
OCSF 1.8 lacks are kept under OCSF-like names and marked ``extension`` (see :class:`Column`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

OCSF_VERSION = "1.8.0"
"""The OCSF schema version every stored event claims in ``metadata.version``."""

ColumnType = Literal["string", "int", "bigint", "float", "bool", "timestamp", "json", "strings"]

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "json": pa.string(),
    "strings": pa.list_(pa.string()),
}


@dataclass(frozen=True)
class Column:
    """One flattened OCSF attribute.

    ``type`` ``json`` holds a JSON document as text (objects OCSF nests deeper than is
    useful to flatten); ``strings`` is a list of strings.
    """

    name: str
    type: ColumnType
    description: str
    extension: bool = False
    """A farmhunt extension: the name reads like an OCSF attribute path but the class has
    no such attribute in OCSF 1.8 (e.g. ``src_endpoint.is_proxy``), or farmhunt's own
    provenance (``raw_source.*``). Kept under its name because rules, reports and golden
    files use it; marked so that nobody takes it for OCSF."""

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    """One OCSF event class (or one farmhunt reference table) as a store table."""

    name: str
    class_uid: int | None
    class_name: str
    category_uid: int | None
    category_name: str
    description: str
    activities: dict[int, str] = field(default_factory=dict)
    columns: tuple[Column, ...] = ()
    ocsf_note: str = ""

    def __post_init__(self) -> None:
        # Derived lookups, computed once: the writer consults them for every batch.
        object.__setattr__(self, "_index", {c.name: i for i, c in enumerate(self.columns)})
        object.__setattr__(self, "column_set", frozenset(self._index))
        object.__setattr__(
            self, "json_columns", frozenset(c.name for c in self.columns if c.type == "json")
        )
        object.__setattr__(
            self, "_schema", pa.schema([pa.field(c.name, c.arrow_type) for c in self.columns])
        )

    _index: dict[str, int] = field(init=False, repr=False, compare=False)
    column_set: frozenset[str] = field(init=False, repr=False, compare=False)
    json_columns: frozenset[str] = field(init=False, repr=False, compare=False)
    _schema: pa.Schema = field(init=False, repr=False, compare=False)

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def has_column(self, name: str) -> bool:
        return name in self._index

    def column(self, name: str) -> Column:
        return self.columns[self._index[name]]

    def arrow_schema(self) -> pa.Schema:
        return self._schema

    def type_uid(self, activity_id: int) -> int | None:
        """OCSF ``type_uid``: ``class_uid * 100 + activity_id``."""
        if self.class_uid is None:
            return None
        return self.class_uid * 100 + activity_id
