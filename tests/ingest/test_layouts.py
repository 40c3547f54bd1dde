"""The same events arrive in every wrapper users export them in, and all are read alike."""

from __future__ import annotations

import bz2
import codecs
import gzip
import json
from pathlib import Path

import pytest

from tests.ingest.helpers import ingest, ndjson, ocsf_event, pids

EVENTS = [ocsf_event(i) for i in range(5)]
EXPECTED = [1000 + i for i in range(5)]


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


LAYOUTS = {
    "ndjson": lambda: ndjson(EVENTS),
    "array": lambda: json.dumps(EVENTS),
    "pretty-array": lambda: json.dumps(EVENTS, indent=2),
    "graph-page": lambda: json.dumps({"@odata.context": "x", "value": EVENTS, "nextLink": None}),
    "items-page": lambda: json.dumps({"kind": "k", "items": EVENTS, "nextPageToken": "t"}),
    "records-envelope": lambda: json.dumps({"records": EVENTS}),
    "records-per-line": lambda: ndjson([{"records": EVENTS[:2]}, {"records": EVENTS[2:]}]),
    "concatenated-pretty": lambda: "\n".join(json.dumps(e, indent=2) for e in EVENTS),
    "crlf-ndjson": lambda: ndjson(EVENTS).replace("\n", "\r\n"),
    "utf8-bom": lambda: codecs.BOM_UTF8 + ndjson(EVENTS).encode(),
    "utf16-bom-array": lambda: codecs.BOM_UTF16_LE + json.dumps(EVENTS).encode("utf-16-le"),
    "utf16-bom-ndjson": lambda: codecs.BOM_UTF16_LE + ndjson(EVENTS).encode("utf-16-le"),
    "gzip": lambda: gzip.compress(ndjson(EVENTS).encode()),
    "bzip2-array": lambda: bz2.compress(json.dumps(EVENTS).encode()),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_stores_the_same_events(tmp_path: Path, layout: str) -> None:
    sample = _write(tmp_path / "export.dat", LAYOUTS[layout]())
    [result] = ingest(tmp_path / "ws", sample)
    assert (result.status, result.format, result.rejected) == ("imported", "ocsf", 0)
    assert pids(tmp_path / "ws") == EXPECTED


def test_a_directory_is_walked_and_hidden_files_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "logs" / "nested"
    folder.mkdir(parents=True)
    _write(folder / "a.json", ndjson(EVENTS[:2]))
    _write(folder / "b.json.gz", gzip.compress(ndjson(EVENTS[2:]).encode()))
    _write(folder / ".hidden.json", ndjson([ocsf_event(99)]))
    results = ingest(tmp_path / "ws", tmp_path / "logs")
    assert [Path(r.path).name for r in results] == ["a.json", "b.json.gz"]
    assert pids(tmp_path / "ws") == EXPECTED
