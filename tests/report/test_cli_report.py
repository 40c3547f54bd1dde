"""``farmhunt report`` as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from farmhunt.cli.app import app
from tests.report.conftest import Scanned

runner = CliRunner()


def test_table_is_the_default(scanned: Scanned) -> None:
    result = runner.invoke(app, ["report", "--workspace", str(scanned.workspace), "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "Workers ranked by risk" in result.output
    assert "Candidate laptop farms" in result.output
    assert scanned.doc["workers"][0]["worker_id"] in result.output


def test_each_format_is_written(scanned: Scanned, tmp_path: Path) -> None:
    for fmt in ("table", "html", "json", "csv", "ocsf", "stix"):
        out = tmp_path / f"report.{fmt}"
        args = ["report", "-w", str(scanned.workspace), "--format", fmt, "--output", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    assert json.loads((tmp_path / "report.json").read_text())["schema_version"] == "1.1"
    assert json.loads((tmp_path / "report.stix").read_text())["type"] == "bundle"
    table = (tmp_path / "report.table").read_text()
    assert "Workers ranked by risk" in table and "\x1b[" not in table


def test_json_goes_to_stdout_without_output(scanned: Scanned) -> None:
    result = runner.invoke(app, ["report", "-w", str(scanned.workspace), "-f", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"] == scanned.doc["summary"]


def test_mistakes_are_one_line_and_exit_2(scanned: Scanned, tmp_path: Path) -> None:
    bad_share = runner.invoke(
        app, ["report", "-w", str(scanned.workspace), "-f", "stix", "--share", "ip,names"]
    )
    assert bad_share.exit_code == 2 and "unknown kind names" in bad_share.output
    bad_format = runner.invoke(app, ["report", "-w", str(scanned.workspace), "-f", "pdf"])
    assert bad_format.exit_code == 2 and "unknown format" in bad_format.output
    missing = runner.invoke(app, ["report", "-w", str(tmp_path / "nowhere"), "-f", "json"])
    assert missing.exit_code == 2 and "not a farmhunt workspace" in missing.output
    assert "Traceback" not in bad_share.output + bad_format.output + missing.output
