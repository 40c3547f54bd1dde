"""Without an HR roster every report ranks the accounts and hosts findings name.

The table views ranked them ("Unresolved subjects") but the JSON, HTML and CSV reports
had an empty worker ranking and a flat list of unattributed findings: a first trial on
a team's own logs, before the roster, showed nothing ranked. They are labelled as
subjects, not people, and keep the HTML escaping and the CSV neutralising.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from farmhunt import pipeline
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.report import build_report, json_schema, render
from farmhunt.store import Workspace
from tests.report.conftest import HYPERLINK_HOST, NOW, XSS_HOST, write_hostile


@pytest.fixture(scope="module")
def no_roster(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("no-roster")
    with Workspace(root / "ws", create=True) as ws:
        ingest_paths(ws, [str(write_hostile(root))])
        pipeline.analyse(ws)
        return build_report(ws, now=NOW)


def test_json_ranks_the_subjects_when_no_worker_is_known(no_roster: dict[str, Any]) -> None:
    doc = json.loads(render(no_roster, "json"))
    jsonschema.Draft202012Validator(json_schema()).validate(doc)
    assert doc["workers"] == [] and doc["unattributed"]
    subjects = doc["unresolved_subjects"]
    assert subjects and doc["summary"]["unresolved_subjects"] == len(subjects)
    assert [s["rank"] for s in subjects] == list(range(1, len(subjects) + 1))
    scores = [s["score"] for s in subjects]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert XSS_HOST in {s["subject"] for s in subjects}  # kept exactly as logged
    finding_ids = {f["finding_id"] for f in doc["unattributed"]}
    for subject in subjects:
        assert subject["findings"] == len(subject["finding_ids"]) >= 1
        assert set(subject["finding_ids"]) <= finding_ids


def test_html_shows_them_labelled_not_people_and_escaped(no_roster: dict[str, Any]) -> None:
    page = render(no_roster, "html")
    section = page[page.index('<section id="subjects">') :]
    section = section[: section.index("</section>")]
    assert "Unresolved subjects ranked by risk" in section and "Not people" in section
    assert "&lt;img src=x onerror=alert(1)&gt;" in section
    assert "<img src=x" not in page
    assert "import the HR roster to rank people" in page


def test_csv_gives_each_unattributed_finding_its_subject_s_rank(no_roster: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(render(no_roster, "csv"), newline="")))
    ranks = [int(r["unresolved_subject_rank"]) for r in rows]
    assert ranks == sorted(ranks) and ranks[0] == 1
    by_rank = {s["rank"]: s for s in no_roster["unresolved_subjects"]}
    for row in rows:
        subject = by_rank[int(row["unresolved_subject_rank"])]
        assert row["finding_id"] in subject["finding_ids"]
        assert row["unresolved_subject_level"] == subject["level"]
    assert "'" + HYPERLINK_HOST in {r["subject"] for r in rows}  # still neutralised


def test_a_report_without_unresolved_subjects_has_no_section(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws", create=True) as ws:
        doc = build_report(ws, now=NOW)
    assert doc["unresolved_subjects"] == [] and doc["summary"]["unresolved_subjects"] == 0
    assert 'id="subjects"' not in render(doc, "html")
