"""Idempotence keys on the content and on how it was read (format, column map).

A file forced through the wrong parser must stay importable with the right one; the
same content read the same way is still skipped.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from farmhunt.sources.hr.mapping import load_column_map
from farmhunt.sources.hr.parser import COLUMN_MAP_OPTION
from farmhunt.store.manifest import Manifest
from tests.ingest.helpers import ingest, query

TESTS = Path(__file__).resolve().parent.parent
OKTA = TESTS / "sources" / "okta" / "samples" / "laptop-farm-and-foreign.ndjson"
MAPPED = TESTS / "sources" / "hr" / "mapped"


def _events(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def test_file_imported_with_the_wrong_format_can_be_imported_with_the_right_one(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    [wrong] = ingest(ws, OKTA, format="zeek-tsv")
    assert (wrong.status, wrong.stored) == ("imported", 0) and wrong.rejected > 0
    [right] = ingest(ws, OKTA, format="okta")
    assert right.status == "imported", right.message
    assert right.stored == _events(OKTA)
    [again] = ingest(ws, OKTA, format="okta")
    assert again.status == "skipped" and f"import #{right.import_id}" in again.message
    [sniffed] = ingest(ws, OKTA)  # detection picks okta too: the same way of reading
    assert sniffed.status == "skipped"
    [wrong_again] = ingest(ws, OKTA, format="zeek-tsv")
    assert wrong_again.status == "skipped" and wrong_again.import_id == wrong.import_id
    for table, rows in right.tables.items():
        sql = f"SELECT count(*) FROM {table} WHERE \"raw_source.format\" = 'okta'"
        assert query(ws, sql) == [(rows,)], "each okta event is stored once"


def test_same_roster_with_another_column_map_is_a_new_import(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    roster = MAPPED / "hris-custom.csv"
    mapping = load_column_map(str(MAPPED / "hris-custom.yaml"))
    [plain] = ingest(ws, roster, format="hr_roster")
    assert plain.status == "error"  # its headers need the map
    [mapped] = ingest(ws, roster, format="hr_roster", parser_options={COLUMN_MAP_OPTION: mapping})
    assert mapped.status == "imported", "a new import, not a resume of the failed one"
    assert mapped.stored > 0 and mapped.import_id != plain.import_id
    [same] = ingest(ws, roster, format="hr_roster", parser_options={COLUMN_MAP_OPTION: mapping})
    assert same.status == "skipped" and same.import_id == mapped.import_id

    edited = tmp_path / "edited.yaml"
    edited.write_text((MAPPED / "hris-custom.yaml").read_text().replace("DMY", "MDY"))
    changed = load_column_map(str(edited))
    [other] = ingest(ws, roster, format="hr_roster", parser_options={COLUMN_MAP_OPTION: changed})
    assert other.status == "imported" and other.import_id not in (plain.import_id, mapped.import_id)


def test_a_column_map_does_not_make_other_sources_new_imports(tmp_path: Path) -> None:
    """A column map is for the HR exports of a folder; the logs beside them read the
    same with or without it, so importing them again without it stores nothing."""
    ws = tmp_path / "ws"
    mapping = load_column_map(str(MAPPED / "hris-custom.yaml"))
    [first] = ingest(ws, OKTA, parser_options={COLUMN_MAP_OPTION: mapping})
    assert first.status == "imported" and first.stored == _events(OKTA)
    stored = query(ws, "SELECT count(*) FROM authentication")
    [again] = ingest(ws, OKTA)
    assert again.status == "skipped" and again.import_id == first.import_id
    assert query(ws, "SELECT count(*) FROM authentication") == stored


def test_an_appended_log_continues_the_import_read_the_same_way(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    log = tmp_path / "okta.ndjson"
    lines = OKTA.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:2]))
    [first] = ingest(ws, log, format="okta")
    assert first.stored == 2
    log.write_text("".join(lines))
    [appended] = ingest(ws, log, format="okta")
    assert appended.status == "appended" and appended.stored == _events(OKTA) - 2


def test_manifest_of_an_earlier_version_gains_the_key_and_keeps_its_imports(
    tmp_path: Path,
) -> None:
    path = tmp_path / "manifest.sqlite"
    first = Manifest(path)
    done = first.start_import(
        path="a.jsonl",
        fmt="okta",
        content_sha256="c" * 64,
        head_sha256="h" * 64,
        size=10,
        line_oriented=True,
        resumed_from=None,
        start_record=0,
    )
    first.finish(done, "complete")
    first.close()
    with sqlite3.connect(path) as db:  # as an earlier farmhunt left it
        db.execute("ALTER TABLE imports DROP COLUMN parse_key")
    reopened = Manifest(path)
    found = reopened.completed_with_content("c" * 64, "okta")
    assert found is not None and found.id == done
    assert reopened.completed_with_content("c" * 64, "okta", {"column_map": "x"}) is None
    assert reopened.completed_with_content("c" * 64, "zeek-tsv") is None
    reopened.close()
