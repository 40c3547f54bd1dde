"""The normalized store's tables: OCSF classes flattened to dotted columns.

Every table is defined once, in :mod:`farmhunt.schema.tables`; the store, the parsers'
validation and the generated schema reference in ``docs/schema.md`` all read it from there.
"""

from farmhunt.schema.model import OCSF_VERSION, Column, Table
from farmhunt.schema.tables import DERIVED_TABLES, QUARANTINE, STORE_TABLES, TABLES, get_table

__all__ = [
    "DERIVED_TABLES",
    "OCSF_VERSION",
    "QUARANTINE",
    "STORE_TABLES",
    "TABLES",
    "Column",
    "Table",
    "get_table",
]
