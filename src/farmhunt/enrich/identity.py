"""Identity resolution: which worker each person or host named in the events is.

Every detection is about a *worker*, yet the events name people and machines in a
dozen ways: an email, a UPN, ``CORP\\jdoe``, a GitHub login, a laptop's hostname or
serial. :func:`resolve` gathers every identifier the stored events hold (the columns
listed once, as data, in :data:`IDENTIFIER_SOURCES`), links each one to a roster
``employee_id`` by the methods in :data:`METHODS`, and writes the derived
``worker_links`` table: one row per identifier with the worker, the method, a
confidence and the evidence (which roster, inventory, alias or event rows made the
link), so an analyst can check every link.

Nothing is dropped or guessed: an identifier nothing matches is kept with method
``unresolved``; one that two workers match equally well is ``ambiguous`` and lists them.
All of it is set-based DuckDB SQL over the workspace's views, so it stays cheap on
large estates and runs after every ``farmhunt ingest``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from farmhunt.enrich.facts.roster import LATEST_DEVICES_SQL, LATEST_WORKERS_SQL
from farmhunt.schema import TABLES
from farmhunt.store.workspace import Workspace

LINKS_TABLE = "worker_links"
ALIASES_FILE = "aliases.csv"
"""The alias file's name inside a workspace (``farmhunt ingest --aliases`` copies it there)."""

ACCOUNT = "account"
"""Pseudo identifier type of a user-name column: ``upn`` when the value holds an ``@``,
else ``username``."""

_GITHUB = (
    "(lower(coalesce(\"metadata.product.vendor_name\", '')) = 'github' "
    "OR lower(coalesce(\"metadata.product.name\", '')) LIKE 'github%')"
)
_NOT_GITHUB = f"NOT {_GITHUB}"


def _posix_uid(column: str) -> str:
    """SQL: the column holds a short number, a POSIX uid (501) that means nothing off its host."""
    return f"regexp_matches(CAST(\"{column}\" AS VARCHAR), '^[0-9]{{1,6}}$')"


@dataclass(frozen=True)
class IdentifierSource:
    """One place in the events where a person or host is named.

    ``column`` is a store column, or ``unmapped:<key>`` for a key inside the ``unmapped``
    JSON (or its ``unmapped.<key>`` column where a table has one). ``entity`` says which
    party of the event it names: identifiers of the same entity in the same event vouch
    for each other (``same_event``). ``where`` restricts the rows (SQL over the table's
    columns); ``anchor_method`` is the method a co-occurring identifier is linked by
    when this one vouches for it. Reading a key of ``unmapped`` parses JSON on every row,
    so such sources name their ``tables``.
    """

    column: str
    entity: str
    type: str
    where: str = ""
    anchor_method: str = "same_event"
    tables: tuple[str, ...] = ()
    """Only these tables (all that have the column when empty)."""


IDENTIFIER_SOURCES: tuple[IdentifierSource, ...] = (
    # People. GitHub puts the SAML/SCIM identity (an email) beside the login.
    IdentifierSource("actor.user.email_addr", "actor", "email", _NOT_GITHUB),
    IdentifierSource(
        "actor.user.email_addr", "actor", "saml_nameid", _GITHUB, anchor_method="saml_identity"
    ),
    IdentifierSource(
        "unmapped:external_identity_nameid",
        "actor",
        "saml_nameid",
        anchor_method="saml_identity",
        tables=("api_activity",),
    ),
    IdentifierSource("actor.user.name", "actor", "github_login", _GITHUB),
    IdentifierSource("actor.user.name", "actor", ACCOUNT, _NOT_GITHUB),
    IdentifierSource("actor.user.uid", "actor", "user_uid"),
    IdentifierSource("user.uid", "user", "local_uid", _posix_uid("user.uid")),
    IdentifierSource("user.email_addr", "user", "email"),
    IdentifierSource("user.name", "user", ACCOUNT),
    IdentifierSource("user.uid", "user", "user_uid", f"NOT {_posix_uid('user.uid')}"),
    IdentifierSource("file.owner.email_addr", "file_owner", "email"),
    IdentifierSource("dst_user.email_addr", "dst_user", "email"),
    IdentifierSource("process.user.name", "process_user", ACCOUNT),
    # Hosts: the device an event was recorded on, and the client device of a sign-in.
    IdentifierSource("device.hostname", "device", "hostname"),
    IdentifierSource("device.name", "device", "hostname"),
    IdentifierSource("device.uid", "device", "device_uid"),
    IdentifierSource("device.hw_info.uuid", "device", "device_uid"),
    IdentifierSource("device.hw_info.serial_number", "device", "serial"),
    IdentifierSource("src_endpoint.hostname", "src_device", "hostname"),
    IdentifierSource("src_endpoint.device.name", "client_device", "hostname"),
    IdentifierSource("src_endpoint.device.uid", "client_device", "device_uid"),
)
"""Every event column farmhunt reads identities from; add a line to read another."""

PERSON_TYPES = (
    "email",
    "upn",
    "username",
    "saml_nameid",
    "github_login",
    "user_uid",
    "local_uid",
)
DEVICE_TYPES = ("hostname", "device_uid", "serial")


@dataclass(frozen=True)
class Method:
    name: str
    rank: int
    """Lower wins; two workers found at the best rank make the identifier ambiguous."""
    confidence: float
    description: str


METHODS: tuple[Method, ...] = (
    Method("alias_file", 1, 1.0, "The analyst's alias file names the worker."),
    Method("exact_email", 2, 1.0, "Equals a roster email exactly."),
    Method("email_case_insensitive", 3, 0.95, "Equals a roster email but for letter case."),
    Method("upn", 3, 0.95, "A user name that is a roster email (Entra/Okta UPN, login)."),
    Method("employee_id", 4, 0.9, "Equals a roster employee_id."),
    Method("roster_username", 4, 0.9, "Equals the roster's username (DOMAIN\\ prefix ignored)."),
    Method("roster_github", 4, 0.9, "Equals the roster's GitHub login."),
    Method(
        "saml_identity",
        5,
        0.9,
        "A GitHub login whose SAML/SCIM identity (external_identity_nameid) is a roster email.",
    ),
    Method("personal_email", 5, 0.85, "Equals a roster personal email."),
    Method(
        "earlier_roster_email",
        5,
        0.85,
        "Equals the email an earlier roster export gave the worker (the latest differs).",
    ),
    Method(
        "device_owner",
        6,
        0.8,
        "Hostname, serial or device id of an inventory device whose owner is in the roster.",
    ),
    Method(
        "same_event",
        7,
        0.75,
        "Named in the same events, for the same party, as an identifier linked to the worker.",
    ),
    Method(
        "same_account",
        7,
        0.75,
        "The same user name with or without a DOMAIN\\ prefix as a linked user name.",
    ),
    Method(
        "local_part",
        8,
        0.6,
        "A user name (or a UPN of a roster domain or *.onmicrosoft.com) equal to the part "
        "before @ of a roster email; two such emails make it ambiguous.",
    ),
)
METHOD_BY_NAME = {m.name: m for m in METHODS}
ANCHOR_RANK = 6
"""Identifiers linked at this rank or better vouch for others in the same events."""

NOT_LINKED = {
    "ambiguous": "Several workers match equally well; the candidates are listed, none chosen.",
    "unresolved": "Nothing in the roster, inventory or alias file matches.",
    "host_local": "A POSIX uid (501): the same number names different people on different "
    "hosts, so it is linked only through the alias file.",
    "placeholder": "A host name that names no machine (console, localhost, unknown).",
    "system_account": "A built-in or service account (SYSTEM, root, a machine account), "
    "not a person.",
}

SYSTEM_ACCOUNT_PATTERN = (
    r"(?i)^((nt authority|font driver host|window manager)\\.*"
    r"|(.*\\)?(system|local ?service|network ?service|anonymous logon|defaultaccount"
    r"|wdagutilityaccount|guest|dwm-\d+|umfd-\d+)"
    r"|(.*\\)?administrator|root|daemon|nobody|_[a-z0-9_]+|.*\$|0"
    r"|s-1-0-0|s-1-5-(18|19|20)|s-1-5-21-[0-9-]+-(500|501|503)|-)$"
)
"""User names that are never people; kept as ``system_account`` instead of cluttering the
unresolved list."""

NO_MATCH = "no roster, inventory or alias entry matches"

PLACEHOLDER_HOST_PATTERN = (
    r"(?i)^(console|localhost(\.localdomain)?|unknown|n/?a|none|null|-|127\.0\.0\.1|::1)$"
)
"""Host names that name no machine (osquery's ``console`` session host, ``localhost``)."""


@dataclass(frozen=True)
class AliasRow:
    identifier: str
    worker: str
    type: str | None
    line: int


@dataclass
class ResolveResult:
    """What :func:`resolve` found, for the command line's summary."""

    identifiers: int = 0
    resolved: int = 0
    workers: int = 0
    ambiguous: int = 0
    unresolved: int = 0
    system: int = 0
    """Identifiers that are no one: system accounts, host-local uids, placeholder hosts."""
    roster_workers: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


class AliasError(ValueError):
    """An alias file that cannot be read (with every bad line named)."""


def read_aliases(path: Path) -> tuple[list[AliasRow], list[str]]:
    """Rows of an alias CSV (``identifier,worker[,type]``) and the problems met.

    A header line is optional, ``#`` starts a comment line, ``worker`` is an employee_id
    or a roster email, and ``type`` (optional) limits the alias to one identifier type.
    """
    rows: list[AliasRow] = []
    problems: list[str] = []
    text = path.read_text(encoding="utf-8-sig")
    known = set(PERSON_TYPES) | set(DEVICE_TYPES)
    for number, cells in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [c.strip() for c in cells]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and [c.lower() for c in cells[:2]] == ["identifier", "worker"]:
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            problems.append(f"{path.name} line {number}: expected identifier,worker")
            continue
        kind = cells[2].lower() if len(cells) > 2 and cells[2] else None
        if kind is not None and kind not in known:
            problems.append(
                f"{path.name} line {number}: unknown identifier type {cells[2]!r} "
                f"(known: {', '.join(sorted(known))})"
            )
            continue
        rows.append(AliasRow(cells[0], cells[1], kind, number))
    return rows, problems


def load_alias_file(path: Path) -> list[AliasRow]:
    """Rows of an alias file, or AliasError naming every bad line."""
    try:
        rows, problems = read_aliases(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise AliasError(f"{path}: cannot read: {exc}") from None
    if problems:
        raise AliasError("; ".join(problems[:10]))
    return rows


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value_sql(table: str, source: IdentifierSource) -> str | None:
    """SQL for the source's value in ``table``, or None when the table lacks it."""
    spec = TABLES[table]
    if source.tables and table not in source.tables:
        return None
    if source.column.startswith("unmapped:"):
        key = source.column.split(":", 1)[1]
        path = _literal('$."' + key.replace('"', '\\"') + '"')
        from_json = (
            f'CASE WHEN json_valid("unmapped") THEN json_extract_string("unmapped", {path}) END'
        )
        column = f"unmapped.{key}"
        if spec.has_column(column):
            return f"coalesce(CAST({_quote(column)} AS VARCHAR), {from_json})"
        return from_json
    if not spec.has_column(source.column):
        return None
    return f"CAST({_quote(source.column)} AS VARCHAR)"


def event_identifiers_sql(tables: list[str] | None = None) -> str:
    """A query of every identifier occurrence in the events, one row per (event, column).

    Columns: ``tbl``, ``col``, ``entity``, ``identifier_type``, ``identifier``,
    ``anchor_method``, ``event_uid`` (``metadata.uid``), ``time``, ``file``, ``record``.
    Join it with ``worker_links`` on (identifier_type, identifier) to put a worker on
    events: this is the one definition of which column holds which kind of identity.
    """
    parts = []
    for table in tables or list(TABLES):
        structs = []
        for source in IDENTIFIER_SOURCES:
            value = _value_sql(table, source)
            if value is None:
                continue
            if source.where:
                value = f"CASE WHEN {source.where} THEN {value} END"
            kind = (
                f"CASE WHEN strpos({value}, '@') > 0 THEN 'upn' ELSE 'username' END"
                if source.type == ACCOUNT
                else _literal(source.type)
            )
            structs.append(
                f"struct_pack(col := {_literal(source.column)}, "
                f"entity := {_literal(source.entity)}, identifier_type := {kind}, "
                f"identifier := {value}, anchor_method := {_literal(source.anchor_method)})"
            )
        if not structs:
            continue
        # One scan per table: every source of a row unnested from one list.
        parts.append(
            f"SELECT {_literal(table)} AS tbl, s.col, s.entity, s.identifier_type, "
            "s.identifier, s.anchor_method, event_uid, time, file, record FROM ("
            'SELECT "metadata.uid" AS event_uid, time, "raw_source.file" AS file, '
            f'"raw_source.record" AS record, unnest([{", ".join(structs)}]) AS s '
            f"FROM {_quote(table)}) WHERE s.identifier IS NOT NULL AND trim(s.identifier) <> ''"
        )
    if not parts:
        return (
            "SELECT NULL::VARCHAR AS tbl, NULL::VARCHAR AS col, NULL::VARCHAR AS entity, "
            "NULL::VARCHAR AS identifier_type, NULL::VARCHAR AS identifier, "
            "NULL::VARCHAR AS anchor_method, NULL::VARCHAR AS event_uid, "
            "NULL::TIMESTAMPTZ AS time, NULL::VARCHAR AS file, NULL::BIGINT AS record LIMIT 0"
        )
    return "\nUNION ALL\n".join(parts)


def _row_ref(alias: str) -> str:
    """SQL text naming a roster or inventory row: ``roster.csv:12``."""
    return (
        f"concat(coalesce({alias}.\"raw_source.file\", '?'), ':', "
        f"coalesce(CAST({alias}.\"raw_source.record\" AS VARCHAR), '?'))"
    )


def resolve(workspace: Workspace, aliases: list[AliasRow] | None = None) -> ResolveResult:
    """Rebuild ``worker_links`` from the stored events, roster, inventory and aliases.

    ``aliases`` defaults to the workspace's ``aliases.csv`` when there is one (its bad
    lines are skipped and reported in the result).
    """
    result = ResolveResult()
    if aliases is None:
        path = workspace.root / ALIASES_FILE
        aliases = []
        if path.exists():
            try:
                aliases, result.problems = read_aliases(path)
            except (OSError, UnicodeDecodeError) as exc:
                result.problems.append(f"{path.name}: cannot read: {exc}")
    with workspace.scratch_connect() as con:
        links = _build(con, aliases, result)
    workspace.replace_derived(LINKS_TABLE, links)
    _summarize(links, result)
    return result


def _register(con: duckdb.DuckDBPyConnection, aliases: list[AliasRow]) -> None:
    con.register(
        "alias_rows",
        pa.table(
            {
                "identifier": pa.array([a.identifier for a in aliases], pa.string()),
                "worker": pa.array([a.worker for a in aliases], pa.string()),
                "type": pa.array([a.type for a in aliases], pa.string()),
                "line": pa.array([a.line for a in aliases], pa.int64()),
            }
        ),
    )
    con.register(
        "methods",
        pa.table(
            {
                "method": [m.name for m in METHODS],
                "rank": [m.rank for m in METHODS],
                "confidence": [m.confidence for m in METHODS],
                "method_order": list(range(len(METHODS))),
            }
        ),
    )


_IDS_SQL = """
CREATE TABLE ids AS
SELECT identifier_type, identifier,
       lower(trim(identifier)) AS norm,
       lower(trim(regexp_replace(identifier, '^.*\\\\', ''))) AS account,
       split_part(lower(trim(regexp_replace(identifier, '^.*\\\\', ''))), '@', 1) AS local,
       split_part(lower(trim(identifier)), '@', 2) AS domain,
       split_part(lower(trim(identifier)), '.', 1) AS short_host,
       count(DISTINCT event_uid) AS event_count,
       min(time) AS first_seen, max(time) AS last_seen,
       list_sort(list(DISTINCT tbl || '.' || col)) AS seen_in
FROM ev GROUP BY identifier_type, identifier
"""

_ID_KEYS_SQL = """
CREATE TABLE id_keys AS
SELECT identifier_type, identifier, 'hostname' AS key_kind, short_host AS key FROM ids
WHERE identifier_type IN ('hostname', 'device_uid')
UNION ALL
SELECT identifier_type, identifier, 'serial', norm FROM ids
WHERE identifier_type IN ('serial', 'device_uid')
UNION ALL
SELECT identifier_type, identifier, k.kind, norm
FROM ids, (VALUES ('device_uid'), ('asset')) k(kind)
WHERE identifier_type = 'device_uid'
"""
"""Which inventory keys each host identifier is compared with (equality joins only)."""

_BEST_SQL = """
WITH r AS (
    SELECT c.identifier_type, c.identifier, c.worker_id, m.rank,
           min(m.rank) OVER (PARTITION BY c.identifier_type, c.identifier) AS best
    FROM cand c JOIN methods m USING (method) WHERE c.worker_id IS NOT NULL
)
SELECT identifier_type, identifier, min(best) AS best,
       count(DISTINCT worker_id) FILTER (WHERE rank = best) AS n,
       any_value(worker_id) FILTER (WHERE rank = best) AS worker_id
FROM r GROUP BY identifier_type, identifier
"""
"""Per identifier: the best rank any candidate reached, and how many workers reached it."""

_W_KEYS_SQL = """
CREATE TABLE w_keys AS
SELECT lower(trim(email)) AS key, 'email' AS kind, employee_id FROM w WHERE email IS NOT NULL
UNION ALL SELECT lower(employee_id), 'id', employee_id FROM w
UNION ALL SELECT lower(trim(regexp_replace(username, '^.*\\\\', ''))), 'username', employee_id
    FROM w WHERE username IS NOT NULL
UNION ALL SELECT lower(trim(full_name)), 'name', employee_id FROM w WHERE full_name IS NOT NULL
"""
"""How an alias or an inventory owner may name a worker."""


def _build(
    con: duckdb.DuckDBPyConnection, aliases: list[AliasRow], result: ResolveResult
) -> pa.Table:
    _register(con, aliases)
    run = con.execute
    # Events name their file by number (``files``, numbered in name order): the file
    # name on every identifier occurrence was the widest thing the per-event joins
    # below carried. One table at a time: a single UNION ALL over every table held
    # memory outside DuckDB's limit on a large estate (docs/performance.md); each
    # table's own insert stays within it.
    named = " UNION ".join(
        f'SELECT "raw_source.file" AS file FROM {_quote(table)}'
        for table, spec in TABLES.items()
        if spec.has_column("raw_source.file")
    )
    run(
        "CREATE TABLE files AS SELECT CAST(row_number() OVER (ORDER BY file) AS INTEGER) "
        f"AS file_no, file FROM ({named}) WHERE file IS NOT NULL"
    )
    numbered = (
        "SELECT e.* EXCLUDE (file), f.file_no FROM ({}) e LEFT JOIN files f ON f.file = e.file"
    )
    run(f"CREATE TABLE ev AS {numbered.format(event_identifiers_sql())} LIMIT 0")
    for table in TABLES:
        run(f"INSERT INTO ev {numbered.format(event_identifiers_sql([table]))}")
    run(_IDS_SQL)
    run(_ID_KEYS_SQL)
    run(f"CREATE TABLE w AS {LATEST_WORKERS_SQL}")
    run(f"CREATE TABLE d AS {LATEST_DEVICES_SQL}")
    run(_W_KEYS_SQL)
    result.roster_workers = _scalar(con, "SELECT count(*) FROM w")
    label = (
        "concat('roster ', {row}, ': employee ', {a}.employee_id, ' (', "
        "coalesce({a}.email, {a}.full_name, '?'), ')')"
    )
    w_label = label.format(row=_row_ref("w"), a="w")
    # Who each alias and each inventory device names (NULL: nobody in the roster).
    run(
        f"""
        CREATE TABLE alias_workers AS
        SELECT a.*, w.employee_id AS worker_id, {w_label} AS wl
        FROM alias_rows a
        LEFT JOIN (SELECT DISTINCT key, employee_id FROM w_keys WHERE kind IN ('email', 'id')) k
               ON k.key = lower(trim(a.worker))
        LEFT JOIN w ON w.employee_id = k.employee_id
        """
    )
    run(
        f"""
        CREATE TABLE dev_workers AS
        WITH owners AS (
            SELECT d."metadata.uid" AS duid,
                   lower(trim(coalesce(d.owner_email, d.owner))) AS owner_key,
                   d.owner_email IS NOT NULL AS by_email
            FROM d
        ),
        matched AS (
            SELECT DISTINCT o.duid, k.employee_id FROM owners o
            JOIN w_keys k ON k.key = o.owner_key AND (NOT o.by_email OR k.kind = 'email')
        )
        SELECT d.*, w.employee_id AS worker_id, {w_label} AS wl,
               concat('inventory ', {_row_ref("d")}, ': ',
                      coalesce('asset ' || d.asset_id, 'serial ' || d.serial_number,
                               'host ' || d.hostname, 'device ' || d.device_uid),
                      ' assigned to ', coalesce(d.owner_email, d.owner, 'nobody')) AS dl
        FROM d LEFT JOIN matched m ON m.duid = d."metadata.uid"
        LEFT JOIN w ON w.employee_id = m.employee_id
        """
    )
    run(
        """
        CREATE TABLE dev_keys AS
        SELECT 'hostname' AS key_kind, split_part(lower(trim(hostname)), '.', 1) AS key,
               'hostname' AS via, worker_id, wl, dl FROM dev_workers WHERE hostname IS NOT NULL
        UNION ALL SELECT 'serial', lower(trim(serial_number)), 'serial number', worker_id, wl, dl
            FROM dev_workers WHERE serial_number IS NOT NULL
        UNION ALL SELECT 'device_uid', lower(trim(device_uid)), 'device id', worker_id, wl, dl
            FROM dev_workers WHERE device_uid IS NOT NULL
        UNION ALL SELECT 'asset', lower(trim(asset_id)), 'asset tag', worker_id, wl, dl
            FROM dev_workers WHERE asset_id IS NOT NULL
        """
    )
    # Direct candidates: each identifier against the roster, inventory and aliases.
    # Rows with worker_id NULL are hints that explain an unresolved identifier.
    lp_label = label.format(row=_row_ref("lp"), a="lp")
    run(
        f"""
        CREATE TABLE cand AS
        WITH org_domains AS (
            SELECT DISTINCT split_part(lower(email), '@', 2) AS domain FROM w
            WHERE email IS NOT NULL
        ),
        local_parts AS (
            SELECT split_part(lower(trim(email)), '@', 1) AS local, * FROM w
            WHERE email IS NOT NULL
        )
        SELECT i.identifier_type, i.identifier, a.worker_id, 'alias_file' AS method,
               CASE WHEN a.worker_id IS NULL
                    THEN concat('alias file line ', a.line, ' names worker ', a.worker,
                                ', who is not in the roster')
                    ELSE concat('alias file line ', a.line, ': ', a.identifier, ' -> ',
                                a.worker, '; ', a.wl) END AS evidence
        FROM ids i JOIN alias_workers a
          ON lower(trim(a.identifier)) = i.norm
         AND (a.type IS NULL OR a.type = i.identifier_type)
        UNION ALL
        SELECT i.identifier_type, i.identifier, w.employee_id,
               CASE WHEN i.identifier_type = 'upn' THEN 'upn'
                    WHEN trim(i.identifier) = trim(w.email) THEN 'exact_email'
                    ELSE 'email_case_insensitive' END,
               {w_label}
        FROM ids i JOIN w ON lower(trim(w.email)) = i.norm
        WHERE i.identifier_type IN ('email', 'upn', 'saml_nameid', 'user_uid')
        UNION ALL
        SELECT i.identifier_type, i.identifier, w.employee_id, 'personal_email',
               concat({w_label}, ' personal email ', w.personal_email)
        FROM ids i JOIN w ON lower(trim(w.personal_email)) = i.norm
        WHERE i.identifier_type IN ('email', 'upn', 'saml_nameid', 'user_uid')
        UNION ALL
        SELECT DISTINCT i.identifier_type, i.identifier, w.employee_id, 'earlier_roster_email',
               concat('earlier roster row ', {_row_ref("h")}, ': employee ', w.employee_id,
                      ' had email ', h.email, '; now ', {w_label})
        FROM ids i JOIN workers h ON lower(trim(h.email)) = i.norm
        JOIN w ON w.employee_id = trim(h.employee_id)
        WHERE i.identifier_type IN ('email', 'upn', 'saml_nameid', 'user_uid')
          AND lower(trim(w.email)) IS DISTINCT FROM i.norm        UNION ALL
        SELECT i.identifier_type, i.identifier, w.employee_id, 'employee_id', {w_label}
        FROM ids i JOIN w ON w.employee_id = trim(i.identifier)
        WHERE i.identifier_type IN ('username', 'user_uid')
        UNION ALL
        SELECT i.identifier_type, i.identifier, w.employee_id, 'roster_username',
               concat({w_label}, ' username ', w.username)
        FROM ids i JOIN w_keys k ON k.kind = 'username' AND k.key = i.account
        JOIN w ON w.employee_id = k.employee_id
        WHERE i.identifier_type IN ('username', 'upn')
        UNION ALL
        SELECT i.identifier_type, i.identifier, w.employee_id, 'roster_github',
               concat({w_label}, ' GitHub login ', w.github_login)
        FROM ids i JOIN w ON lower(trim(w.github_login)) = i.norm
        WHERE i.identifier_type = 'github_login'
        UNION ALL
        SELECT i.identifier_type, i.identifier, lp.employee_id, 'local_part',
               concat({lp_label}, ' has local part ', lp.local)
        FROM ids i JOIN local_parts lp ON lp.local = i.local
        WHERE i.identifier_type = 'username'
           OR (i.identifier_type = 'upn' AND (i.domain IN (SELECT domain FROM org_domains)
                                              OR i.domain LIKE '%.onmicrosoft.com'))
        UNION ALL
        SELECT DISTINCT k.identifier_type, k.identifier, dk.worker_id, 'device_owner',
               CASE WHEN dk.worker_id IS NULL
                    THEN concat(dk.dl, ' (', dk.via, ' match), who is not in the roster')
                    ELSE concat(dk.dl, ' (', dk.via, ' match); ', dk.wl) END
        FROM id_keys k JOIN dev_keys dk ON dk.key_kind = k.key_kind AND dk.key = k.key
        """
    )
    # The best direct link per identifier; a unique one vouches for the identifiers
    # named with it, for the same party, in the same events (GitHub login + SAML email,
    # hostname + serial). Identifiers already linked by an exact email or an alias are
    # not re-examined.
    run(f"CREATE TABLE direct AS {_BEST_SQL}")
    run(
        f"""
        CREATE TABLE anchors AS
        SELECT a.event_uid, a.tbl, a.entity, a.identifier_type, a.identifier,
               a.anchor_method, r.worker_id
        FROM ev a
        JOIN direct r ON r.identifier_type = a.identifier_type AND r.identifier = a.identifier
                     AND r.n = 1 AND r.best <= {ANCHOR_RANK}
        """
    )
    # Only identifiers not already linked by an exact email or an alias can be vouched
    # for; filtering both sides first keeps the per-event join to the rows it needs.
    run(
        """
        CREATE TABLE targets AS
        SELECT t.event_uid, t.tbl, t.entity, t.identifier_type, t.identifier, t.file_no,
               t.record
        FROM ev t
        LEFT JOIN direct s ON s.identifier_type = t.identifier_type
                          AND s.identifier = t.identifier
        WHERE coalesce(s.best, 99) > 2 AND t.identifier_type <> 'local_uid'
        """
    )
    run(
        """
        INSERT INTO cand
        SELECT g.identifier_type, g.identifier, g.worker_id, g.anchor_method,
               concat('named with ', g.anchor_type, ' ', g.anchor, ' (worker ', g.worker_id,
                      ') in ', g.events, ' ', g.tbl, ' event(s), e.g. ',
                      coalesce(f.file, '?'), ':',
                      coalesce(CAST(g.example.record AS VARCHAR), '?'))
        FROM (
            SELECT t.identifier_type, t.identifier, a.worker_id, a.anchor_method,
                   a.identifier_type AS anchor_type, a.identifier AS anchor, t.tbl,
                   count(DISTINCT t.event_uid) AS events,
                   -- the first file by name, its lowest record
                   min({'file_no': coalesce(t.file_no, 2147483647), 'record': t.record})
                       AS example
            FROM targets t
            JOIN anchors a
              ON a.event_uid = t.event_uid AND a.tbl = t.tbl AND a.entity = t.entity
             AND NOT (a.identifier_type = t.identifier_type AND a.identifier = t.identifier)
            GROUP BY t.identifier_type, t.identifier, a.worker_id, a.anchor_method,
                     a.identifier_type, a.identifier, t.tbl
        ) g
        LEFT JOIN files f ON f.file_no = g.example.file_no
        """
    )
    # The same account written another way (CORP\\jdoe, jdoe) as a linked user name.
    run(f"CREATE TABLE linked AS {_BEST_SQL}")
    run(
        f"""
        INSERT INTO cand
        SELECT i.identifier_type, i.identifier, r.worker_id, 'same_account',
               concat('same account as username ', j.identifier, ' (worker ', r.worker_id,
                      ')')
        FROM ids i
        JOIN ids j ON j.account = i.account AND j.identifier <> i.identifier
                  AND j.identifier_type = 'username'
        JOIN linked r ON r.identifier_type = j.identifier_type AND r.identifier = j.identifier
                     AND r.n = 1 AND r.best <= {METHOD_BY_NAME["same_event"].rank}
        LEFT JOIN linked s ON s.identifier_type = i.identifier_type
                          AND s.identifier = i.identifier
        WHERE i.identifier_type = 'username' AND coalesce(s.best, 99) > 4
        """
    )
    return con.sql(
        f"""
        WITH ranked AS (
            SELECT c.*, m.rank, m.confidence, m.method_order,
                   min(m.rank) FILTER (WHERE c.worker_id IS NOT NULL)
                       OVER (PARTITION BY c.identifier_type, c.identifier) AS best
            FROM cand c JOIN methods m USING (method)
        ),
        picked AS (
            SELECT identifier_type, identifier,
                   count(DISTINCT worker_id) FILTER (WHERE rank = best) AS n,
                   any_value(worker_id) FILTER (WHERE rank = best) AS worker_id,
                   arg_min(method, method_order) FILTER (WHERE rank = best) AS method,
                   max(confidence) FILTER (WHERE rank = best) AS confidence,
                   string_agg(DISTINCT concat(method, ': ', evidence), ' | '
                              ORDER BY concat(method, ': ', evidence))
                       FILTER (WHERE rank = best) AS top_evidence,
                   string_agg(DISTINCT concat(method, ' -> ', worker_id), ', '
                              ORDER BY concat(method, ' -> ', worker_id))
                       FILTER (WHERE worker_id IS NOT NULL AND rank > best) AS others,
                   string_agg(DISTINCT evidence, ' | ' ORDER BY evidence)
                       FILTER (WHERE worker_id IS NULL) AS hints,
                   list_sort(list(DISTINCT worker_id) FILTER (WHERE worker_id IS NOT NULL))
                       AS candidates
            FROM ranked GROUP BY identifier_type, identifier
        ),
        decided AS (
            SELECT i.*, p.*,
                   CASE WHEN p.n = 1 THEN p.method
                        WHEN p.n > 1 THEN 'ambiguous'
                        WHEN i.identifier_type = 'local_uid' THEN 'host_local'
                        WHEN i.identifier_type = 'hostname' AND regexp_matches(
                             trim(i.identifier), {_literal(PLACEHOLDER_HOST_PATTERN)})
                             THEN 'placeholder'
                        WHEN i.identifier_type IN ('username', 'upn', 'user_uid')
                             AND regexp_matches(
                                 trim(i.identifier), {_literal(SYSTEM_ACCOUNT_PATTERN)})
                             THEN 'system_account'
                        ELSE 'unresolved' END AS decision
            FROM ids i LEFT JOIN picked p USING (identifier_type, identifier)
        )
        SELECT d.identifier_type, d.identifier,
               CASE WHEN d.n = 1 THEN d.worker_id END AS worker_id,
               CASE WHEN d.n = 1 THEN w.email END AS worker_email,
               CASE WHEN d.n = 1 THEN w.full_name END AS worker_name,
               d.decision AS method,
               CASE WHEN d.n = 1 THEN d.confidence END AS confidence,
               CASE WHEN d.n = 1 THEN concat(d.top_evidence,
                        CASE WHEN d.others IS NOT NULL
                             THEN concat(' | weaker candidates: ', d.others) END)
                    WHEN d.n > 1 THEN concat(d.n, ' workers match equally: ', d.top_evidence)
                    WHEN d.decision = 'unresolved'
                         THEN coalesce(d.hints, {_literal(NO_MATCH)})
                    ELSE concat({_not_linked_sql("d.decision")},
                                coalesce(' | ' || d.hints, ''))
               END AS evidence,
               coalesce(d.candidates, []::VARCHAR[]) AS candidates,
               d.event_count, d.first_seen, d.last_seen, d.seen_in
        FROM decided d
        LEFT JOIN w ON d.n = 1 AND w.employee_id = d.worker_id
        ORDER BY worker_id NULLS LAST, d.identifier_type, d.identifier
        """
    ).to_arrow_table()


def _not_linked_sql(column: str) -> str:
    """SQL: the description of a not-linked method named in ``column``."""
    cases = " ".join(
        f"WHEN {_literal(name)} THEN {_literal(text)}" for name, text in NOT_LINKED.items()
    )
    return f"CASE {column} {cases} END"


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _summarize(links: pa.Table, result: ResolveResult) -> None:
    methods = links.column("method").to_pylist()
    workers = links.column("worker_id").to_pylist()
    result.identifiers = len(methods)
    result.by_method = Counter(methods)
    result.ambiguous = result.by_method["ambiguous"]
    result.unresolved = result.by_method["unresolved"]
    result.system = sum(
        result.by_method[m] for m in ("system_account", "host_local", "placeholder")
    )
    result.resolved = sum(1 for w in workers if w is not None)
    result.workers = len({w for w in workers if w is not None})
