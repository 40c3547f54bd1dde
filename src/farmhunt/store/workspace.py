"""A workspace directory: where one investigation's store lives.

Layout::

    DIR/farmhunt.sqlite           manifest of imports, chunks and files
    DIR/tables/<table>/*.parquet  one file per table per committed chunk
    DIR/derived/<table>.parquet   tables computed from the events (identity links,
                                  findings …), replaced whole each time they are rebuilt
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from farmhunt.schema import DERIVED_TABLES, STORE_TABLES
from farmhunt.store.arrow import write_atomic
from farmhunt.store.manifest import Manifest

MEMORY_LIMIT = "768MB"
"""DuckDB's memory limit per connection (``FARMHUNT_MEMORY_LIMIT`` overrides it).

With the interpreter and its libraries this keeps a command near 1 GiB whatever the
estate's size; a lower limit costs identity resolution no time (its tables are
file-backed and spill compressed) and detect a little (docs/performance.md)."""


def memory_limit() -> str:
    """The DuckDB memory limit: ``FARMHUNT_MEMORY_LIMIT`` (e.g. ``4GB``) or 768 MB."""
    value = os.environ.get("FARMHUNT_MEMORY_LIMIT", MEMORY_LIMIT).strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value, re.IGNORECASE):
        raise WorkspaceError(f"FARMHUNT_MEMORY_LIMIT={value!r}: give a size such as 2GB or 512MB")
    return value


class WorkspaceError(RuntimeError):
    """The workspace cannot be used (missing, locked, not a workspace)."""


_DUCKDB_UNSAFE = re.compile(r"[?\\*\[\]{}]")
"""Characters DuckDB does not take literally in a file path (see ``duckdb_root``)."""


MANIFEST_FILE = "farmhunt.sqlite"
_SQLITE_MAGIC = b"SQLite format 3\x00"


def is_workspace(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` is a farmhunt workspace: it holds a manifest (an SQLite
    database named ``farmhunt.sqlite``). Its Parquet files are farmhunt's own store,
    never input: read as OCSF logs, they would be imported again on every run."""
    try:
        with open(Path(folder) / MANIFEST_FILE, "rb") as handle:
            return handle.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:
        return False


def workspace_holding(path: str | os.PathLike[str]) -> Path | None:
    """The workspace ``path`` is (a folder) or lies in, if any."""
    absolute = Path(os.path.abspath(path))
    for folder in (absolute, *absolute.parents):
        if is_workspace(folder):
            return folder
    return None


def _writable(root: Path, manifest: Path) -> bool:
    """Whether a writer can work here: the folder (for the lock, Parquet files and the
    manifest's journal) and the manifest itself. ``os.access`` also answers for a
    read-only mount, where even root cannot write."""
    return os.access(root, os.W_OK) and os.access(manifest, os.W_OK)


def chunk_path(root: Path, table: str, import_id: int, seq: int) -> Path:
    """Where a chunk's rows of ``table`` go: named after the chunk, so unique, and the
    same on a resumed run, which overwrites what a crashed one left uncommitted."""
    return root / "tables" / table / f"i{import_id}-c{seq}.parquet"


class Workspace:
    """Open (creating if asked) a workspace directory."""

    MANIFEST = MANIFEST_FILE

    def __init__(
        self, root: str | os.PathLike[str], *, create: bool = False, read_only: bool = False
    ) -> None:
        """``read_only`` is for commands that only read (``stats``, ``report``): they
        work on a workspace that cannot be written. Any other command on such a
        workspace fails with one :class:`WorkspaceError` naming the cause."""
        self.root = Path(root)
        self.read_only = read_only
        self._duckdb_root: Path | None = None
        self._alias_dir: Path | None = None
        if self.root.exists() and not self.root.is_dir():
            raise WorkspaceError(f"{self.root} is a file, not a workspace folder")
        manifest = self.root / self.MANIFEST
        if not manifest.exists():
            if not create:
                raise WorkspaceError(
                    f"{self.root} is not a farmhunt workspace (no {self.MANIFEST}); "
                    "run `farmhunt ingest` first"
                )
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WorkspaceError(f"cannot create {self.root}: {exc.strerror}") from None
        elif not read_only and not _writable(self.root, manifest):
            raise WorkspaceError(
                f"{self.root} is read-only: this command writes the workspace "
                "(`stats` and `report` read it as it is)"
            )
        try:
            self.manifest = Manifest(manifest, read_only=read_only)
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"{manifest} cannot be opened: {exc}") from None

    def close(self) -> None:
        self.manifest.close()
        if self._alias_dir is not None:
            shutil.rmtree(self._alias_dir, ignore_errors=True)
            self._alias_dir = self._duckdb_root = None

    def duckdb_root(self) -> Path:
        """The workspace folder as DuckDB may be given it.

        DuckDB reads ``?`` in an ``ATTACH`` path as the start of options and ``\\`` as
        a path separator, and ``read_parquet`` reads ``?``, ``*``, ``[`` and ``{`` as
        glob patterns, none of which can be escaped. A folder whose absolute path holds
        one is reached through a symbolic link in a temporary folder instead (removed
        by :meth:`close`); the data stays in the workspace.
        """
        if self._duckdb_root is None:
            root = self.root.absolute()
            if _DUCKDB_UNSAFE.search(str(root)):
                self._alias_dir = Path(tempfile.mkdtemp(prefix="farmhunt-ws-"))
                # also removed if the workspace is dropped without close()
                weakref.finalize(self, shutil.rmtree, self._alias_dir, True)
                link = self._alias_dir / "workspace"
                link.symlink_to(root, target_is_directory=True)
                root = link
            self._duckdb_root = root
        return self._duckdb_root

    def scratch_dir(self) -> Path:
        """Where DuckDB's scratch databases and spill files go: the workspace's
        ``.duckdb-tmp``, on the workspace's disk.

        DuckDB resolves symbolic links before it names a database's write-ahead log,
        so for a folder it cannot be given (see :meth:`duckdb_root`) the scratch goes
        to a folder of its own under the system's temporary folder instead.
        """
        root = self.duckdb_root()
        if root == self.root.absolute():
            return root / ".duckdb-tmp"
        assert self._alias_dir is not None
        return self._alias_dir / "scratch"

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def table_dir(self, table: str) -> Path:
        return self.root / "tables" / table

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the workspace's writer lock and clear what a crashed writer left behind."""
        lock_path = self.root / ".lock"
        with open(lock_path, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise WorkspaceError(f"{self.root} is being written by another farmhunt") from None
            self._sweep_orphans()
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _sweep_orphans(self) -> None:
        """Delete Parquet files no committed chunk names (a writer died before commit)."""
        known = self.manifest.all_files()
        tables = self.root / "tables"
        if not tables.exists():
            return
        for path in tables.rglob("*"):
            if path.is_file() and self.relative(path) not in known:
                path.unlink()

    def derived_path(self, table: str) -> Path:
        return self.root / "derived" / f"{table}.parquet"

    def replace_derived(self, table: str, data: pa.Table) -> None:
        """Atomically replace a derived table (its schema must be the declared one)."""
        spec = DERIVED_TABLES[table]
        if data.schema != spec.arrow_schema():
            data = data.select(spec.column_names()).cast(spec.arrow_schema())
        write_atomic(data, self.derived_path(table))

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with one view per store table.

        Views read exactly the files the manifest has committed, with the current
        schema's columns (missing ones as NULL), so readers never see a half-written
        import and older files stay readable after the schema grows.
        """
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        # DuckDB would take 80% of the machine's memory before spilling; a workspace's
        # queries (identity over every event, analytics) grow with the store, so they
        # are bounded and spill to the workspace instead.
        con.execute(f"SET memory_limit = '{memory_limit()}'")
        # A read-only workspace spills to the system's temporary folder instead.
        spill = (
            Path(tempfile.gettempdir()) / f"farmhunt-spill-{os.getpid()}"
            if self.read_only
            else self.scratch_dir()
        )
        tmp = str(spill).replace("'", "''")
        con.execute(f"SET temp_directory = '{tmp}'")
        for name, table in STORE_TABLES.items():
            empty = pa.Table.from_batches([], schema=table.arrow_schema())
            con.register(f"__empty_{name}", empty)
            files = [str(self.duckdb_root() / p) for p in self.manifest.files_of(name)]
            if files:
                listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
                con.execute(
                    f'CREATE VIEW "{name}" AS SELECT * FROM "__empty_{name}" '
                    f"UNION ALL BY NAME SELECT * FROM read_parquet([{listing}], union_by_name=true)"
                )
            else:
                con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM "__empty_{name}"')
        for name, table in DERIVED_TABLES.items():
            path = self.derived_path(name)
            if path.exists():
                quoted = (
                    "'" + str(self.duckdb_root() / "derived" / path.name).replace("'", "''") + "'"
                )
                con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({quoted})')
            else:
                empty = pa.Table.from_batches([], schema=table.arrow_schema())
                con.register(f"__empty_{name}", empty)
                con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM "__empty_{name}"')
        return con

    @contextmanager
    def scratch_connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection like :meth:`connect` whose new tables live in a scratch file.

        Intermediate tables that grow with the store (identity resolution holds one row
        per identifier occurrence in every event) outgrow the memory limit on a large
        estate. In an in-memory connection they spill uncompressed; a file-backed
        scratch database stores them compressed and evicts their blocks to disk, which
        made resolution on a large estate both faster and smaller (docs/performance.md).
        The file is removed afterwards.
        """
        con = self.connect()
        folder = self.scratch_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"scratch-{os.getpid()}-{id(con)}.duckdb"
        quoted = "'" + str(path).replace("'", "''") + "'"
        try:
            con.execute(f"ATTACH {quoted} AS scratch")
            con.execute("USE scratch")
            con.execute("SET search_path = 'scratch.main,memory.main'")
            # Insertion order is not needed by queries that sort their own results, and
            # keeping it forces large intermediate results to be held in memory.
            con.execute("SET preserve_insertion_order = false")
            yield con
        finally:
            con.close()
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
