"""STIX: a valid 2.1 bundle of only the chosen kinds of farm values, and nobody's name."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import stix2
from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.report import render
from farmhunt.report.stix_report import SHARE_KINDS, ShareError, parse_share, stix_bundle
from tests.report.conftest import Scanned

ALL = SHARE_KINDS
runner = CliRunner()


def _parse(bundle: dict[str, Any]) -> Any:
    return stix2.parse(json.dumps(bundle), allow_custom=True)


def _by_type(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for obj in bundle["objects"]:
        out.setdefault(obj["type"], []).append(obj)
    return out


def test_bundle_validates_with_the_stix2_library(doc: dict[str, Any]) -> None:
    bundle = json.loads(render(doc, "stix", ALL))
    parsed = _parse(bundle)
    assert parsed.type == "bundle" and len(parsed.objects) == len(bundle["objects"])
    for obj in bundle["objects"]:
        assert obj["spec_version"] == "2.1"
        if obj["type"] not in ("ipv4-addr", "ipv6-addr", "x-farmhunt-phone-number"):
            assert obj["created"]
            assert obj.get("modified") or obj["type"] == "marking-definition"
        if obj["type"] not in ("marking-definition", "extension-definition") and "created" in obj:
            assert obj["created"] == doc["generated_at"]


def test_references_resolve_inside_the_bundle(doc: dict[str, Any]) -> None:
    bundle = stix_bundle(doc, ALL)
    ids = {o["id"] for o in bundle["objects"]}
    assert len(ids) == len(bundle["objects"])
    types = _by_type(bundle)
    for rel in types["relationship"]:
        assert rel["source_ref"] in ids and rel["target_ref"] in ids
    [report] = types["report"]
    assert set(report["object_refs"]) <= ids and report["published"] == doc["generated_at"]
    farms = [c for c in doc["clusters"] if c["farm"]]
    assert len(types["intrusion-set"]) == len(farms)
    kinds = {r["relationship_type"] for r in types["relationship"]}
    assert {"indicates", "uses", "originates-from"} <= kinds


def test_default_shares_residential_ips_only(doc: dict[str, Any]) -> None:
    bundle = json.loads(render(doc, "stix"))
    types = _by_type(bundle)
    assert not {"location", "tool", "x-farmhunt-phone-number", "extension-definition"} & set(types)
    ips = {
        a["value"]
        for c in doc["clusters"]
        if c["farm"]
        for a in c["shared"]
        if a["kind"] == "residential_ip" and not a["note"]
    }
    assert ips and {o["value"] for o in types["ipv4-addr"]} == ips
    patterns = {i["pattern"] for i in types["indicator"]}
    assert patterns == {f"[ipv4-addr:value = '{ip}']" for ip in ips}
    for indicator in types["indicator"]:
        assert indicator["pattern_type"] == "stix" and indicator["valid_from"]


def test_phones_addresses_and_tools_when_chosen(doc: dict[str, Any]) -> None:
    types = _by_type(stix_bundle(doc, ("phone", "address", "tool")))
    assert "ipv4-addr" not in types
    [extension] = types["extension-definition"]
    assert extension["extension_types"] == ["new-sco"]
    for phone in types["x-farmhunt-phone-number"]:
        assert phone["extensions"] == {extension["id"]: {"extension_type": "new-sco"}}
    for location in types["location"]:
        assert location["street_address"] and len(location["country"]) == 2
    tools = {t["name"] for t in types["tool"]}
    assert tools == {n for c in doc["clusters"] if c["farm"] for n in c["remote_tools"]}
    assert all(t["tool_types"] == ["remote-access"] for t in types["tool"])


def test_no_worker_is_named(doc: dict[str, Any]) -> None:
    text = render(doc, "stix", ALL).lower()
    for worker in doc["workers"]:
        for value in (worker["worker_id"], worker["email"], worker["full_name"]):
            if value:
                assert value.lower() not in text, value


def test_ids_are_deterministic(doc: dict[str, Any]) -> None:
    assert render(doc, "stix", ALL) == render(copy.deepcopy(doc), "stix", ALL)
    ip_ids = {o["id"] for o in stix_bundle(doc)["objects"] if o["type"] == "ipv4-addr"}
    # the STIX deterministic id of an ipv4-addr is the same whoever computes it
    assert ip_ids == {
        stix2.IPv4Address(value=o["value"]).id
        for o in stix_bundle(doc)["objects"]
        if o["type"] == "ipv4-addr"
    }


def _doc_with(shared: list[dict[str, Any]], farm: bool = True) -> dict[str, Any]:
    return {
        "generated_at": "2025-11-10T12:00:00.000Z",
        "clusters": [
            {
                "cluster_id": "farm-test",
                "workers": ["E1", "E2"],
                "size": 2,
                "strength": 1.0,
                "farm": farm,
                "shared": shared,
                "remote_tools": [],
                "explanation": "",
            }
        ],
    }


def _shared(kind: str, value: str, note: str = "") -> dict[str, Any]:
    return {"kind": kind, "value": value, "workers": ["E1", "E2"], "weight": 1.0, "note": note}


def test_households_and_bad_addresses_are_never_shared() -> None:
    household = _doc_with([_shared("residential_ip", "198.51.100.7", "shared home")], farm=False)
    assert not {o["type"] for o in stix_bundle(household, ALL)["objects"]} & {
        "indicator",
        "intrusion-set",
    }
    mixed = _doc_with(
        [
            _shared("residential_ip", "198.51.100.7", "the workers share a home address"),
            _shared("residential_ip", "not-an-ip"),
            _shared("phone", "+15555550100"),
        ]
    )
    values = {o.get("value") for o in stix_bundle(mixed, ALL)["objects"]}
    assert "198.51.100.7" not in values and "not-an-ip" not in values
    assert "+15555550100" in values


def test_quotes_in_values_cannot_break_the_pattern() -> None:
    bundle = stix_bundle(_doc_with([_shared("phone", "+1' OR '1'='1\\")]), ("phone",))
    [indicator] = [o for o in bundle["objects"] if o["type"] == "indicator"]
    assert indicator["pattern"] == "[x-farmhunt-phone-number:value = '+1\\' OR \\'1\\'=\\'1\\\\']"
    _parse(bundle)


def test_share_kinds_are_checked() -> None:
    assert parse_share(None) == ("ip",)
    assert parse_share("tool, IP,tool") == ("tool", "ip")
    with pytest.raises(ShareError, match="unknown kind email"):
        parse_share("ip,email")


@pytest.mark.parametrize("given", ["", " ", " , "])
def test_an_empty_share_list_shares_nothing(doc: dict[str, Any], given: str) -> None:
    assert parse_share(given) == ()
    bundle = json.loads(render(doc, "stix", parse_share(given)))
    assert [o["type"] for o in bundle["objects"]] == ["marking-definition", "identity"]
    _parse(bundle)
    assert any(c["farm"] for c in doc["clusters"]), "the fixture has farms to share"


def test_an_empty_share_on_the_command_line_shares_nothing(scanned: Scanned) -> None:
    result = runner.invoke(
        app, ["report", "-w", str(scanned.workspace), "-f", "stix", "--share", ""]
    )
    assert result.exit_code == 0, result.output
    assert {o["type"] for o in json.loads(result.stdout)["objects"]} == {
        "marking-definition",
        "identity",
    }
    assert "shares nothing" in result.stderr
