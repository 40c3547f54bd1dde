"""Google Workspace Reports API activities (login, drive) and the GitHub audit log."""

from __future__ import annotations

import json
from datetime import date

from farmhunt.simulate.activities import Activity, DriveEvent, GitEvent, SignIn
from farmhunt.simulate.company import GITHUB_ORG, Worker
from farmhunt.simulate.writers import Writer, iso_ms, uid, uid_int

CUSTOMER = "C03nw7lb2"


def _profile(worker: Worker) -> str:
    return "1" + str(uid_int("gprofile", worker.worker_id, digits=20)).zfill(20)


class GoogleWriter(Writer):
    """Activities as ``activities.list`` returns them, one activity per line."""

    def begin_day(self, day: date, part: str = "") -> None:
        self.stem = f"{day.isoformat()}{part}"

    def _activity(
        self,
        worker: Worker,
        when_iso: str,
        app: str,
        ip: str,
        asn: int,
        country: str,
        events: list[dict[str, object]],
        key: object,
    ) -> str:
        return json.dumps(
            {
                "kind": "admin#reports#activity",
                "id": {
                    "time": when_iso,
                    "uniqueQualifier": str(uid_int("gq", key, digits=19)),
                    "applicationName": app,
                    "customerId": CUSTOMER,
                },
                "etag": f'"{uid("etag", key, length=27)}/{uid("etag2", key, length=27)}"',
                "actor": {
                    "callerType": "USER",
                    "email": worker.email,
                    "profileId": _profile(worker),
                },
                "ipAddress": ip,
                "networkInfo": {"ipAsn": [asn], "regionCode": country},
                "ownerDomain": worker.email.split("@")[1],
                "events": events,
            },
            separators=(",", ":"),
        )

    def write(self, activity: Activity) -> None:
        worker = self.company.worker(activity.worker_id)
        if isinstance(activity, SignIn) and activity.app == "Google Workspace":
            s = activity
            name = "login_success" if s.success else "login_failure"
            params: list[dict[str, object]] = [
                {"name": "login_type", "value": "saml"},
                {"name": "login_challenge_method", "multiValue": ["none"]},
                {"name": "is_suspicious", "boolValue": False},
            ]
            if not s.success:
                params.append({"name": "login_failure_type", "value": "login_failure_unknown"})
            line = self._activity(
                worker,
                iso_ms(s.time),
                "login",
                s.net.ip,
                s.net.asn,
                s.net.country,
                [{"type": "login", "name": name, "parameters": params}],
                (s.time, worker.worker_id),
            )
            self.file(f"google/login-{self.stem}.ndjson").write(line + "\n")
            self.count += 1
        elif isinstance(activity, DriveEvent):
            d = activity
            params = [
                {"name": "primary_event", "boolValue": True},
                {"name": "billable", "boolValue": True},
                {"name": "doc_id", "value": d.doc_id},
                {"name": "doc_title", "value": d.title},
                {"name": "doc_type", "value": d.doc_type},
                {"name": "owner", "value": d.owner},
                {"name": "owner_is_shared_drive", "boolValue": False},
                {"name": "visibility", "value": d.visibility},
            ]
            kind = "access"
            if d.action == "change_user_access":
                kind = "acl_change"
                params += [
                    {"name": "target_user", "value": d.target_user},
                    {"name": "old_value", "multiValue": ["none"]},
                    {"name": "new_value", "multiValue": ["can_view"]},
                    {"name": "visibility_change", "value": "external"},
                ]
            line = self._activity(
                worker,
                iso_ms(d.time),
                "drive",
                d.net.ip,
                d.net.asn,
                d.net.country,
                [{"type": kind, "name": d.action, "parameters": params}],
                (d.time, worker.worker_id, d.doc_id, d.action),
            )
            self.file(f"google/drive-{self.stem}.ndjson").write(line + "\n")
            self.count += 1


TRANSPORT = {"http": 1, "ssh": 2}


class GitHubWriter(Writer):
    """The organization audit log as audit-log streaming writes it (NDJSON)."""

    def begin_day(self, day: date, part: str = "") -> None:
        self.path = f"github/audit-log-{day.isoformat()}{part}.json"

    def write(self, activity: Activity) -> None:
        if not isinstance(activity, GitEvent):
            return
        g = activity
        worker = self.company.worker(g.worker_id)
        millis = int(g.time.timestamp() * 1000)
        repo = f"{GITHUB_ORG}/{g.repo}"
        record: dict[str, object] = {
            "@timestamp": millis,
            "_document_id": uid("gh", millis, worker.worker_id, g.repo, g.action, length=22),
            "action": g.action,
            "actor": worker.github_login,
            "actor_id": uid_int("ghactor", worker.worker_id, digits=8),
            "actor_ip": g.net.ip,
            "actor_location": {"country_code": g.net.country},
            "business": "northwind-labs",
            "created_at": millis,
            "external_identity_nameid": worker.email,
            "external_identity_username": worker.email,
            "org": GITHUB_ORG,
            "org_id": uid_int("ghorg", digits=8),
            "repo": repo,
            "repo_id": uid_int("ghrepo", g.repo, digits=9),
            "repository": repo,
            "repository_public": g.visibility == "public",
            "user_agent": g.user_agent
            if g.action.startswith("git.")
            else "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36",
        }
        if g.action.startswith("git."):
            record["transport_protocol"] = TRANSPORT[g.transport]
            record["transport_protocol_name"] = g.transport
            record["hashed_token"] = uid("token", worker.worker_id, length=43) + "="
            record["programmatic_access_type"] = "OAuth access token"
        else:
            record["operation_type"] = "access"
            record["visibility"] = g.visibility
        if g.previous_visibility:
            record["previous_visibility"] = g.previous_visibility
        self.file(self.path).write(json.dumps(record, separators=(",", ":")) + "\n")
        self.count += 1
