"""The bench's SigmaHQ row: rules from a folder the user gives (never downloaded),
farmhunt's one scan against the SQLite peer, beside the LOLRMM row."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from farmhunt.bench.peer import peer_comparison
from farmhunt.bench.view import _sigma_rows
from farmhunt.cli.app import app
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.store.workspace import Workspace

SAMPLE = Path(__file__).parents[1] / "detect" / "sigmahq"


def test_sigmahq_rules_from_a_folder_are_compared(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws", create=True) as ws:
        ingest_paths(ws, [str(SAMPLE / "events.ndjson")])
        result = peer_comparison(ws, SAMPLE / "rules", lolrmm=False).as_dict()
    assert not list((SAMPLE / "rules").glob("lolrmm*")), "the folder is read, not written"
    assert {t["table"] for t in result["tables"]} == {"process_activity", "network_activity"}
    assert result["rules"] >= 40
    assert result["disagreements"] == [], result["disagreements"]
    compared = [t for t in result["tables"] if t["table"] == "process_activity"]
    assert compared[0]["farmhunt_matches"] == compared[0]["sqlite_matches"] > 0
    labels = [label for label, _value in _sigma_rows(result)]
    assert labels[0] == "SigmaHQ rules" and "  rules SQLite could not run" in labels


def test_sigma_rules_option_must_be_a_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["bench", "--events", "1000", "--sigma-rules", str(tmp_path / "missing")]
    )
    assert result.exit_code == 2 and "not a folder" in result.output
