"""Worker facts: one roster tie-break, one identifier rule, one helper per time idea."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import ibis

from farmhunt.detect.analytics import identity as identity_analytics
from farmhunt.detect.analytics.hiring import roster as hiring_roster
from farmhunt.detect.engine import make_context
from farmhunt.detect.testing import connection_with
from farmhunt.enrich.facts.contacts import payroll_key, phone_key
from farmhunt.enrich.facts.identifiers import WorkerIndex, roster_identifiers, worker_of
from farmhunt.enrich.facts.roster import LATEST_WORKERS_SQL, read_roster
from farmhunt.enrich.facts.times import bounds, data_date, day_span, iso, span, window_text

EXPORT = datetime(2025, 11, 3, tzinfo=UTC)


def _two_rows_of_one_export() -> list[dict[str, object]]:
    """One worker twice in one export (same date and file): the later record is the
    worker's row. Its uid sorts first, so a tie-break by uid picked the earlier one."""
    row = {"employee_id": "E1", "time": EXPORT, "raw_source.file": "roster.csv"}
    return [
        {**row, "email": "old@example.com", "raw_source.record": 1, "metadata.uid": "u-b"},
        {**row, "email": "new@example.com", "raw_source.record": 2, "metadata.uid": "u-a"},
        {"employee_id": " E2 ", "email": "e2@example.com", "time": EXPORT},
    ]


def test_every_reader_picks_the_same_roster_row() -> None:
    con = connection_with({"workers": _two_rows_of_one_export()})
    ctx = make_context(con)
    by_sql = dict(con.execute(f"SELECT employee_id, email FROM ({LATEST_WORKERS_SQL})").fetchall())
    assert by_sql == {"E1": "new@example.com", "E2": "e2@example.com"}
    assert {k: r.email for k, r in read_roster(ctx.table("workers")).items()} == by_sql
    assert {k: r.email for k, r in hiring_roster(ctx).items()} == by_sql
    assert {k: p.email for k, p in identity_analytics.roster(ctx).items()} == by_sql


def test_the_roster_as_of_a_time() -> None:
    later = {"employee_id": "E1", "email": "later@example.com", "time": EXPORT + timedelta(7)}
    con = connection_with({"workers": [*_two_rows_of_one_export(), later]})
    workers = ibis.duckdb.from_connection(con).table("workers")
    assert read_roster(workers)["E1"].email == "later@example.com"
    assert read_roster(workers, as_of=EXPORT + timedelta(1))["E1"].email == "new@example.com"


def test_an_identifier_naming_two_workers_names_neither() -> None:
    """``ctx.worker_for`` kept the last link read: a shared kiosk login was pinned on
    whichever worker's link happened to come last."""
    links = [
        {"identifier": "kiosk", "identifier_type": "username", "worker_id": "E1"},
        {"identifier": "KIOSK", "identifier_type": "username", "worker_id": "E2"},
        {"identifier": "amy@example.com", "identifier_type": "email", "worker_id": "E1"},
        {"identifier": "Amy@Example.com", "identifier_type": "email", "worker_id": "E1"},
    ]
    ctx = make_context(connection_with({"worker_links": links}))
    assert ctx.worker_for("kiosk") is None
    assert ctx.worker_for(" AMY@example.com") == "E1"
    index = WorkerIndex.from_links((r["identifier"], r["worker_id"]) for r in links)
    assert index.ambiguous == {"kiosk": frozenset({"E1", "E2"})}


def test_the_roster_answers_before_the_links_identifier_by_identifier() -> None:
    roster = roster_identifiers([("E1", ["amy@example.com", "amy"]), ("E2", ["bob", "amy"])])
    links = WorkerIndex.from_links([("amy", "E3"), ("carol", "E4")])
    assert roster.worker("amy") is None  # given by two roster rows: ambiguous
    assert worker_of([roster, links], ["amy", "bob"]) == "E3"
    assert worker_of([roster, links], ["AMY@example.com", "carol"]) == "E1"
    assert worker_of([roster, links], [None, "nobody"]) is None


def test_phone_and_payroll_keys() -> None:
    assert phone_key("+14155550199", "(415) 555-0199") == "+14155550199"
    assert phone_key(None, "(415) 555-0199") == phone_key("", "415.555.0199")
    assert phone_key(None, "12-34") is None
    assert payroll_key("DE89 3704-0044") == payroll_key("de8937040044") == "de8937040044"
    assert payroll_key(" ") is None and payroll_key(None) is None


def test_time_helpers() -> None:
    start = datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
    assert iso(start) == "2025-01-02T09:00:00+00:00" and iso(start.date()) == "2025-01-02"
    assert iso(3) == 3
    assert bounds([None, start + timedelta(hours=1), start]) == (start, start + timedelta(hours=1))
    assert bounds([None]) == (None, None)
    assert span(start, start + timedelta(days=1)) == "2025-01-02 09:00 to 2025-01-03 09:00 UTC"
    assert span(start, None) == "2025-01-02 09:00 UTC" and span(None, start) == ""
    assert day_span(start, start + timedelta(minutes=40)) == "2025-01-02 09:00–09:40 UTC"
    assert day_span(start, start + timedelta(days=3)) == "2025-01-02 to 2025-01-05"
    assert window_text(timedelta(hours=24)) == "1d" and window_text(timedelta(seconds=90)) == "90s"
    assert data_date(EXPORT) == EXPORT and data_date(start) is None
