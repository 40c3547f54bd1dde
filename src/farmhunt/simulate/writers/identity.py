"""Okta System Log and Microsoft Entra ID sign-in logs (each worker has one IdP)."""

from __future__ import annotations

import json
from datetime import date

from farmhunt.simulate.activities import Activity, Net, SignIn
from farmhunt.simulate.company import Worker
from farmhunt.simulate.writers import COUNTRY_NAMES, REGION_NAMES, Writer, iso_ms, uid, uid_int

OKTA_ORG = "northwind-labs.okta.com"
TENANT = "7f3c2a4e-1b9d-4c8e-a6f0-2d5b9e1c3a77"
ISP_DOMAINS = {
    7922: "comcast.net",
    22773: "cox.net",
    20115: "charter.com",
    7018: "att.net",
    701: "verizon.net",
    21928: "tmobile.com",
    20057: "att.net",
}


def _okta_user_id(worker: Worker) -> str:
    return "00u" + uid("okta-user", worker.worker_id, length=17)


def _geo(net: Net) -> dict[str, object]:
    return {
        "city": net.city,
        "state": REGION_NAMES.get(net.region, net.region),
        "country": COUNTRY_NAMES.get(net.country, net.country),
        "postalCode": None,
        "geolocation": {"lat": net.lat, "lon": net.lon},
    }


class OktaWriter(Writer):
    """System Log API events, one JSON object per line (as a log forwarder stores them)."""

    def begin_day(self, day: date, part: str = "") -> None:
        self.path = f"okta/system-log-{day.isoformat()}{part}.ndjson"

    def write(self, activity: Activity) -> None:
        if not isinstance(activity, SignIn):
            return
        worker = self.company.worker(activity.worker_id)
        if worker.idp != "okta":
            return
        for event in self._events(worker, activity):
            self.file(self.path).write(json.dumps(event, separators=(",", ":")) + "\n")
            self.count += 1

    def _events(self, worker: Worker, s: SignIn) -> list[dict[str, object]]:
        if s.app in ("Okta Dashboard", "Microsoft 365"):
            kinds = [("user.session.start", "User login to Okta", "core.user_auth.login_success")]
            if s.mfa and s.success:
                kinds.append(
                    (
                        "user.authentication.auth_via_mfa",
                        "Authentication of user via MFA",
                        "core.user.factor.attempt_success",
                    )
                )
        else:
            kinds = [("user.authentication.sso", "User single sign on to app", "app.auth.sso")]
        events = []
        for index, (event_type, message, legacy) in enumerate(kinds):
            outcome = {
                "result": "SUCCESS" if s.success else "FAILURE",
                "reason": None if s.success else s.failure_reason,
            }
            target = None
            if event_type == "user.authentication.sso":
                target = [
                    {
                        "id": "0oa" + uid("app", s.app, length=17),
                        "type": "AppInstance",
                        "alternateId": s.app,
                        "displayName": s.app,
                        "detailEntry": None,
                    }
                ]
            events.append(
                {
                    "actor": {
                        "id": _okta_user_id(worker),
                        "type": "User",
                        "alternateId": worker.email,
                        "displayName": worker.full_name,
                        "detailEntry": None,
                    },
                    "client": {
                        "userAgent": {
                            "rawUserAgent": s.user_agent,
                            "os": s.client_os,
                            "browser": "CHROME" if "Chrome" in s.user_agent else "SAFARI",
                        },
                        "zone": "null",
                        "device": "Mobile" if s.net.kind == "mobile" else "Computer",
                        "id": None,
                        "ipAddress": s.net.ip,
                        "geographicalContext": _geo(s.net),
                    },
                    "device": None,
                    "authenticationContext": {
                        "authenticationProvider": "FACTOR_PROVIDER" if index else None,
                        "credentialProvider": "OKTA_CREDENTIAL_PROVIDER" if index else None,
                        "credentialType": "OTP" if index else None,
                        "issuer": None,
                        "interface": None,
                        "authenticationStep": 0,
                        "rootSessionId": s.session_id,
                        "externalSessionId": s.session_id,
                    },
                    "displayMessage": message,
                    "eventType": event_type,
                    "outcome": outcome,
                    "published": iso_ms(s.time),
                    "securityContext": {
                        "asNumber": s.net.asn,
                        "asOrg": s.net.provider.lower(),
                        "isp": s.net.provider.lower(),
                        "domain": ISP_DOMAINS.get(s.net.asn, "."),
                        "isProxy": s.net.kind == "vpn",
                    },
                    "severity": "INFO" if s.success else "WARN",
                    "debugContext": {
                        "debugData": {
                            "requestId": uid("req", s.time, worker.worker_id, index, length=24),
                            "requestUri": "/idp/idx/identify"
                            if index == 0
                            else "/idp/idx/challenge/answer",
                            "threatSuspected": "false",
                            "url": "/idp/idx/identify?",
                        }
                    },
                    "legacyEventType": legacy,
                    "transaction": {
                        "type": "WEB",
                        "id": uid("tx", s.time, worker.worker_id, length=24),
                        "detail": {},
                    },
                    "uuid": _uuid(s, worker, index),
                    "version": "0",
                    "request": {
                        "ipChain": [
                            {
                                "ip": s.net.ip,
                                "geographicalContext": _geo(s.net),
                                "version": "V4",
                                "source": None,
                            }
                        ]
                    },
                    "target": target,
                }
            )
        return events


def _uuid(s: SignIn, worker: Worker, index: int) -> str:
    h = uid("okta-event", s.time, worker.worker_id, index, length=32)
    return f"{h[:8]}-{h[8:12]}-1{h[13:16]}-{h[16:20]}-{h[20:32]}"


class EntraWriter(Writer):
    """Sign-in logs as Azure Monitor diagnostic settings write them to a storage account:
    one record per line, the signIn resource under ``properties``."""

    def begin_day(self, day: date, part: str = "") -> None:
        self.path = (
            f"entra/SignInLogs/y={day.year}/m={day.month:02d}/d={day.day:02d}/PT1H{part}.json"
        )

    def write(self, activity: Activity) -> None:
        if not isinstance(activity, SignIn):
            return
        worker = self.company.worker(activity.worker_id)
        if worker.idp != "entra":
            return
        s = activity
        sign_in_id = _uuid(s, worker, 7)
        error = 0 if s.success else (50126 if s.failure_reason == "INVALID_CREDENTIALS" else 50074)
        failure = FAILURES.get(error, "Other.")
        properties: dict[str, object] = {
            "id": sign_in_id,
            "createdDateTime": iso_ms(s.time).rstrip("Z") + "0000Z",
            "userDisplayName": worker.full_name,
            "userPrincipalName": worker.email,
            "userId": _object_id(worker.worker_id),
            "appId": _object_id(s.app),
            "appDisplayName": s.app,
            "ipAddress": s.net.ip,
            "clientAppUsed": "Browser"
            if s.net.kind != "mobile"
            else "Mobile Apps and Desktop clients",
            "userAgent": s.user_agent,
            "correlationId": _object_id(s.session_id),
            "conditionalAccessStatus": "success" if s.success else "notApplied",
            "isInteractive": True,
            "riskDetail": "none",
            "riskLevelAggregated": "none",
            "riskLevelDuringSignIn": "none",
            "riskState": "none",
            "riskEventTypes_v2": [],
            "resourceDisplayName": "Windows Azure Service Management API"
            if s.app == "Microsoft 365"
            else s.app,
            "resourceId": _object_id("resource", s.app),
            "autonomousSystemNumber": s.net.asn,
            "authenticationRequirement": "multiFactorAuthentication"
            if s.mfa
            else "singleFactorAuthentication",
            "status": {
                "errorCode": error,
                "failureReason": failure,
                "additionalDetails": None if s.success else "MFA denied; user did not respond",
            },
            "deviceDetail": {
                "deviceId": "" if s.net.kind == "mobile" else _object_id("dev", worker.worker_id),
                "displayName": "" if s.net.kind == "mobile" else worker.device.hostname,
                "operatingSystem": s.client_os,
                "browser": "Chrome 131.0.0",
                "isCompliant": s.net.kind != "mobile",
                "isManaged": s.net.kind != "mobile",
                "trustType": "Azure AD joined" if s.net.kind != "mobile" else "",
            },
            "location": {
                "city": s.net.city,
                "state": REGION_NAMES.get(s.net.region, s.net.region),
                "countryOrRegion": s.net.country,
                "geoCoordinates": {"altitude": None, "latitude": s.net.lat, "longitude": s.net.lon},
            },
            "appliedConditionalAccessPolicies": [],
            "networkLocationDetails": [],
        }
        record = {
            "time": iso_ms(s.time).rstrip("Z") + "0000Z",
            "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
            "operationName": "Sign-in activity",
            "operationVersion": "1.0",
            "category": "SignInLogs",
            "tenantId": TENANT,
            "resultType": str(error),
            "resultSignature": "None",
            "resultDescription": "" if s.success else failure,
            "durationMs": 0,
            "callerIpAddress": s.net.ip,
            "correlationId": properties["correlationId"],
            "identity": worker.full_name,
            "Level": 4,
            "location": s.net.country,
            "properties": properties,
        }
        self.file(self.path).write(json.dumps(record, separators=(",", ":")) + "\n")
        self.count += 1


FAILURES = {
    0: "Other.",
    50126: "Error validating credentials due to invalid username or password.",
    50074: "Strong Authentication is required.",
}


def _object_id(*parts: object) -> str:
    h = uid("object", *parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def org_id() -> int:
    return uid_int("org", digits=8)
