"""The command line as a user meets it: summaries, errors without tracebacks, safe output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.termsafe import clean
from tests.ingest.helpers import ndjson, ocsf_event

runner = CliRunner()


def test_ingest_prints_per_source_summary_and_stats_lists_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("lake.jsonl").write_text(ndjson([ocsf_event(i) for i in range(3)]) + "{broken\n")
    ws = "ws"
    result = runner.invoke(app, ["ingest", "lake.jsonl", "--workspace", ws])
    assert result.exit_code == 0, result.output
    assert "Ingest summary" in result.output
    assert "│ ocsf" in result.output and "│ 3 " in result.output and "│ 1 " in result.output
    stats = runner.invoke(app, ["stats", "--workspace", ws])
    assert stats.exit_code == 0, stats.output
    assert "process_activity" in stats.output and "Quarantine" in stats.output
    assert "lake.jsonl:4" in stats.output


def test_unreadable_file_is_one_error_line_and_exit_code_1(tmp_path: Path) -> None:
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 40)
    result = runner.invoke(app, ["ingest", str(binary), "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "binary file that is not a known log format" in result.output


def test_missing_path_and_missing_workspace_are_clear(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "-w", str(tmp_path / "ws")])
    assert result.exit_code == 2 and "no such file or directory" in result.output
    stats = runner.invoke(app, ["stats", "--workspace", str(tmp_path / "empty")])
    assert stats.exit_code == 2 and "not a farmhunt workspace" in stats.output


def test_log_controlled_strings_cannot_drive_the_terminal(tmp_path: Path) -> None:
    event = ocsf_event(0)
    event["time"] = "garbage\x1b]0;pwned\x07\x1b[2J[bold red]x[/]"
    sample = tmp_path / "evil.jsonl"
    sample.write_text(json.dumps(event) + "\n" + ndjson([ocsf_event(1)]))
    ws = str(tmp_path / "ws")
    runner.invoke(app, ["ingest", str(sample), "--workspace", ws])
    stats = runner.invoke(app, ["stats", "--workspace", ws])
    assert "\x1b" not in stats.output and "\x07" not in stats.output
    assert "\\x1b" in stats.output


def test_clean_neutralises_controls_bidi_and_markup() -> None:
    assert clean("a\x1b[31mb") == "a\\x1b[31mb"
    assert clean("evil\u202egnp.exe") == "evil\\u202egnp.exe"
    assert clean("line1\nline2") == "line1\\nline2"
    assert clean("x" * 500, limit=10) == "x" * 9 + "…"


def test_formats_lists_the_parsers() -> None:
    result = runner.invoke(app, ["formats"])
    assert result.exit_code == 0 and "ocsf" in result.output


def test_docs_schema_reference_is_current() -> None:
    from farmhunt.schema.reference import render_markdown

    docs = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
    assert docs.read_text(encoding="utf-8") == render_markdown(), (
        "docs/schema.md is stale: run `farmhunt schema --output docs/schema.md`"
    )


def test_scan_prints_a_report_path_as_typed_not_as_markup(tmp_path: Path) -> None:
    """A folder or file name is the user's text: ``[bold]`` stays, ESC is shown escaped."""
    sample = tmp_path / "lake.jsonl"
    sample.write_text(ndjson([ocsf_event(i) for i in range(3)]))
    folder = tmp_path / "out[bold]dir"
    report = folder / "r[bold]x\x1b[2Jy.html"
    result = runner.invoke(
        app, ["scan", str(sample), "--workspace", str(tmp_path / "ws"), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert report.is_file()
    assert "\x1b" not in result.output
    assert f"HTML report: {folder}/r[bold]x\\x1b[2Jy.html" in result.output


def test_the_export_folder_is_printed_as_typed(tmp_path: Path) -> None:
    out = tmp_path / "co[red]x"
    result = runner.invoke(app, ["rules", "export-lolrmm", str(out)])
    assert result.exit_code == 0, result.output
    assert f"written to {out}" in result.output


def test_the_demo_counts_events_as_the_report_does() -> None:
    """The report's "events" are event-table rows; roster and inventory rows are apart."""
    from collections import Counter

    from farmhunt.cli.pipeline_view import ingested_line
    from farmhunt.ingest.model import FileResult

    logs = FileResult("a.jsonl", "ocsf", "imported", stored=5, tables=Counter(process_activity=5))
    roster = FileResult("hr.csv", "hr_roster", "imported", stored=3, tables=Counter(workers=3))
    inventory = FileResult("inv.csv", "hr_devices", "imported", stored=2, tables=Counter(devices=2))
    assert ingested_line([logs, roster, inventory]) == (
        "Ingested 10 rows from 3 files, of which 5 events and 5 roster/inventory rows "
        "(0 records quarantined)"
    )
    assert ingested_line([logs]) == "Ingested 5 events from 1 file (0 records quarantined)"
