"""End to end: one ``farmhunt ingest`` over a mixed folder links people across sources.

The folder is every ``examples/*/`` that exists (each source ships its demo files there)
plus an OCSF data-lake export written for this test. The HR roster and the laptop
inventory in ``examples/hr/`` plant the people and machines those files name; whatever
other sources' examples exist, each planted identity they mention must resolve to its
worker, and the lake export's identities always must.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.enrich.identity import event_identifiers_sql
from farmhunt.store.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
LAKE = Path(__file__).parent / "lake" / "security-lake-export.jsonl"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_one_ingest_links_people_across_sources(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    for folder in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        shutil.copytree(folder, mixed / folder.name)
    shutil.copy(LAKE, mixed / LAKE.name)
    out = CliRunner().invoke(app, ["ingest", str(mixed), "--workspace", str(tmp_path / "ws")])
    assert "Identity:" in out.output, out.output
    assert "[hr_roster]  14 stored, 0 rejected" in out.output
    assert "[device_inventory]  7 stored, 0 rejected" in out.output

    roster = {
        r["Primary Work Email"].lower(): r["Employee ID"]
        for r in _read(EXAMPLES / "hr" / "workers-report.csv")
    }
    usernames = {
        r["Username"].lower(): r["Employee ID"]
        for r in _read(EXAMPLES / "hr" / "workers-report.csv")
        if r["Username"]
    }
    owner_of: dict[tuple[str, str], str] = {}
    for row in _read(EXAMPLES / "hr" / "laptop-inventory.csv"):
        worker = roster[row["Checked Out To"].lower()]
        owner_of[("hostname", row["Asset Name"].lower())] = worker
        owner_of[("serial", row["Serial"].lower())] = worker
        if row["Device ID"]:
            owner_of[("device_uid", row["Device ID"].lower())] = worker

    with Workspace(tmp_path / "ws") as ws:
        con = ws.connect()
        links = con.execute(
            "SELECT identifier_type, identifier, worker_id, method, evidence FROM worker_links"
        ).fetchall()
        checked = 0
        for kind, ident, worker, method, evidence in links:
            key = ident.lower()
            if kind in ("email", "upn", "saml_nameid") and key in roster:
                expected = roster[key]
            elif kind == "hostname" and ("hostname", key.split(".")[0]) in owner_of:
                expected = owner_of[("hostname", key.split(".")[0])]
            elif (kind, key) in owner_of:
                expected = owner_of[(kind, key)]
            elif kind == "username" and key.rsplit("\\", 1)[-1] in usernames:
                expected = usernames[key.rsplit("\\", 1)[-1]]
            else:
                continue
            checked += 1
            assert worker == expected, (kind, ident, method, evidence)

        # The lake export alone names four planted people and two planted laptops.
        by_ident = {(k, i): (w, m) for k, i, w, m, _ in links}
        assert by_ident[("upn", "michael.chen@example.com")] == ("E-1001", "upn")
        assert by_ident[("user_uid", "00ub9mchen0001")] == ("E-1001", "same_event")
        assert by_ident[("username", "mchen")] == ("E-1001", "roster_username")
        assert by_ident[("hostname", "dev-ws-0142")] == ("E-1001", "device_owner")
        assert by_ident[("hostname", "DESKTOP-7QK2M4F")] == ("E-1013", "device_owner")
        assert by_ident[("username", "CORP\\jmiller")] == ("E-1013", "roster_username")
        assert by_ident[("email", "alice.nguyen@northwind-labs.com")] == ("E-1004", "exact_email")
        assert checked >= 7

        # Michael Chen's events, from every file that names him however it does.
        files = con.execute(
            f"SELECT DISTINCT e.file FROM ({event_identifiers_sql()}) e "
            "JOIN worker_links l USING (identifier_type, identifier) "
            "WHERE l.worker_id = 'E-1001'"
        ).fetchall()
        families = {Path(f).relative_to(mixed).parts[0] for (f,) in files}
        assert LAKE.name in families
        others = {
            p.parent.name
            for p in mixed.rglob("*")
            if p.is_file()
            and p.parent != mixed
            and p.parent.name != "hr"
            and p.suffix != ".gz"
            and p.suffix != ".evtx"
            and "michael.chen@example.com" in p.read_text(encoding="utf-8", errors="replace")
        }
        assert others <= families, (others, families)  # each example naming him links
