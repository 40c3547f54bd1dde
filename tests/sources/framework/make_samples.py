"""Writes the export-wrapper samples of ``wrapped/`` from the parser samples they wrap.

(Not ``samples/``: a test checks that no parser claims another source's samples, and
these hold Windows events.)

Each sample holds events already used by a parser's golden test, in the wrapper a
console or API returns them in, so a test can check that the wrapper changes nothing:

- ``es_search.json``: an Elasticsearch/OpenSearch ``_search`` response (``took``,
  ``timed_out``, ``_shards``, ``hits.total``, ``hits.hits[]`` of ``_index``/``_id``/
  ``_score``/``_source``), as documented in the Elasticsearch REST API reference
  ("Search API", response body), pretty-printed as Kibana Dev Tools shows it.
- ``es_scroll.ndjson``: a scroll export, one such response (with ``_scroll_id``) a line.
- ``la_securityevent.json`` / ``la_signinlogs.json``: the Azure Monitor Log Analytics
  Query API response (``tables[].name/columns[{name,type}]/rows[[...]]``, learn.microsoft.com,
  "Log Analytics Query - Get", response ``QueryResults``), where ``dynamic`` columns hold
  JSON text; the last SecurityEvent row is cut short (one value missing), as a broken
  export leaves it.

Run from this directory: ``python make_samples.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
WINDOWS = HERE.parent / "windows" / "samples"
ENTRA = HERE.parent / "entra" / "samples"


def _hits(docs: list[dict[str, Any]], start: int) -> list[dict[str, Any]]:
    return [
        {
            "_index": ".ds-winlogbeat-8.13.2-2024.05.02-000001",
            "_id": f"doc{start + i}",
            "_score": None,
            "_source": doc,
            "sort": [start + i],
        }
        for i, doc in enumerate(docs)
    ]


def _response(docs: list[dict[str, Any]], start: int, scroll: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if scroll:
        out["_scroll_id"] = "FGluY2x1ZGVfY29udGV4dF91dWlkDXF1ZXJ5QW5kRmV0Y2gBFkR3"
    out.update(
        took=12,
        timed_out=False,
        _shards={"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        hits={
            "total": {"value": 15, "relation": "eq"},
            "max_score": None,
            "hits": _hits(docs, start),
        },
    )
    return out


def _kind(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (dict, list)) for v in present):
        return "dynamic"
    if present and all(isinstance(v, bool) for v in present):
        return "bool"
    if present and all(isinstance(v, int) for v in present):
        return "long"
    if present and all(isinstance(v, (int, float)) for v in present):
        return "real"
    return "string"


def _table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    names = list(dict.fromkeys(k for row in rows for k in row))
    kinds = {n: _kind([row.get(n) for row in rows]) for n in names}
    cells = [
        [json.dumps(row[n]) if kinds[n] == "dynamic" and n in row else row.get(n) for n in names]
        for row in rows
    ]
    return {
        "name": "PrimaryResult",
        "columns": [{"name": n, "type": kinds[n]} for n in names],
        "rows": cells,
    }


def main() -> None:
    docs = [
        json.loads(line)
        for line in (WINDOWS / "winlogbeat.ndjson").read_text().splitlines()
        if line.strip()
    ]
    (HERE / "wrapped" / "es_search.json").write_text(
        json.dumps(_response(docs, 0, False), indent=2) + "\n"
    )
    lines = [_response(docs[:8], 0, True), _response(docs[8:], 8, True)]
    (HERE / "wrapped" / "es_scroll.ndjson").write_text("".join(json.dumps(r) + "\n" for r in lines))
    security = _table(json.loads((WINDOWS / "azure_monitor.json").read_text()))
    security["rows"].append(security["rows"][0][:-1])
    (HERE / "wrapped" / "la_securityevent.json").write_text(
        json.dumps({"tables": [security]}, indent=2) + "\n"
    )
    signins = _table(json.loads((ENTRA / "log-analytics-signinlogs.json").read_text()))
    (HERE / "wrapped" / "la_signinlogs.json").write_text(json.dumps({"tables": [signins]}) + "\n")


if __name__ == "__main__":
    main()
