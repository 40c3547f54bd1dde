"""The benchmark harness's plumbing: measuring children, the floor, the peer, the results.

No figure is asserted (timings depend on the machine); what is checked is that every
measure is taken on the same files, that both engines agree, and the results' shape.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from farmhunt.bench.floor import file_kind, raw_read_floor
from farmhunt.bench.measure import parse_gnu_time, run_measured
from farmhunt.bench.run import TARGETS, run_bench
from farmhunt.bench.view import parse_sizes
from farmhunt.cli.app import app

GNU_TIME_SAMPLE = """\
\tCommand being timed: "python -m farmhunt ingest x"
\tUser time (seconds): 110.86
\tSystem time (seconds): 3.00
\tPercent of CPU this job got: 99%
\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:54.68
\tMaximum resident set size (kbytes): 1471264
"""


def test_gnu_time_report_is_read() -> None:
    found = parse_gnu_time(GNU_TIME_SAMPLE)
    assert found == {
        "user": 110.86,
        "system": 3.0,
        "elapsed": pytest.approx(114.68),
        "max_rss": 1471264 * 1024,
    }
    assert parse_gnu_time("\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03.5\n") == {
        "elapsed": 3723.5
    }


@pytest.mark.parametrize("gnu", [True, False])
def test_child_is_measured_with_and_without_gnu_time(tmp_path: Path, gnu: bool) -> None:
    if gnu and not Path("/usr/bin/time").exists():
        pytest.skip("no GNU time here")
    script = "x = bytearray(64 * 1024 * 1024); print('done')"
    measured = run_measured(
        [sys.executable, "-c", script], log=tmp_path / "child.log", use_gnu_time=gnu
    )
    assert measured.returncode == 0 and "done" in measured.output_tail
    assert measured.method == ("time -v" if gnu else "getrusage")
    assert measured.peak >= 64 * 1024 * 1024
    assert measured.seconds > 0


def test_failing_child_is_an_error_with_its_output(tmp_path: Path) -> None:
    from farmhunt.bench.measure import StageFailed

    with pytest.raises(StageFailed, match="boom"):
        run_measured(
            [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"],
            log=tmp_path / "child.log",
        )


def test_floor_reads_every_kind_and_says_what_it_could_not(tmp_path: Path) -> None:
    (tmp_path / "a.ndjson").write_text('{"a": 1, "b": {"c": "x"}}\n{"a": 2, "b": {"c": "y"}}\n')
    # keys that differ only by case, as Winlogbeat writes them: read with nested JSON values
    (tmp_path / "w.json").write_text('{"e": {"LogonId": "1", "LogonID": "2"}}\n')
    (tmp_path / "conn.log").write_text(
        "#separator \\x09\n#fields\tts\tuid\n#types\ttime\tstring\n1.0\tC1\n2.0\tC2\n3.0\tC3\n"
        "#close\t2025-11-03-01-00-00\n"
    )
    (tmp_path / "roster.csv").write_text("employee_id,email\nE1,a@example.com\n")
    (tmp_path / "notes.txt").write_text("hello\n")
    assert file_kind(str(tmp_path / "conn.log")) == "zeek-tsv"
    floor = raw_read_floor(tmp_path)
    assert floor.records == 2 + 1 + 3 + 1
    assert dict(floor.files) == {"json": 2, "zeek-tsv": 1, "csv": 1}
    assert floor.json_fallbacks == 1
    assert [u.split(": ")[0] for u in floor.unread] == [str(tmp_path / "notes.txt")]
    assert floor.seconds > 0 and floor.records_only_seconds > 0


def test_sizes_are_parsed_and_bad_ones_refused() -> None:
    assert parse_sizes("10M,1_000_000,250k") == [250_000, 1_000_000, 10_000_000]
    with pytest.raises(ValueError, match="event count"):
        parse_sizes("ten")
    result = CliRunner().invoke(app, ["bench", "--events", "12"])
    assert result.exit_code == 2 and "event count" in result.output


def test_one_run_on_a_tiny_corpus_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    results = run_bench([5000], out)
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk["schema_version"] == 1 and on_disk["sizes"][0]["events_target"] == 5000
    machine = on_disk["machine"]
    assert machine["cores"] >= 1 and machine["python"] and machine["duckdb"]
    [size] = results["sizes"]
    for stage in ("ingest", "detect", "score"):
        assert size[stage]["returncode"] == 0
        assert size[stage]["seconds"] > 0 and size[stage]["peak_bytes"] > 0
    # the floor and ingest read the same files: every raw record is stored or quarantined
    assert size["records"] > 1000 and not size["floor"]["unread"]
    assert size["stored"]["rows"] + size["stored"]["rejected"] >= size["records"]
    peer = size["peer"]
    assert {t["table"] for t in peer["tables"]} == {"process_activity", "network_activity"}
    assert peer["rules"] > 400 and not peer["unconverted"]
    assert peer["disagreements"] == [], "both engines find the same events per rule"
    assert all(t["farmhunt_matches"] == t["sqlite_matches"] for t in peer["tables"])
    assert set(results["targets"]) == {*TARGETS, "largest_records"}
    assert results["targets"]["pipeline_10m"]["met"] is None  # no 10M corpus measured
    assert not (out / "workspace-5000").exists(), "workspaces are removed unless --keep"
    # a second run reuses the corpus
    again = run_bench([5000], out, keep=True)
    assert "simulate" not in again["sizes"][0] and (out / "workspace-5000").exists()
