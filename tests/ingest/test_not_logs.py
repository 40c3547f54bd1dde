"""A folder of exports holds more than logs: what is plainly not a log is skipped.

The folder is laid out like the public sample collections (a README and LICENSE beside
the logs, a screenshot, the ``__MACOSX`` folder a Mac-made zip unpacks to).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from typer.testing import CliRunner

from farmhunt.cli.app import app
from tests.ingest.helpers import ingest, ndjson, ocsf_event

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    + zlib.compress(b"\x00\xff\x00\x00")
)


def _folder(root: Path) -> Path:
    logs = root / "exports"
    (logs / "__MACOSX").mkdir(parents=True)
    (logs / "edr.jsonl").write_text(ndjson([ocsf_event(0), ocsf_event(1)]))
    (logs / "README.md").write_text("# EDR export\n\nProcess events from the pilot.\n")
    (logs / "LICENSE").write_text("MIT License\n\nCopyright (c) 2024 Example\n")
    (logs / "notes.txt").write_text("Exported on Monday by the SOC, see ticket 42.\n")
    (logs / "screenshot.png").write_bytes(PNG)
    (logs / "Evtx-to-Xml.ps1").write_text("Get-WinEvent -Path $args[0] | ForEach-Object {}\n")
    (logs / "temp-plot.html").write_text("<html><body><div id='plot'></div></body></html>\n")
    (logs / "winlogbeat_example.yml").write_text("winlogbeat.event_logs:\n  - name: Security\n")
    (logs / "__MACOSX" / "._edr.jsonl").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
    return logs


def test_documentation_images_and_archive_metadata_are_skipped(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    # a folder walk never reads dot files; named on the command line, the fork is read
    results = ingest(tmp_path / "ws", folder, folder / "__MACOSX" / "._edr.jsonl")
    by_name = {Path(r.path).name: r for r in results}
    assert by_name["edr.jsonl"].status == "imported" and by_name["edr.jsonl"].stored == 2
    names = ("README.md", "LICENSE", "notes.txt", "screenshot.png", "._edr.jsonl")
    names += ("Evtx-to-Xml.ps1", "temp-plot.html", "winlogbeat_example.yml")
    for name in names:
        assert by_name[name].status == "skipped", name
        assert by_name[name].message.startswith("not a log: "), name
    assert "documentation" in by_name["README.md"].message
    assert "PNG image" in by_name["screenshot.png"].message
    assert "__MACOSX" in by_name["._edr.jsonl"].message


def test_ingest_of_such_a_folder_succeeds_and_lists_the_reasons(tmp_path: Path) -> None:
    args = ["ingest", str(_folder(tmp_path)), "--workspace", str(tmp_path / "ws")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "not a log: documentation" in result.output
    assert "2 records read, 2 stored (2 events), 0 quarantined" in result.output
    assert "(not a log)" in result.output  # the summary's row for them


def test_unknown_json_is_still_an_error(tmp_path: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text(json.dumps({"unknown": "source", "n": 1}) + "\n")
    [result] = ingest(tmp_path / "ws", odd)
    assert result.status == "error" and "JSON records of no known source" in result.message


def test_a_log_named_like_text_is_still_read(tmp_path: Path) -> None:
    log = tmp_path / "README-edr.txt"
    log.write_text(ndjson([ocsf_event(0)]))
    [result] = ingest(tmp_path / "ws", log)
    assert result.status == "imported" and result.stored == 1


def test_a_log_of_no_known_format_saved_as_text_is_still_an_error(tmp_path: Path) -> None:
    # the shape of Windows netlogon.log, as EVTX-ATTACK-SAMPLES keeps one under .txt
    log = tmp_path / "netlogon_log.txt"
    log.write_text(
        "09/14 12:33:00 [MISC] [3448] DbFlag is set to 2080ffff\n"
        "09/14 12:33:07 [SESSION] [3352] Domain01: NetrServerAuthenticate entered: DC01\n"
        "09/14 12:33:07 [CRITICAL] [3352] Domain01: NetrServerAuthenticate: Bad password\n"
    )
    [result] = ingest(tmp_path / "ws", log)
    assert result.status == "error" and "no known log format" in result.message


def test_notebooks_and_compiled_code_are_skipped(tmp_path: Path) -> None:
    notebook = tmp_path / "EVTX_Metadata.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4}))
    compiled = tmp_path / "Evtx.cpython-39.pyc"
    compiled.write_bytes(b"a\r\r\n\x00\x00\x00\x00" + bytes(range(256)))
    results = ingest(tmp_path / "ws", notebook, compiled)
    assert [(r.status, r.message) for r in results] == [
        ("skipped", "not a log: a Jupyter notebook"),
        ("skipped", "not a log: a program or compiled code"),
    ]


def test_a_packet_capture_is_skipped_with_what_to_do(tmp_path: Path) -> None:
    # the libpcap global header OTRF's .cap files start with (little-endian, v2.4)
    capture = tmp_path / "empire_psexec_dcerpc_tcp_svcctl.cap"
    capture.write_bytes(
        b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + b"\x00" * 8 + b"\xff\xff\x00\x00\x01\x00\x00\x00"
    )
    [result] = ingest(tmp_path / "ws", capture)
    assert result.status == "skipped" and "packet capture (run Zeek on it" in result.message
