"""The HR roster as of a time: one row per worker, chosen by one tie-break.

A roster is exported again and again (a weekly HR dump), so ``workers`` holds several
rows per ``employee_id``. Identity resolution, every analytic, the scorer, the farm
clusterer and the report must read the *same* row for a worker, or a finding names one
email and the score another; the choice was written six times with different
tie-breaks (some by ``time`` alone, which lets the engine pick either of two rows of
one export). It is written once here, as :data:`LATEST_ORDER`, rendered for Ibis
(:func:`latest_rows`) and for SQL (:func:`latest_sql`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from farmhunt.enrich.facts.addresses import address_key
from farmhunt.enrich.facts.times import data_date

LATEST_ORDER = ("time", "raw_source.file", "raw_source.record", "metadata.uid")
"""The latest row of a key: the latest ``time`` (a row without one comes last), then,
within one export, the later file, the later record and the larger uid, so that every
run and every engine picks the same row."""


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def latest_sql(table: str, key: str, *, where: str = "TRUE", as_of: datetime | None = None) -> str:
    """SQL for the latest row of ``table`` per ``key`` (an SQL expression); ``as_of``
    keeps only rows of exports up to that time (the roster as it was then)."""
    order = ", ".join(f"{_sql_name(c)} DESC NULLS LAST" for c in LATEST_ORDER)
    when = f" AND time <= TIMESTAMPTZ '{as_of.isoformat()}'" if as_of is not None else ""
    return (
        f"SELECT * FROM {_sql_name(table)} WHERE ({where}){when}\n"
        f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {order}) = 1"
    )


LATEST_WORKERS_SQL = (
    "SELECT * REPLACE (trim(employee_id) AS employee_id) FROM ("
    + latest_sql("workers", "trim(employee_id)", where="trim(employee_id) <> ''")
    + ")"
)
"""The roster as of its latest export: one row per employee_id (its most recent row)."""

LATEST_DEVICES_SQL = latest_sql(
    "devices", "lower(trim(coalesce(asset_id, serial_number, device_uid, hostname)))"
)
"""The inventory as of its latest export: one row per asset (tag, else serial …)."""


def latest_rows(t: ir.Table, key: ir.Value, *, as_of: datetime | None = None) -> ir.Table:
    """The latest row (:data:`LATEST_ORDER`) of ``t`` for each non-null ``key`` (an
    expression over ``t``), with the key as column ``__key``; ``as_of`` keeps only rows
    up to that time."""
    keyed = t.mutate(__key=key)
    keyed = keyed.filter(keyed["__key"].notnull())
    if as_of is not None:
        keyed = keyed.filter(keyed["time"] <= as_of)
    order = [ibis.desc(keyed[c]) for c in LATEST_ORDER if c in keyed.columns]
    window = ibis.window(group_by=keyed["__key"], order_by=order)
    ranked = keyed.mutate(__rn=ibis.row_number().over(window))
    return ranked.filter(ranked["__rn"] == 0).drop("__rn")


def latest_roster(workers: ir.Table, *, as_of: datetime | None = None) -> ir.Table:
    """One row per worker (``employee_id`` trimmed; empty ids dropped)."""
    t = workers.filter(workers["employee_id"].notnull() & (workers["employee_id"].strip() != ""))
    latest = latest_rows(t, t["employee_id"].strip(), as_of=as_of)
    return latest.mutate(employee_id=latest["__key"]).drop("__key")


def row_source(row: dict[str, Any]) -> str:
    """Where a roster or inventory row came from: ``roster.csv:12``."""
    file, record = row.get("raw_source.file"), row.get("raw_source.record")
    if not file:
        return ""
    name = str(file).replace("\\", "/").rsplit("/", 1)[-1]
    return f"{name}:{record}" if record is not None else name


@dataclass
class RosterRow:
    """The latest roster row of one worker, with what analytics compare."""

    employee_id: str
    email: str | None
    full_name: str | None
    values: dict[str, Any]
    uid: str | None
    time: datetime | None
    hire_date: datetime | None
    source: str
    homes: set[str] = field(default_factory=set)
    """Building keys of every home address any roster row gave the worker."""

    @property
    def subject(self) -> str:
        return self.email or self.employee_id

    @property
    def subject_type(self) -> str:
        return "email" if self.email else "worker"

    @property
    def dated(self) -> datetime | None:
        """The row's snapshot date, when the export gave one."""
        return data_date(self.time)

    @property
    def when(self) -> datetime | None:
        return self.hire_date or self.dated

    @property
    def worker_id(self) -> str:
        return self.employee_id

    @property
    def name(self) -> str | None:
        return self.full_name or None

    @property
    def row_uid(self) -> str | None:
        return self.uid

    @property
    def country(self) -> str | None:
        """Where the roster says the worker works, as an ISO alpha-2 code."""
        return country_code(self.values.get("work_country"))

    @property
    def timezone(self) -> str | None:
        return self.values.get("timezone") or None

    @property
    def home_address(self) -> str | None:
        return self.values.get("home_address") or None

    @property
    def label(self) -> str:
        """The worker in a sentence: ``Ann Lee (E1001)``."""
        return f"{self.name} ({self.worker_id})" if self.name else self.worker_id

    def described(self) -> str:
        """The worker with their roster email: ``E1001 Ann Lee (ann@example.com)``."""
        name = f" {self.full_name}" if self.full_name else ""
        return f"{self.employee_id}{name} ({self.subject})" if self.email else self.employee_id


def country_code(value: str | None) -> str | None:
    """An ISO alpha-2 code as given (upper-cased), None for anything else: free-text
    countries are not compared rather than compared wrongly."""
    if value and len(value.strip()) == 2 and value.strip().isalpha():
        return value.strip().upper()
    return None


ROSTER_COLUMNS = (
    "employee_id",
    "email",
    "full_name",
    "department",
    "title",
    "username",
    "github_login",
    "personal_email",
    "employment_status",
    "hire_date",
    "termination_date",
    "home_address",
    "ship_address",
    "phone",
    "phone_e164",
    "payroll_account",
    "work_country",
    "timezone",
    "time",
    "metadata.uid",
    "raw_source.file",
    "raw_source.record",
)
"""The roster columns a :class:`RosterRow` carries in ``values``."""


def read_roster(workers: ir.Table, *, as_of: datetime | None = None) -> dict[str, RosterRow]:
    """employee_id → the worker's latest roster row (with every home they ever gave), in
    id order (findings list the workers sharing a value in this order)."""
    columns = [c for c in ROSTER_COLUMNS if c in workers.columns]
    latest = latest_roster(workers, as_of=as_of).select(*columns)
    listed = sorted(latest.to_pyarrow().to_pylist(), key=lambda r: str(r["employee_id"]))
    homes: dict[str, set[str]] = defaultdict(set)
    if "home_address" in workers.columns:
        t = workers.filter(workers["home_address"].notnull())
        if as_of is not None:
            t = t.filter(t["time"] <= as_of)
        for item in t.select("employee_id", "home_address").distinct().to_pyarrow().to_pylist():
            key = address_key(item["home_address"])
            if key is not None:
                homes[item["employee_id"]].add(key.building)
    return {
        row["employee_id"]: RosterRow(
            employee_id=row["employee_id"],
            email=(row.get("email") or "").strip() or None,
            full_name=row.get("full_name"),
            values=row,
            uid=row.get("metadata.uid"),
            time=row.get("time"),
            hire_date=row.get("hire_date"),
            source=row_source(row),
            homes=homes.get(row["employee_id"], set()),
        )
        for row in listed
    }
