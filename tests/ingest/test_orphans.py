"""Parsing processes end with the ingest that started them, even when it is killed.

``kill -9`` of an ingest left its two workers (about 165 MB each) waiting for their next
job forever. This test starts a real worker pool in a child process, kills that child
with SIGKILL once the workers are running, and waits (bounded) for the workers to go.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PARENT = """
import sys, time
from pathlib import Path
from farmhunt.ingest.parallel import _Pool
from farmhunt.ingest.model import IngestOptions
pool = _Pool(2, IngestOptions(workers=1), Path(sys.argv[1]))
print(" ".join(str(p.pid) for p in pool.processes), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting to be reaped does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next((line for line in status.splitlines() if line.startswith("State:")), "")
    return "Z" not in state.split()[1:2]


def _started(pid: int) -> bool:
    """Whether a worker got past interpreter start-up into farmhunt's code."""
    try:
        return "pyarrow" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _wait(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_workers_exit_when_the_ingest_is_killed(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    workers: list[int] = []
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2
        assert _wait(lambda: all(_started(pid) for pid in workers), 120)
        time.sleep(1.0)  # past the imports, into the worker's own code
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        assert _wait(lambda: not any(_alive(pid) for pid in workers), 30), [
            pid for pid in workers if _alive(pid)
        ]
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
