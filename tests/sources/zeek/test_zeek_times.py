"""Zeek ``ts``: always epoch seconds (or ISO 8601 / TS_MILLIS in JSON), never a guess.

Regression tests for times stored without a word: a relative ``ts`` (seconds since the
capture started, as Zeek writes when reading a trace with a clock starting at 0) was
stored as a 1970 date, and a ``ts`` of year 10000 (2.5e11 seconds) was read as
milliseconds and stored as 1978. Both are now quarantined with a reason that
``farmhunt stats`` counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.sources.base import RecordError
from farmhunt.sources.zeek.times import TOO_EARLY, TOO_LATE, zeek_time
from farmhunt.store import Workspace
from tests.golden import parse_sample

# The header and the first line are those of zed-sample-data's zeek-default/ssh.log
# (Brim's Zeek 6.2 logs of the WRCCDC 2018 captures, CC BY-SA 4.0); the ts of the other
# lines is what Zeek writes for a relative clock, and a year-10000 value.
SSH_TSV = """#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tssh
#open\t2024-04-12-19-29-12
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tauth_success
#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tbool
1521911799.739069\tCmzmrY1p1TrOFnlUx1\t10.47.27.80\t52826\t10.47.8.10\t22\t2\t-
12.300000\tCmzmrY1p1TrOFnlUx2\t10.47.27.80\t52827\t10.47.8.10\t22\t2\t-
253402300800.000000\tCmzmrY1p1TrOFnlUx3\t10.47.27.80\t52828\t10.47.8.10\t22\t2\t-
"""

CONN_JSON = [
    # LogAscii::use_json=T, epoch seconds; then TS_MILLIS, a relative ts, year 10000
    {"ts": 1521911799.739069, "uid": "Cj1", "id.orig_h": "10.47.27.80", "id.orig_p": 52826,
     "id.resp_h": "10.47.8.10", "id.resp_p": 22, "proto": "tcp", "conn_state": "SF"},
    {"ts": 1521911799739, "uid": "Cj2", "id.orig_h": "10.47.27.80", "id.orig_p": 52827,
     "id.resp_h": "10.47.8.10", "id.resp_p": 22, "proto": "tcp", "conn_state": "SF"},
    {"ts": 12.3, "uid": "Cj3", "id.orig_h": "10.47.27.80", "id.orig_p": 52828,
     "id.resp_h": "10.47.8.10", "id.resp_p": 22, "proto": "tcp", "conn_state": "SF"},
    {"ts": 253402300800, "uid": "Cj4", "id.orig_h": "10.47.27.80", "id.orig_p": 52829,
     "id.resp_h": "10.47.8.10", "id.resp_p": 22, "proto": "tcp", "conn_state": "SF"},
    {"ts": "1970-01-01T00:00:12.300000Z", "uid": "Cj5", "id.orig_h": "10.47.27.80",
     "id.orig_p": 52830, "id.resp_h": "10.47.8.10", "id.resp_p": 22, "proto": "tcp",
     "conn_state": "SF"},
]  # fmt: skip


def _reasons(outcomes: list[dict[str, object]]) -> dict[int, str]:
    return {
        o["quarantine"]["record"]: o["quarantine"]["reason"]  # type: ignore[index]
        for o in outcomes
        if "quarantine" in o
    }


def test_relative_and_year_10000_ts_in_tsv_are_quarantined_not_1970_or_1978(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ssh.log"
    path.write_text(SSH_TSV, encoding="utf-8")
    outcomes = parse_sample(path, expected_format="zeek-tsv")
    rows = [o["row"] for o in outcomes if "row" in o]
    assert [r["time"] for r in rows] == ["2018-03-24T17:16:39.739069+00:00"]
    assert _reasons(outcomes) == {10: f"ts is {TOO_EARLY}", 11: f"ts is {TOO_LATE}"}


def test_json_ts_seconds_millis_and_iso_are_read_and_implausible_ones_quarantined(
    tmp_path: Path,
) -> None:
    path = tmp_path / "conn.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in CONN_JSON), encoding="utf-8")
    outcomes = parse_sample(path, expected_format="zeek-json")
    times = [o["row"]["time"] for o in outcomes if "row" in o]
    assert times == ["2018-03-24T17:16:39.739069+00:00", "2018-03-24T17:16:39.739000+00:00"]
    assert _reasons(outcomes) == {
        3: f"ts is {TOO_EARLY}",
        4: f"ts is {TOO_LATE}",
        5: f"ts is {TOO_EARLY}",
    }


def test_write_ts_of_1970_gives_no_time_to_a_log_without_ts(tmp_path: Path) -> None:
    # zed-sample-data zeek-json/loaded_scripts.json: json-streaming-logs writes the
    # entries before Zeek knows the time; they were stored at 1970-01-01.
    path = tmp_path / "loaded_scripts.json"
    path.write_text(
        '{"_path":"loaded_scripts","_write_ts":"1970-01-01T00:00:00.000000Z",'
        '"name":"/opt/zeek/share/zeek/base/init-bare.zeek"}\n'
        '{"_path":"packet_filter","_write_ts":"1970-01-01T00:00:00.000000Z",'
        '"ts":"2024-04-12T19:29:12.827586Z","node":"zeek","filter":"ip or not ip",'
        '"init":true,"success":true}\n',
        encoding="utf-8",
    )
    outcomes = parse_sample(path, expected_format="zeek-json")
    assert _reasons(outcomes) == {1: f"_write_ts (the log has no ts) is {TOO_EARLY}"}
    assert [o["row"]["time"] for o in outcomes if "row" in o] == [
        "2024-04-12T19:29:12.827586+00:00"
    ]


@pytest.mark.parametrize("value", [True, None, "", "nan", "inf", float("nan"), "soon"])
def test_values_that_are_no_time_at_all_are_refused(value: object) -> None:
    with pytest.raises(RecordError):
        zeek_time(value)


def test_stats_counts_the_implausible_times(tmp_path: Path) -> None:
    from rich.console import Console

    from farmhunt.cli.stats_view import show_stats

    path = tmp_path / "ssh.log"
    path.write_text(SSH_TSV, encoding="utf-8")
    ws = Workspace(tmp_path / "ws", create=True)
    ingest_paths(ws, [str(path)])
    counts = ws.connect().execute("select reason, count(*) from quarantine group by 1 order by 1")
    assert sorted(counts.fetchall()) == sorted(
        [(f"ts is {TOO_EARLY}", 1), (f"ts is {TOO_LATE}", 1)]
    )
    console = Console(record=True, width=400)
    show_stats(ws.root, console, Console(record=True, width=400))
    shown = console.export_text()
    assert "before 1990" in shown and "after tomorrow" in shown
