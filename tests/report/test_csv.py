"""CSV: one row per worker and finding, and nothing a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from farmhunt.report import render
from farmhunt.report.csv_report import COLUMNS, FORMULA_STARTS, formula_like, neutralize
from farmhunt.report.values import CONTROL, visible
from tests.report.conftest import CONTROL_HOST, HYPERLINK_HOST, SUM_HOST, XSS_HOST


@pytest.mark.parametrize(
    "value",
    [
        HYPERLINK_HOST,
        SUM_HOST,
        "=cmd|' /C calc'!A0",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "\t=1+1",
        "\r=1+1",
        " =1+1",
        "  @SUM(1)",
        "\n=1",
        "\u00a0=1+1",
        "\x00=1",
        "\u200b=1",
        " \x1b\u3000+1",
        "＝1+1",
        "＋1",
        "－1",
        "＠SUM(1)",
        ' ＝HYPERLINK("http://x")',
    ],
)
def test_formula_like_text_is_prefixed_with_a_quote(value: str) -> None:
    assert neutralize(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["NWL-LT-10001", "a=b", "x@y.com", "", "   ", " a=1", "\u00a0", 3, -2.5, None]
)
def test_other_values_are_left_alone(value: Any) -> None:
    assert neutralize(value) == value


def _rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(render(doc, "csv"), newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_one_row_per_worker_and_finding(doc: dict[str, Any]) -> None:
    rows = _rows(doc)
    expected = sum(max(len(w["findings"]), 1) for w in doc["workers"]) + len(doc["unattributed"])
    assert len(rows) == expected
    first = doc["workers"][0]
    mine = [r for r in rows if r["worker_id"] == first["worker_id"]]
    assert len(mine) == max(len(first["findings"]), 1)
    assert {r["full_name"] for r in mine} == {first["full_name"]}
    assert {r["finding_id"] for r in mine} == {f["finding_id"] for f in first["findings"]}
    assert float(mine[0]["score"]) == first["score"]


def test_no_cell_starts_a_formula_and_hostile_hosts_read_as_text(doc: dict[str, Any]) -> None:
    rows = _rows(doc)
    for row in rows:
        for column, cell in row.items():
            if column in ("score", "weight", "points", "rank", "event_count"):
                continue
            assert not cell.startswith(FORMULA_STARTS), (column, cell)
            assert not formula_like(cell), (column, cell)
    subjects = {r["subject"] for r in rows if not r["worker_id"]}
    assert {"'" + HYPERLINK_HOST, "'" + SUM_HOST, XSS_HOST} <= subjects
    devices = {r["device"] for r in rows if not r["worker_id"]}
    assert "'" + HYPERLINK_HOST in devices


def test_every_cell_is_quoted(doc: dict[str, Any]) -> None:
    header, first = render(doc, "csv").split("\r\n")[:2]
    assert header.startswith('"rank","worker_id"') and first.startswith('"')


def test_control_characters_are_written_as_escapes(doc: dict[str, Any]) -> None:
    """Printed to a terminal, a raw ESC in a host name would clear the screen or plant an
    OSC-8 hyperlink; the CSV writes it as ``\\x1b``, as the other outputs do."""
    text = render(doc, "csv")
    assert not CONTROL.search(text)
    subjects = {r["subject"] for r in _rows(doc) if not r["worker_id"]}
    assert visible(CONTROL_HOST) in subjects and "\\x1b[2J" in visible(CONTROL_HOST)
    hyperlink = {"workers": [], "unattributed": [{"subject": "\x1b]8;;http://x\x07a\x1b]8;;\x07"}]}
    assert "\x1b" not in render(hyperlink, "csv") and "\x07" not in render(hyperlink, "csv")


@pytest.mark.parametrize("fmt", ["html", "json", "csv", "ocsf", "stix"])
def test_no_format_writes_raw_escape_or_bell(doc: dict[str, Any], fmt: str) -> None:
    """Any report may be printed to a terminal (no ``-o``): none carries a raw ESC or BEL
    from a log value."""
    body = render(doc, fmt)
    assert "\x1b" not in body and "\x07" not in body
