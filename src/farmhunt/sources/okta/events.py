"""Which OCSF table and activity each Okta ``eventType`` becomes, as data.

Okta names events ``<object>.<area>.<verb>``. Sign-ins, sessions and factor challenges
become Authentication rows; changes to a user account become Account Change; group
membership and group privileges become Group Management; every other event (app,
policy, API token, zone, ThreatInsight…) is an administrative or system action on the
Okta API and becomes API Activity. Nothing is dropped: an event type not listed here
falls to the prefix rules and finally to API Activity with activity "Other".
"""

from __future__ import annotations

# --- Authentication (3002): 1 Logon, 2 Logoff, 99 Other --------------------------------

AUTHENTICATION: dict[str, int] = {
    "user.session.start": 1,
    "user.session.access_admin_app": 1,
    "user.authentication.sso": 1,
    "user.authentication.auth_via_richclient": 1,
    "user.authentication.auth_via_IDP": 1,
    "user.authentication.auth_via_social": 1,
    "user.authentication.auth_via_radius": 1,
    "user.authentication.auth_via_AD_agent": 1,
    "user.authentication.auth_via_LDAP_agent": 1,
    "user.authentication.auth_via_inbound_SAML": 1,
    "user.authentication.auth_via_inbound_delauth": 1,
    "user.authentication.auth_via_iwa": 1,
    "user.session.end": 2,
    "user.session.clear": 2,
    "user.session.expire": 2,
    # Steps of a sign-in rather than a sign-in: factor checks, policy decisions.
    "user.authentication.auth_via_mfa": 99,
    "user.authentication.verify": 99,
    "user.authentication.authenticate": 99,
    "user.mfa.okta_verify": 99,
    "user.mfa.okta_verify.deny_push": 99,
    "user.mfa.attempt_bypass": 99,
    "system.push.send_factor_verify_push": 99,
    "policy.evaluate_sign_on": 99,
}
AUTHENTICATION_PREFIXES = ("user.session.", "user.authentication.")
"""Unlisted events under these prefixes are Authentication with activity Other."""

MFA_EVENTS = frozenset(
    {
        "user.authentication.auth_via_mfa",
        "user.mfa.okta_verify",
        "user.mfa.okta_verify.deny_push",
        "user.mfa.attempt_bypass",
        "system.push.send_factor_verify_push",
    }
)
"""Events that are a second-factor check (``is_mfa`` true)."""

# --- Account Change (3001) ---------------------------------------------------------------

ACCOUNT_CHANGE: dict[str, int] = {
    "user.lifecycle.create": 1,
    "user.lifecycle.activate": 2,
    "user.lifecycle.reactivate": 2,
    "user.lifecycle.unsuspend": 2,
    "user.account.update_password": 3,
    "user.account.reset_password": 4,
    "user.lifecycle.reset_password": 4,
    "user.lifecycle.deactivate": 5,
    "user.lifecycle.suspend": 5,
    "user.lifecycle.delete.initiated": 6,
    "user.lifecycle.delete.completed": 6,
    "user.account.privilege.grant": 7,
    "user.account.privilege.revoke": 8,
    "user.account.lock": 9,
    "user.account.lock.limit": 9,
    "user.mfa.factor.activate": 10,
    "user.mfa.factor.unsuspend": 10,
    "user.mfa.factor.deactivate": 11,
    "user.mfa.factor.reset_all": 11,
    "user.mfa.factor.suspend": 11,
    "user.account.unlock": 12,
    "user.account.unlock_by_admin": 12,
}
ACCOUNT_CHANGE_PREFIXES = ("user.lifecycle.", "user.account.", "user.mfa.factor.")

# --- Group Management (3006) -------------------------------------------------------------

GROUP_MANAGEMENT: dict[str, int] = {
    "group.privilege.grant": 1,
    "group.privilege.revoke": 2,
    "group.user_membership.add": 3,
    "group.user_membership.remove": 4,
    "group.lifecycle.delete": 5,
    "group.lifecycle.create": 6,
}

# --- API Activity (6003): 1 Create, 2 Read, 3 Update, 4 Delete, by the event's verb ------

API_VERBS: dict[str, int] = {
    "create": 1,
    "add": 1,
    "grant": 1,
    "enroll": 1,
    "generate": 1,
    "read": 2,
    "list": 2,
    "view": 2,
    "export": 2,
    "download": 2,
    "update": 3,
    "change": 3,
    "modify": 3,
    "activate": 3,
    "deactivate": 3,
    "suspend": 3,
    "unsuspend": 3,
    "reset": 3,
    "rotate": 3,
    "delete": 4,
    "remove": 4,
    "revoke": 4,
    "destroy": 4,
}

SEVERITY: dict[str, int] = {"DEBUG": 1, "INFO": 1, "WARN": 3, "ERROR": 4}
"""Okta ``severity`` to OCSF ``severity_id`` (1 informational, 3 medium, 4 high)."""

OUTCOME: dict[str, int] = {
    "SUCCESS": 1,
    "ALLOW": 1,
    "FAILURE": 2,
    "DENY": 2,
    "CHALLENGE": 99,
    "SKIPPED": 99,
    "UNKNOWN": 0,
}
"""Okta ``outcome.result`` to OCSF ``status_id`` (1 success, 2 failure, 99 other)."""


def classify(event_type: str) -> tuple[str, int]:
    """(table, activity_id) for an Okta eventType."""
    if event_type in AUTHENTICATION:
        return "authentication", AUTHENTICATION[event_type]
    if event_type in ACCOUNT_CHANGE:
        return "account_change", ACCOUNT_CHANGE[event_type]
    if event_type in GROUP_MANAGEMENT:
        return "group_management", GROUP_MANAGEMENT[event_type]
    if event_type.startswith(AUTHENTICATION_PREFIXES):
        return "authentication", 99
    if event_type.startswith(ACCOUNT_CHANGE_PREFIXES):
        return "account_change", 99
    verb = event_type.rsplit(".", 1)[-1]
    return "api_activity", API_VERBS.get(verb, 99)
