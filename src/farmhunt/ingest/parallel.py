"""Parsing files in worker processes while this process decides and commits.

Parsing and normalizing are pure Python, one core each; on a machine with several,
worker processes read files at the same time. What must stay serial stays here: which
files to import (sniffing, content hashes, the manifest), and every commit. A worker
gets a job (file, import, record to resume after) and sends back the file's chunks as
Arrow tables, in order, then what it counted; this process adds the chunks to the
shared batch exactly as a serial run does, so crash, resume and idempotence behave the
same: an import is complete in the transaction that makes its last rows visible.

Workers are started with ``spawn`` (a fresh interpreter: no threads or open databases
inherited) and get one job at a time; the result queue is bounded so that memory does
not grow when this process falls behind. A worker exits when this process dies, however
it dies (``kill -9`` included): a worker waiting for its next job would otherwise wait
forever, holding its memory (see :func:`exit_with_parent`).
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from farmhunt.ingest.collector import fewer_collections
from farmhunt.ingest.commit import DIRECT_ROWS, Batch, Segment, finalize, write_segment
from farmhunt.ingest.model import FileResult, IngestOptions, ProgressFn, io_failure
from farmhunt.ingest.plan import Job, Outcome, pending_blocks, plan_file
from farmhunt.ingest.reading import produce
from farmhunt.sources.base import FileError
from farmhunt.sources.registry import get_parser
from farmhunt.store.workspace import Workspace

PROGRESS_EVERY = 5000

PARENT_POLL_SECONDS = 0.5
"""How often a worker checks that the process that started it is still alive."""

_PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: a signal the kernel sends when the parent exits."""


def exit_with_parent(parent: int) -> None:
    """End this process when ``parent`` dies, even by ``kill -9`` (no clean-up runs
    there to tell the workers to stop).

    A watchdog thread polls the parent's id: an orphan is adopted by another process,
    so ``os.getppid()`` changes. On Linux the kernel is also asked to send SIGKILL at
    once (``PR_SET_PDEATHSIG``); the thread covers other systems and the moment
    before the request took effect.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="farmhunt-parent-watch", daemon=True).start()


class WorkerCrashed(RuntimeError):
    """A worker process failed outside any file's own error handling."""


def _work(jobs: Any, results: Any, options: IngestOptions, root: Path, parent: int) -> None:
    """A worker: read jobs until told to stop, sending chunks and outcomes back.

    A large chunk is written to Parquet here and only its file names travel; the
    parent commits them in order with the rest (see ``DIRECT_ROWS``).
    """
    exit_with_parent(parent)
    with fewer_collections():
        _serve(jobs, results, options, root)


def _serve(jobs: Any, results: Any, options: IngestOptions, root: Path) -> None:
    while True:
        job: Job | None = jobs.get()
        if job is None:
            return
        try:

            def emit(segment: Segment, job: Job = job) -> None:
                if segment.rows >= DIRECT_ROWS:
                    segment = write_segment(root, segment)
                results.put(("segment", job.import_id, segment))

            def progress(_name: str, records: int, _size: int, job: Job = job) -> None:
                results.put(("progress", job.import_id, records))

            started = time.perf_counter()
            outcome = produce(job, get_parser(job.format), options, emit, progress)
            outcome.seconds = time.perf_counter() - started
            results.put(("done", job.import_id, outcome))
        except KeyboardInterrupt:
            return
        except BaseException:
            results.put(("crash", job.import_id, traceback.format_exc()))
            return


class _Pool:
    def __init__(self, workers: int, options: IngestOptions, root: Path) -> None:
        context = mp.get_context("spawn")
        self.jobs: Any = context.Queue()
        self.results: Any = context.Queue(maxsize=4 * workers)
        # the parent reports progress itself; parser options travel with each worker
        self.processes = [
            context.Process(
                target=_work,
                args=(self.jobs, self.results, options, root, os.getpid()),
                daemon=True,
            )
            for _ in range(workers)
        ]
        for process in self.processes:
            process.start()

    def get(self) -> tuple[str, int, Any]:
        while True:
            try:
                message: tuple[str, int, Any] = self.results.get(timeout=1.0)
                return message
            except queue.Empty:
                dead = [p for p in self.processes if not p.is_alive()]
                if dead:
                    raise WorkerCrashed(
                        f"a parsing process exited unexpectedly (code {dead[0].exitcode})"
                    ) from None

    def close(self) -> None:
        for _ in self.processes:
            self.jobs.put(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()

    def terminate(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout=10)


def ingest_parallel(
    workspace: Workspace,
    files: list[str],
    options: IngestOptions,
    workers: int,
    progress: ProgressFn | None,
    on_result: Any,
) -> list[FileResult]:
    """Ingest ``files`` with ``workers`` parsing processes; results in input order."""
    batch = Batch(workspace, options.chunk_rows)
    results: dict[int, FileResult] = {}
    in_flight: dict[int, tuple[int, Job]] = {}  # import id → (input index, job)
    # Several files queued per worker: a small file (a host's log of one day) parses in
    # milliseconds, and with one spare a worker waited on every round trip to this process.
    window = 4 * workers
    pool = _Pool(workers, replace(options, workers=1), workspace.root)

    def handle(kind: str, import_id: int, payload: Any) -> None:
        index, job = in_flight[import_id]
        if kind == "segment":
            batch.add(payload)
        elif kind == "progress":
            if progress:
                progress(job.path, payload, job.size)
        elif kind == "done":
            del in_flight[import_id]
            outcome: Outcome = payload
            result = finalize(workspace, job, outcome, batch)
            result.seconds = outcome.seconds
            report(index, result)
        else:
            raise WorkerCrashed(f"parsing {job.path} failed:\n{payload}")

    def report(index: int, result: FileResult) -> None:
        results[index] = result
        if on_result:
            on_result(result)

    def drain() -> None:
        while in_flight:
            handle(*pool.get())
        batch.commit()

    def settle(content: str | None = None, continued_by: tuple[str, str] | None = None) -> None:
        jobs = [job for _, job in in_flight.values()]
        if any(pending_blocks(j, content, continued_by) for j in jobs) or batch.holds(
            content=content, continued_by=continued_by
        ):
            drain()

    try:
        for index, path in enumerate(files):
            while len(in_flight) >= window:
                handle(*pool.get())
            try:
                planned = plan_file(workspace, path, options, settle)
            except FileError as exc:
                report(index, FileResult(path, options.format, "error", message=str(exc)))
                continue
            except (OSError, EOFError) as exc:
                report(index, FileResult(path, options.format, "error", message=io_failure(exc)))
                continue
            if isinstance(planned, FileResult):
                report(index, planned)
                continue
            batch.track(planned)
            in_flight[planned.import_id] = (index, planned)
            pool.jobs.put(planned)
        drain()
    except KeyboardInterrupt:
        pool.terminate()
        batch.commit()  # what the workers had sent: whole chunks, in order per file
        for _, job in in_flight.values():
            workspace.manifest.finish(job.import_id, "interrupted", "interrupted by the user")
        raise
    except BaseException:
        pool.terminate()  # like a crash: what was not committed is resumed by the next run
        raise
    pool.close()
    return [results[i] for i in sorted(results)]
