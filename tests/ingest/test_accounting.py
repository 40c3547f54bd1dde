"""Every record read is stored, quarantined, empty by design or already imported.

The invariant ``read == stored + quarantined + empty + skipped`` is checked over every
golden sample of every source (and, through ``tests.ingest.helpers.ingest``, over every
bad-input and fuzz case of this package). Where the input can be counted without
farmhunt's framing (JSON documents and lines, Zeek TSV), ``read`` must equal that count
too: a framing that stops early loses records no tally can see.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from farmhunt.ingest.accounting import Tally
from farmhunt.ingest.model import FileResult
from farmhunt.sources.framing import open_decompressed, unwrap
from tests.ingest.helpers import ingest, ndjson, ocsf_event

SOURCES = Path(__file__).parent.parent / "sources"
SAMPLES = sorted(p for p in SOURCES.glob("*/samples/*") if p.is_file())


def _items(value: Any) -> int:
    inner = unwrap(value)
    return 1 if inner is None else len(inner)


def independent_count(path: Path) -> int | None:
    """Records in a text sample counted with the standard library, or None when the
    format (EVTX, CSV) or a damaged sample has no such count."""
    with open_decompressed(str(path)) as binary:
        data = binary.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    stripped = text.lstrip()
    if stripped.startswith("#separator"):  # Zeek TSV: every line not a directive
        return sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    if path.suffix in (".csv", ".tsv") or stripped[:1] not in ("{", "["):
        return None
    decoder, at, values = json.JSONDecoder(), 0, []
    while True:  # one or more top-level values: a document, NDJSON or concatenated
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            break
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            return None  # damaged on purpose: its quarantine is checked by the tally
        values.append(value)
    if len(values) == 1 and isinstance(values[0], list):  # a JSON array
        return len(values[0])
    if len(values) == 1 and "\n" in text.strip():  # a document: a page, or one record
        return _items(values[0])
    return len(values)  # NDJSON or concatenated values: a page line is one record


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_record_of_every_sample_is_accounted_for(sample: Path, tmp_path: Path) -> None:
    [result] = ingest(tmp_path / "ws", sample, workers=1)
    assert result.status == "imported", result.message
    tally = result.tally
    assert tally.balanced(), tally
    assert tally.read > 0
    expected = independent_count(sample)
    if expected is not None:
        assert tally.read == expected, f"framing read {tally.read} of {expected} records"


def test_a_record_making_several_rows_counts_once(tmp_path: Path) -> None:
    page = {"value": [ocsf_event(0), ocsf_event(1)]}  # one line, one record, two rows
    sample = tmp_path / "x.jsonl"
    sample.write_text(json.dumps(page) + "\n" + ndjson([ocsf_event(2)]))
    [result] = ingest(tmp_path / "ws", sample)
    assert result.stored == 3 and result.tally == Tally(read=2, stored=2)


def test_a_row_that_does_not_fit_makes_its_record_quarantined(tmp_path: Path) -> None:
    bad = ocsf_event(1)
    bad["status_id"] = 2**40  # int32 column
    sample = tmp_path / "x.jsonl"
    sample.write_text(ndjson([ocsf_event(0), bad, ocsf_event(2)]))
    [result] = ingest(tmp_path / "ws", sample)
    assert result.tally == Tally(read=3, stored=2, quarantined=1)


def test_records_of_an_earlier_import_count_as_already_imported(tmp_path: Path) -> None:
    sample = tmp_path / "x.jsonl"
    sample.write_text(ndjson([ocsf_event(0), ocsf_event(1)]))
    ingest(tmp_path / "ws", sample)
    sample.write_text(ndjson([ocsf_event(i) for i in range(4)]))
    [result] = ingest(tmp_path / "ws", sample)
    assert result.status == "appended"
    assert result.tally.stored == 2 and result.tally.balanced()
    assert result.tally.read == result.tally.skipped + 2


def test_empty_osquery_snapshot_is_counted_as_nothing_to_store(tmp_path: Path) -> None:
    sample = SOURCES / "osquery" / "samples" / "osqueryd.snapshots.log"
    [result] = ingest(tmp_path / "ws", sample)
    assert result.tally.empty == 1 and result.tally.balanced()


def test_the_ingest_line_shows_read_stored_and_quarantined(tmp_path: Path) -> None:
    from farmhunt.cli.ingest_view import accounting

    result = FileResult("x", "ocsf", "imported", stored=5, rejected=1)
    result.tally = Tally(read=4, stored=3, quarantined=1)
    assert accounting(result) == "4 records read, 3 stored (5 events), 1 quarantined"


def test_a_framing_that_stops_early_is_caught(tmp_path: Path) -> None:
    """NXLog writes ``Keywords`` as a signed 64-bit integer: one such value in a JSON
    array ended the framing, and the records after it vanished without a count."""
    lines = (SOURCES / "windows" / "samples" / "nxlog.json").read_text().splitlines()
    records = [json.loads(lines[i % len(lines)]) for i in range(12)]
    records[4]["Keywords"] = -9223372036854775808
    sample = tmp_path / "nxlog-array.json"
    sample.write_text(json.dumps(records, indent=1))
    [result] = ingest(tmp_path / "ws", sample, workers=1)
    assert independent_count(sample) == 12
    assert result.tally.read == 12


def test_a_roster_read_through_a_column_map_is_accounted_for(tmp_path: Path) -> None:
    from farmhunt.sources.hr.mapping import load_column_map
    from farmhunt.sources.hr.parser import COLUMN_MAP_OPTION

    mapped = SOURCES / "hr" / "mapped"
    options = {COLUMN_MAP_OPTION: load_column_map(str(mapped / "hris-custom.yaml"))}
    [result] = ingest(tmp_path / "ws", mapped / "hris-custom.csv", parser_options=options)
    assert result.status == "imported" and result.tally.read > 0
    assert result.tally.balanced(), result.tally
