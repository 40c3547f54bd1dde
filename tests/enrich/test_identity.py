"""Identity resolution over a workspace built by the real ingest pipeline.

``data/`` holds a roster (and a later re-export), an inventory and OCSF events (the
passthrough source) that name people and hosts every way the methods cover;
``aliases.csv`` is the analyst's alias file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.enrich.identity import (
    ALIASES_FILE,
    IDENTIFIER_SOURCES,
    METHODS,
    NOT_LINKED,
    AliasError,
    event_identifiers_sql,
    load_alias_file,
    resolve,
)
from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.schema import DERIVED_TABLES, TABLES
from farmhunt.store.workspace import Workspace

HERE = Path(__file__).parent
DATA = HERE / "data"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("identity") / "ws"
    ws = Workspace(root, create=True)
    results = ingest_paths(ws, [str(DATA)])
    assert {(r.format, r.status, r.rejected) for r in results} == {
        ("ocsf", "imported", 0),
        ("hr_roster", "imported", 0),
        ("device_inventory", "imported", 0),
    }
    shutil.copy(HERE / "aliases.csv", root / ALIASES_FILE)
    result = resolve(ws)
    assert result.problems == []
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def links(workspace: Workspace) -> dict[tuple[str, str], dict[str, Any]]:
    con = workspace.connect()
    cursor = con.execute("SELECT * FROM worker_links")
    names = [d[0] for d in cursor.description]
    return {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}


def _link(links: dict[tuple[str, str], dict[str, Any]], kind: str, ident: str) -> dict[str, Any]:
    assert (kind, ident) in links, sorted(links)
    return links[(kind, ident)]


@pytest.mark.parametrize(
    "kind,ident,worker,method",
    [
        ("email", "jane.doe@example.com", "E1", "exact_email"),
        ("email", "Bob.Smith@EXAMPLE.com", "E2", "email_case_insensitive"),
        ("upn", "jane.doe@example.com", "E1", "upn"),
        ("username", "CORP\\bsmith", "E2", "roster_username"),
        ("username", "eve.moss", "E8", "local_part"),
        ("username", "E8", "E8", "employee_id"),
        ("email", "bobby.s@gmail.com", "E2", "personal_email"),
        ("email", "frank.lee@example.com", "E9", "earlier_roster_email"),
        ("hostname", "LT-JANE.corp.example.com", "E1", "device_owner"),
        ("serial", "PF-BOB-002", "E2", "device_owner"),
        ("hostname", "renamed-host", "E2", "same_event"),
        ("user_uid", "00u1jane", "E1", "same_event"),
        ("saml_nameid", "bob.smith@example.com", "E2", "exact_email"),
        ("github_login", "octo-bob", "E2", "saml_identity"),
        ("github_login", "lake-dev", "E8", "saml_identity"),
        ("github_login", "carol-gh", "E5", "roster_github"),
        ("github_login", "ghost-coder", "E3", "alias_file"),
    ],
)
def test_linked(
    links: dict[tuple[str, str], dict[str, Any]], kind: str, ident: str, worker: str, method: str
) -> None:
    link = _link(links, kind, ident)
    assert (link["worker_id"], link["method"]) == (worker, method), link["evidence"]
    spec = {m.name: m for m in METHODS}[method]
    assert link["confidence"] == spec.confidence
    assert link["candidates"][0] == worker or worker in link["candidates"]
    assert link["evidence"].startswith(f"{method}: ")
    assert link["worker_email"] and link["worker_name"]


def test_evidence_names_the_rows_that_made_the_link(
    links: dict[tuple[str, str], dict[str, Any]],
) -> None:
    host = _link(links, "hostname", "LT-JANE.corp.example.com")["evidence"]
    assert "inventory.csv:2: asset A-1 assigned to jane.doe@example.com (hostname match)" in host
    assert "roster.csv:2: employee E1 (jane.doe@example.com)" in host
    saml = _link(links, "github_login", "octo-bob")["evidence"]
    assert "named with saml_nameid bob.smith@example.com (worker E2)" in saml
    assert "events.jsonl:8" in saml
    alias = _link(links, "github_login", "ghost-coder")["evidence"]
    assert "alias file line 3: ghost-coder -> alex@example.com" in alias
    moved = _link(links, "email", "frank.lee@example.com")
    assert "had email frank.lee@example.com" in moved["evidence"]
    assert moved["worker_email"] == "frank.li@example.com"  # the latest roster row wins


def test_ambiguous_identifiers_are_flagged_not_guessed(
    links: dict[tuple[str, str], dict[str, Any]],
) -> None:
    for kind, ident, candidates in [
        ("username", "alex", ["E3", "E4"]),  # local part of two roster emails
        ("email", "shared@example.com", ["E6", "E7"]),  # two workers with one email
        ("hostname", "LT-SHARED", ["E1", "E5"]),  # two inventory rows, two owners
    ]:
        link = _link(links, kind, ident)
        assert link["method"] == "ambiguous"
        assert link["worker_id"] is None and link["confidence"] is None
        assert link["candidates"] == candidates
        assert link["evidence"].startswith("2 workers match equally")


def test_unresolved_identifiers_are_kept_with_the_reason(
    links: dict[tuple[str, str], dict[str, Any]],
) -> None:
    stranger = _link(links, "email", "stranger@gmail.com")
    assert (stranger["worker_id"], stranger["method"]) == (None, "unresolved")
    assert stranger["evidence"] == "no roster, inventory or alias entry matches"
    ghost = _link(links, "serial", "XYZ999")
    assert ghost["method"] == "unresolved"
    assert "assigned to former.employee@example.com" in ghost["evidence"]
    assert "not in the roster" in ghost["evidence"]
    mystery = _link(links, "username", "mystery")
    assert mystery["method"] == "unresolved"
    assert "alias file line 4 names worker nobody@example.com" in mystery["evidence"]
    jdoe = _link(links, "username", "jdoe")  # no unique local part: not guessed as E1
    assert jdoe["method"] == "unresolved" and jdoe["event_count"] == 2
    system = _link(links, "username", "NT AUTHORITY\\SYSTEM")
    assert (system["worker_id"], system["method"]) == (None, "system_account")


def test_conflicting_weaker_links_are_reported(
    links: dict[tuple[str, str], dict[str, Any]],
) -> None:
    # bsmith is Bob's roster username, but one event pairs it with Carol's email.
    link = _link(links, "username", "bsmith")
    assert (link["worker_id"], link["method"]) == ("E2", "roster_username")
    assert link["candidates"] == ["E2", "E5"]
    assert "weaker candidates: same_event -> E5" in link["evidence"]


def test_counts_times_and_places(links: dict[tuple[str, str], dict[str, Any]]) -> None:
    jane = _link(links, "email", "jane.doe@example.com")
    assert jane["event_count"] == 2  # the sign-in and the Drive share (twice in that one)
    assert jane["first_seen"].isoformat() == "2025-11-01T12:00:00+00:00"
    assert jane["last_seen"].isoformat() == "2025-11-01T12:11:00+00:00"
    assert jane["seen_in"] == [
        "authentication.user.email_addr",
        "file_hosting_activity.actor.user.email_addr",
        "file_hosting_activity.file.owner.email_addr",
    ]
    assert all(link["seen_in"] for link in links.values())
    # Every identifier in the events has exactly one row.
    assert len(links) == 30


def test_every_event_identifier_joins_to_a_link(workspace: Workspace) -> None:
    con = workspace.connect()
    missing = con.execute(
        f"SELECT count(*) FROM ({event_identifiers_sql()}) e "
        "LEFT JOIN worker_links l USING (identifier_type, identifier) WHERE l.identifier IS NULL"
    ).fetchone()
    assert missing == (0,)
    workers = con.execute(
        f"SELECT DISTINCT l.worker_id FROM ({event_identifiers_sql(['api_activity'])}) e "
        "JOIN worker_links l USING (identifier_type, identifier) ORDER BY 1"
    ).fetchall()
    assert workers == [("E2",), ("E3",), ("E5",), ("E8",)]


def test_resolution_is_repeatable(workspace: Workspace) -> None:
    con = workspace.connect()
    before = con.execute("SELECT * FROM worker_links").fetchall()
    resolve(workspace)
    assert workspace.connect().execute("SELECT * FROM worker_links").fetchall() == before


def test_identifier_sources_name_real_columns() -> None:
    for source in IDENTIFIER_SOURCES:
        if source.column.startswith("unmapped:"):
            continue
        assert any(t.has_column(source.column) for t in TABLES.values()), source.column
    assert "worker_links" in DERIVED_TABLES


def test_alias_file_problems(tmp_path: Path) -> None:
    bad = tmp_path / "aliases.csv"
    bad.write_text("identifier,worker\nonly-one-cell\nx,E1,shoe_size\n", encoding="utf-8")
    with pytest.raises(AliasError) as caught:
        load_alias_file(bad)
    assert "line 2: expected identifier,worker" in str(caught.value)
    assert "line 3: unknown identifier type 'shoe_size'" in str(caught.value)
    assert [a.identifier for a in load_alias_file(HERE / "aliases.csv")] == [
        "ghost-coder",
        "mystery",
    ]


def test_no_roster_leaves_everything_unresolved(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    ingest_paths(ws, [str(DATA / "events.jsonl")])
    result = resolve(ws)
    assert result.roster_workers == 0 and result.resolved == 0
    assert result.identifiers == result.unresolved + result.system
    ws.close()


def test_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    out = runner.invoke(
        app, ["ingest", str(DATA), "--workspace", str(ws), "--aliases", str(HERE / "aliases.csv")]
    )
    assert out.exit_code == 0, out.output
    assert "Identity: 30 identifiers; 21 linked to 6 of 9 roster workers" in out.output
    assert (ws / ALIASES_FILE).read_bytes() == (HERE / "aliases.csv").read_bytes()
    out = runner.invoke(app, ["resolve", "--workspace", str(ws)])
    assert out.exit_code == 0 and "21 linked" in out.output
    out = runner.invoke(app, ["stats", "--workspace", str(ws)])
    assert out.exit_code == 0
    assert "HR roster: 9 workers (10 rows from 2 files)" in out.output
    assert "Unresolved identifiers" in out.output and "stranger@gmail.com" in out.output
    assert "Ambiguous identifiers" in out.output and "E6, E7" in out.output
    # Unusable options stop before anything is imported.
    bad = tmp_path / "bad.csv"
    bad.write_text("just-one-cell\n", encoding="utf-8")
    out = runner.invoke(
        app, ["ingest", str(DATA), "-w", str(tmp_path / "w2"), "--aliases", str(bad)]
    )
    assert out.exit_code == 2 and not (tmp_path / "w2").exists()
    out = runner.invoke(
        app, ["ingest", str(DATA), "-w", str(tmp_path / "w3"), "--column-map", "no-such-map"]
    )
    assert out.exit_code == 2 and "no shipped mapping of that name" in out.output


def test_docs_describe_every_method_and_source() -> None:
    text = (HERE.parents[1] / "docs" / "identity.md").read_text(encoding="utf-8")
    for method in METHODS:
        assert f"| `{method.name}` | {method.rank} | {method.confidence} |" in text, method.name
    for source in IDENTIFIER_SOURCES:
        column = source.column.split(":", 1)[-1]
        assert f"`{column}`" in text, column
    for name in NOT_LINKED:
        assert f"| `{name}` |" in text, name


def test_same_event_evidence_gives_the_first_file_and_its_lowest_record(tmp_path: Path) -> None:
    """The example event is the first file by name and the lowest record number in it
    (record 9 before record 10, which text order would put first)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "roster.csv", data / "roster.csv")
    line = (DATA / "events.jsonl").read_text().splitlines()[7]  # octo-bob with bob's SAML email
    filler = line.replace("octo-bob", "someone-else").replace("bob.smith@", "nobody@")
    for name, before in (("b-later.jsonl", 3), ("a-first.jsonl", 8)):
        (data / name).write_text("\n".join([filler] * before + [line, line]) + "\n")
    ws = Workspace(tmp_path / "ws", create=True)
    try:
        ingest_paths(ws, [str(data)])
        resolve(ws)
        row = (
            ws.connect()
            .execute("SELECT evidence FROM worker_links WHERE identifier = 'octo-bob'")
            .fetchone()
        )
    finally:
        ws.close()
    assert row is not None
    assert "in 4 api_activity event(s), e.g. " in row[0]
    assert row[0].endswith("a-first.jsonl:9"), row[0]
