"""The pieces the exfiltration and hiring analytics are built from: address
normalisation, git remote parsing, baselines, and the parameters rule files set."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from farmhunt.detect.analytics.exfiltration import (
    Actor,
    Peers,
    duration,
    looks_like_own,
    peer_values,
    quantile,
    redact,
    remote_owner,
)
from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import RuleSet, load_rules
from farmhunt.detect.testing import connection_with
from farmhunt.enrich.facts.addresses import address_key, same_place
from farmhunt.enrich.facts.roster import RosterRow

RULES = load_rules()


@pytest.mark.parametrize(
    "a,b",
    [
        ("1442 Maple Ln, Phoenix, AZ 85093, US", "1442 maple lane, phoenix arizona 85093-1234"),
        (
            "7715 Cedar Dr Apt 9, Nashville, TN 37203",
            "7715 Cedar Drive #9, Nashville TN 37203, USA",
        ),
        ("12 N. Main Street, Austin, TX 78701", "12 North Main St, Austin, Texas 78701"),
        ("3 Rue de l'Église, Montréal, QC H2X 1Y4, CA", "3 rue de l eglise, montreal, qc h2x 1y4"),
    ],
)
def test_spellings_of_one_address_are_one_place(a: str, b: str) -> None:
    assert address_key(a) == address_key(b)


def test_units_are_kept_apart_from_the_building() -> None:
    flat = address_key("7715 Cedar Dr Apt 9, Nashville, TN 37203")
    other = address_key("7715 Cedar Dr, Suite 12, Nashville, TN 37203")
    assert flat is not None and other is not None
    assert flat.unit == "9" and other.unit == "12"
    assert same_place(flat, other) and flat != other


def test_different_places_and_empty_addresses() -> None:
    assert not same_place(address_key("1 Oak St, Reno, NV 89501"), address_key("2 Oak St, Reno"))
    assert address_key("") is None and address_key(None) is None
    # a two-letter state right after the city is not a country to drop
    key = address_key("10 Pine Rd, Miami, FL")
    assert key is not None and key.building.endswith("miami fl")


@pytest.mark.parametrize(
    "url,owner",
    [
        ("https://github.com/kim-dev/payments-api.git", ("github.com", "kim-dev")),
        ("git@github.com:Kim-Dev/payments-api.git", ("github.com", "kim-dev")),
        ("ssh://git@gitlab.com:2222/group/sub/repo", ("gitlab.com", "group")),
        ("https://user:secret@bitbucket.org/team/repo", ("bitbucket.org", "team")),
        ("https://github.com/", None),
    ],
)
def test_remote_owner(url: str, owner: tuple[str, str] | None) -> None:
    assert remote_owner(url) == owner


def test_credentials_in_urls_are_redacted() -> None:
    text = "git remote set-url origin https://oauth2:glpat-XYZ@gitlab.com/kim/repo.git"
    assert "glpat" not in redact(text) and "https://***@gitlab.com/kim/repo.git" in redact(text)
    assert redact("git@github.com:kim/repo.git") == "git@github.com:kim/repo.git"


def test_durations_and_quantiles() -> None:
    assert duration("24h") == timedelta(hours=24) and duration(90) == timedelta(seconds=90)
    assert duration("7d") == timedelta(days=7) and duration("30m") == timedelta(minutes=30)
    with pytest.raises(ValueError):
        duration("a day")
    assert quantile([], 0.5) == 0.0 and quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile([0, 0, 0, 16, 16], 0.5) == 0  # a minority of bursts does not move it


def test_own_mailbox_by_name() -> None:
    worker = RosterRow("E1", "ann.lee2@example.com", "Ann Lee", {}, None, None, None, "")
    actor = Actor("ann.lee2@example.com", "ann.lee2@example.com", "actor.user.email_addr", worker)
    assert looks_like_own("Ann.Lee@gmail.com", actor)
    assert not looks_like_own("kim.dev@proton.me", actor)
    worker.values["personal_email"] = "kim.dev@proton.me"
    assert looks_like_own("kim.dev@proton.me", actor)


def _findings(
    rule_id: str, params: dict[str, object], tables: dict[str, list[dict[str, Any]]]
) -> list[str]:
    rule = RULES.by_id(rule_id)
    rule = replace(rule, params={**rule.params, **params})
    ctx = make_context(connection_with(tables))
    return sorted(f.worker_id or f.subject for f in run_rules(ctx, RuleSet(rules=[rule])))


def test_offices_and_depots_can_be_listed() -> None:
    tables: dict[str, list[dict[str, Any]]] = {
        "workers": [
            {"employee_id": "E1", "email": "a@x.com", "home_address": "1 Oak St, Reno, NV 89501",
             "ship_address": "500 Market Street, San Francisco, CA 94105"},
            {"employee_id": "E2", "email": "b@x.com", "home_address": "2 Elm St, Reno, NV 89501",
             "ship_address": "500 Market St., San Francisco, California 94105"},
        ]
    }  # fmt: skip
    office: dict[str, object] = {"ignore_addresses": ["500 Market St, San Francisco, CA 94105"]}
    for rule_id in ("hiring.shared_ship_address", "hiring.laptop_shipped_away_from_home"):
        assert _findings(rule_id, {}, tables) == ["E1", "E2"]
        assert _findings(rule_id, office, tables) == []


def test_new_hire_window_is_a_parameter() -> None:
    clones = [
        {"time": f"2025-11-05T10:{m:02d}:00Z", "actor.user.email_addr": "new@x.com",
         "api.operation": "git.clone", "resource.name": f"acme/r{m}",
         "resource.visibility": "private"}
        for m in range(10)
    ]  # fmt: skip
    tables: dict[str, list[dict[str, Any]]] = {
        "workers": [{"employee_id": "E9", "email": "new@x.com", "hire_date": "2025-11-03"}],
        "api_activity": clones,
    }
    assert _findings("exfiltration.repo_bulk_download", {}, tables) == []
    assert _findings("exfiltration.repo_bulk_download", {"new_hire_days": 0}, tables) == ["E9"]


def _brute_peers(
    actor: Actor, actors: dict[str, Actor], peaks: dict[str, float], min_peers: int
) -> tuple[list[float], str]:
    """The definition, one actor at a time: other accounts than the actor's own worker's,
    its department when that has enough of them, else everyone."""
    others = [
        a
        for a in actors.values()
        if a.key != actor.key and (actor.worker_id is None or a.worker_id != actor.worker_id)
    ]
    same = [a for a in others if actor.department and a.department == actor.department]
    if actor.department and len(same) >= min_peers:
        return sorted(peaks.get(a.key, 0.0) for a in same), f"department {actor.department}"
    return sorted(peaks.get(a.key, 0.0) for a in others), "everyone using the service"


def test_peer_groups_leave_out_the_actors_own_accounts() -> None:
    def worker(employee: str, department: str | None) -> RosterRow:
        values = {"department": department} if department else {}
        return RosterRow(employee, None, None, values, None, None, None, "hr")

    people = {
        "w1": worker("w1", "Eng"),
        "w2": worker("w2", "eng "),
        "w3": worker("w3", "Sales"),
        "w4": worker("w4", None),
    }
    # w1 has three accounts; some accounts have no worker; peaks repeat
    owners = ["w1", "w1", "w1", "w2", "w2", "w3", "w4", None, None, "w3", "w2"]
    actors = {
        f"a{n}": Actor(f"a{n}", f"a{n}", "user.name", people[o] if o else None)
        for n, o in enumerate(owners)
    }
    peaks = {f"a{n}": float(n % 4) for n in range(len(owners)) if n != 5}
    for min_peers in (1, 2, 3, 4):
        index = Peers(actors, peaks)
        for actor in actors.values():
            expected = _brute_peers(actor, actors, peaks, min_peers)
            assert index.of(actor, min_peers) == expected
            assert peer_values(actor, actors, peaks, min_peers) == expected


def test_a_unit_written_with_two_unit_words_is_one_unit() -> None:
    """``Apt #4`` reads ``apt unit 4``: the unit is 4, not the word "unit" (which left
    "4" in the building and split one building in two)."""
    key = address_key("12 Oak Street, Apt #4, Phoenix")
    assert key is not None and (key.building, key.unit) == ("12 oak st phoenix", "4")
    assert same_place(key, address_key("12 Oak St, Phoenix"))
