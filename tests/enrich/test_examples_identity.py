"""End to end: one ``farmhunt ingest examples`` stores every source and links people.

``examples/`` ships demo files of every source farmhunt reads (one folder per source,
``ocsf/`` being a security data-lake export). One ingest of the folder must store each
format with no rejection and no error, and the identity table must put the people the
HR roster and laptop inventory in ``examples/hr/`` plant on events of several sources.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.enrich.identity import event_identifiers_sql
from farmhunt.sources import read_sample
from farmhunt.sources.registry import choose_parser
from farmhunt.store.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
LAKE = EXAMPLES / "ocsf" / "security-lake-export.jsonl"
IDENTITY_PROVIDERS = {"okta", "entra_signin", "google_workspace"}
DEVICE_OR_CODE = {"osquery", "evtx", "github_audit"}
ISSUE_SOURCES = {
    # Every source of the ingestion issues; examples/ must keep one file of each.
    "osquery", "evtx", "okta", "entra_signin", "google_workspace", "github_audit",
    "zeek-tsv", "zeek-json", "hr_roster", "device_inventory", "ocsf",
}  # fmt: skip


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One ``farmhunt ingest examples`` run: (workspace, its output)."""
    ws = tmp_path_factory.mktemp("examples") / "ws"
    out = CliRunner().invoke(app, ["ingest", str(EXAMPLES), "--workspace", str(ws)])
    assert out.exit_code == 0, out.output
    return ws, out.output


def _example_files() -> list[Path]:
    return sorted(p for p in EXAMPLES.rglob("*") if p.is_file() and not p.name.startswith("."))


def test_every_source_format_in_examples_is_stored_without_errors(
    ingested: tuple[Path, str],
) -> None:
    ws, output = ingested
    # What each file is, decided here from its content alone.
    expected = {str(p): choose_parser(read_sample(str(p))).name for p in _example_files()}
    assert set(expected.values()) >= ISSUE_SOURCES, "examples/ lacks a source"
    with Workspace(ws) as workspace:
        imports = workspace.manifest.imports()
        assert {i.path: i.format for i in imports} == expected
        for fmt in sorted(set(expected.values())):
            mine = [i for i in imports if i.format == fmt]
            assert all(i.status == "complete" and i.error is None for i in mine), mine
            assert sum(i.stored for i in mine) > 0, f"{fmt}: nothing stored"
            assert sum(i.rejected for i in mine) == 0, f"{fmt}: records rejected"
        con = workspace.connect()
        assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
        # Zeek's TSV logs of all four kinds the issue names reach their OCSF tables.
        zeek = {
            (table, log)
            for table in ("network_activity", "dns_activity", "rdp_activity")
            for (log,) in con.execute(
                f'SELECT DISTINCT "metadata.log_name" FROM {table} '
                "WHERE \"raw_source.format\" = 'zeek-tsv'"
            ).fetchall()
        }
    assert {log for _, log in zeek} >= {"conn", "dns", "ssl", "rdp"}, zeek
    assert not [line for line in output.splitlines() if line.split()[:1] == ["error"]]


def test_identity_links_a_person_across_at_least_three_sources(
    ingested: tuple[Path, str],
) -> None:
    ws, _ = ingested
    roster = {r["Employee ID"] for r in _read(EXAMPLES / "hr" / "workers-report.csv")}
    with Workspace(ws) as workspace:
        format_of = {i.path: i.format for i in workspace.manifest.imports()}
        rows = (
            workspace.connect()
            .execute(
                f"SELECT DISTINCT l.worker_id, e.file FROM ({event_identifiers_sql()}) e "
                "JOIN worker_links l USING (identifier_type, identifier) "
                "WHERE l.worker_id IS NOT NULL"
            )
            .fetchall()
        )
    sources: dict[str, set[str]] = defaultdict(set)
    for worker, file in rows:
        sources[worker].add(format_of[file])
    assert set(sources) <= roster
    across = {
        w: s
        for w, s in sources.items()
        if len(s) >= 3 and s & IDENTITY_PROVIDERS and s & DEVICE_OR_CODE
    }
    assert across, f"no roster worker linked across an IdP, a device source and a third: {sources}"


def test_planted_identities_resolve_to_their_workers(ingested: tuple[Path, str]) -> None:
    ws, output = ingested
    mixed = EXAMPLES
    assert "Identity:" in output, output

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

    with Workspace(ws) as workspace:
        con = workspace.connect()
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
        assert LAKE.parent.name in families
        others = {
            p.parent.name
            for p in mixed.rglob("*")
            if p.is_file()
            and p.parent.name != "hr"
            and p.suffix != ".gz"
            and p.suffix != ".evtx"
            and "michael.chen@example.com" in p.read_text(encoding="utf-8", errors="replace")
        }
        assert others <= families, (others, families)  # each example naming him links
