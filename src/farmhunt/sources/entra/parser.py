"""Microsoft Entra ID sign-in logs: Graph ``signIn`` JSON and Azure Monitor exports.

Accepted shapes (the framing unwraps the page or envelope; this parser sees records):

- Microsoft Graph ``GET /auditLogs/signIns`` (v1.0 or beta): ``{"value": [signIn…]}``;
- Azure Monitor diagnostic settings: ``{"records": [{"time", "category": "SignInLogs",
  "properties": {signIn…}}]}`` as sent to an Event Hub, or one record per line as
  written to a storage account (``PT1H.json``);
- Log Analytics rows of the SigninLogs / AADNonInteractiveUserSignInLogs tables
  exported as JSON (PascalCase columns, nested objects possibly as JSON text).

Every sign-in category (interactive, non-interactive, service principal, managed
identity, AD FS) becomes an Authentication row. Other Azure Monitor categories met in a
mixed stream (``AuditLogs``, ``ProvisioningLogs``, ``RiskyUsers``…) are stored as
``base_event`` with the record in ``unmapped``, so nothing is dropped; a file holding
only such records is not claimed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from farmhunt.sources.base import Parser, RawRecord, RecordError, Row, Sample
from farmhunt.sources.entra.fields import View, entra_time, leftovers
from farmhunt.sources.okta.countries import country_code
from farmhunt.sources.rows import event as event_row
from farmhunt.sources.values import opt_bool, opt_float, opt_int, opt_ip, opt_str

SIGN_IN_CATEGORIES: dict[str, str] = {
    "signinlogs": "Interactive",
    "noninteractiveusersigninlogs": "Non-interactive",
    "serviceprincipalsigninlogs": "Service principal",
    "managedidentitysigninlogs": "Managed identity",
    "microsoftserviceprincipalsigninlogs": "Microsoft service principal",
    "adfssigninlogs": "AD FS",
    # Log Analytics table names for the same categories.
    "aadnoninteractiveusersigninlogs": "Non-interactive",
    "aadserviceprincipalsigninlogs": "Service principal",
    "aadmanagedidentitysigninlogs": "Managed identity",
}
"""Azure Monitor category (lower case) to ``logon_type``."""

CANONICAL_CATEGORY: dict[str, str] = {
    "signinlogs": "SignInLogs",
    "noninteractiveusersigninlogs": "NonInteractiveUserSignInLogs",
    "aadnoninteractiveusersigninlogs": "NonInteractiveUserSignInLogs",
    "serviceprincipalsigninlogs": "ServicePrincipalSignInLogs",
    "aadserviceprincipalsigninlogs": "ServicePrincipalSignInLogs",
    "managedidentitysigninlogs": "ManagedIdentitySignInLogs",
    "aadmanagedidentitysigninlogs": "ManagedIdentitySignInLogs",
    "microsoftserviceprincipalsigninlogs": "MicrosoftServicePrincipalSignInLogs",
    "adfssigninlogs": "ADFSSignInLogs",
}

CONDITIONAL_ACCESS: dict[int, str] = {
    0: "success",
    1: "failure",
    2: "notApplied",
    3: "unknownFutureValue",
}
"""``conditionalAccessStatus`` when an export writes the enum's number."""

RISK_LEVELS: dict[str, str] = {"low": "Low", "medium": "Medium", "high": "High"}
"""Entra risk level to OCSF ``risk_level`` caption; none/hidden leave it empty."""

RISK_STATE_SUSPICIOUS: dict[str, bool] = {
    "atrisk": True,
    "confirmedcompromised": True,
    "none": False,
    "confirmedsafe": False,
    "remediated": False,
    "dismissed": False,
}

AUTH_PROTOCOLS: dict[str, str] = {"oauth2": "OAUTH 2.0", "saml20": "SAML"}
"""``authenticationProtocol`` to OCSF captions; other protocols (ropc, deviceCode,
wsFederation) are kept as Entra names them, since they matter to detections."""

LEVELS: dict[str, int] = {
    "informational": 1,
    "4": 1,
    "warning": 3,
    "3": 3,
    "error": 4,
    "2": 4,
    "critical": 5,
    "1": 5,
}
"""Azure Monitor ``Level`` to OCSF ``severity_id``."""

_ENVELOPE_DUPLICATES = (
    "category",
    "operationName",
    "resultType",
    "resultDescription",
    "identity",
    "Level",
    "location",
    "correlationId",
    "time",
)
"""Envelope fields that repeat what ``properties`` says (kept in raw_data only)."""

_INTERACTIVE = {True: "Interactive", False: "Non-interactive"}

_SIGN_IN_HINTS = ("ipaddress", "appdisplayname", "appid", "clientappused", "status")


def _lower_keys(record: dict[str, Any]) -> set[str]:
    return {k.lower() for k in record if isinstance(k, str)}


def _category(record: dict[str, Any]) -> str | None:
    for key, value in record.items():
        if isinstance(key, str) and key.lower() in ("category", "type") and isinstance(value, str):
            return value.lower()
    return None


def is_envelope(record: dict[str, Any]) -> bool:
    """An Azure Monitor diagnostic record: ``properties`` plus category or operation."""
    keys = _lower_keys(record)
    return "properties" in keys and bool(keys & {"category", "operationname"})


def record_kind(record: Any) -> str | None:
    """ "signin", "other" (another Azure Monitor category) or None (not Entra)."""
    if not isinstance(record, dict):
        return None
    if is_envelope(record):
        category = _category(record)
        operation = str(record.get("operationName") or "").lower()
        if category in SIGN_IN_CATEGORIES or operation == "sign-in activity":
            return "signin"
        return "other" if "time" in _lower_keys(record) else None
    keys = _lower_keys(record)
    if not keys & {"createddatetime", "timegenerated"}:
        return None
    if "userprincipalname" in keys and keys & set(_SIGN_IN_HINTS):
        return "signin"
    if "serviceprincipalid" in keys and "appid" in keys and keys & {"ipaddress", "status"}:
        return "signin"  # a service principal sign-in from Graph beta
    return None


class EntraSignInParser(Parser):
    name = "entra_signin"
    title = "Microsoft Entra ID sign-in logs (Graph signIns, Azure Monitor diagnostic export)"
    product = "Microsoft Entra ID"
    vendor = "Microsoft"

    def sniff(self, sample: Sample) -> float:
        records = sample.first_dicts()
        if not records:
            return 0.0
        kinds = [record_kind(r) for r in records]
        if "signin" not in kinds:
            return 0.0
        return 0.95 * sum(1 for k in kinds if k is not None) / len(records)

    def normalize(self, record: RawRecord) -> Iterable[Row]:
        value = record.value
        if not isinstance(value, dict):
            raise RecordError("Entra record is not a JSON object")
        if is_envelope(value):
            category = _category(value)
            operation = str(value.get("operationName") or "").lower()
            if category not in SIGN_IN_CATEGORIES and operation != "sign-in activity":
                return [_other_record(value)]
            return [_sign_in(value)]
        if record_kind(value) is None and not _lower_keys(value) & {
            "userprincipalname",
            "createddatetime",
        }:
            raise RecordError("not an Entra sign-in: no userPrincipalName or createdDateTime")
        return [_sign_in(value)]


def _sign_in(record: dict[str, Any]) -> Row:
    consumed: set[str] = set()
    envelope_consumed: set[str] = set()
    if is_envelope(record):
        envelope = View(record, envelope_consumed)
        props = envelope.child("properties")
        envelope.consume("properties")
    else:
        envelope = View({}, envelope_consumed)
        props = View(record, consumed)
    props = View(props.data, consumed)  # paths relative to the signIn object

    row: dict[str, Any] = {}
    raw_time, field = props.get("createdDateTime"), "createdDateTime"
    if raw_time is None:
        raw_time, field = envelope.get("time"), "time"
    if raw_time is None:
        raw_time, field = props.get("TimeGenerated"), "TimeGenerated"
    if raw_time is None:
        raise RecordError("no timestamp: createdDateTime (and the record's time) is missing")
    time = entra_time(raw_time, field)
    row["metadata.original_time"] = opt_str(raw_time)

    category_raw = opt_str(envelope.get("category")) or opt_str(props.get("Category", "Type"))
    category = (category_raw or "").lower()
    if category in CANONICAL_CATEGORY:
        row["metadata.log_name"] = CANONICAL_CATEGORY[category]
        logon_type = SIGN_IN_CATEGORIES[category]
    else:
        row["metadata.log_name"] = category_raw or "signIns"
        interactive = opt_bool(props.get("isInteractive", consume=False))
        event_types = props.get("signInEventTypes", consume=False)
        if isinstance(event_types, list) and event_types:
            interactive = "interactiveUser" in event_types
        logon_type = "" if interactive is None else _INTERACTIVE[interactive]
    if logon_type:
        row["logon_type"] = logon_type
        row["logon_type_id"] = 99
    row["is_remote"] = True

    _identity(props, row)
    _network(props, envelope, row)
    _device(props, row)
    _outcome(props, envelope, row)
    _security(props, row)

    row["service.name"] = opt_str(props.get("appDisplayName")) or opt_str(
        props.get("resourceDisplayName")
    )
    row["session.uid"] = opt_str(props.get("sessionId"))
    row["http_request.user_agent"] = opt_str(props.get("userAgent"))
    protocol = opt_str(props.get("authenticationProtocol"))
    if protocol is not None and protocol.lower() != "none":
        row["auth_protocol"] = AUTH_PROTOCOLS.get(protocol.lower(), protocol)

    level = opt_str(envelope.get("Level")) or opt_str(props.get("Level", consume=False))
    severity = LEVELS.get((level or "").lower(), 1)

    unmapped = leftovers(props.data, consumed)
    envelope_rest = leftovers(envelope.data, envelope_consumed | _envelope_duplicates(envelope))
    unmapped.update({f"azure_monitor.{k}": v for k, v in envelope_rest.items()})
    if unmapped:
        row["unmapped"] = unmapped
    return event_row("authentication", 1, time, row, severity_id=severity)


def _envelope_duplicates(envelope: View) -> set[str]:
    found: set[str] = set()
    lower = {k.lower(): k for k in envelope.data}
    for name in _ENVELOPE_DUPLICATES:
        key = lower.get(name.lower())
        if key is not None:
            found.add(key)
    return found


def _identity(props: View, row: dict[str, Any]) -> None:
    upn = opt_str(props.get("userPrincipalName"))
    if upn is None:
        upn = opt_str(props.get("servicePrincipalName"))
    row["user.name"] = upn
    if upn is not None and "@" in upn:
        row["user.email_addr"] = upn
    row["user.uid"] = opt_str(props.get("userId")) or opt_str(props.get("servicePrincipalId"))
    row["user.full_name"] = opt_str(props.get("userDisplayName"))


def _network(props: View, envelope: View, row: dict[str, Any]) -> None:
    ip = opt_ip(props.get("ipAddress"), "ipAddress")
    caller = opt_ip(envelope.get("callerIpAddress", consume=False), "callerIpAddress")
    if ip is None or caller == ip:
        envelope.consume("callerIpAddress")
        ip = ip or caller
    row["src_endpoint.ip"] = ip
    place = props.child("location", "LocationDetails")
    row["src_endpoint.location.city"] = opt_str(place.get("city"))
    row["src_endpoint.location.region"] = opt_str(place.get("state"))
    country = opt_str(place.get("countryOrRegion"))
    if country is not None:
        if len(country) == 2 and country.isalpha():
            row["src_endpoint.location.country"] = country.upper()
        else:
            row["src_endpoint.location.country"] = country_code(country)
    point = place.child("geoCoordinates")
    row["src_endpoint.location.lat"] = opt_float(point.get("latitude"), "geoCoordinates.latitude")
    row["src_endpoint.location.long"] = opt_float(
        point.get("longitude"), "geoCoordinates.longitude"
    )
    row["src_endpoint.autonomous_system.number"] = opt_int(
        props.get("autonomousSystemNumber"), "autonomousSystemNumber"
    )


def _device(props: View, row: dict[str, Any]) -> None:
    device = props.child("deviceDetail", "DeviceDetail")
    row["src_endpoint.device.uid"] = opt_str(device.get("deviceId"))
    row["src_endpoint.device.name"] = opt_str(device.get("displayName"))
    row["src_endpoint.device.os.name"] = opt_str(device.get("operatingSystem"))
    for column, name in (("is_compliant", "isCompliant"), ("is_managed", "isManaged")):
        raw = device.get(name, consume=False)
        flag = opt_bool(raw)
        if raw is not None and flag is None:
            raise RecordError(f"deviceDetail.{name} {str(raw)[:40]!r} is not true or false")
        if flag is not None:
            device.consume(name)
            row[f"src_endpoint.device.{column}"] = flag


def _outcome(props: View, envelope: View, row: dict[str, Any]) -> None:
    status = props.child("status", "Status")
    code = opt_int(status.get("errorCode"), "status.errorCode")
    if code is None:
        # Without status, the envelope's resultType carries the same error code.
        fallback = opt_str(envelope.get("resultType", consume=False)) or opt_str(
            props.get("ResultType", consume=False)
        )
        code = int(fallback) if fallback is not None and fallback.isdigit() else None
    failure = opt_str(status.get("failureReason", consume=False)) or opt_str(
        envelope.get("resultDescription", consume=False)
    )
    if code is not None:
        row["status_code"] = str(code)
        row["status_id"] = 1 if code == 0 else 2
        row["status"] = "Success" if code == 0 else "Failure"
    if code == 0:
        row["status_detail"] = opt_str(status.get("additionalDetails"))
    elif failure is not None:
        status.consume("failureReason")
        row["status_detail"] = failure
    requirement = opt_str(props.get("authenticationRequirement", consume=False))
    if requirement is not None and requirement.lower() in (
        "multifactorauthentication",
        "singlefactorauthentication",
    ):
        props.consume("authenticationRequirement")
        row["is_mfa"] = requirement.lower() == "multifactorauthentication"
    elif opt_str(props.child("mfaDetail").get("authMethod", consume=False)) is not None:
        row["is_mfa"] = True


def _security(props: View, row: dict[str, Any]) -> None:
    access = props.get("conditionalAccessStatus")
    if isinstance(access, bool):
        raise RecordError("conditionalAccessStatus is true/false, not a status")
    if isinstance(access, (int, float)) or (isinstance(access, str) and access.isdigit()):
        number = int(access)
        if number not in CONDITIONAL_ACCESS:
            raise RecordError(f"conditionalAccessStatus {number} is not a known status")
        access = CONDITIONAL_ACCESS[number]
    row["unmapped.conditional_access_status"] = opt_str(access)

    level = opt_str(props.get("riskLevelDuringSignIn", consume=False)) or opt_str(
        props.get("riskLevelAggregated", consume=False)
    )
    row["risk_level"] = RISK_LEVELS.get((level or "").lower())
    detail = opt_str(props.get("riskDetail", consume=False))
    if detail is not None and detail.lower() != "none":
        row["risk_details"] = detail
    for name in ("riskEventTypes_v2", "riskEventTypes"):
        types = props.get(name, consume=False)
        if isinstance(types, list):
            row["unmapped.risk_event_types"] = [str(t) for t in types if t is not None]
            if types:
                break
    state = opt_str(props.get("riskState", consume=False))
    row["unmapped.is_suspicious"] = RISK_STATE_SUSPICIOUS.get((state or "").lower())


def _other_record(record: dict[str, Any]) -> Row:
    """A non-sign-in Azure Monitor record (AuditLogs…) kept as base_event."""
    consumed: set[str] = set()
    view = View(record, consumed)
    props = view.child("properties")
    raw_time = view.get("time") or props.get("activityDateTime")
    time = entra_time(raw_time, "time")
    row: dict[str, Any] = {
        "metadata.original_time": opt_str(raw_time),
        "metadata.log_name": opt_str(view.get("category")),
        "metadata.event_code": opt_str(view.get("operationName")),
        "message": opt_str(props.get("activityDisplayName")),
    }
    who = props.child("initiatedBy").child("user")
    upn = opt_str(who.get("userPrincipalName"))
    row["actor.user.name"] = upn
    if upn is not None and "@" in upn:
        row["actor.user.email_addr"] = upn
    row["actor.user.uid"] = opt_str(who.get("id"))
    result = opt_str(props.get("result", consume=False)) or opt_str(
        view.get("resultType", consume=False)
    )
    if result is not None and result.lower() in ("success", "failure"):
        row["status_id"] = 1 if result.lower() == "success" else 2
        row["status"] = result.title()
    row["status_detail"] = opt_str(props.get("resultReason"))
    unmapped = leftovers(view.data, consumed)
    if unmapped:
        row["unmapped"] = unmapped
    return event_row("base_event", 0, time, row)
