"""``stats`` shows implausible event times on their own, and what the quarantine left out.

Events refused for a time before 1990 or after tomorrow (ingest's time range, Zeek's
relative ``ts``) appeared only inside the quarantine table, which stopped at 15 reasons
without a word: on a real export with many parse errors they were not seen at all.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from farmhunt.cli.stats_view import show_stats
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.store import Workspace
from tests.report.test_implausible_times import _sign_in
from tests.sources.zeek.test_zeek_times import SSH_TSV

# Zeek lines whose responder address is no IP: each one a distinct quarantine reason.
_BAD_IP = "1521911799.{n:06d}\tCb{n}\t10.47.27.80\t52826\tnot-an-ip-{n}\t22\t2\t-\n"


def _stats(tmp_path: Path, files: dict[str, str]) -> str:
    logs = tmp_path / "logs"
    logs.mkdir()
    for name, body in files.items():
        (logs / name).write_text(body, encoding="utf-8")
    ws = Workspace(tmp_path / "ws", create=True)
    ingest_paths(ws, [str(logs)])
    ws.close()
    console = Console(record=True, width=300)
    assert show_stats(tmp_path / "ws", console, Console(record=True, width=300)) == 0
    return console.export_text()


def test_implausible_times_are_counted_per_format_beyond_the_top_reasons(tmp_path: Path) -> None:
    header = SSH_TSV.split("1521911799.739069")[0]
    noise = header + "".join(_BAD_IP.format(n=n) for n in range(20))
    idp = [
        _sign_in("0001-01-01T00:00:00Z", 1),
        _sign_in("9999-12-31T23:59:59Z", 2),
        _sign_in("1980-01-01T00:00:00Z", 3),
        _sign_in("2025-11-04T15:00:00Z", 4),
    ]
    shown = _stats(
        tmp_path,
        {
            "a-noise.log": noise,
            "ssh.log": SSH_TSV,
            "idp.jsonl": "".join(json.dumps(e) + "\n" for e in idp),
        },
    )
    # 20 bad addresses and 4 time reasons: the top 15 are shown, the rest counted.
    assert "9 more reasons not shown" in shown and "24 reasons in all" in shown
    table = shown[shown.index("Implausible event times") :]
    zeek = next(line for line in table.splitlines() if "zeek" in line)
    assert "zeek-tsv" in zeek and "ssh.log:10" in zeek
    ocsf = next(line for line in table.splitlines() if "idp.jsonl" in line)
    assert "idp.jsonl:1" in ocsf
    assert "5 events with an implausible time: 3 before 1990" in table
    assert "2 after tomorrow" in table


def test_a_log_value_quoting_the_reason_is_not_counted_as_a_time(tmp_path: Path) -> None:
    header = SSH_TSV.split("1521911799.739069")[0]
    hostile = header + _BAD_IP.format(n=1).replace("not-an-ip-1", "is before 1990: a relative time")
    shown = _stats(tmp_path, {"ssh.log": hostile})
    assert "No event was refused for an implausible time." in shown
    assert "more reasons not shown" not in shown
