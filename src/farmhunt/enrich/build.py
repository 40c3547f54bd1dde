"""Building the enrichment tables of a workspace: ``ip_info`` and ``phone_info``.

Set-based: DuckDB collects the distinct addresses of every IP column of every event
table (the columns are read from the schema: every ``*.ip`` and ``*_ip`` column), each
address is classified once, in batches, and the derived table is replaced whole. The
phone numbers of the HR roster (the ``workers`` table, when the schema has one) are
read the same way. Detections join on the exact strings the events hold::

    SELECT a.*, i.kind FROM authentication a JOIN ip_info i ON i.ip = a."src_endpoint.ip"
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from farmhunt.enrich.indicators import Indicators, load_indicators
from farmhunt.enrich.ip import IpClassifier
from farmhunt.enrich.phone import classify_phone
from farmhunt.schema import DERIVED_TABLES, STORE_TABLES
from farmhunt.settings import Settings
from farmhunt.store.workspace import Workspace

IP_INFO = "ip_info"
PHONE_INFO = "phone_info"
ROSTER = "workers"
BATCH_ROWS = 50_000


@dataclass(frozen=True)
class IpColumn:
    """An address column of an event table, and the AS number column beside it, if any."""

    table: str
    column: str
    asn_column: str | None


def ip_columns() -> list[IpColumn]:
    """Every IP column of every event table, from the schema."""
    found = []
    for name, table in STORE_TABLES.items():
        if table.class_uid is None:  # farmhunt's own tables (roster, quarantine …)
            continue
        for column in table.column_names():
            if column.endswith(".ip") or column.endswith("_ip") or column == "ip":
                prefix = column[: -len(".ip")] if column.endswith(".ip") else None
                asn = f"{prefix}.autonomous_system.number" if prefix else None
                found.append(IpColumn(name, column, asn if asn and table.has_column(asn) else None))
    return found


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


IPS_SCRATCH = "__enrich_ips"
"""The temporary table the per-column distinct addresses are gathered in."""


def distinct_ips_parts() -> list[str]:
    """One query per address column: each distinct address in it, with the largest AS
    number an event reported beside it.

    The columns are read one query at a time into a temporary table, not as one
    ``UNION ALL`` over every column: on a large estate the single statement held memory
    beyond DuckDB's limit, while one column at a time stayed within it for little more
    CPU (docs/performance.md).
    """
    parts = []
    for c in ip_columns():
        ip = _quote(c.column)
        asn = f"CAST({_quote(c.asn_column)} AS BIGINT)" if c.asn_column else "NULL::BIGINT"
        parts.append(
            f"SELECT {ip} AS ip, max({asn}) AS asn FROM {_quote(c.table)} "
            f"WHERE {ip} IS NOT NULL AND {ip} <> '' GROUP BY {ip}"
        )
    return parts


def distinct_ips_sql() -> str:
    """Each distinct address of the gathered table with the largest AS number any
    column reported for it, in address order."""
    return f"SELECT ip, max(asn) AS asn FROM {IPS_SCRATCH} GROUP BY ip ORDER BY ip"


def _gather_ips(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {IPS_SCRATCH} (ip VARCHAR, asn BIGINT)")
    for part in distinct_ips_parts():
        con.execute(f"INSERT INTO {IPS_SCRATCH} {part}")


def _batches(
    ws: Workspace,
    sql: str,
    prepare: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> Iterator[pa.RecordBatch]:
    con = ws.connect()
    try:
        if prepare is not None:
            prepare(con)
        relation = con.sql(sql)
        if hasattr(relation, "to_arrow_reader"):  # DuckDB 2
            reader = relation.to_arrow_reader(BATCH_ROWS)
        else:  # pragma: no cover - DuckDB 1.x
            reader = relation.fetch_record_batch(BATCH_ROWS)
        yield from reader
    finally:
        con.close()


def build_ip_info(ws: Workspace, classifier: IpClassifier) -> pa.Table:
    schema = DERIVED_TABLES[IP_INFO].arrow_schema()
    out = []
    for batch in _batches(ws, distinct_ips_sql(), _gather_ips):
        ips = batch.column("ip").to_pylist()
        asns = batch.column("asn").to_pylist()
        infos = classifier.classify_many(ips, asns)
        out.append(pa.Table.from_pylist([i.as_row() for i in infos], schema=schema))
    return pa.concat_tables(out) if out else schema.empty_table()


def roster_has_phones() -> bool:
    table = STORE_TABLES.get(ROSTER)
    return table is not None and table.has_column("phone") and table.has_column("employee_id")


def phones_sql() -> str:
    """Each (worker, phone) the roster ever gave, with the worker's latest country."""
    table = STORE_TABLES[ROSTER]
    country = '"work_country"' if table.has_column("work_country") else "NULL::VARCHAR"
    order = '"time"' if table.has_column("time") else "1"
    return (
        f'SELECT "employee_id" AS worker_id, "phone" AS phone, '
        f"arg_max({country}, {order}) AS country FROM {_quote(ROSTER)} "
        f'WHERE "phone" IS NOT NULL AND trim("phone") <> \'\' AND "employee_id" IS NOT NULL '
        f"GROUP BY 1, 2 ORDER BY 1, 2"
    )


def build_phone_info(ws: Workspace, settings: Settings, indicators: Indicators) -> pa.Table:
    schema = DERIVED_TABLES[PHONE_INFO].arrow_schema()
    if not roster_has_phones():
        return schema.empty_table()
    rows = []
    for batch in _batches(ws, phones_sql()):
        for worker_id, phone, country in zip(
            batch.column("worker_id").to_pylist(),
            batch.column("phone").to_pylist(),
            batch.column("country").to_pylist(),
            strict=True,
        ):
            region = country if _is_region(country) else settings.phone.default_region
            info = classify_phone(phone, region, indicators.voip_prefixes)
            rows.append(
                {
                    "worker_id": worker_id,
                    "phone": phone,
                    "e164": info.e164,
                    "region": info.region,
                    "line_type": info.line_type,
                    "valid": info.valid,
                    "is_voip": info.is_voip,
                    "reason": info.reason,
                }
            )
    return pa.Table.from_pylist(rows, schema=schema)


def _is_region(value: object) -> bool:
    return isinstance(value, str) and len(value) == 2 and value.isalpha()


def enrich_workspace(
    ws: Workspace, settings: Settings, *, indicators: Indicators | None = None
) -> dict[str, int]:
    """Rebuild ``ip_info`` and ``phone_info``; return the rows written per table.

    The caller holds the workspace's write lock when other writers may be running.
    """
    if indicators is None:
        indicators = load_indicators(settings.indicators.paths)
    with IpClassifier(settings, indicators=indicators) as classifier:
        ip_info = build_ip_info(ws, classifier)
    phone_info = build_phone_info(ws, settings, indicators)
    ws.replace_derived(IP_INFO, ip_info)
    ws.replace_derived(PHONE_INFO, phone_info)
    return {IP_INFO: ip_info.num_rows, PHONE_INFO: phone_info.num_rows}
