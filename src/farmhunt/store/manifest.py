"""The SQLite manifest: which files were imported, how far, and which Parquet files hold them.

Each chunk of an import commits in one SQLite transaction after its Parquet files are
in place, so the manifest never names a file that is not complete, and an interrupted
import resumes after its last committed chunk.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

_SCHEMA = """
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    format TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    head_sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    line_oriented INTEGER NOT NULL,
    status TEXT NOT NULL,
    resumed_from INTEGER,
    start_record INTEGER NOT NULL DEFAULT 0,
    records_done INTEGER NOT NULL DEFAULT 0,
    stored INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    error TEXT,
    parse_key TEXT NOT NULL DEFAULT '',
    records_size INTEGER,
    records_count INTEGER,
    records_sha256 TEXT,
    records_skipped INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS imports_content ON imports(content_sha256);
CREATE INDEX IF NOT EXISTS imports_head ON imports(head_sha256);
CREATE TABLE IF NOT EXISTS chunks (
    import_id INTEGER NOT NULL REFERENCES imports(id),
    seq INTEGER NOT NULL,
    records_end INTEGER NOT NULL,
    stored INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    files TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);
CREATE TABLE IF NOT EXISTS table_files (
    table_name TEXT NOT NULL,
    path TEXT NOT NULL PRIMARY KEY,
    import_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    rows INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS table_files_table ON table_files(table_name);
"""


_RECORD_COLUMNS = (
    ("records_size", "INTEGER"),
    ("records_count", "INTEGER"),
    ("records_sha256", "TEXT"),
    ("records_skipped", "INTEGER NOT NULL DEFAULT 0"),
)


def parse_key(options: Mapping[str, Any] | None) -> str:
    """A digest of the parser options an import used ("" for none).

    Idempotence keys on the content *and* on how it was read: the same file imported
    with another format or another column map is a new import, not a duplicate of the
    first (a file forced through the wrong parser must stay re-importable).
    """
    if not options:
        return ""
    text = json.dumps(_plain(dict(options)), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _plain(value: Any) -> Any:
    """JSON-ready form of option values (dataclasses such as a column map, tuples, sets)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value)
    return value


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ImportRow:
    id: int
    path: str
    format: str
    content_sha256: str
    head_sha256: str
    size: int
    line_oriented: bool
    status: str
    records_done: int
    stored: int
    rejected: int
    started_at: str
    finished_at: str | None
    error: str | None
    records_size: int | None = None
    """Bytes of the file's record stream (formats that grow in place, such as EVTX:
    see ``Parser.record_stream``); None for the others."""
    records_count: int | None = None
    """Records in that stream: what a later copy extending this one skips."""
    records_sha256: str | None = None
    records_skipped: int = 0
    """Records of the stream an earlier import of the same log had stored already."""


_IMPORT_COLUMNS = (
    "id, path, format, content_sha256, head_sha256, size, line_oriented, status, records_done, "
    "stored, rejected, started_at, finished_at, error, records_size, records_count, "
    "records_sha256, records_skipped"
)


@dataclass(frozen=True)
class ChunkEntry:
    """One committed chunk of one import: the records it ends at and what it stored."""

    import_id: int
    seq: int
    records_end: int
    stored: int
    rejected: int
    files: dict[str, str]
    """Table → the Parquet file (relative path) holding this chunk's rows of it."""


@dataclass(frozen=True)
class TableFile:
    """One committed Parquet file of a store table, named after the chunk that made it."""

    table: str
    path: str
    rows: int
    import_id: int
    seq: int


def _open_read_only(path: Path) -> sqlite3.Connection:
    """The manifest opened read-only, through a URI whose path is percent-encoded (a
    ``?`` or ``#`` in a folder name would otherwise start the URI's query).

    A WAL database needs its ``-shm`` file; where the folder cannot be written and no
    writer left one, SQLite cannot make it and the database is opened ``immutable``
    instead (nothing can be writing it: no writer could create its files there).
    """
    uri = "file:" + quote(str(path.absolute()))
    db = sqlite3.connect(f"{uri}?mode=ro", timeout=30, isolation_level=None, uri=True)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        db.close()
        db = sqlite3.connect(f"{uri}?immutable=1", isolation_level=None, uri=True)
    if "imports" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}:
        db.close()
        raise sqlite3.DatabaseError(f"{path} holds no farmhunt manifest")
    return db


def _import(row: tuple[object, ...]) -> ImportRow:
    values = list(row)
    values[6] = bool(values[6])
    return ImportRow(*values)  # type: ignore[arg-type]


class Manifest:
    """Access to the manifest database of one workspace.

    ``read_only`` opens it for reading only (``stats``, ``report``): a workspace on
    a read-only mount, in an archive or another analyst's folder is still readable.
    Nothing is created or migrated then; a manifest made by an earlier farmhunt is
    read as it is.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.read_only = read_only
        if read_only:
            self._db = _open_read_only(path)
            return
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Bring a workspace made by an earlier farmhunt up to this schema."""
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(imports)")}
        if "parse_key" not in columns:
            # Earlier imports were made without parser options: their key is "".
            self._db.execute("ALTER TABLE imports ADD COLUMN parse_key TEXT NOT NULL DEFAULT ''")
        # Earlier imports have no record stream: a grown copy of them is a new import.
        for column, kind in _RECORD_COLUMNS:
            if column not in columns:
                self._db.execute(f"ALTER TABLE imports ADD COLUMN {column} {kind}")

    def close(self) -> None:
        self._db.close()

    def completed_with_content(
        self, content_sha256: str, fmt: str, options: Mapping[str, Any] | None = None
    ) -> ImportRow | None:
        """The complete import of this content read as ``fmt`` with these parser options.

        The same content read another way (another format, another column map) does not
        count: see :func:`parse_key`.
        """
        row = self._db.execute(
            f"SELECT {_IMPORT_COLUMNS} FROM imports WHERE content_sha256 = ? AND format = ? "
            "AND parse_key = ? AND status = 'complete' ORDER BY id LIMIT 1",
            (content_sha256, fmt, parse_key(options)),
        ).fetchone()
        return _import(row) if row else None

    def unfinished_with_content(
        self, content_sha256: str, fmt: str, options: Mapping[str, Any] | None = None
    ) -> ImportRow | None:
        """An interrupted import of this content, format and parser options, to resume."""
        row = self._db.execute(
            f"SELECT {_IMPORT_COLUMNS} FROM imports WHERE content_sha256 = ? AND format = ? "
            "AND parse_key = ? AND status != 'complete' ORDER BY records_done DESC LIMIT 1",
            (content_sha256, fmt, parse_key(options)),
        ).fetchone()
        return _import(row) if row else None

    def append_candidates(
        self,
        head_sha256: str,
        fmt: str,
        options: Mapping[str, Any] | None = None,
        smaller_than: int | None = None,
    ) -> list[ImportRow]:
        """Line-oriented imports, read with the same format and parser options, whose
        file a file with this head may extend (only those of fewer bytes than
        ``smaller_than``, when the new file's size is known).

        An import cut short (killed, interrupted, disk full) counts too: its committed
        records are a prefix of its file, so of the grown file; taking only completed
        ones made a live log killed mid-import, then grown, a new import that stored
        the committed records again. One already continued is left out.

        Every Zeek log opens with the same ``#separator`` line, so without the size each
        Zeek file was checked against every earlier one, quadratic in the Zeek files
        (docs/performance.md)."""
        size_clause = "" if smaller_than is None else f" AND size < {int(smaller_than)}"
        rows = self._db.execute(
            f"SELECT {_IMPORT_COLUMNS} FROM imports WHERE head_sha256 = ? "
            "AND status != 'continued' AND line_oriented = 1 "
            f"AND format = ? AND parse_key = ?{size_clause} "
            "ORDER BY size DESC",
            (head_sha256, fmt, parse_key(options)),
        ).fetchall()
        return [_import(r) for r in rows]

    def stream_candidates(
        self, head_sha256: str, fmt: str, options: Mapping[str, Any] | None = None
    ) -> list[ImportRow]:
        """Completed imports of a log rewritten in place as it grows (EVTX) whose records
        begin with the same record (``head_sha256``), read the same way: the earlier
        copies a file with this head may extend, longest record stream first.

        Unlike :meth:`append_candidates`, no size on disk narrows them: Windows writes a
        log in place, so a grown copy may be no larger than the earlier one."""
        rows = self._db.execute(
            f"SELECT {_IMPORT_COLUMNS} FROM imports WHERE head_sha256 = ? AND status = 'complete' "
            "AND records_size IS NOT NULL AND format = ? AND parse_key = ? "
            "ORDER BY records_size DESC",
            (head_sha256, fmt, parse_key(options)),
        ).fetchall()
        return [_import(r) for r in rows]

    def start_import(
        self,
        *,
        path: str,
        fmt: str,
        content_sha256: str,
        head_sha256: str,
        size: int,
        line_oriented: bool,
        resumed_from: int | None,
        start_record: int,
        options: Mapping[str, Any] | None = None,
        records: tuple[int, int, str] | None = None,
        records_skipped: int = 0,
    ) -> int:
        """Record a new import; ``options`` are the parser options it reads with;
        ``records`` the (size, count, sha256) of its record stream, when it has one,
        of which it skips the first ``records_skipped`` (stored by an earlier import)."""
        size_of, count_of, sha_of = records if records else (None, None, None)
        with self._relaxed():
            cursor = self._db.execute(
                "INSERT INTO imports (path, format, content_sha256, head_sha256, size, "
                "line_oriented, "
                "status, resumed_from, start_record, records_done, started_at, parse_key, "
                "records_size, records_count, records_sha256, records_skipped) "
                "VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    path,
                    fmt,
                    content_sha256,
                    head_sha256,
                    size,
                    int(line_oriented),
                    resumed_from,
                    start_record,
                    start_record,
                    now(),
                    parse_key(options),
                    size_of,
                    count_of,
                    sha_of,
                    records_skipped,
                ),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def reopen(self, import_id: int) -> None:
        with self._relaxed():
            self._db.execute(
                "UPDATE imports SET status = 'running', error = NULL WHERE id = ?", (import_id,)
            )

    @contextmanager
    def _relaxed(self) -> Iterator[None]:
        """Commit without waiting for the disk: for rows that matter only once a chunk
        of the import commits. That commit (synchronous=FULL, WAL) makes the log durable
        up to and including them; lost before it, the file is simply imported afresh.
        One fsync per input file was a tenth of the parent's time in a parallel ingest.
        """
        self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            self._db.execute("PRAGMA synchronous=FULL")

    def next_seq(self, import_id: int) -> int:
        row = self._db.execute(
            "SELECT COALESCE(MAX(seq), -1) + 1 FROM chunks WHERE import_id = ?", (import_id,)
        ).fetchone()
        return int(row[0])

    def commit_chunk(
        self,
        import_id: int,
        seq: int,
        records_end: int,
        stored: int,
        rejected: int,
        files: dict[str, tuple[str, int]],
    ) -> None:
        """Record one chunk and its files atomically; ``files`` maps table → (path, rows)."""
        self.commit_chunks(
            [
                ChunkEntry(
                    import_id,
                    seq,
                    records_end,
                    stored,
                    rejected,
                    {t: p for t, (p, _) in files.items()},
                )
            ],
            [TableFile(t, p, n, import_id, seq) for t, (p, n) in files.items()],
        )

    def commit_chunks(
        self,
        chunks: list[ChunkEntry],
        files: list[TableFile],
        complete: list[int] | tuple[int, ...] = (),
    ) -> None:
        """Record chunks of one or more imports, the files holding them, and the imports
        they complete, in one transaction.

        A file may hold rows of several chunks (small files are written together), and
        a table may get several files in one commit (large chunks written by the
        parsing processes, beside the batch's own file). An import named in
        ``complete`` is marked complete in the same transaction, so it is complete
        exactly when its last rows are visible.
        """
        stamp = now()
        with self._transaction():
            self._db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.import_id,
                        c.seq,
                        c.records_end,
                        c.stored,
                        c.rejected,
                        json.dumps(c.files),
                        stamp,
                    )
                    for c in chunks
                ],
            )
            self._db.executemany(
                "INSERT INTO table_files VALUES (?, ?, ?, ?, ?)",
                [(f.table, f.path, f.import_id, f.seq, f.rows) for f in files],
            )
            self._db.executemany(
                "UPDATE imports SET records_done = ?, stored = stored + ?, rejected = rejected + ? "
                "WHERE id = ?",
                [(c.records_end, c.stored, c.rejected, c.import_id) for c in chunks],
            )
            self._db.executemany(
                "UPDATE imports SET status = 'complete', finished_at = ?, error = NULL "
                "WHERE id = ?",
                [(stamp, i) for i in complete],
            )

    def finish(self, import_id: int, status: str, error: str | None = None) -> None:
        self._db.execute(
            "UPDATE imports SET status = ?, finished_at = ?, error = ? WHERE id = ?",
            (status, now(), error, import_id),
        )

    def get(self, import_id: int) -> ImportRow:
        row = self._db.execute(
            f"SELECT {_IMPORT_COLUMNS} FROM imports WHERE id = ?", (import_id,)
        ).fetchone()
        return _import(row)

    def imports(self) -> list[ImportRow]:
        rows = self._db.execute(f"SELECT {_IMPORT_COLUMNS} FROM imports ORDER BY id").fetchall()
        return [_import(r) for r in rows]

    def files_of(self, table: str) -> list[str]:
        rows = self._db.execute(
            "SELECT path FROM table_files WHERE table_name = ? ORDER BY import_id, seq", (table,)
        ).fetchall()
        return [r[0] for r in rows]

    def all_files(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT path FROM table_files")}

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
