"""Google Workspace Admin SDK Reports API activities (``activities.list``).

Read as API pages (``{"kind": "admin#reports#activities", "items": [...]}``), as NDJSON
of activity resources, or as JSON arrays, gzip or not. One activity can hold several
events; each event becomes its own row, whose ``raw_data`` is the activity with only
that event. Applications:

- ``login`` and ``saml`` -> ``authentication`` (sign-ins, sign-outs, challenges and
  Google's suspicious-login warnings);
- ``drive`` -> ``file_hosting_activity`` (downloads, views, edits, shares…);
- ``user_accounts`` -> ``account_change`` (2-step verification, password changes);
- every other application (``admin``, ``token``, ``groups``…) -> ``api_activity``.

Parameters arrive as ``{"name", "value" | "boolValue" | "intValue" | "multiValue" |
"multiIntValue" | "messageValue" | "multiMessageValue"}``; ``intValue`` is a decimal
string in the API's JSON. Parameters without a column are kept in ``unmapped`` by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from farmhunt.sources.base import Parser, RawRecord, RecordError, Row, Sample
from farmhunt.sources.google import mapping
from farmhunt.sources.rows import event as event_row
from farmhunt.sources.values import opt_bool, opt_int, opt_ip, opt_str, parse_time

ACTIVITY_KIND = "admin#reports#activity"
PAGE_KIND = "admin#reports#activities"


def is_activity(value: Any) -> bool:
    """Whether ``value`` looks like a Reports API activity resource."""
    if not isinstance(value, dict):
        return False
    ident = value.get("id")
    if value.get("kind") == ACTIVITY_KIND and isinstance(ident, dict):
        return True
    return (
        isinstance(ident, dict)
        and "applicationName" in ident
        and "time" in ident
        and "events" in value
    )


class GoogleWorkspaceReportsParser(Parser):
    name = "google_workspace"
    title = "Google Workspace Reports API activities (login, drive, saml, admin, token…)"
    product = mapping.PRODUCT
    vendor = "Google"

    def sniff(self, sample: Sample) -> float:
        records = sample.first_dicts()
        if not records:
            return 0.0
        hits = 0
        for record in records:
            if is_activity(record) or record.get("kind") == PAGE_KIND:
                hits += 1
        if not hits:
            return 0.0
        return 0.97 if hits * 2 >= len(records) else 0.9 * hits / len(records)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        value = record.value
        if not isinstance(value, dict):
            raise RecordError("Reports API activity is not a JSON object")
        if value.get("kind") == PAGE_KIND and "id" not in value:
            # A page the framing could not unwrap (or an empty last page).
            items = value.get("items", [])
            if not isinstance(items, list):
                raise RecordError("activities page: items is not a list")
            rows: list[Row] = []
            for item in items:
                rows.extend(_activity_rows(item, None))
            return rows
        return _activity_rows(value, record.text)


def _activity_rows(activity: Any, text: str | None) -> list[Row]:
    if not isinstance(activity, dict):
        raise RecordError("Reports API activity is not a JSON object")
    ident = activity.get("id")
    if not isinstance(ident, dict):
        raise RecordError("activity has no id object (id.time, id.applicationName)")
    time = parse_time(ident.get("time"), "id.time")
    app = ident.get("applicationName")
    if not isinstance(app, str) or not app:
        raise RecordError("id.applicationName is missing or not text")
    events = activity.get("events")
    if isinstance(events, dict):
        events = [events]  # some exporters split activities one event per record
    if not isinstance(events, list):
        raise RecordError("events is missing or not a list")
    if not events:
        raise RecordError("activity has no events")
    if not all(isinstance(e, dict) for e in events):
        raise RecordError("an entry of events is not an object")

    common = _common_columns(activity, ident, app, time)
    rows = []
    for ev in events:
        name = ev.get("name")
        if not isinstance(name, str) or not name:
            raise RecordError("event has no name")
        params = parameters(ev.get("parameters"))
        columns = dict(common)
        columns["metadata.event_code"] = name
        if len(events) > 1 or text is None:
            columns["raw_data"] = orjson.dumps({**activity, "events": [ev]}).decode()
        extras = dict(common_unmapped(activity, ident))
        if isinstance(ev.get("type"), str):
            extras["event_type"] = ev["type"]
        for key in ("resourceIds",):
            if key in ev:
                extras[key] = ev[key]
        rows.append(_route(app, name, params, columns, extras, time))
    return rows


def _route(
    app: str,
    name: str,
    params: dict[str, Any],
    columns: dict[str, Any],
    extras: dict[str, Any],
    time: datetime,
) -> Row:
    if app == "login":
        table, activity_id = _login(name, params, columns, extras)
    elif app == "saml":
        table, activity_id = _saml(name, params, columns, extras)
    elif app == "drive":
        table, activity_id = _drive(name, params, columns, extras)
    elif app == "user_accounts":
        table, activity_id = _user_accounts(name, params, columns, extras)
    else:
        table, activity_id = _api(app, name, params, columns, extras)
    if extras:
        columns["unmapped"] = extras
    return event_row(table, activity_id, time, columns)


# --- parameters ------------------------------------------------------------------------


def parameter_value(param: dict[str, Any]) -> Any:
    """The value of one Reports API parameter, typed (intValue strings become ints)."""
    name = param.get("name", "?")
    if "value" in param:
        return param["value"]
    if "boolValue" in param:
        flag = param["boolValue"]
        if not isinstance(flag, bool):
            parsed = opt_bool(flag)
            if parsed is None:
                raise RecordError(f"parameter {name}: boolValue {flag!r:.40} is not a boolean")
            return parsed
        return flag
    if "intValue" in param:
        return opt_int(param["intValue"], f"parameter {name} intValue")
    if "multiValue" in param:
        return _list(param["multiValue"], name)
    if "multiIntValue" in param:
        return [
            opt_int(v, f"parameter {name} multiIntValue")
            for v in _list(param["multiIntValue"], name)
        ]
    if "multiBoolValue" in param:
        return _list(param["multiBoolValue"], name)
    if "messageValue" in param:
        message = param["messageValue"]
        if not isinstance(message, dict):
            raise RecordError(f"parameter {name}: messageValue is not an object")
        return parameters(message.get("parameter"))
    if "multiMessageValue" in param:
        return [
            parameters(m.get("parameter")) if isinstance(m, dict) else m
            for m in _list(param["multiMessageValue"], name)
        ]
    return None


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise RecordError(f"parameter {name}: expected a list, got {type(value).__name__}")
    return value


def parameters(raw: Any) -> dict[str, Any]:
    """An event's ``parameters`` list as {name: typed value}."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise RecordError("event parameters is not a list")
    out: dict[str, Any] = {}
    for param in raw:
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise RecordError("event parameter is not an object with a name")
        out[param["name"]] = parameter_value(param)
    return out


def _text(value: Any) -> str | None:
    """A single text value; a one-item list counts as its item."""
    if isinstance(value, list):
        return opt_str(value[0]) if len(value) == 1 and not isinstance(value[0], dict) else None
    if isinstance(value, (dict, bool)):
        return None
    return opt_str(value)


def _values(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if not isinstance(v, (dict, list))]
    if value is None:
        return []
    return [str(value)]


# --- columns every event has -------------------------------------------------------------


def _common_columns(
    activity: dict[str, Any], ident: dict[str, Any], app: str, time: datetime
) -> dict[str, Any]:
    actor = activity.get("actor") if isinstance(activity.get("actor"), dict) else {}
    assert isinstance(actor, dict)
    network = activity.get("networkInfo")
    network = network if isinstance(network, dict) else {}
    asns = network.get("ipAsn")
    asn = opt_int(asns[0], "networkInfo.ipAsn") if isinstance(asns, list) and asns else None
    return {
        "metadata.log_name": app,
        "metadata.original_time": str(ident.get("time")),
        "actor.user.email_addr": _text(actor.get("email")),
        "actor.user.uid": _text(actor.get("profileId")),
        "src_endpoint.ip": opt_ip(activity.get("ipAddress"), "ipAddress"),
        "src_endpoint.location.country": _text(network.get("regionCode")),
        "src_endpoint.location.region": _text(network.get("subdivisionCode")),
        "src_endpoint.autonomous_system.number": asn,
    }


def common_unmapped(activity: dict[str, Any], ident: dict[str, Any]) -> dict[str, Any]:
    """Activity-level fields with no column, kept for evidence."""
    actor = activity.get("actor") if isinstance(activity.get("actor"), dict) else {}
    assert isinstance(actor, dict)
    out: dict[str, Any] = {}
    for key in ("uniqueQualifier", "customerId"):
        if ident.get(key) is not None:
            out[f"id.{key}"] = ident[key]
    for key in ("callerType", "key", "applicationInfo"):
        if actor.get(key) is not None:
            out[f"actor.{key}"] = actor[key]
    for key in ("ownerDomain", "resourceDetails"):
        if activity.get(key) is not None:
            out[key] = activity[key]
    network = activity.get("networkInfo")
    asns = network.get("ipAsn") if isinstance(network, dict) else None
    if isinstance(asns, list) and len(asns) > 1:
        out["networkInfo.ipAsn"] = asns
    return out


def _keep(params: dict[str, Any], used: set[str], extras: dict[str, Any]) -> None:
    for key, val in params.items():
        if key not in used and val is not None:
            extras[key] = val


# --- login, saml --------------------------------------------------------------------------


def _challenge_status(text: str | None) -> int:
    lowered = (text or "").lower()
    if "pass" in lowered:
        return 1
    if "fail" in lowered:
        return 2
    return 0


def is_mfa(params: dict[str, Any]) -> bool | None:
    """Whether a second factor was used, from Google's challenge parameters."""
    if params.get("is_second_factor") is True:
        return True
    methods = set(_values(params.get("login_challenge_method")))
    if methods & mapping.SECOND_FACTORS:
        return True
    if methods and methods <= mapping.FIRST_FACTORS_ONLY:
        return False
    return None


def _login(
    name: str, params: dict[str, Any], columns: dict[str, Any], extras: dict[str, Any]
) -> tuple[str, int]:
    activity_id, status_id = mapping.LOGIN_ACTIVITY.get(name, (99, 0))
    used = {
        "login_type",
        "login_failure_type",
        "is_suspicious",
        "is_second_factor",
        "affected_email_address",
        "login_challenge_status",
    }
    login_type = _text(params.get("login_type"))
    suspicious = params.get("is_suspicious")
    if name in mapping.SUSPICIOUS_EVENTS:
        suspicious = True
    detail = _text(params.get("login_failure_type"))
    if name in ("login_challenge", "login_verification"):
        detail = _text(params.get("login_challenge_status"))
        status_id = _challenge_status(detail)
    elif name.startswith("risky_sensitive_action_"):
        status_id = 1 if name.endswith("allowed") else 2 if name.endswith("blocked") else 0
        detail = _text(params.get("sensitive_action_name"))
        used.add("sensitive_action_name")
    _user_columns(columns, params.get("affected_email_address"))
    columns.update(
        {
            "status_id": status_id,
            "status": {1: "Success", 2: "Failure"}.get(status_id),
            "status_detail": detail,
            "logon_type": login_type,
            "auth_protocol": mapping.AUTH_PROTOCOL.get(login_type or ""),
            "is_mfa": is_mfa(params),
            "unmapped.is_suspicious": suspicious if isinstance(suspicious, bool) else None,
            "service.name": mapping.PRODUCT,
            "risk_details": name if name in mapping.SUSPICIOUS_EVENTS else None,
        }
    )
    _keep(params, used, extras)
    return "authentication", activity_id


def _saml(
    name: str, params: dict[str, Any], columns: dict[str, Any], extras: dict[str, Any]
) -> tuple[str, int]:
    activity_id, status_id = mapping.LOGIN_ACTIVITY.get(name, (99, 0))
    _user_columns(columns, None)
    detail = _text(params.get("failure_type")) or _text(params.get("saml_status_code"))
    columns.update(
        {
            "status_id": status_id,
            "status": {1: "Success", 2: "Failure"}.get(status_id),
            "status_detail": detail if status_id == 2 else None,
            "auth_protocol": "SAML",
            "service.name": _text(params.get("application_name")),
        }
    )
    _keep(params, {"application_name", "failure_type"}, extras)
    return "authentication", activity_id


def _user_columns(columns: dict[str, Any], affected: Any) -> None:
    """The account signing in: the affected address of a warning, else the actor."""
    email = _text(affected)
    if email and email != columns.get("actor.user.email_addr"):
        columns["user.email_addr"] = email
        return
    columns["user.email_addr"] = columns.get("actor.user.email_addr")
    columns["user.uid"] = columns.get("actor.user.uid")


# --- drive -------------------------------------------------------------------------------


def drive_activity(name: str, params: dict[str, Any]) -> int:
    """The file_hosting_activity activity of a Drive event (Share vs Unshare refined)."""
    activity_id = mapping.DRIVE_ACTIVITY.get(name, 99)
    if activity_id != 12:
        return activity_id
    if set(_values(params.get("new_value"))) & mapping.UNSHARE_VALUES:
        return 13
    if _text(params.get("membership_change_type")) in mapping.UNSHARE_MEMBERSHIP:
        return 13
    old, new = _text(params.get("old_visibility")), _text(params.get("visibility"))
    scope_change = name in ("change_document_visibility", "change_document_access_scope")
    if scope_change and new == "private" and old not in (None, "private"):
        return 13
    return 12


def _drive(
    name: str, params: dict[str, Any], columns: dict[str, Any], extras: dict[str, Any]
) -> tuple[str, int]:
    used = set()
    for param, column in mapping.DRIVE_COLUMNS.items():
        text = _text(params.get(param))
        if text is None or (column.endswith("email_addr") and "@" not in text):
            continue  # a shared drive's owner is the drive's name, kept in unmapped
        columns[column] = text
        used.add(param)
    target = _text(params.get("target"))
    if "dst_user.email_addr" not in columns and target and "@" in target:
        columns["dst_user.email_addr"] = target
    _keep(params, used, extras)
    return "file_hosting_activity", drive_activity(name, params)


# --- user_accounts -----------------------------------------------------------------------


def _user_accounts(
    name: str, params: dict[str, Any], columns: dict[str, Any], extras: dict[str, Any]
) -> tuple[str, int]:
    _user_columns(columns, None)
    _keep(params, set(), extras)
    return "account_change", mapping.ACCOUNT_ACTIVITY.get(name, 99)


# --- everything else ---------------------------------------------------------------------


def verb_activity(name: str) -> int:
    """api_activity activity_id from the first word of an event name (CREATE_USER…)."""
    first = name.lower().replace("-", "_").split("_", 1)[0]
    return mapping.VERB_ACTIVITY.get(first, 99)


def _api(
    app: str,
    name: str,
    params: dict[str, Any],
    columns: dict[str, Any],
    extras: dict[str, Any],
) -> tuple[str, int]:
    resources = []
    for param, kind in mapping.RESOURCE_PARAMETERS.items():
        text = _text(params.get(param))
        if text is not None:
            resources.append({"type": kind, "name": text})
    uid = next((t for p in mapping.RESOURCE_UID_PARAMETERS if (t := _text(params.get(p)))), None)
    if resources and uid:
        resources[0]["uid"] = uid
    columns.update(
        {
            "api.service.name": app,
            "api.operation": name,
            "resources": resources or None,
        }
    )
    if resources:
        columns["resource.name"] = resources[0]["name"]
        columns["resource.type"] = resources[0]["type"]
        columns["resource.uid"] = uid
    _keep(params, set(), extras)
    return "api_activity", verb_activity(name)
