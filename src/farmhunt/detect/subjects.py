"""Who a finding is about: per table, the columns that name a person or a host.

Findings are about workers. Endpoint tables name the host (resolved to its owner
through ``worker_links``); identity and SaaS tables name the account. The first
non-empty column of the list wins; a rule may give its own list.
"""

from __future__ import annotations

DEFAULT_SUBJECTS: dict[str, tuple[str, ...]] = {
    "authentication": ("user.email_addr", "user.name", "actor.user.email_addr"),
    "account_change": ("user.email_addr", "user.name", "device.hostname"),
    "group_management": ("device.hostname", "user.name"),
    "api_activity": ("actor.user.email_addr", "actor.user.name"),
    "file_hosting_activity": ("actor.user.email_addr", "actor.user.name"),
    "rdp_activity": ("device.hostname", "dst_endpoint.hostname", "dst_endpoint.ip"),
    "network_activity": ("device.hostname", "src_endpoint.hostname", "src_endpoint.ip"),
    "dns_activity": ("device.hostname", "src_endpoint.hostname", "src_endpoint.ip"),
    "http_activity": ("device.hostname", "src_endpoint.ip"),
    "workers": ("email", "employee_id"),
    "devices": ("hostname", "serial_number"),
}
"""Tables not listed are endpoint tables: the subject is ``device.hostname``."""


def subjects_for(table: str) -> tuple[str, ...]:
    return DEFAULT_SUBJECTS.get(table, ("device.hostname",))


def subject_type(column: str) -> str:
    """What kind of identifier a subject column holds (for display and linking)."""
    if column.endswith("email_addr") or column == "email":
        return "email"
    if column.endswith("hostname"):
        return "hostname"
    if column.endswith(".ip"):
        return "ip"
    if column in ("employee_id",):
        return "worker"
    if column == "serial_number":
        return "serial"
    return "username"
