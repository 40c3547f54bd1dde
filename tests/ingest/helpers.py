"""Small builders for framework tests: OCSF passthrough events are the vehicle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from farmhunt.ingest.model import FileResult, IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.store import Workspace

BASE_MS = 1_763_776_800_000


def ocsf_event(i: int, host: str = "WS-0001") -> dict[str, Any]:
    return {
        "class_uid": 1007,
        "activity_id": 1,
        "time": BASE_MS + i * 1000,
        "metadata": {"version": "1.8.0", "product": {"name": "EDR", "vendor_name": "Acme"}},
        "device": {"hostname": host},
        "process": {"pid": 1000 + i, "name": f"proc{i}.exe"},
    }


def ndjson(events: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def ingest(ws_dir: Path, *paths: Path, **options: Any) -> list[FileResult]:
    """Ingest, and check that every record read by every file has one fate (the
    accounting invariant holds for every bad input these tests build)."""
    with Workspace(ws_dir, create=True) as ws:
        results = ingest_paths(ws, [str(p) for p in paths], IngestOptions(**options))
    for result in results:
        if result.status != "error":
            assert result.tally.balanced(), (result.path, result.tally)
    return results


def query(ws_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    with Workspace(ws_dir) as ws:
        return ws.connect().execute(sql).fetchall()


def pids(ws_dir: Path) -> list[int]:
    return [r[0] for r in query(ws_dir, 'SELECT "process.pid" FROM process_activity ORDER BY 1')]
