"""The workspace: Parquet files per table, a SQLite manifest of imports, DuckDB on top.

Parquet keeps the events columnar and portable (Spark reads the same files); the SQLite
manifest is the single source of truth for what has been committed, so a crash between
writing a file and recording it leaves an orphan that the next writer removes, never a
half-visible import.
"""

from farmhunt.store.workspace import Workspace

__all__ = ["Workspace"]
