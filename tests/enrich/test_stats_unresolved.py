"""``farmhunt stats`` caps the unresolved identifiers it lists, says so; ``--all`` lists all."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.cli.identity_view import TOP_UNRESOLVED
from tests.ingest.helpers import ndjson, ocsf_event

runner = CliRunner()
EXTRA = 7


def _lake(path: Path, people: int) -> None:
    """Events naming ``people`` addresses no roster knows; person i appears i + 1 times."""
    events = []
    for person in range(people):
        for _ in range(person + 1):
            event = ocsf_event(len(events))
            del event["device"]  # the only identifier of an event is its person
            event["actor"] = {"user": {"email_addr": f"nobody{person:02d}@unknown.example"}}
            events.append(event)
    path.write_text(ndjson(events))


def test_stats_says_how_many_unresolved_it_left_out_and_all_lists_them(tmp_path: Path) -> None:
    people = TOP_UNRESOLVED + EXTRA
    _lake(tmp_path / "lake.jsonl", people)
    ws = str(tmp_path / "ws")
    ingest = runner.invoke(app, ["ingest", str(tmp_path / "lake.jsonl"), "--workspace", ws])
    assert ingest.exit_code == 0, ingest.output
    resolve = runner.invoke(app, ["resolve", "--workspace", ws])
    assert resolve.exit_code == 0, resolve.output

    capped = runner.invoke(app, ["stats", "--workspace", ws], terminal_width=200)
    assert capped.exit_code == 0, capped.output
    listed = [p for p in range(people) if f"nobody{p:02d}@" in capped.output]
    # The most frequent are listed: the last TOP_UNRESOLVED people.
    assert listed == list(range(EXTRA, people))
    assert f"… and {EXTRA} more unresolved identifiers" in capped.output
    assert "--all" in capped.output

    everything = runner.invoke(app, ["stats", "--workspace", ws, "--all"], terminal_width=200)
    assert everything.exit_code == 0, everything.output
    assert all(f"nobody{p:02d}@" in everything.output for p in range(people))
    assert "more unresolved" not in everything.output
