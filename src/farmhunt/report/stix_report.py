"""``--format stix``: what is safe to share about candidate farms, as a STIX 2.1 bundle.

Only the kinds of values the user chooses (``--share ip,phone,address,tool``; default
``ip``; an empty ``--share ""`` shares nothing: the bundle holds only farmhunt's
``identity`` and the TLP marking) of clusters that are farms (at least one link not
explained by a shared home) are shared; household links are never shared. No worker
name, email or id is ever written: the bundle is meant to leave the organisation.

- ``ip``: each residential address a farm's workers share → an ``ipv4-addr`` (or
  ``ipv6-addr``) and an ``indicator`` with a STIX pattern, valid from its first sign-in.
- ``phone``: STIX 2.1 has no phone-number object, so a new SCO type
  ``x-farmhunt-phone-number`` is defined by an ``extension-definition`` (``new-sco``)
  shipped in the bundle; each shared number → that object and an ``indicator``.
- ``address``: each shared ship address → a ``location`` (``street_address``, country).
- ``tool``: each remote-access tool seen on the farm's laptops → a ``tool``.

Each farm is an ``intrusion-set``; indicators ``indicate`` it, it ``uses`` the tools and
``originates-from`` the locations; a ``report`` lists everything. Ids are UUIDv5 (the same
workspace gives the same ids; observable ids follow the STIX deterministic-id rule), and
every object carries TLP:AMBER.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Iterable
from typing import Any

SHARE_KINDS = ("ip", "phone", "address", "tool")
DEFAULT_SHARE = ("ip",)

NAMESPACE = uuid.UUID("1c5f3e2a-6a4b-5d8e-9f10-2b3c4d5e6f70")
"""farmhunt's UUIDv5 namespace for domain objects."""
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
"""The namespace STIX 2.1 prescribes for deterministic observable ids."""

TLP_AMBER = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "created": "2017-01-20T00:00:00.000Z",
    "definition_type": "tlp",
    "name": "TLP:AMBER",
    "definition": {"tlp": "amber"},
}
PHONE_TYPE = "x-farmhunt-phone-number"
DEFINED = "2025-11-01T00:00:00.000Z"
"""When the phone-number extension was defined (fixed: it is part of farmhunt)."""


class ShareError(ValueError):
    """An unknown kind in ``--share``."""


def parse_share(text: str | None) -> tuple[str, ...]:
    """``"ip,phone"`` → ("ip", "phone"); every kind must be one of :data:`SHARE_KINDS`.

    No ``--share`` at all (``None``) means the default, :data:`DEFAULT_SHARE`; a list
    given but empty (``--share ""``) means share nothing: what may leave the
    organisation is never widened behind the user's back."""
    if text is None:
        return DEFAULT_SHARE
    kinds = tuple(dict.fromkeys(k.strip().lower() for k in text.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in SHARE_KINDS]
    if unknown:
        raise ShareError(
            f"--share: unknown kind {', '.join(unknown)}; choose from {', '.join(SHARE_KINDS)}"
        )
    return kinds


def _id(kind: str, *key: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join((kind, *key)))}"


def _sco_id(kind: str, value: str) -> str:
    canonical = json.dumps({"value": value}, separators=(",", ":"), ensure_ascii=False)
    return f"{kind}--{uuid.uuid5(SCO_NAMESPACE, canonical)}"


def _literal(value: str) -> str:
    """A string literal of the STIX patterning language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class _Bundle:
    def __init__(self, created: str) -> None:
        self.created = created
        self.identity = _id("identity", "farmhunt")
        self.objects: dict[str, dict[str, Any]] = {}
        self.add(
            {
                "type": "identity",
                "id": self.identity,
                "name": "farmhunt",
                "identity_class": "system",
                "description": "farmhunt: finds laptop farms hiding fraudulent remote workers.",
            }
        )

    def add(self, obj: dict[str, Any], *, sco: bool = False) -> str:
        obj = {"type": obj["type"], "spec_version": "2.1", **obj}
        if not sco:
            obj.setdefault("created", self.created)
            obj.setdefault("modified", obj["created"])
            if obj["type"] != "identity":
                obj.setdefault("created_by_ref", self.identity)
        obj["object_marking_refs"] = [TLP_AMBER["id"]]
        self.objects.setdefault(obj["id"], obj)
        return str(obj["id"])

    def relate(self, source: str, kind: str, target: str) -> None:
        self.add(
            {
                "type": "relationship",
                "id": _id("relationship", source, kind, target),
                "relationship_type": kind,
                "source_ref": source,
                "target_ref": target,
            }
        )

    def phone_extension(self) -> str:
        ext = _id("extension-definition", PHONE_TYPE)
        self.add(
            {
                "type": "extension-definition",
                "id": ext,
                "created": DEFINED,
                "name": "farmhunt phone number",
                "description": "A telephone number (STIX 2.1 has no phone-number object).",
                "schema": (
                    f"New SCO {PHONE_TYPE}: common SCO properties plus value (string, "
                    "required): the number in E.164 form when known, else as written. "
                    "Its id is deterministic over value."
                ),
                "version": "1.0",
                "extension_types": ["new-sco"],
            }
        )
        return ext


def _farm_values(cluster: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [a for a in cluster["shared"] if a["kind"] == kind and not a.get("note")]


def stix_bundle(doc: dict[str, Any], share: Iterable[str] = DEFAULT_SHARE) -> dict[str, Any]:
    """The bundle of the document's farms, with only the ``share`` kinds of values."""
    kinds = set(share)
    bundle = _Bundle(doc["generated_at"])
    if not kinds:  # nothing may be shared: who made the bundle and its marking, no more
        return {
            "type": "bundle",
            "id": _id("bundle", "nothing shared"),
            "objects": [TLP_AMBER, *bundle.objects.values()],
        }
    farms = []
    for cluster in doc["clusters"]:
        if not cluster["farm"]:
            continue
        actor = _id("intrusion-set", cluster["cluster_id"])
        refs: list[tuple[str, str, str]] = []
        if "ip" in kinds:
            refs += _ips(bundle, cluster)
        if "phone" in kinds:
            refs += _phones(bundle, cluster)
        if "address" in kinds:
            refs += _addresses(bundle, cluster)
        if "tool" in kinds:
            refs += _tools(bundle, cluster)
        if not refs:
            continue
        farms.append(cluster["cluster_id"])
        linked = sorted({a["kind"] for a in cluster["shared"] if not a.get("note")})
        bundle.add(
            {
                "type": "intrusion-set",
                "id": actor,
                "name": f"Candidate laptop farm {cluster['cluster_id']}",
                "description": (
                    f"A candidate laptop farm found by farmhunt: {cluster['size']} remote "
                    f"workers of one organisation linked by shared {', '.join(linked)}."
                ),
            }
        )
        for source, relation, target in refs:
            bundle.relate(
                actor if source == "farm" else source,
                relation,
                actor if target == "farm" else target,
            )
    report = _id("report", *farms, *sorted(kinds))
    refs_all = [i for i in bundle.objects if i != report]
    bundle.add(
        {
            "type": "report",
            "id": report,
            "name": "farmhunt: candidate laptop farms",
            "description": (
                f"{len(farms)} candidate laptop farm(s); shared: {', '.join(sorted(kinds))}. "
                "Indicators of remote-worker fraud infrastructure, not of compromise: verify "
                "before acting."
            ),
            "report_types": ["intrusion-set", "indicator"],
            "published": doc["generated_at"],
            "object_refs": refs_all,
        }
    )
    objects = [TLP_AMBER, *bundle.objects.values()]
    return {"type": "bundle", "id": _id("bundle", report), "objects": objects}


def _indicator(
    bundle: _Bundle, pattern_type: str, value: str, name: str, valid_from: str | None
) -> str:
    return bundle.add(
        {
            "type": "indicator",
            "id": _id("indicator", pattern_type, value),
            "name": name,
            "indicator_types": ["attribution"],
            "pattern": f"[{pattern_type}:value = {_literal(value)}]",
            "pattern_type": "stix",
            "valid_from": valid_from or bundle.created,
        }
    )


def _ips(bundle: _Bundle, cluster: dict[str, Any]) -> list[tuple[str, str, str]]:
    refs = []
    for attribute in _farm_values(cluster, "residential_ip"):
        try:
            address = ipaddress.ip_address(attribute["value"])
        except ValueError:
            continue
        kind = "ipv4-addr" if address.version == 4 else "ipv6-addr"
        value = str(address)
        observable = bundle.add(
            {"type": kind, "id": _sco_id(kind, value), "value": value}, sco=True
        )
        indicator = _indicator(
            bundle,
            kind,
            value,
            f"Residential address shared by the workers of a candidate laptop farm ({value})",
            attribute.get("first_seen"),
        )
        refs += [(indicator, "indicates", "farm"), (indicator, "related-to", observable)]
    return refs


def _phones(bundle: _Bundle, cluster: dict[str, Any]) -> list[tuple[str, str, str]]:
    refs = []
    for attribute in _farm_values(cluster, "phone"):
        extension = bundle.phone_extension()
        value = attribute["value"]
        observable = bundle.add(
            {
                "type": PHONE_TYPE,
                "id": _sco_id(PHONE_TYPE, value),
                "value": value,
                "extensions": {extension: {"extension_type": "new-sco"}},
            },
            sco=True,
        )
        indicator = _indicator(
            bundle,
            PHONE_TYPE,
            value,
            f"Phone number given by several hires of a candidate laptop farm ({value})",
            None,
        )
        refs += [(indicator, "indicates", "farm"), (indicator, "related-to", observable)]
    return refs


def _addresses(bundle: _Bundle, cluster: dict[str, Any]) -> list[tuple[str, str, str]]:
    refs = []
    for attribute in _farm_values(cluster, "ship_address"):
        country = attribute.get("country")
        if not country:
            continue  # a STIX location needs a country (or region, or coordinates)
        location = bundle.add(
            {
                "type": "location",
                "id": _id("location", attribute["value"]),
                "name": "Laptop shipping address shared by several hires",
                "street_address": attribute.get("address") or attribute["value"],
                "country": country,
            }
        )
        refs.append(("farm", "originates-from", location))
    return refs


def _tools(bundle: _Bundle, cluster: dict[str, Any]) -> list[tuple[str, str, str]]:
    refs = []
    for name in cluster["remote_tools"]:
        tool = bundle.add(
            {
                "type": "tool",
                "id": _id("tool", name.lower()),
                "name": name,
                "tool_types": ["remote-access"],
            }
        )
        refs.append(("farm", "uses", tool))
    return refs


def render_stix(doc: dict[str, Any], share: Iterable[str] = DEFAULT_SHARE) -> str:
    return json.dumps(stix_bundle(doc, share), indent=2, ensure_ascii=False) + "\n"
