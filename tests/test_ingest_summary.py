"""The ``ingest``/``scan`` summary counts each file and each record once, by its fate.

"Ingested N events from 5 files" counted a README, a copy imported before and a file
that failed among the files read; the summary table's "events rejected" were quarantine
rows; NUL padding skipped and a live log's unfinished line were told only on one
file's line. These tests read the printed text, as a user does.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.cli.pipeline_view import ingested_line
from farmhunt.ingest.accounting import Tally
from farmhunt.ingest.model import FileResult
from farmhunt.ingest.pipeline import WORKSPACE_SKIPPED
from tests.ingest.helpers import ndjson, ocsf_event

runner = CliRunner()


def _folder(tmp_path: Path) -> Path:
    logs = tmp_path / "logs"
    logs.mkdir()
    events = ndjson([ocsf_event(i) for i in range(3)]).encode()
    (logs / "a.jsonl").write_bytes(events)
    (logs / "b-copy.jsonl").write_bytes(events)  # the same content: already imported
    # copytruncate padding, then a live log's last line still being written
    live = ndjson([ocsf_event(10)]).encode() + b"\x00" * 4096 + ndjson([ocsf_event(11)]).encode()
    (logs / "c-live.jsonl").write_bytes(live + json.dumps(ocsf_event(12)).encode()[:40])
    (logs / "README.md").write_text("# exported logs\n")
    (logs / "d-unknown.json").write_text('{"x": 1}\n')
    bad = ocsf_event(20)
    bad["time"] = "0001-01-01T00:00:00Z"
    (logs / "e-placeholder.jsonl").write_text(json.dumps(bad) + "\n")
    return logs


def test_ingest_says_imported_skipped_and_failed_files_and_every_record(tmp_path: Path) -> None:
    logs = _folder(tmp_path)
    ws = tmp_path / "ws"
    first = runner.invoke(app, ["ingest", str(logs), "-w", str(ws)])
    assert first.exit_code == 1, first.output  # the unknown JSON is an error
    out = " ".join(first.output.split())
    assert "6 files: 3 imported, 2 skipped (1 already imported, 1 not a log), 1 failed." in out
    assert "6 records read: 5 stored (5 rows), 1 quarantined (" in out
    assert "Passed over: 4,096 NUL bytes skipped; 1 unfinished last line" in out
    row = next(line for line in first.output.splitlines() if line.startswith("│ ocsf"))
    # source, files, imported, skipped, failed, read, stored, quarantined, rows
    assert re.findall(r"[\d,]+", row) == ["4", "3", "1", "0", "6", "5", "1", "5"]


def test_a_workspace_inside_the_folder_is_a_skipped_file(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.jsonl").write_text(ndjson([ocsf_event(1)]))
    ws = logs / "ws"
    assert runner.invoke(app, ["ingest", str(logs / "a.jsonl"), "-w", str(ws)]).exit_code == 0
    again = runner.invoke(app, ["ingest", str(logs), "-w", str(tmp_path / "other")])
    out = " ".join(again.output.split())
    assert "2 files: 1 imported, 1 skipped (1 farmhunt workspace)." in out, out


def test_the_scan_line_counts_only_imported_files_and_names_the_rest() -> None:
    logs = FileResult(
        "a.jsonl",
        "ocsf",
        "imported",
        stored=5,
        rejected=2,
        tables=Counter(process_activity=5),
        tally=Tally(read=6, stored=5, quarantined=1),
    )
    copy = FileResult("b.jsonl", "ocsf", "skipped", message="already imported (import #1)")
    readme = FileResult("README.md", None, "skipped", message="not a log: documentation")
    store = FileResult("ws", "farmhunt workspace", "skipped", message=WORKSPACE_SKIPPED)
    failed = FileResult("x.json", None, "error", message="JSON records of no known source")
    assert ingested_line([logs, copy, readme, store, failed]) == (
        "Ingested 5 events from 1 file (1 record quarantined); "
        "3 skipped (1 already imported, 1 not a log, 1 farmhunt workspace); 1 failed"
    )


def test_scan_prints_the_same_summary(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.jsonl").write_text(ndjson([ocsf_event(1), ocsf_event(2)]))
    (logs / "LICENSE").write_text("MIT License\n\nPermission is hereby granted\n")
    scan = runner.invoke(app, ["scan", str(logs), "-w", str(tmp_path / "ws")])
    assert scan.exit_code == 0, scan.output
    out = " ".join(scan.output.split())
    assert "2 files: 1 imported, 1 skipped (1 not a log)." in out
    assert "2 records read: 2 stored (2 rows), 0 quarantined (" in out
