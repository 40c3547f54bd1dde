"""Roster exports damaged as spreadsheets damage them: nothing dropped without a word.

The rows are those of ``samples/roster-default.csv`` (BambooHR/Workday-style columns);
each test damages them the way a hand edit or a bad export does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from farmhunt.ingest.model import IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.store import Workspace
from tests.golden import parse_sample

HEADER = "employee_id,full_name,email,department,title,hire_date,work_country,timezone\n"
ROWS = [
    "E1001,Jane Doe,jane.doe@example.com,Engineering,Backend Engineer,2024-03-18,US,"
    "America/Chicago\n",
    "E1002,Robert Smith,bob.smith@example.com,Engineering,Frontend Engineer,2024-04-01,US,"
    "America/New_York\n",
    "E1003,Ana Lima,ana.lima@example.com,Data,Data Analyst,2024-05-01,US,America/Denver\n",
    "E1004,Chris Park,chris.park@example.com,Data,Analyst,2024-05-02,US,America/Los_Angeles\n",
]


def _outcomes(tmp_path: Path, text: str) -> list[dict[str, Any]]:
    sample = tmp_path / "roster.csv"
    sample.write_text(text)
    return parse_sample(sample, expected_format="hr_roster")


def _ids(outcomes: list[dict[str, Any]]) -> list[str]:
    return [o["row"]["employee_id"] for o in outcomes if "row" in o]


def _quarantined(outcomes: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [
        (o["quarantine"]["record"], o["quarantine"]["reason"])
        for o in outcomes
        if "quarantine" in o
    ]


def test_unbalanced_quote_is_named_and_the_next_rows_are_kept(tmp_path: Path) -> None:
    stray = ROWS[1].replace("Robert Smith", '"Robert Smith')  # an opening quote never closed
    outcomes = _outcomes(tmp_path, HEADER + ROWS[0] + stray + ROWS[2] + ROWS[3])
    assert _ids(outcomes) == ["E1001", "E1003", "E1004"]
    [(line, reason)] = _quarantined(outcomes)
    assert line == 3 and reason.startswith("unbalanced quote in line 3")


def test_unbalanced_quote_closed_by_a_later_quoted_cell(tmp_path: Path) -> None:
    stray = ROWS[0].replace("Jane Doe", '"Jane Doe')
    quoted = ROWS[3].replace("Chris Park", '"Park, Chris"')
    outcomes = _outcomes(tmp_path, HEADER + stray + ROWS[1] + ROWS[2] + quoted)
    assert _ids(outcomes) == ["E1002", "E1003", "E1004"]
    assert [line for line, _ in _quarantined(outcomes)] == [2]


def test_a_quoted_cell_over_several_lines_is_still_one_row(tmp_path: Path) -> None:
    header = HEADER.rstrip("\n") + ",home_address\n"
    row = (
        ROWS[0].rstrip("\n")
        + ',"88 Poplar Ave\nApt 2, Unit 4, Block 5, a, b, c, d\nColumbus, OH"\n'
    )
    outcomes = _outcomes(tmp_path, header + row + ROWS[1].rstrip("\n") + ",\n")
    assert _ids(outcomes) == ["E1001", "E1002"] and not _quarantined(outcomes)


def test_a_row_with_too_few_cells_is_no_worker(tmp_path: Path) -> None:
    outcomes = _outcomes(tmp_path, HEADER + ROWS[0] + "E1010,Jane Roe\n" + ROWS[2])
    assert _ids(outcomes) == ["E1001", "E1003"]
    [(line, reason)] = _quarantined(outcomes)
    assert line == 3 and "row has 2 cells but the header has 8" in reason


def test_a_worker_needs_an_account_identifier(tmp_path: Path) -> None:
    nameless = ROWS[1].replace("bob.smith@example.com", "")
    outcomes = _outcomes(tmp_path, HEADER + ROWS[0] + nameless)
    assert _ids(outcomes) == ["E1001"]
    [(_, reason)] = _quarantined(outcomes)
    assert "row has none of email" in reason


def test_a_duplicated_header_is_an_error_naming_it(tmp_path: Path) -> None:
    header = "employee_id,full_name,email,department,title,email\n"
    rows = "".join(f"E100{i},Name {i},,Data,Analyst,n{i}@example.com\n" for i in range(3))
    sample = tmp_path / "roster.csv"
    sample.write_text(header + rows)
    with Workspace(tmp_path / "ws", create=True) as ws:
        [result] = ingest_paths(ws, [str(sample)], IngestOptions(workers=1))
    assert result.status == "error"
    assert "'email' more than once" in result.message
