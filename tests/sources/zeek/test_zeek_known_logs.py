"""Zeek JSON logs without ``_path`` or a connection id are Zeek's, not unknown JSON.

``LogAscii::use_json=T`` writes no ``_path``; software, x509, known_hosts, stats …
have no ``id.orig_h``. A folder of such logs made ``ingest`` report "JSON records of
no known source" for each of them. The samples ``software.json``, ``x509.json`` and
``known_hosts.json`` are the first entries of Brim's zed-sample-data (zeek-json/,
Zeek 6.2 over the WRCCDC 2018 captures, CC BY-SA 4.0) as LogAscii::use_json writes
them: ``_path`` and ``_write_ts`` removed, ``ts`` in epoch seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.sources import read_sample
from farmhunt.sources.registry import choose_parser
from farmhunt.sources.zeek.known_logs import known_log
from farmhunt.store import Workspace

SAMPLES = Path(__file__).parent / "samples"
PATHLESS = ("software.json", "x509.json", "known_hosts.json")

# zed-sample-data zeek-json entries of logs with no connection id (values shortened)
ENTRIES = {
    "stats": {"ts": 1521911720.600725, "peer": "zeek", "mem": 110, "pkts_proc": 1,
              "bytes_recv": 1514, "events_proc": 522},
    "capture_loss": {"ts": 1521911780.600775, "ts_delta": 60.0, "peer": "zeek",
                     "gaps": 0, "acks": 0, "percent_lost": 0.0},
    "known_services": {"ts": 1521911720.609125, "host": "10.47.8.10", "port_num": 80,
                       "port_proto": "tcp", "service": ["HTTP"]},
    "packet_filter": {"ts": 1712950152.827586, "node": "zeek", "filter": "ip or not ip",
                      "init": True, "success": True},
    "loaded_scripts": {"name": "  /opt/zeek/share/zeek/base/bif/const.bif.zeek"},
    # logs with a connection id: Zeek's already, now named too
    "analyzer": {"ts": 1521911720.613421, "cause": "violation", "analyzer_kind": "protocol",
                 "analyzer_name": "RDP", "uid": "CIOuwB3kJLIhO8re94",
                 "id.orig_h": "10.164.94.120", "id.orig_p": 44749,
                 "id.resp_h": "10.47.8.208", "id.resp_p": 3389,
                 "failure_reason": "Binpac exception: string mismatch"},
    "syslog": {"ts": 1521911747.733658, "uid": "CgDNpczQ7oLqM2Ta5",
               "id.orig_h": "10.47.22.82", "id.orig_p": 62695, "id.resp_h": "10.47.2.153",
               "id.resp_p": 514, "proto": "udp", "facility": "LOCAL0", "severity": "INFO",
               "message": "1 2018-03-24T08:59:37-07:00 PC-helen.jerry.land EvntSLog - - -"},
}  # fmt: skip


@pytest.mark.parametrize("name", PATHLESS)
def test_pathless_logs_are_recognised_as_zeek_json(name: str) -> None:
    assert choose_parser(read_sample(str(SAMPLES / name))).name == "zeek-json"


@pytest.mark.parametrize("log", sorted(ENTRIES))
def test_each_log_is_named_by_its_fields(log: str) -> None:
    assert known_log(ENTRIES[log]) == log


def test_ordinary_json_is_not_taken_for_a_zeek_log() -> None:
    assert known_log({"ts": 1, "host": "web-01"}) is None  # a host name, not an address
    assert known_log({"name": "report.pdf"}) is None
    assert known_log({"ts": 1, "host": "10.0.0.1", "user": "ann"}) is None


def test_a_folder_of_pathless_logs_imports_with_each_log_named(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in PATHLESS:
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    for log, entry in ENTRIES.items():
        (folder / f"{log}.json").write_text(json.dumps(entry) + "\n", encoding="utf-8")
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(folder)])
    assert {r.format for r in results} == {"zeek-json"}
    assert {r.status for r in results} == {"imported"}
    con = ws.connect()
    named = con.execute(
        'select "metadata.log_name", count(*) from base_event group by 1 order by 1'
    ).fetchall()
    assert named == [
        ("analyzer", 1),
        ("capture_loss", 1),
        ("known_hosts", 2),
        ("known_services", 1),
        ("packet_filter", 1),
        ("software", 3),
        ("stats", 1),
        ("syslog", 1),
        ("x509", 2),
    ]
    # loaded_scripts has no time at all: counted, with the log named
    reasons = con.execute("select reason from quarantine").fetchall()
    assert reasons == [("ts of the loaded_scripts entry is missing",)]
