"""GitHub audit log fields and actions as data.

Field names are GitHub's (REST ``GET /orgs/{org}/audit-log`` and
``/enterprises/{enterprise}/audit-log``, audit log streaming, the web UI's JSON export
and the Git events export). Every field not named here is kept in ``unmapped``.
"""

from __future__ import annotations

SERVICE = "github"

OPERATION_ACTIVITY: dict[str, int] = {
    "create": 1,
    "access": 2,
    "modify": 3,
    "transfer": 3,
    "restore": 3,
    "remove": 4,
}
"""GitHub ``operation_type`` to api_activity activity_id (1 Create, 2 Read, 3 Update,
4 Delete); ``authentication`` and unknown types fall back to the action's verb."""

ACTION_ACTIVITY: dict[str, int] = {
    "git.clone": 2,
    "git.fetch": 2,
    "git.push": 3,
    "repo.download_zip": 2,
    "repo.access": 3,
    "api.request": 2,
}
"""Actions whose activity is known even without ``operation_type`` (Git events have none)."""

VERB_ACTIVITY: dict[str, int] = {
    "create": 1,
    "add": 1,
    "invite": 1,
    "enable": 3,
    "disable": 3,
    "update": 3,
    "change": 3,
    "rename": 3,
    "transfer": 3,
    "archived": 3,
    "unarchived": 3,
    "access": 3,
    "approve": 3,
    "destroy": 4,
    "delete": 4,
    "remove": 4,
    "revoke": 4,
    "download": 2,
    "clone": 2,
    "fetch": 2,
    "export": 2,
}
"""First word of the action's operation (``remove_member`` -> ``remove``) to activity."""

MAPPED = frozenset(
    {
        "@timestamp",
        "created_at",
        "action",
        "actor",
        "actor_id",
        "actor_ip",
        "actor_location",
        "user_agent",
        "operation_type",
        "repo",
        "repository",
        "repo_id",
        "repository_id",
        "org",
        "org_id",
        "business",
        "business_id",
        "user",
        "user_id",
        "visibility",
        "previous_visibility",
        "repository_public",
        "public_repo",
        "transport_protocol_name",
        "hashed_token",
        "programmatic_access_type",
        "fingerprint",
        "deploy_key_fingerprint",
        "title",
        "external_identity_nameid",
        "external_identity_username",
        "team",
        "status_code",
        "repositories_added_names",
        "repositories_removed_names",
    }
)
"""Fields that end up in a column or in ``resources``; the rest go to ``unmapped``."""

GITHUB_ONLY_FIELDS = frozenset(
    {
        "_document_id",
        "actor_location",
        "actor_id",
        "business_id",
        "org_id",
        "repo_id",
        "repository_public",
        "public_repo",
        "transport_protocol_name",
        "hashed_token",
        "programmatic_access_type",
        "external_identity_nameid",
        "operation_type",
        "actor_is_bot",
    }
)
"""Field names that, beside ``action``, mark a record as GitHub's in sniffing."""
