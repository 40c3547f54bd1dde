"""Running a stage as a child process and measuring its wall time, CPU time and memory.

Each stage runs as ``python -m farmhunt …`` in its own process, so its peak memory is
its own and not the harness's. GNU ``time -v`` reports the child's maximum resident set
size and elapsed time exactly; without it, ``getrusage(RUSAGE_CHILDREN)`` is used (its
maximum is over every child the harness has waited for, so it can only grow). A sampler
also sums the resident memory of the whole process tree every 100 ms, which is what
matters when a stage runs worker processes (``time`` reports the largest single one).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

GNU_TIME = "/usr/bin/time"
SAMPLE_SECONDS = 0.1


@dataclass
class Measured:
    """What one child process cost."""

    command: list[str]
    seconds: float
    """Wall-clock time."""
    cpu_seconds: float
    """User plus system time of the process and its children (all cores)."""
    peak_rss: int
    """Largest resident set of one process, in bytes (``time -v`` or ``getrusage``)."""
    tree_peak_rss: int
    """Largest sum of the resident sets of the process and its descendants, sampled."""
    returncode: int
    method: str
    """``time -v`` or ``getrusage``."""
    output_tail: str = ""

    @property
    def peak(self) -> int:
        """The memory figure to judge by: the larger of the two measures."""
        return max(self.peak_rss, self.tree_peak_rss)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["peak_bytes"] = self.peak
        return data


class StageFailed(RuntimeError):
    """A measured child process exited with an error."""


def farmhunt_command(*args: str) -> list[str]:
    """``python -m farmhunt ARGS`` with this interpreter."""
    return [sys.executable, "-m", "farmhunt", *args]


def parse_gnu_time(text: str) -> dict[str, float]:
    """Seconds (elapsed, user, system) and bytes (max RSS) from ``time -v`` output."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key.startswith("Elapsed (wall clock) time"):
            found["elapsed"] = _clock_seconds(value)
        elif key == "User time (seconds)":
            found["user"] = float(value)
        elif key == "System time (seconds)":
            found["system"] = float(value)
        elif key == "Maximum resident set size (kbytes)":
            found["max_rss"] = float(value) * 1024
    return found


def _clock_seconds(value: str) -> float:
    """``1:02:03.45``, ``2:03.45`` or ``3.45`` as seconds."""
    seconds = 0.0
    for part in value.strip().split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def run_measured(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    log: Path | None = None,
    check: bool = True,
    use_gnu_time: bool | None = None,
) -> Measured:
    """Run ``command`` to completion and measure it; its output goes to ``log``."""
    gnu = gnu_time_available() if use_gnu_time is None else use_gnu_time
    report = (log.with_suffix(".time") if log else Path(os.devnull)) if gnu else None
    argv = [GNU_TIME, "-v", "-o", str(report), *command] if gnu and report else list(command)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sink = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    env = {**os.environ, "COLUMNS": "160", "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    try:
        child = subprocess.Popen(argv, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, env=env)
        sampler = _TreeSampler(child.pid)
        sampler.start()
        returncode = child.wait()
        sampler.stop()
    finally:
        if log:
            sink.close()  # type: ignore[union-attr]
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = after.ru_maxrss * 1024
    method = "getrusage"
    if gnu and report and report.exists() and report != Path(os.devnull):
        timed = parse_gnu_time(report.read_text(errors="replace"))
        if "max_rss" in timed:
            peak = int(timed["max_rss"])
            wall = timed.get("elapsed", wall)
            cpu = timed.get("user", 0.0) + timed.get("system", 0.0)
            method = "time -v"
    tail = _tail(log) if log else ""
    measured = Measured(list(command), wall, cpu, peak, sampler.peak, returncode, method, tail)
    if check and returncode != 0:
        raise StageFailed(f"{' '.join(command[2:4])} exited with {returncode}:\n{tail}")
    return measured


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def gnu_time_available() -> bool:
    return os.access(GNU_TIME, os.X_OK)


class _TreeSampler:
    """Samples the summed resident memory of a process and its descendants (Linux /proc)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def start(self) -> None:
        if Path("/proc/self/statm").exists():
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            self._stop.wait(SAMPLE_SECONDS)

    def sample(self) -> int:
        parents: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces and parentheses: the fields follow the last ")".
            fields = stat[stat.rfind(")") + 2 :].split()
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            todo += parents.get(pid, [])
            try:
                resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
            total += resident * self._page
        return total


def human_bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit in ("B", "KiB") else f"{value:,.2f} {unit}"
        value /= 1024
    return f"{value:.2f} GiB"
