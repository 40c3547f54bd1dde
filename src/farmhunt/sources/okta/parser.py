"""Okta System Log: LogEvent objects from ``/api/v1/logs``, event hooks or EventBridge.

Each LogEvent becomes one OCSF row (see :mod:`farmhunt.sources.okta.events` for which
table). The network facts farmhunt's detections depend on are kept as columns: the
client IP, its geolocation (country name turned into ISO 3166 alpha-2), Okta's ASN,
AS organisation, ISP and domain, ``securityContext.isProxy`` (Okta's anonymising
proxy / VPN flag), the forwarded-for chain, ThreatInsight's ``threatSuspected``,
the behaviour detections (New Country, Velocity…) and the risk level. Every field
without a column stays in ``unmapped`` under its dotted Okta path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from farmhunt.schema import get_table
from farmhunt.sources.base import Parser, RawRecord, RecordError, Row, Sample
from farmhunt.sources.okta.countries import country_code
from farmhunt.sources.okta.events import MFA_EVENTS, OUTCOME, SEVERITY, classify
from farmhunt.sources.okta.fields import canonical_event, published_time
from farmhunt.sources.rows import event as event_row
from farmhunt.sources.values import opt_bool, opt_float, opt_int, opt_ip, opt_str

_PLACEHOLDERS = frozenset({"unknown", "UNKNOWN", "Unknown", "null", "NULL"})

_SIGN_ON_MODES = {
    "SAML_2_0": "SAML",
    "SAML_1_1": "SAML",
    "OPENID_CONNECT": "OpenID",
    "WS_FEDERATION": "WS-Federation",
}
"""AppInstance ``detailEntry.signOnModeType`` to OCSF ``auth_protocol``."""

Put = Callable[..., None]
"""``put(column, value, *source_paths)``: set a column the table has, mark paths mapped."""

_MAIN_RESOURCE_TYPES = ("AppInstance", "UserGroup")

_RISK_LEVELS = {"LOW": "Low", "MEDIUM": "Medium", "HIGH": "High", "CRITICAL": "Critical"}


def _text(value: Any) -> str | None:
    """Text with Okta's placeholders ("unknown", "null", "UNKNOWN") as None."""
    text = opt_str(value)
    return None if text is None or text in _PLACEHOLDERS else text


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def is_log_event(value: Any) -> bool:
    """Whether a JSON value looks like an Okta LogEvent (partial records included)."""
    if not isinstance(value, dict):
        return False
    value = canonical_event(value)
    event_type = value.get("eventType")
    if not isinstance(event_type, str) or event_type == "com.okta.event_hook":
        return False
    others = ("actor", "uuid", "outcome", "client", "displayMessage", "legacyEventType")
    return "published" in value and any(k in value for k in others)


def _is_event_hook(value: Any) -> bool:
    value = canonical_event(value) if isinstance(value, dict) else value
    return (
        isinstance(value, dict)
        and value.get("eventType") == "com.okta.event_hook"
        and isinstance(_dict(value.get("data")).get("events"), list)
    )


def _is_eventbridge(value: Any) -> bool:
    """An AWS EventBridge envelope (Okta log streaming) with the LogEvent in ``detail``."""
    if not isinstance(value, dict):
        return False
    value = canonical_event(value)
    return "eventType" not in value and is_log_event(value.get("detail"))


def _ip_chain(event: dict[str, Any]) -> list[dict[str, Any]]:
    chain = _dict(event.get("request")).get("ipChain")
    return [c for c in chain if isinstance(c, dict)] if isinstance(chain, list) else []


def _targets(event: dict[str, Any]) -> list[dict[str, Any]]:
    targets = event.get("target")
    return [t for t in targets if isinstance(t, dict)] if isinstance(targets, list) else []


def leftovers(value: dict[str, Any], consumed: set[str], prefix: str = "") -> dict[str, Any]:
    """Fields not mapped to a column, flattened to dotted paths; empty values dropped."""
    out: dict[str, Any] = {}
    for key, inner in value.items():
        path = f"{prefix}{key}"
        if path in consumed:
            continue
        if isinstance(inner, dict) and inner:
            out.update(leftovers(inner, consumed, path + "."))
        elif inner not in (None, "", [], {}, "null"):
            out[path] = inner
    return out


def _bracket_pairs(text: str) -> dict[str, str]:
    """Okta's ``{key=value, key=value}`` text (debugData risk and behaviors) as a dict.

    Values may themselves contain ", " (``reasons=Anomalous Device, New IP``): a
    comma only starts a new pair when ``word=`` follows it.
    """
    body = text.strip().removeprefix("{").removesuffix("}")
    pairs: dict[str, str] = {}
    for part in re.split(r",\s*(?=[\w .\-]+=)", body):
        key, sep, value = part.partition("=")
        if sep:
            pairs[key.strip()] = value.strip()
    return pairs


class OktaSystemLogParser(Parser):
    name = "okta"
    title = "Okta System Log events (System Log API, event hook or EventBridge export)"
    product = "Okta System Log"
    vendor = "Okta"

    def sniff(self, sample: Sample) -> float:
        records = sample.first_dicts()
        if not records:
            return 0.0
        hits = sum(1 for r in records if is_log_event(r) or _is_event_hook(r) or _is_eventbridge(r))
        return 0.95 * hits / len(records)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        value = record.value
        if not isinstance(value, dict):
            raise RecordError("Okta record is not a JSON object")
        value = canonical_event(value)
        if _is_event_hook(value):
            rows = []
            for number, inner in enumerate(value["data"]["events"], 1):
                if not isinstance(inner, dict):
                    raise RecordError(f"event hook event {number} is not a JSON object")
                table, row = self._event(inner)
                row["raw_data"] = orjson.dumps(inner).decode()
                rows.append((table, row))
            return rows
        if _is_eventbridge(value):
            return [self._event(value["detail"])]
        return [self._event(value)]

    def _event(self, event: dict[str, Any]) -> Row:
        event = canonical_event(event)
        event_type = opt_str(event.get("eventType"))
        if event_type is None:
            raise RecordError("eventType is missing")
        if not isinstance(event_type, str):
            raise RecordError("eventType is not text")
        published = event.get("published")
        time = published_time(published)
        table_name, activity = classify(event_type)
        table = get_table(table_name)
        row: dict[str, Any] = {}
        consumed: set[str] = set()

        def put(column: str, value: Any, *paths: str) -> None:
            if value is None or not table.has_column(column):
                return
            row[column] = value
            consumed.update(paths)

        put("metadata.event_code", event_type, "eventType")
        put("metadata.original_time", opt_str(published), "published")
        put("metadata.log_name", "System Log")
        put("message", opt_str(event.get("displayMessage")), "displayMessage")
        severity = opt_str(event.get("severity"))

        outcome = _dict(event.get("outcome"))
        result = opt_str(outcome.get("result"))
        if result is not None:
            status_id = OUTCOME.get(result.upper(), 99)
            put("status_id", status_id, "outcome.result")
            put("status", {1: "Success", 2: "Failure", 0: "Unknown"}.get(status_id, result))
            put("status_code", result)
        put("status_detail", opt_str(outcome.get("reason")), "outcome.reason")

        self._client(event, put)
        self._people(event, table_name, put)

        debug = _dict(_dict(event.get("debugContext")).get("debugData"))
        url = opt_str(debug.get("url")) or opt_str(debug.get("requestUri"))
        put("http_request.url.url_string", url, "debugContext.debugData.url")

        if table_name == "authentication":
            self._authentication(event, event_type, debug, put)

        unmapped = leftovers(event, consumed)
        chain = unmapped.get("request.ipChain")
        client_ip = row.get("src_endpoint.ip")
        if isinstance(chain, list) and len(chain) == 1 and _dict(chain[0]).get("ip") == client_ip:
            del unmapped["request.ipChain"]  # only repeats the client address and its geo
        table_row = event_row(
            table_name, activity, time, row, severity_id=SEVERITY.get(severity or "", 1)
        )[1]
        if unmapped:
            table_row["unmapped"] = unmapped
        return table_name, table_row

    @staticmethod
    def _client(event: dict[str, Any], put: Put) -> None:
        """Client address, geolocation, AS/ISP facts, proxy flag, user agent, device."""
        client = _dict(event.get("client"))
        chain = _ip_chain(event)
        ip = opt_ip(client.get("ipAddress"), "client.ipAddress")
        geo = _dict(client.get("geographicalContext"))
        geo_path: str | None = "client.geographicalContext"
        if ip is None and chain:
            ip = opt_ip(
                chain[0].get("ip"), "request.ipChain.ip"
            )  # some partial exports keep only the chain
            geo = _dict(chain[0].get("geographicalContext"))
            geo_path = None  # the chain stays in unmapped whole
        put("src_endpoint.ip", ip, "client.ipAddress")

        def at(field: str) -> tuple[str, ...]:
            return (f"{geo_path}.{field}",) if geo_path else ()

        country_name = opt_str(geo.get("country"))
        put("src_endpoint.location.country", country_code(country_name), *at("country"))
        put("src_endpoint.location.region", opt_str(geo.get("state")), *at("state"))
        put("src_endpoint.location.city", opt_str(geo.get("city")), *at("city"))
        point = _dict(geo.get("geolocation"))
        lat = opt_float(point.get("lat"), "geographicalContext.geolocation.lat")
        lon = opt_float(point.get("lon"), "geographicalContext.geolocation.lon")
        put("src_endpoint.location.lat", lat, *at("geolocation.lat"))
        put("src_endpoint.location.long", lon, *at("geolocation.lon"))

        security = _dict(event.get("securityContext"))
        put(
            "src_endpoint.autonomous_system.number",
            opt_int(security.get("asNumber"), "securityContext.asNumber"),
            "securityContext.asNumber",
        )
        put(
            "src_endpoint.autonomous_system.name",
            opt_str(security.get("asOrg")),
            "securityContext.asOrg",
        )
        put("src_endpoint.location.isp", opt_str(security.get("isp")), "securityContext.isp")
        domain = opt_str(security.get("domain"))
        if domain != ".":  # Okta writes "." when it knows no domain for the address
            put("src_endpoint.domain", domain, "securityContext.domain")
        is_proxy = security.get("isProxy")
        if is_proxy is not None and not isinstance(is_proxy, bool):
            parsed = opt_bool(is_proxy)
            if parsed is None:
                shown = str(is_proxy)[:40]
                raise RecordError(f"securityContext.isProxy {shown!r} is not true or false")
            is_proxy = parsed
        put("src_endpoint.is_proxy", is_proxy, "securityContext.isProxy")

        agent = _dict(client.get("userAgent"))
        user_agent = _text(agent.get("rawUserAgent"))
        put("http_request.user_agent", user_agent, "client.userAgent.rawUserAgent")
        device = _dict(event.get("device"))
        os_name = _text(agent.get("os")) or _text(device.get("os_platform"))
        put("src_endpoint.device.os.name", os_name, "client.userAgent.os")
        put("src_endpoint.device.uid", _text(device.get("id")), "device.id")
        put("src_endpoint.device.name", _text(device.get("name")), "device.name")
        managed = device.get("managed")
        put(
            "src_endpoint.device.is_managed",
            managed if isinstance(managed, bool) else None,
            "device.managed",
        )

    @staticmethod
    def _people(event: dict[str, Any], table_name: str, put: Put) -> None:
        """The user the event is about (``user.*``) and who acted (``actor.user.*``)."""
        actor = _dict(event.get("actor"))
        targets = _targets(event)
        user_target = next((t for t in targets if t.get("type") == "User"), None)
        group_target = next((t for t in targets if t.get("type") == "UserGroup"), None)
        actor_id = _text(actor.get("id"))
        target_is_other = user_target is not None and _text(user_target.get("id")) != actor_id

        # The subject's own fields leave unmapped only when it is the actor; a target
        # stays in unmapped whole (the target list is kept as Okta wrote it).
        subject: dict[str, Any] | None
        subject_path: str | None = None
        if table_name == "authentication":
            subject = user_target if target_is_other else actor
            subject_path = None if target_is_other else "actor"
            with_actor = target_is_other
        elif table_name == "account_change":
            subject = user_target or actor
            subject_path = None if user_target else "actor"
            with_actor = True
        elif table_name == "group_management":
            subject, with_actor = user_target, True
        else:
            subject, with_actor = None, True

        if subject is not None:
            _user(put, "user", subject, subject_path, full_name=True)
        if with_actor:
            _user(put, "actor.user", actor, "actor", full_name=False)
        if group_target is not None:
            put("group.name", _text(group_target.get("displayName")))
            put("group.uid", _text(group_target.get("id")))
        if table_name == "api_activity":
            put("api.operation", opt_str(event.get("eventType")))
            put("api.service.name", "Okta")
            resources = [
                {
                    k: v
                    for k, v in (
                        ("type", _text(t.get("type"))),
                        ("name", _text(t.get("displayName")) or _text(t.get("alternateId"))),
                        ("uid", _text(t.get("id"))),
                    )
                    if v is not None
                }
                for t in targets
            ]
            if resources:
                put("resources", resources)
                # The main resource: the app or group acted on, else the first target.
                main = next(
                    (r for r in resources if r.get("type") in _MAIN_RESOURCE_TYPES), resources[0]
                )
                put("resource.name", main.get("name"))
                put("resource.type", main.get("type"))
                put("resource.uid", main.get("uid"))

    @staticmethod
    def _authentication(
        event: dict[str, Any], event_type: str, debug: dict[str, Any], put: Put
    ) -> None:
        context = _dict(event.get("authenticationContext"))
        session = _text(context.get("externalSessionId")) or _text(context.get("rootSessionId"))
        put("session.uid", session, "authenticationContext.externalSessionId")
        put("is_remote", True)
        if event_type in MFA_EVENTS:
            put("is_mfa", True)

        targets = _targets(event)
        app = next((t for t in targets if t.get("type") == "AppInstance"), None)
        if app is not None:
            put("service.name", _text(app.get("displayName")) or _text(app.get("alternateId")))
            mode = opt_str(_dict(app.get("detailEntry")).get("signOnModeType"))
            put("auth_protocol", _SIGN_ON_MODES.get(mode or ""))
        else:
            put("service.name", "Okta")

        chain = _ip_chain(event)
        client_ip = opt_ip(_dict(event.get("client")).get("ipAddress"), "client.ipAddress")
        hops = [
            ip
            for c in chain
            if (ip := opt_ip(c.get("ip"), "request.ipChain.ip")) and ip != client_ip
        ]
        put("src_endpoint.intermediate_ips", hops or None)

        threat = debug.get("threatSuspected")
        put("unmapped.is_suspicious", opt_bool(threat), "debugContext.debugData.threatSuspected")

        level, reasons = None, None
        risk = debug.get("risk")
        if isinstance(risk, str) and risk.strip():
            pairs = _bracket_pairs(risk)
            level, reasons = pairs.get("level"), pairs.get("reasons")
        security_data = debug.get("logOnlySecurityData")
        if isinstance(security_data, str) and security_data.strip().startswith("{"):
            try:
                security_data = orjson.loads(security_data)
            except orjson.JSONDecodeError:
                security_data = None
        security_data = _dict(security_data)
        logged_risk = _dict(security_data.get("risk"))
        level = level or opt_str(logged_risk.get("level"))
        reasons = reasons or opt_str(logged_risk.get("reasons"))
        if level is not None:
            put("risk_level", _RISK_LEVELS.get(level.upper(), level), "debugContext.debugData.risk")
        put("risk_details", reasons)

        behaviors: dict[str, Any] = {}
        raw_behaviors = debug.get("behaviors")
        if isinstance(raw_behaviors, str) and raw_behaviors.strip():
            behaviors = dict(_bracket_pairs(raw_behaviors))
        elif isinstance(raw_behaviors, dict):
            behaviors = raw_behaviors
        if not behaviors:
            behaviors = _dict(security_data.get("behaviors"))
        positive = sorted(k for k, v in behaviors.items() if str(v).upper() == "POSITIVE")
        if behaviors:
            put("unmapped.behaviors", positive, "debugContext.debugData.behaviors")


def _user(
    put: Put, prefix: str, entity: dict[str, Any], path: str | None, *, full_name: bool
) -> None:
    """``<prefix>.uid/name/email_addr[/full_name]`` from an Okta actor or target."""

    def at(field: str) -> tuple[str, ...]:
        return (f"{path}.{field}",) if path else ()

    login = _text(entity.get("alternateId"))
    put(f"{prefix}.uid", _text(entity.get("id")), *at("id"))
    put(f"{prefix}.name", login, *at("alternateId"))
    if login is not None and "@" in login:
        put(f"{prefix}.email_addr", login)
    if full_name:
        put(f"{prefix}.full_name", _text(entity.get("displayName")), *at("displayName"))
