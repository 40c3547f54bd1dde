"""Network rules on a real network: scanners' probes are not sessions, and direction
comes from the sensor, not from which address happens to be public.

``tests/sources/zeek/samples/conn-scans.log`` has the shape of the Stratosphere
Laboratory's CTU captures (Zeek conn.log of a university network whose hosts have
public addresses, 147.32.0.0/16; the scanners' addresses are well-known Internet
scanners): unanswered inbound scans of 3389, 5900 and 5938 (conn_state S0, REJ,
RSTOS0, SH, OTH, and a handshake without payload), one real inbound RDP session, the
local host's own outbound RDP to a server outside, an unanswered attempt to AnyDesk's
relay port, and a VNC session into the local host. Before, every scan was a
remote_access_port finding about the scanner and an rdp_from_internet "session", and
the outside server of the outbound RDP was "reached from the Internet".
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from farmhunt import pipeline
from farmhunt.detect.model import Finding
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.store import Workspace

SAMPLE = Path(__file__).parents[1] / "sources" / "zeek" / "samples" / "conn-scans.log"
LOCAL = "147.32.84.165"


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Finding]]:
    root = tmp_path_factory.mktemp("noise")
    shutil.copy(SAMPLE, root / "conn.log")
    ws = Workspace(root / "ws", create=True)
    ingest_paths(ws, [str(root / "conn.log")])
    by_rule: dict[str, list[Finding]] = {}
    for finding in pipeline.analyse(ws).detected.findings:
        by_rule.setdefault(finding.rule.id, []).append(finding)
    return by_rule


def test_only_the_real_inbound_rdp_session_is_reported(
    findings: dict[str, list[Finding]],
) -> None:
    (rdp,) = findings["network.rdp_from_internet"]
    assert rdp.subject == LOCAL
    assert rdp.event_count == 1
    assert [c["ip"] for c in rdp.evidence["clients"]] == ["218.92.0.107"]
    # the scans are counted as what they are: probes from other addresses
    assert rdp.evidence["probes_from_other_addresses"] == 5
    assert rdp.evidence["probing_addresses"] == 5
    assert "94.23.1.10" not in rdp.explanation  # the host's own outbound RDP


def test_remote_access_ports_report_the_host_not_the_scanners(
    findings: dict[str, list[Finding]],
) -> None:
    (out,) = findings["network.remote_access_port"]
    assert out.subject == LOCAL  # the unanswered attempt to AnyDesk's relay
    assert out.event_count == 1
    (into,) = findings["network.remote_access_listener"]
    assert into.subject == LOCAL  # the VNC session into the host, not its client
    assert into.event_count == 1


def _without_local_flags(text: str) -> str:
    """The sample as a sensor without Site::local_nets writes it: local_* unset."""
    lines = text.splitlines()
    fields = next(line for line in lines if line.startswith("#fields")).split("\t")[1:]
    orig, resp = fields.index("local_orig"), fields.index("local_resp")
    out = []
    for line in lines:
        if not line.startswith("#"):
            parts = line.split("\t")
            parts[orig] = parts[resp] = "-"
            line = "\t".join(parts)
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("configured", [False, True])
def test_without_a_direction_the_destination_must_be_the_companys(
    tmp_path: Path, configured: bool
) -> None:
    from farmhunt.settings import Settings, parse_settings

    log = tmp_path / "conn.log"
    log.write_text(_without_local_flags(SAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    ws = Workspace(tmp_path / "ws", create=True)
    ingest_paths(ws, [str(log)])
    # the university's public range, declared as the company's own
    settings = (
        parse_settings("network:\n  private_ranges: [147.32.0.0/16]\n")
        if configured
        else Settings()
    )
    rdp = [
        f
        for f in pipeline.analyse(ws, settings).detected.findings
        if f.rule.id == "network.rdp_from_internet"
    ]
    if not configured:
        assert rdp == []  # neither end is known to be the company's: no claim
        return
    (finding,) = rdp
    assert finding.subject == LOCAL
    assert [c["ip"] for c in finding.evidence["clients"]] == ["218.92.0.107"]
