"""Google Workspace Reports API events as data: which OCSF activity each event name is.

Event and parameter names are Google's (the Reports API "login", "drive", "saml",
"user_accounts" and "token" event references). Anything not listed still gets a row
(activity 99 "Other") with its event name in ``metadata.event_code``.
"""

from __future__ import annotations

PRODUCT = "Google Workspace"

# --- login (and saml) -> authentication -------------------------------------------------

LOGIN_ACTIVITY: dict[str, tuple[int, int]] = {
    # event name: (authentication activity_id, status_id)
    "login_success": (1, 1),
    "login_failure": (1, 2),
    "logout": (2, 1),
}
"""Sign-in events proper; challenges, verifications and warnings are activity 99."""

SUSPICIOUS_EVENTS = frozenset(
    {
        "suspicious_login",
        "suspicious_login_less_secure_app",
        "suspicious_programmatic_login",
        "gov_attack_warning",
        "account_disabled_hijacked",
    }
)
"""Google's account warnings that say a sign-in (or the account) looked compromised."""

SECOND_FACTORS = frozenset(
    {
        "backup_code",
        "google_authenticator",
        "google_prompt",
        "idv_any_phone",
        "idv_preregistered_phone",
        "internal_two_factor",
        "knowledge_employee_id",
        "knowledge_preregistered_email",
        "knowledge_preregistered_phone",
        "offline_otp",
        "passkey",
        "security_key",
        "totp",
    }
)
"""``login_challenge_method`` values that are a second factor (not just the password)."""

FIRST_FACTORS_ONLY = frozenset({"password"})

AUTH_PROTOCOL = {"saml": "SAML"}
"""``login_type`` values that name an OCSF auth protocol; others stay in ``logon_type``."""

# --- drive -> file_hosting_activity ------------------------------------------------------

DRIVE_ACTIVITY: dict[str, int] = {
    "upload": 1,
    "create": 1,
    "download": 2,
    "edit": 3,
    "delete": 4,
    "trash": 4,
    "rename": 5,
    "copy": 6,
    "move": 7,
    "add_to_folder": 7,
    "remove_from_folder": 7,
    "untrash": 8,
    "view": 9,
    "preview": 9,
    "add_lock": 10,
    "remove_lock": 11,
    "change_user_access": 12,
    "change_document_visibility": 12,
    "change_document_access_scope": 12,
    "change_acl_editors": 12,
    "shared_drive_membership_change": 12,
    "publish_change": 12,
    "email_as_attachment": 12,
    "sync_item_content": 15,
}
"""Drive event name to file_hosting_activity activity_id; sharing changes are refined
to Unshare (13) by :func:`farmhunt.sources.google.reports.drive_activity`."""

DRIVE_COLUMNS: dict[str, str] = {
    "doc_id": "file.uid",
    "doc_title": "file.name",
    "doc_type": "file.type",
    "owner": "file.owner.email_addr",
    "visibility": "file.visibility",
    "target_user": "dst_user.email_addr",
    "old_visibility": "unmapped.old_visibility",
    "visibility_change": "unmapped.visibility_change",
}
"""Drive parameter to file_hosting_activity column."""

UNSHARE_VALUES = frozenset({"none"})
"""``new_value`` entries that mean access was taken away."""

UNSHARE_MEMBERSHIP = frozenset({"remove_from_shared_drive"})

# --- user_accounts -> account_change ------------------------------------------------------

ACCOUNT_ACTIVITY: dict[str, int] = {
    "password_change": 3,
    "2sv_enroll": 10,
    "2sv_disable": 11,
    "titanium_enroll": 10,
    "titanium_unenroll": 11,
}
"""user_accounts event name to account_change activity_id (others: 99)."""

# --- every other application (admin, token, groups…) -> api_activity ---------------------

RESOURCE_PARAMETERS: dict[str, str] = {
    "app_name": "oauth_app",
    "USER_EMAIL": "user",
    "GROUP_EMAIL": "group",
    "DOMAIN_NAME": "domain",
    "ORG_UNIT_NAME": "org_unit",
    "APPLICATION_NAME": "application",
    "DEVICE_ID": "device",
    "group_email": "group",
    "resource_id": "resource",
}
"""Parameters that name what an admin, token or groups event acted on, and its type."""

RESOURCE_UID_PARAMETERS = ("client_id", "RESOURCE_ID")

VERB_ACTIVITY: dict[str, int] = {
    "create": 1,
    "add": 1,
    "insert": 1,
    "authorize": 1,
    "grant": 1,
    "assign": 1,
    "view": 2,
    "download": 2,
    "get": 2,
    "list": 2,
    "export": 2,
    "activity": 2,
    "request": 2,
    "change": 3,
    "update": 3,
    "edit": 3,
    "modify": 3,
    "rename": 3,
    "move": 3,
    "set": 3,
    "enable": 3,
    "disable": 3,
    "suspend": 3,
    "unsuspend": 3,
    "toggle": 3,
    "delete": 4,
    "remove": 4,
    "revoke": 4,
    "trash": 4,
    "unassign": 4,
}
"""First word of an event name to api_activity activity_id (1 Create … 4 Delete)."""
