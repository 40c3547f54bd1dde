"""The pipeline entry: stages run in order, and a stage run before the one it needs
fails with an error naming that stage instead of giving findings tied to no worker,
rules over missing enrichment, or scores of nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from farmhunt import pipeline
from farmhunt.cli.score_view import run_score
from farmhunt.detect.engine import make_context
from farmhunt.detect.run import detect_workspace
from farmhunt.enrich.build import IP_INFO
from farmhunt.score.run import score_workspace
from farmhunt.stages import STAGES, StageError
from farmhunt.store import Workspace

# a Zeek conn.log shaped like the Stratosphere CTU captures (see test_network_noise)
SAMPLE = Path(__file__).parent / "sources" / "zeek" / "samples" / "conn-scans.log"


def _ingested(tmp_path: Path) -> Workspace:
    shutil.copy(SAMPLE, tmp_path / "conn.log")
    ws = Workspace(tmp_path / "ws", create=True)
    pipeline.ingest(ws, [str(tmp_path / "conn.log")])
    return ws


def test_the_stages_run_in_the_documented_order() -> None:
    assert STAGES == ("ingest", "resolve", "enrich", "detect", "score")


def test_a_context_without_identity_links_names_the_resolve_stage() -> None:
    with pytest.raises(StageError, match="worker_links") as caught:
        make_context(duckdb.connect())
    assert caught.value.stage == "resolve"


def test_detect_before_resolve_names_the_resolve_stage(tmp_path: Path) -> None:
    with _ingested(tmp_path) as ws, pytest.raises(StageError, match="resolve") as caught:
        detect_workspace(ws)
    assert caught.value.stage == "resolve"


def test_detect_does_not_enrich_behind_the_callers_back(tmp_path: Path) -> None:
    with _ingested(tmp_path) as ws:
        pipeline.resolve(ws)
        with pytest.raises(StageError, match="enrich") as caught:
            pipeline.detect(ws)
        assert caught.value.stage == "enrich"
        assert not ws.derived_path(IP_INFO).exists()


def test_enrichment_older_than_the_links_is_not_current(tmp_path: Path) -> None:
    with _ingested(tmp_path) as ws:
        pipeline.resolve(ws)
        pipeline.enrich(ws)
        pipeline.detect(ws)  # current: runs
        links = ws.derived_path("worker_links")
        later = ws.derived_path(IP_INFO).stat().st_mtime_ns + 1_000_000_000
        os.utime(links, ns=(later, later))  # links rebuilt after the enrichment
        with pytest.raises(StageError, match="older than worker_links") as caught:
            pipeline.detect(ws)
        assert caught.value.stage == "enrich"


def test_score_before_detect_names_the_detect_stage(tmp_path: Path) -> None:
    with _ingested(tmp_path) as ws:
        pipeline.resolve(ws)
        with pytest.raises(StageError, match="findings") as caught:
            score_workspace(ws)
        assert caught.value.stage == "detect"


def test_the_score_command_says_which_stage_to_run(tmp_path: Path) -> None:
    _ingested(tmp_path).close()
    out, err = Console(record=True, width=200), Console(record=True, width=200)
    assert run_score(tmp_path / "ws", out, err) == 2
    assert "run the detect stage first" in err.export_text()


def test_run_goes_from_raw_logs_to_scores(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "conn.log")
    with Workspace(tmp_path / "ws", create=True) as ws:
        result = pipeline.run(ws, [str(tmp_path / "conn.log")])
        assert [f.status for f in result.files] == ["imported"]
        assert result.enriched[IP_INFO] > 0
        stored = ws.connect().execute("SELECT count(*) FROM findings").fetchone()
        assert stored == (len(result.detected.findings),)
        for table in ("worker_links", "findings", "scores", "clusters"):
            assert ws.derived_path(table).exists()
