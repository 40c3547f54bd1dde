"""One small simulated company, scanned end to end, with hostile values planted in its logs.

The simulator writes a company with two laptop farms; an OCSF passthrough file adds
process events whose host and process names are attacks on the report's media: HTML
markup, script-closing text, spreadsheet formulas. They run a remote-access tool, so the
detection rules turn them into findings (on hosts no worker owns: unattributed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from farmhunt import pipeline
from farmhunt.ingest.model import IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.report import build_report
from farmhunt.settings import load_settings
from farmhunt.simulate.config import INTENSITIES, SimConfig
from farmhunt.simulate.run import TELEMETRY, simulate
from farmhunt.store import Workspace

CONFIG = SimConfig(
    workers=12, days=2, seed=11, farms=2, farm_size=(3, 3), intensity=INTENSITIES["blatant"]
)
NOW = datetime(2025, 11, 10, 12, 0, tzinfo=UTC)

XSS_HOST = "<img src=x onerror=alert(1)>"
FORMULA_PROCESS = "=cmd|' /C calc'!A0"
SCRIPT_CLOSE = "</script><script>alert(2)</script>"
HYPERLINK_HOST = '=HYPERLINK("http://x","y")'
SUM_HOST = "@SUM(1+1)"
CONTROL_HOST = "evil\x1b[2Jhost\u202eexe.dll"
"""Escape and bidi-override characters: shown written out (``\\x1b``), never raw."""
HOSTILE_HOSTS = (XSS_HOST, HYPERLINK_HOST, SUM_HOST, CONTROL_HOST)


def _hostile_event(host: str, minute: int, process: str, cmd: str) -> dict[str, Any]:
    return {
        "class_uid": 1007,
        "activity_id": 1,
        "time": f"2025-11-04T03:{minute:02d}:00Z",
        "metadata": {"version": "1.8.0", "product": {"name": "EDR", "vendor_name": "Acme"}},
        "device": {"hostname": host},
        "process": {
            "pid": 4100 + minute,
            "name": process,
            "cmd_line": cmd,
            "file": {
                "name": "AnyDesk.exe",
                "path": "C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe",
            },
        },
    }


def write_hostile(folder: Path) -> Path:
    path = folder / "edr-export.jsonl"
    events = [
        _hostile_event(XSS_HOST, 1, FORMULA_PROCESS, SCRIPT_CLOSE),
        _hostile_event(XSS_HOST, 2, FORMULA_PROCESS, "AnyDesk.exe --control"),
        _hostile_event(HYPERLINK_HOST, 3, "AnyDesk.exe", "AnyDesk.exe"),
        _hostile_event(SUM_HOST, 4, "AnyDesk.exe", "AnyDesk.exe"),
        _hostile_event(CONTROL_HOST, 5, "AnyDesk.exe", "AnyDesk.exe"),
    ]
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


@dataclass
class Scanned:
    root: Path
    workspace: Path
    doc: dict[str, Any]


@pytest.fixture(scope="session")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    root = tmp_path_factory.mktemp("report")
    simulate(CONFIG, root / "sim")
    hostile = write_hostile(root)
    with Workspace(root / "ws", create=True) as ws:
        results = ingest_paths(ws, [str(root / "sim" / TELEMETRY), str(hostile)], IngestOptions())
        assert [r.path for r in results if r.status == "error"] == []
        pipeline.analyse(ws, load_settings(root / "sim" / "farmhunt.yaml"))
        doc = build_report(ws, now=NOW)
    return Scanned(root, root / "ws", doc)


@pytest.fixture(scope="session")
def doc(scanned: Scanned) -> dict[str, Any]:
    return scanned.doc


def all_findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for w in doc["workers"] for f in w["findings"]] + doc["unattributed"]
