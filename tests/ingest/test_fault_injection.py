"""Fault injection: ingest killed at random points, or starved of disk, ends with exactly
the store a clean run makes, live-growing files included.

A real deployment's ingest is killed (OOM killer, a reboot, Ctrl-C twice) and its disk
fills up; the promise of docs/reliability.md is that running the same import again
afterwards loses nothing and duplicates nothing. The runs here are real processes killed
with SIGKILL at seeded random moments, not mocks of a crash.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from farmhunt.simulate.config import SimConfig
from farmhunt.simulate.run import simulate
from farmhunt.store import Workspace
from tests.ingest.helpers import ocsf_event

# The driver is the pipeline itself with small chunks, so that a kill lands between many
# commits rather than before the first one.
DRIVER = """
import sys
from farmhunt.ingest.model import IngestOptions
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.store import Workspace
with Workspace(sys.argv[1], create=True) as ws:
    ingest_paths(ws, sys.argv[2:], IngestOptions(chunk_rows=300, workers=2))
"""
SRC = str(Path(__file__).resolve().parents[2] / "src")


def _run(ws: Path, inputs: list[Path], kill_after: float | None = None) -> int:
    """Run one ingest; with ``kill_after``, SIGKILL its parent process after that many
    seconds (its parse workers must then exit by themselves)."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    args = [sys.executable, "-c", DRIVER, str(ws), *map(str, inputs)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is None:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
        return proc.returncode
    try:
        proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.stderr is not None
    proc.stderr.close()
    return proc.returncode


def _snapshot(ws_dir: Path) -> dict[str, Any]:
    """Every stored event's uid and source position per table, and the quarantine."""
    with Workspace(ws_dir) as ws:
        con = ws.connect()
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY 1"
            ).fetchall()
        ]
        shot: dict[str, Any] = {}
        for table in tables:
            cols = {r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()}
            if "metadata.uid" in cols:
                shot[table] = sorted(
                    con.execute(
                        f'SELECT "metadata.uid", "raw_source.record" FROM "{table}"'
                    ).fetchall()
                )
        held = con.execute(
            'SELECT "raw_source.file", "raw_source.record", reason FROM quarantine'
        ).fetchall()
        shot["quarantine"] = sorted((os.path.basename(f), r, why) for f, r, why in held)
    return shot


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("company")
    simulate(SimConfig(workers=20, days=3, seed=11), out)
    return out / "telemetry"


def _live_lines(n: int) -> list[str]:
    return [json.dumps(ocsf_event(i, host="LIVE-01")) + "\n" for i in range(n)]


def test_kills_at_random_points_end_in_the_clean_store(company: Path, tmp_path: Path) -> None:
    live = tmp_path / "live" / "edr.jsonl"
    live.parent.mkdir()
    lines = _live_lines(400)
    clean_live = tmp_path / "clean-live" / "edr.jsonl"
    clean_live.parent.mkdir()
    clean_live.write_text("".join(lines))
    started = time.monotonic()
    _run(tmp_path / "clean", [company, clean_live])
    took = time.monotonic() - started
    clean = _snapshot(tmp_path / "clean")
    assert sum(len(v) for k, v in clean.items() if k != "quarantine") > 5_000

    rng = random.Random(20261208)
    ws = tmp_path / "killed"
    text = "".join(lines)
    ends = [i + 1 for i, c in enumerate(text) if c == "\n"]
    written = killed = 0
    for _ in range(6):
        # the live log grows between runs and is often caught in the middle of a line
        upto = rng.choice([e for e in ends if e > written][:120] or [len(text)])
        if rng.random() < 0.6:
            upto = min(len(text), upto + rng.randint(1, 60))
        with open(live, "a") as handle:
            handle.write(text[written:upto])
        written = upto
        # a kill anywhere from start-up to the last commits of a run
        killed += _run(ws, [company, live], kill_after=rng.uniform(0.1, 0.9) * took) != 0
    with open(live, "a") as handle:
        handle.write(text[written:])
    _run(ws, [company, live])
    assert killed >= 3, "most runs must really be killed for this test to mean anything"
    # the clean run saw the live file under another path; positions and uids of the
    # same records must match, so compare by content-derived uid and record number
    assert _snapshot(ws) == clean


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_then_room_again_ends_in_the_clean_store(company: Path, tmp_path: Path) -> None:
    _run(tmp_path / "clean", [company])
    clean = _snapshot(tmp_path / "clean")
    disk = tmp_path / "small-disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)], check=True)
    try:
        ws = disk / "ws"
        env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
        full = subprocess.run(
            [sys.executable, "-m", "farmhunt", "ingest", str(company), "-w", str(ws)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert full.returncode != 0
        assert "Traceback" not in full.stderr + full.stdout
        assert "No space left on device" in full.stderr + full.stdout
        time.sleep(0.1)
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        _run(ws, [company])
        assert _snapshot(ws) == clean
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
