"""Search and query API responses are read as the events they wrap.

The samples (see ``make_samples.py``) hold events of the Windows and Entra golden
samples inside an Elasticsearch search response, a scroll export and the Log Analytics
query API's tables: each must give exactly the rows of the unwrapped events.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from farmhunt.sources import json_split
from farmhunt.sources.json_split import split_document
from farmhunt.sources.pages import items_prefix, row_record, unwrap
from tests.golden import parse_sample

HERE = Path(__file__).parent
SAMPLES = HERE / "wrapped"
WINDOWS = HERE.parent / "windows" / "samples"
ENTRA = HERE.parent / "entra" / "samples"


def _rows(outcomes: list[dict[str, Any]]) -> list[Any]:
    """The outcomes without where they were read from (file, record number, format, and
    the record's uid, made from those), the raw record compared as JSON, not text."""
    out = []
    for outcome in outcomes:
        if "row" in outcome:
            row = {
                k: v
                for k, v in outcome["row"].items()
                if not k.startswith("raw_source.") and k != "metadata.uid"
            }
            if isinstance(row.get("raw_data"), str):
                row["raw_data"] = json.loads(row["raw_data"])
            out.append((outcome["table"], row))
        else:
            out.append(("quarantine", outcome["quarantine"]["reason"]))
    return out


@pytest.mark.parametrize("block", [7, 1 << 20])
def test_an_elasticsearch_search_response_gives_its_hits_documents(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_split, "BLOCK", block)
    expected = _rows(parse_sample(WINDOWS / "winlogbeat.ndjson", "winlogbeat"))
    assert len(expected) >= 15
    assert _rows(parse_sample(SAMPLES / "es_search.json", "winlogbeat")) == expected


def test_a_scroll_export_of_several_responses_a_line_gives_every_hit() -> None:
    expected = _rows(parse_sample(WINDOWS / "winlogbeat.ndjson", "winlogbeat"))
    assert _rows(parse_sample(SAMPLES / "es_scroll.ndjson", "winlogbeat")) == expected


@pytest.mark.parametrize("block", [5, 1 << 20])
def test_log_analytics_rows_reach_the_windows_parser_and_a_cut_row_is_quarantined(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_split, "BLOCK", block)
    expected = _rows(parse_sample(WINDOWS / "azure_monitor.json", "azure-windows"))
    got = _rows(parse_sample(SAMPLES / "la_securityevent.json", "azure-windows"))
    assert got[:-1] == expected
    assert got[-1][0] == "quarantine" and "values for" in got[-1][1]


def test_log_analytics_signin_rows_with_dynamic_columns_reach_the_entra_parser() -> None:
    expected = _rows(parse_sample(ENTRA / "log-analytics-signinlogs.json"))
    assert any(table != "quarantine" for table, _ in expected)
    assert _rows(parse_sample(SAMPLES / "la_signinlogs.json")) == expected


def test_log_analytics_response_on_one_line_is_unwrapped_too() -> None:
    page = json.loads((SAMPLES / "la_signinlogs.json").read_text())
    original = json.loads((ENTRA / "log-analytics-signinlogs.json").read_text())
    strip = [{k: v for k, v in r.items() if v is not None} for r in original]
    assert unwrap(page) == strip
    page["statistics"] = {"query": {"executionTime": 0.12}}  # asked for with the query
    assert unwrap(page) == strip


def test_an_event_with_hits_or_tables_fields_is_not_taken_for_a_wrapper() -> None:
    event = {"user": "a", "hits": {"hits": [{"x": 1}]}}
    assert unwrap(event) is None
    assert items_prefix(json.dumps(event, indent=1).encode()) == ""
    assert unwrap({"tables": [{"rows": [[1]]}], "user": "a"}) is None


def test_rows_are_streamed_one_at_a_time_with_their_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(json_split, "BLOCK", 3)
    doc = {
        "tables": [
            {"name": "T", "columns": [{"name": "a", "type": "string"}], "rows": [["x"], ["]"]]},
            {"name": "U", "rows": [[1]]},
        ]
    }
    data = json.dumps(doc, indent=1).encode()
    prefix = items_prefix(data)
    pieces = list(split_document(io.BytesIO(data), prefix, 1 << 20))
    records = [row_record(p.table[0] if p.table else None, json.loads(p.data)) for p in pieces]
    assert records[:2] == [{"a": "x"}, {"a": "]"}]
    assert "column names" in getattr(records[2], "reason", "")


@pytest.mark.parametrize("name", ["la_signinlogs.json", "es_search.json"])
def test_a_one_line_response_larger_than_a_record_is_streamed_record_by_record(
    tmp_path: Path, name: str
) -> None:
    """The query API writes its response on one line: read as one NDJSON record, a big
    response was quarantined whole as larger than the record limit."""
    compact = json.dumps(json.loads((SAMPLES / name).read_text()))
    path = tmp_path / name
    path.write_text(compact)
    expected = _rows(parse_sample(SAMPLES / name))
    limit = len(compact) // 3
    assert _rows(parse_sample(path, max_record_bytes=limit)) == expected


@pytest.mark.parametrize("seed", range(3))
def test_hits_and_rows_are_cut_exactly_for_any_block_size(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tricky strings (brackets, quotes, the wrapper's own key names) inside records and
    beside the lists do not move where a hit or a row begins and ends."""
    rng = random.Random(seed)
    tricky = ["]", "}", '"hits": [', '"rows": [[', "\\", "tables", None, 1.5, -(2**63)]
    for _ in range(60):
        monkeypatch.setattr(json_split, "BLOCK", rng.randint(1, 30))
        docs = [{"k": rng.choice(tricky), "hits": rng.choice(tricky)} for _ in range(3)]
        response = {
            "took": 3,
            "_shards": {"note": rng.choice(tricky)},
            "hits": {
                "total": {"value": 3},
                "rows": [[1]],
                "hits": [{"_id": "1", "_source": d} for d in docs],
            },
        }
        data = json.dumps(response, indent=rng.choice([None, 1])).encode()
        prefix = items_prefix(data)
        pieces = list(split_document(io.BytesIO(data), prefix, 1 << 20))
        assert [json.loads(p.data)["_source"] for p in pieces] == docs
        rows = [[rng.choice(tricky), rng.choice(tricky)] for _ in range(3)]
        table = {
            "name": rng.choice(tricky),
            "columns": [{"name": "a"}, {"name": "b"}],
            "rows": rows,
        }
        data = json.dumps({"tables": [table, table]}, indent=rng.choice([None, 1])).encode()
        pieces = list(split_document(io.BytesIO(data), items_prefix(data), 1 << 20))
        got = [row_record(p.table[0] if p.table else None, json.loads(p.data)) for p in pieces]
        expected = [{k: v for k, v in zip("ab", r, strict=True) if v is not None} for r in rows]
        assert got == expected * 2
