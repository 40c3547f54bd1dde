"""Killed at any point, ingest loses nothing and duplicates nothing.

Issue 15's fault-injection promise: an ingest killed with SIGKILL (no clean-up runs)
at any write, then run again, leaves the same store as one clean run. Each case runs
ingest in a child process that kills itself at its n-th Parquet write or manifest
commit (before or after it), so the points are exact and the test does not depend on
timing. A live log killed mid-import and grown before the rerun is stored once too.
The disk-full half of the promise is held by ``test_disk_full``.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.helpers import ingest, ndjson, ocsf_event, query

DYING = """
import os, signal, sys
from pathlib import Path
from farmhunt.ingest import commit
from farmhunt.ingest.pipeline import IngestOptions, ingest_paths
from farmhunt.store import Workspace
from farmhunt.store.manifest import Manifest

point, n = sys.argv[3], int(sys.argv[4])
calls = [0]

def die_at_nth(real):
    def dying(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n and point.endswith("after"):
            real(*args, **kwargs)
        if calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return dying

if point.startswith("write"):
    commit.write_atomic = die_at_nth(commit.write_atomic)
else:
    Manifest.commit_chunks = die_at_nth(Manifest.commit_chunks)
with Workspace(Path(sys.argv[1]), create=True) as ws:
    ingest_paths(ws, [sys.argv[2]], IngestOptions(workers=1, chunk_rows=40))
sys.exit(3)  # the kill point was never reached
"""

EVENTS = 200
# Besides the first writes and commits, kill points drawn at random (seeded, so a failure
# replays): 200 events in chunks of 40 make five writes and five commits.
FIXED_POINTS = [("write", 1), ("write-after", 2), ("commit", 3), ("commit-after", 4), ("commit", 5)]
RANDOM_POINTS = random.Random(15).sample(
    sorted(
        {(p, n) for p in ("write", "write-after", "commit", "commit-after") for n in range(1, 6)}
        - set(FIXED_POINTS)
    ),
    4,
)
STORE = 'SELECT "process.pid", "raw_source.record" FROM process_activity ORDER BY 1, 2'


def _killed_ingest(ws: Path, log: Path, point: str, n: int) -> int:
    src = Path(__file__).parents[2] / "src"
    env = {"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", DYING, str(ws), str(log), point, str(n)],
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    return done.returncode


def _clean_store(tmp_path: Path, log: Path) -> list[tuple[object, ...]]:
    ingest(tmp_path / "clean", log, workers=1, chunk_rows=40)
    return query(tmp_path / "clean", STORE)


@pytest.mark.parametrize(
    ("point", "n"),
    [*FIXED_POINTS, *RANDOM_POINTS],
)
def test_a_killed_ingest_then_a_rerun_stores_what_a_clean_run_stores(
    tmp_path: Path, point: str, n: int
) -> None:
    log = tmp_path / "edr.ndjson"
    log.write_text(ndjson([ocsf_event(i) for i in range(EVENTS)]))

    assert _killed_ingest(tmp_path / "ws", log, point, n) == -9
    ingest(tmp_path / "ws", log, workers=1, chunk_rows=40)

    assert query(tmp_path / "ws", STORE) == _clean_store(tmp_path, log)


@pytest.mark.parametrize("n", [1, 3])
def test_a_live_log_killed_mid_import_then_grown_is_stored_once(tmp_path: Path, n: int) -> None:
    log = tmp_path / "edr.ndjson"
    whole = ndjson([ocsf_event(i) for i in range(EVENTS + 60)])
    first = ndjson([ocsf_event(i) for i in range(EVENTS)])
    log.write_text(first + whole[len(first) :][:25])  # the writer is mid-line

    assert _killed_ingest(tmp_path / "ws", log, "commit-after", n) == -9
    log.write_text(whole)  # the writer finished its line and wrote more
    ingest(tmp_path / "ws", log, workers=1, chunk_rows=40)

    assert query(tmp_path / "ws", STORE) == _clean_store(tmp_path, log)
