"""GitHub organization and enterprise audit log -> OCSF API Activity.

Reads every shape GitHub hands out: the REST ``GET /orgs/{org}/audit-log`` (and
``/enterprises/{e}/audit-log``) response (a JSON array), the web UI's JSON export (an
array whose event-specific fields sit under ``data``), the Git events export and audit
log streaming files (NDJSON, usually gzip; Azure Event Hubs wraps them in
``{"records": [...]}``).

Each event becomes one ``api_activity`` row: who (``actor``, ``actor_id``, the SAML/SCIM
identity ``external_identity_nameid`` as the actor's email), from where (``actor_ip``,
``actor_location``), what (``action`` as ``api.operation``) and on which repository,
with its visibility. Facts exfiltration rules need (previous visibility, Git transport,
token hash, key fingerprint) get ``unmapped.*`` columns; every other field is kept in
``unmapped``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from farmhunt.sources.base import Parser, RawRecord, RecordError, Row, Sample
from farmhunt.sources.github import mapping
from farmhunt.sources.rows import event as event_row
from farmhunt.sources.values import opt_bool, opt_float, opt_int, opt_ip, opt_str, parse_time

ACTION = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")
"""GitHub actions are ``category.operation`` (``repo.access``, ``git.clone``)."""

TIME_FIELDS = ("@timestamp", "created_at")
SUBJECT_FIELDS = ("actor", "org", "repo", "repository", "_document_id", "business")


def looks_like_github(record: dict[str, Any]) -> bool:
    """An audit event: a ``category.operation`` action, a time and who or what it is about."""
    action = record.get("action")
    if not isinstance(action, str) or not ACTION.fullmatch(action):
        return False
    if not any(record.get(k) not in (None, "") for k in TIME_FIELDS):
        return False
    actor = record.get("actor")
    if actor is not None and not isinstance(actor, str):
        return False  # Okta, Slack, Cloudflare… nest their actor as an object
    return any(record.get(k) not in (None, "") for k in SUBJECT_FIELDS)


class GitHubAuditLogParser(Parser):
    name = "github_audit"
    title = "GitHub organization/enterprise audit log (REST, JSON export, streaming, Git events)"
    product = "GitHub Audit Log"
    vendor = "GitHub"

    def sniff(self, sample: Sample) -> float:
        records = sample.first_dicts()
        if not records:
            return 0.0
        hits = [r for r in records if looks_like_github(r)]
        if not hits:
            return 0.0
        score = 0.9 * len(hits) / len(records)
        if any(mapping.GITHUB_ONLY_FIELDS & r.keys() for r in hits):
            score += 0.05
        return score

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        event = record.value
        if not isinstance(event, dict):
            raise RecordError("audit log event is not a JSON object")
        return [normalize_event(event)]


def normalize_event(event: dict[str, Any]) -> Row:
    """The api_activity row for one GitHub audit log event."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    assert isinstance(data, dict)

    def field(name: str) -> Any:
        value = event.get(name)
        return value if value is not None else data.get(name)

    action = event.get("action")
    if not isinstance(action, str) or not action:
        raise RecordError("action is missing or not text")
    stamp_field = next((k for k in TIME_FIELDS if event.get(k) not in (None, "")), None)
    if stamp_field is None:
        raise RecordError("@timestamp and created_at are both missing")
    time = parse_time(event[stamp_field], stamp_field)

    actor = _text(event.get("actor"), "actor")
    columns: dict[str, Any] = {
        "metadata.log_name": "audit",
        "metadata.event_code": action,
        "metadata.original_time": str(event[stamp_field]),
        "actor.user.name": actor,
        "actor.user.uid": _id(event.get("actor_id"), "actor_id"),
        "actor.user.email_addr": identity_email(event),
        "src_endpoint.ip": opt_ip(event.get("actor_ip"), "actor_ip"),
        "http_request.user_agent": _text(event.get("user_agent"), "user_agent"),
        "api.operation": action,
        "api.service.name": mapping.SERVICE,
        "unmapped.previous_visibility": _text(field("previous_visibility"), "previous_visibility"),
        "unmapped.transport_protocol": _text(field("transport_protocol_name"), "transport"),
        "unmapped.hashed_token": _text(field("hashed_token"), "hashed_token"),
        "unmapped.programmatic_access_type": _text(
            field("programmatic_access_type"), "programmatic_access_type"
        ),
        "unmapped.key_fingerprint": _text(
            field("fingerprint") or field("deploy_key_fingerprint"), "fingerprint"
        ),
    }
    columns.update(_location(event.get("actor_location")))
    resources = _resources(action, field)
    repo_visibility = None
    if resources:
        main = resources[0]
        columns["resources"] = resources
        columns["resource.name"] = main.get("name")
        columns["resource.type"] = main["type"]
        columns["resource.uid"] = main.get("uid")
        columns["resource.owner.name"] = _owner(main["type"], field)
        if main["type"] == "repository":
            repo_visibility = visibility(event, data)
            columns["resource.visibility"] = repo_visibility
    status_code = opt_int(field("status_code"), "status_code")
    if status_code is not None:
        columns["status_id"] = 1 if status_code < 400 else 2
        columns["status_detail"] = str(status_code)
    unmapped = {k: v for k, v in event.items() if k not in mapping.MAPPED and k != "data"}
    if repo_visibility is None:
        # not about a repository (an org secret's visibility, a repo-less API call)
        for key in ("visibility", "repository_public", "public_repo"):
            if event.get(key) is not None:
                unmapped[key] = event[key]
    extra_data = {k: v for k, v in data.items() if k not in mapping.MAPPED}
    if extra_data:
        unmapped["data"] = extra_data
    if isinstance(event.get("actor_location"), dict):
        rest = {
            k: v
            for k, v in event["actor_location"].items()
            if k not in ("country_code", "region", "city", "location")
        }
        if rest:
            unmapped["actor_location"] = rest
    if unmapped:
        columns["unmapped"] = unmapped
    return event_row("api_activity", activity(action, event.get("operation_type")), time, columns)


def _text(value: Any, name: str) -> str | None:
    if isinstance(value, (dict, list)):
        raise RecordError(f"{name} is a {type(value).__name__}, expected text")
    return opt_str(value)


def _id(value: Any, name: str) -> str | None:
    """A numeric GitHub id as text; 0 (GitHub's "none") and empty as None."""
    if isinstance(value, bool):
        raise RecordError(f"{name} {value!r} is not a number")
    number = opt_int(value, name)
    return str(number) if number else None


def identity_email(event: dict[str, Any]) -> str | None:
    """The SAML/SCIM identity linked to the actor, when it is an email address."""
    for key in ("external_identity_nameid", "external_identity_username"):
        value = event.get(key)
        if isinstance(value, str) and "@" in value:
            return value
    return None


def visibility(event: dict[str, Any], data: dict[str, Any]) -> str | None:
    """``visibility`` as GitHub words it, else ``public``/``non-public`` from the flags.

    ``repository_public`` and ``public_repo`` are false for internal repositories too,
    so false is stored as ``non-public`` rather than guessed as ``private``.
    """
    for source in (event, data):
        value = source.get("visibility")
        if isinstance(value, str) and value:
            return value
    for key in ("repository_public", "public_repo"):
        flag = opt_bool(event.get(key, data.get(key)))
        if flag is not None:
            return "public" if flag else "non-public"
    return None


def activity(action: str, operation_type: Any) -> int:
    """api_activity activity_id from ``operation_type``, else from the action."""
    if isinstance(operation_type, str) and operation_type in mapping.OPERATION_ACTIVITY:
        return mapping.OPERATION_ACTIVITY[operation_type]
    if action in mapping.ACTION_ACTIVITY:
        return mapping.ACTION_ACTIVITY[action]
    operation = action.rsplit(".", 1)[-1]
    return mapping.VERB_ACTIVITY.get(operation.split("_", 1)[0], 99)


def _location(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {}
    country = raw.get("country_code")
    point = raw.get("location") if isinstance(raw.get("location"), dict) else {}
    assert isinstance(point, dict)
    return {
        "src_endpoint.location.country": (
            country.upper() if isinstance(country, str) and len(country) == 2 else None
        ),
        "src_endpoint.location.region": opt_str(raw.get("region")),
        "src_endpoint.location.city": opt_str(raw.get("city")),
        "src_endpoint.location.lat": opt_float(point.get("lat"), "actor_location.location.lat"),
        "src_endpoint.location.long": opt_float(point.get("lon"), "actor_location.location.lon"),
    }


def _resources(action: str, field: Callable[[str], Any]) -> list[dict[str, Any]]:
    """Everything the event names, the main resource first."""
    out: list[dict[str, Any]] = []

    def add(kind: str, name: Any, uid: Any = None) -> None:
        text = opt_str(name) if not isinstance(name, (dict, list)) else None
        ident = _id(uid, f"{kind} id") if uid is not None and not isinstance(uid, str) else uid
        if text or ident:
            item: dict[str, Any] = {"type": kind}
            if text:
                item["name"] = text
            if ident:
                item["uid"] = str(ident)
            out.append(item)

    add(
        "repository",
        field("repo") or field("repository"),
        field("repo_id") or field("repository_id"),
    )
    if action.startswith("public_key.") or field("fingerprint") or field("deploy_key_fingerprint"):
        kind = "deploy_key" if out else "ssh_key"
        add(kind, field("title"), field("fingerprint") or field("deploy_key_fingerprint"))
    add("team", field("team"))
    add("organization", field("org"), field("org_id"))
    add("enterprise", field("business"), field("business_id"))
    add("user", field("user"), field("user_id"))
    for key in ("repositories_added_names", "repositories_removed_names"):
        names = field(key)
        if isinstance(names, list):
            for name in names:
                add("repository", name)
    return out


def _owner(kind: str, field: Callable[[str], Any]) -> str | None:
    """Who owns the main resource: a user's SSH key is theirs, the rest the org's."""
    if kind == "ssh_key":
        return opt_str(field("user")) or opt_str(field("actor"))
    org = opt_str(field("org"))
    if org:
        return org
    repo = opt_str(field("repo") or field("repository"))
    if repo and "/" in repo:
        return repo.split("/", 1)[0]
    return opt_str(field("business"))
