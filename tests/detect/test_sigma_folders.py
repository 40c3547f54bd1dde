"""Loading folders of plain Sigma rules (SigmaHQ, LOLRMM): one bad file does not stop
the rest, and Sysmon fields whose values the store recodes (``Initiated``) run."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from farmhunt.cli.detect_view import run_rules_validate
from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import load_rules
from farmhunt.detect.testing import connection_with

# The shape of SigmaHQ's net_connection_win_remote_access_tools_anydesk_incoming_connection
ANYDESK_INCOMING = """\
title: Remote Access Tool - AnyDesk Incoming Connection
id: d58ba5c6-0ed7-4b9d-a433-6878379efda9
status: test
description: Detects incoming connections to AnyDesk.
tags:
  - attack.command-and-control
  - attack.t1219.002
logsource:
  category: network_connection
  product: windows
detection:
  selection:
    Image|endswith:
      - '\\AnyDesk.exe'
      - '\\AnyDeskMSI.exe'
    Initiated: 'false'
  condition: selection
falsepositives:
  - Legitimate incoming connections (e.g. sysadmin activity)
level: medium
"""

OBSOLETE = """\
title: An old rule with a relation type pySigma no longer accepts
id: 0a0a0a0a-1111-2222-3333-444444444444
related:
  - id: 0b0b0b0b-1111-2222-3333-444444444444
    type: obsoletes
logsource: {category: process_creation, product: windows}
detection:
  sel: {Image|endswith: '\\x.exe'}
  condition: sel
level: low
"""

IMAGE_LOAD = """\
title: An image load rule
id: 0c0c0c0c-1111-2222-3333-444444444444
logsource: {category: image_load, product: windows}
detection:
  sel: {ImageLoaded|endswith: '.dll'}
  condition: sel
level: low
"""


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sigma"
    folder.mkdir()
    (folder / "anydesk_incoming.yml").write_text(ANYDESK_INCOMING)
    (folder / "obsolete.yml").write_text(OBSOLETE)
    (folder / "image_load.yml").write_text(IMAGE_LOAD)
    return folder


def test_an_unreadable_sigma_file_is_reported_and_the_rest_load(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    ruleset = load_rules([folder])
    assert [r.title for r in ruleset.rules] == ["Remote Access Tool - AnyDesk Incoming Connection"]
    (unreadable,) = ruleset.unreadable
    assert unreadable.startswith(f"{folder / 'obsolete.yml'}:1: ")
    assert "obsoletes" in unreadable
    (skipped,) = ruleset.skipped
    assert "image_load" in skipped


def test_rules_validate_names_the_skipped_files_and_why(tmp_path: Path) -> None:
    console = Console(record=True, width=300)
    assert run_rules_validate([_folder(tmp_path)], console, Console(record=True)) == 0
    out = console.export_text()
    assert "could not be read" in out and "obsolete.yml:1" in out and "obsoletes" in out
    assert "image_load.yml:1" in out


def test_sysmon_initiated_maps_to_the_connection_direction(tmp_path: Path) -> None:
    path = tmp_path / "anydesk_incoming.yml"
    path.write_text(ANYDESK_INCOMING)
    anydesk = r"C:\Program Files (x86)\AnyDesk\AnyDesk.exe"
    rows = [
        # inbound (Initiated false, as the Sysmon parser stores it): fires
        {"device.hostname": "IN", "process.file.path": anydesk, "connection_info.direction_id": 1},
        # outbound to AnyDesk's relays, and a connection whose direction is unknown: quiet
        {"device.hostname": "OUT", "process.file.path": anydesk, "connection_info.direction_id": 2},
        {"device.hostname": "UNKNOWN", "process.file.path": anydesk},
    ]
    ctx = make_context(connection_with({"network_activity": rows}))
    assert {f.subject for f in run_rules(ctx, load_rules([path]))} == {"IN"}


def test_initiated_true_selects_outbound(tmp_path: Path) -> None:
    path = tmp_path / "outbound.yml"
    path.write_text(ANYDESK_INCOMING.replace("Initiated: 'false'", "Initiated: true"))
    anydesk = r"C:\AnyDesk\AnyDesk.exe"
    rows = [
        {"device.hostname": "IN", "process.file.path": anydesk, "connection_info.direction_id": 1},
        {"device.hostname": "OUT", "process.file.path": anydesk, "connection_info.direction_id": 2},
    ]
    ctx = make_context(connection_with({"network_activity": rows}))
    assert {f.subject for f in run_rules(ctx, load_rules([path]))} == {"OUT"}


def test_a_value_initiated_does_not_take_is_skipped_at_load_not_at_run(tmp_path: Path) -> None:
    path = tmp_path / "odd.yml"
    path.write_text(ANYDESK_INCOMING.replace("Initiated: 'false'", "Initiated: 'maybe'"))
    ruleset = load_rules([path])
    assert not ruleset.rules
    (skipped,) = ruleset.skipped
    assert "Initiated" in skipped and "'maybe'" in skipped
