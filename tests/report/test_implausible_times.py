"""Events at 0001-01-01 or 9999-12-31 cannot crash a command.

A .NET default time or a "never" placeholder was accepted by ingest, and one such event
of a roster worker crashed `scan` and every report format (a time-zone conversion past
the calendar's end). Ingest now quarantines it with a reason `stats` counts; the report
reads a time already stored out of range (an older workspace) as no working hour.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.report.activity import activity
from farmhunt.timerange import TOO_EARLY, TOO_LATE

runner = CliRunner()
ROSTER = Path(__file__).parents[1] / "sources" / "hr" / "samples" / "roster-default.csv"


def _sign_in(when: Any, minute: int) -> dict[str, Any]:
    return {
        "class_uid": 3002,
        "activity_id": 1,
        "time": when,
        "metadata": {"version": "1.8.0", "product": {"name": "IdP", "vendor_name": "Acme"}},
        "actor": {"user": {"email_addr": "jane.doe@example.com"}},
        "user": {"email_addr": "jane.doe@example.com"},
        "src_endpoint": {"ip": f"203.0.113.{minute}"},
        "status_id": 1,
    }


@pytest.mark.parametrize(
    ("hour", "zone"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), "America/Chicago"),
        (datetime(9999, 12, 31, 23, tzinfo=UTC), "Asia/Tokyo"),
    ],
)
def test_activity_ignores_a_stored_time_at_the_calendar_s_end(hour: datetime, zone: str) -> None:
    normal = datetime(2025, 11, 4, 15, tzinfo=UTC)
    result = activity([(hour, 1), (normal, 2)], zone, normal)
    assert result.events == 2 and result.local is not None


def test_scan_stats_and_every_report_survive_placeholder_times(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "roster.csv").write_bytes(ROSTER.read_bytes())
    events = [
        _sign_in("0001-01-01T00:00:00Z", 1),
        _sign_in("9999-12-31T23:59:59Z", 2),
        _sign_in("1980-01-01T00:00:00Z", 3),
        _sign_in("2025-11-04T15:00:00Z", 4),
    ]
    (logs / "idp.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    ws = str(tmp_path / "ws")
    scan = runner.invoke(app, ["scan", str(logs), "-w", ws])
    assert scan.exit_code == 0, scan.output
    for fmt in ("table", "html", "json", "csv", "ocsf", "stix"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(app, ["report", "-w", ws, "-f", fmt, "-o", str(out)])
        assert result.exit_code == 0, (fmt, result.output)
    stats = runner.invoke(app, ["stats", "-w", ws])
    assert stats.exit_code == 0, stats.output
    assert TOO_EARLY[:40] in stats.output and TOO_LATE[:40] in stats.output
    assert "3 imports" in stats.output or "imports" in stats.output
