"""Every command's failure is one line naming its cause, exit code 2; ``--debug`` shows more.

Odd workspaces (a file, a read-only mount, a path DuckDB would misread), unwritable
report destinations, a workspace being written, and rule files that are not text.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.cli.failure import describe
from farmhunt.store import Workspace
from farmhunt.store.workspace import WorkspaceError
from tests.ingest.helpers import ingest, ndjson, ocsf_event

runner = CliRunner()


def _workspace(folder: Path) -> Path:
    sample = folder / "lake.jsonl"
    sample.write_text(ndjson([ocsf_event(i) for i in range(3)]))
    ws = folder / "ws"
    ingest(ws, sample)
    return ws


def _one_line_failure(result: object, cause: str) -> None:
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 2, output  # type: ignore[attr-defined]
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and cause in errors[0], output


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_report_to_a_directory_is_one_line(tmp_path: Path, fmt: str) -> None:
    ws = _workspace(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(app, ["report", "-w", str(ws), "-f", fmt, "-o", str(out)])
    _one_line_failure(result, "Is a directory")


def test_report_to_dev_full_is_one_line(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    ws = _workspace(tmp_path)
    result = runner.invoke(app, ["report", "-w", str(ws), "-f", "json", "-o", "/dev/full"])
    _one_line_failure(result, "No space left on device")


def test_report_under_a_file_is_one_line(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    result = runner.invoke(app, ["report", "-w", str(ws), "-f", "html", "-o", str(blocker / "r")])
    _one_line_failure(result, str(blocker))


def test_debug_lets_the_traceback_through(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(app, ["--debug", "report", "-w", str(ws), "-f", "json", "-o", str(out)])
    assert isinstance(result.exception, IsADirectoryError)


@pytest.mark.parametrize("command", ["stats", "report", "ingest", "detect", "score"])
def test_workspace_naming_a_file_is_one_line(tmp_path: Path, command: str) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("not a workspace")
    args = [command, "-w", str(target)]
    if command == "ingest":
        sample = tmp_path / "lake.jsonl"
        sample.write_text(ndjson([ocsf_event(0)]))
        args.insert(1, str(sample))
    _one_line_failure(runner.invoke(app, args), "is a file, not a workspace folder")


@pytest.mark.parametrize("command", ["detect", "score", "resolve"])
def test_writers_during_an_ingest_say_it_is_being_written(tmp_path: Path, command: str) -> None:
    ws = _workspace(tmp_path)
    with Workspace(ws) as holder, holder.write_lock():
        result = runner.invoke(app, [command, "-w", str(ws)])
    _one_line_failure(result, "is being written by another farmhunt")


@pytest.mark.parametrize("name", ["case?1", "back\\slash", "glob[1]*"])
def test_odd_characters_in_the_workspace_path(tmp_path: Path, name: str) -> None:
    ws = _workspace(tmp_path)
    odd = tmp_path / name
    shutil.move(ws, odd)
    (tmp_path / "case.1").mkdir()  # what `?` would match as a glob
    resolved = runner.invoke(app, ["resolve", "-w", str(odd)])
    assert resolved.exit_code == 0, resolved.output
    detected = runner.invoke(app, ["detect", "-w", str(odd)])
    assert detected.exit_code == 0, detected.output
    stats = runner.invoke(app, ["stats", "-w", str(odd)])
    assert stats.exit_code == 0 and "process_activity" in stats.output, stats.output
    assert not list(odd.glob(".duckdb-tmp/*.duckdb"))


def test_a_rule_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    rule = tmp_path / "latin1.yml"
    rule.write_bytes("title: Caf\xe9 rule\n".encode("latin-1"))
    # `rules validate` reports problems with its verdict's exit code (1), like a test run.
    for command, code in ((["rules", "validate"], 1), (["rules", "list"], 2)):
        result = runner.invoke(app, [*command, "-r", str(rule)])
        assert result.exit_code == code and "Traceback" not in result.output, result.output
        assert "latin1.yml: not UTF-8 text" in result.output


def _read_only_runner() -> list[str] | None:
    """A command prefix that runs farmhunt with the workspace on a read-only mount
    (root ignores file modes, so a private read-only bind mount is what makes a
    workspace truly unwritable), or None where that cannot be made."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return None
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False, timeout=30)
    return ["unshare", "-m", "sh", "-c"] if probe.returncode == 0 else None


def _run_read_only(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    prefix = _read_only_runner()
    if prefix is None:
        if os.geteuid() == 0:
            pytest.skip("cannot make a read-only mount here")
        for path in [ws, *ws.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        command = [sys.executable, "-m", "farmhunt", *args]
    else:
        quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in args)
        folder = "'" + str(ws).replace("'", "'\\''") + "'"
        command = [
            *prefix,
            f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} "
            f"&& exec {sys.executable} -m farmhunt {quoted}",
        ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def test_a_read_only_workspace_can_be_read_and_refuses_writes_in_one_line(
    tmp_path: Path,
) -> None:
    ws = _workspace(tmp_path)
    for stage in ("resolve", "detect", "score"):  # the library ingest does not resolve
        assert runner.invoke(app, [stage, "-w", str(ws)]).exit_code == 0, stage
    stats = _run_read_only(ws, "stats", "-w", str(ws))
    assert stats.returncode == 0, stats.stderr
    assert "process_activity" in stats.stdout
    report = _run_read_only(ws, "report", "-w", str(ws), "-f", "json")
    assert report.returncode == 0, report.stderr
    assert '"schema_version"' in report.stdout
    sample = str(tmp_path / "lake.jsonl")
    for command in (
        ["score"],
        ["resolve"],
        ["detect"],
        ["enrich"],
        ["ingest", sample],
        ["scan", sample],
    ):
        refused = _run_read_only(ws, *command, "-w", str(ws))
        assert refused.returncode == 2, (command, refused.stderr)
        assert "Traceback" not in refused.stderr
        assert "is read-only" in refused.stderr, (command, refused.stderr)
    unwritable = _run_read_only(ws, "report", "-w", str(ws), "-f", "html", "-o", str(ws / "r"))
    assert unwritable.returncode == 2 and "Traceback" not in unwritable.stderr
    assert "Read-only file system" in unwritable.stderr or "ermission" in unwritable.stderr


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (OSError(28, "Error writing bytes to file"), "No space left on device"),
        (sqlite3.OperationalError("database or disk is full"), "No space left on device"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (PermissionError(13, "Permission denied", "/srv/case"), "Permission denied: /srv/case"),
        (RuntimeError("first line\nsecond line"), "RuntimeError: first line"),
        (WorkspaceError("ws is being written by another farmhunt"), "ws is being written"),
    ],
)
def test_a_failure_is_described_in_one_line(exc: BaseException, cause: str) -> None:
    line = describe(exc)
    assert cause in line and "\n" not in line
    assert not line.startswith("WorkspaceError")


def test_disk_full_during_ingest_is_one_line(tmp_path: Path) -> None:
    """A real full disk: a small tmpfs mounted in a private mount namespace."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount a small file system")
    logs = tmp_path / "logs"
    logs.mkdir()
    for n in range(40):
        (logs / f"edr-{n}.jsonl").write_text(
            ndjson([ocsf_event(n * 200 + i, host=f"H{n}") for i in range(200)])
        )
    disk = tmp_path / "disk"
    disk.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    script = (
        f"mount -t tmpfs -o size=256k tmpfs '{disk}' && "
        f"exec {sys.executable} -m farmhunt ingest '{logs}' -w '{disk}/ws'"
    )
    run = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    if "mount" in run.stderr and "permission denied" in run.stderr.lower():
        pytest.skip("cannot mount here")
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0], run.stderr
