"""From Sigma's vocabulary to the store's: log sources to tables, field names to columns.

Sigma rules written for Windows/Sysmon (SigmaHQ, LOLRMM) name fields as Sysmon does
(``Image``, ``CommandLine``, ``DestinationHostname``); the store names them by OCSF path.
This table is the only place that knows both. A field that is already a column of the
rule's table (``process.file.path``) is used as it is.
"""

from __future__ import annotations

from typing import Any

from farmhunt.detect.virtual import unmapped_column, virtual_columns
from farmhunt.sources.windows.security import ACCOUNT, LOGON, MEMBERSHIP, SESSION, SUBJECT

LOGSOURCE_TABLES: dict[str, str] = {
    "process_creation": "process_activity",
    "network_connection": "network_activity",
    "dns_query": "dns_activity",
    "dns": "dns_activity",
    "firewall": "network_activity",
    "proxy": "http_activity",
    "webserver": "http_activity",
    # Windows file and registry events (sources/windows/objects.py)
    "file_event": "file_activity",
    "file_delete": "file_activity",
    "registry_event": "registry_activity",
    "registry_add": "registry_activity",
    "registry_set": "registry_activity",
    "registry_delete": "registry_activity",
    "registry_rename": "registry_activity",
}
"""Sigma ``logsource.category`` → table. Categories not listed (image_load,
pipe_created …) have no table in the store yet: such rules are skipped with a notice,
not failed."""

_PROCESS = {
    "Image": "process.file.path",
    "OriginalFileName": "process.file.internal_name",
    "CommandLine": "process.cmd_line",
    "ParentImage": "process.parent_process.file.path",
    "ParentCommandLine": "process.parent_process.cmd_line",
    "ParentUser": "process.parent_process.user.name",
    "User": "process.user.name",
    "Product": "process.file.product.name",
    "Company": "process.file.company_name",
    "Description": "process.file.desc",
    "FileVersion": "process.file.version",
    "IntegrityLevel": "process.integrity",
    "CurrentDirectory": "process.working_directory",
    "ProcessId": "process.pid",
    "ParentProcessId": "process.parent_process.pid",
    "ProcessGuid": "process.uid",
    "ParentProcessGuid": "process.parent_process.uid",
    "LogonId": "process.session.uid",
    # Sysmon's text, rebuilt from the stored JSON object (detect/virtual.py)
    "Hashes": "sigma.Hashes",
}
_COMMON = {
    "Computer": "device.hostname",
    "ComputerName": "device.hostname",
    "EventID": "metadata.event_code",
    "Channel": "metadata.log_name",
    # the Windows parsers keep the event's provider in unmapped (sources/windows/common.py)
    "Provider_Name": "unmapped.provider_name",
}

_ACTOR_PROCESS = {
    "Image": "actor.process.file.path",
    "ProcessId": "actor.process.pid",
    "ProcessGuid": "actor.process.uid",
    "User": "actor.process.user.name",
}
"""Sysmon's acting-process fields in the file and registry tables."""

SIGMA_FIELDS: dict[str, dict[str, str]] = {
    "process_activity": {**_COMMON, **_PROCESS},
    "process_query": {**_COMMON, **_PROCESS},
    "network_activity": {
        **_COMMON,
        "Image": "process.file.path",
        "ProcessId": "process.pid",
        "User": "process.user.name",
        "DestinationHostname": "dst_endpoint.hostname",
        "DestinationIp": "dst_endpoint.ip",
        "DestinationPort": "dst_endpoint.port",
        "SourceHostname": "src_endpoint.hostname",
        "SourceIp": "src_endpoint.ip",
        "SourcePort": "src_endpoint.port",
        "Protocol": "connection_info.protocol_name",
        "Initiated": "connection_info.direction_id",
        "dst_ip": "dst_endpoint.ip",
        "dst_port": "dst_endpoint.port",
        "src_ip": "src_endpoint.ip",
        "src_port": "src_endpoint.port",
    },
    "dns_activity": {
        **_COMMON,
        "QueryName": "query.hostname",
        "query": "query.hostname",
        "QueryResults": "answers",
        "QueryStatus": "rcode",
        "Image": "process.file.path",
        "ProcessId": "process.pid",
    },
    "file_activity": {
        **_COMMON,
        **_ACTOR_PROCESS,
        "TargetFilename": "file.path",
        "CreationUtcTime": "file.created_time",
        "Hashes": "file.hashes",
    },
    "registry_activity": {
        **_COMMON,
        **_ACTOR_PROCESS,
        "TargetObject": "unmapped.target_object",
        "EventType": "unmapped.event_type",
        "Details": "reg_value.data",
        "NewName": "unmapped.new_name",
    },
    "http_activity": {
        **_COMMON,
        "c-uri": "http_request.url.url_string",
        "c-useragent": "http_request.user_agent",
        "cs-host": "dst_endpoint.hostname",
        # Zeek http.log (the store keeps host and uri as one URL)
        "uri": "http_request.url.url_string",
        "user_agent": "http_request.user_agent",
        "status_code": "status",
    },
    # Windows Security events, named as the Security parser reads them
    "authentication": {
        **_COMMON,
        **LOGON,
        "LogonType": "logon_type_id",
        "IpPort": "src_endpoint.port",
    },
    "account_change": {**_COMMON, **SUBJECT, **ACCOUNT},
    "group_management": {**_COMMON, **SUBJECT, **MEMBERSHIP},
    "rdp_activity": {
        **_COMMON,
        **SESSION,
        # Zeek rdp.log
        "cookie": "identifier_cookie",
        "keyboard_layout": "keyboard_info.keyboard_layout",
        "client_build": "protocol_ver",
    },
    "base_event": dict(_COMMON),
}
_ZEEK = {
    "id.orig_h": "src_endpoint.ip",
    "id.orig_p": "src_endpoint.port",
    "id.resp_h": "dst_endpoint.ip",
    "id.resp_p": "dst_endpoint.port",
    "uid": "connection_info.uid",
}
for _table in ("network_activity", "dns_activity", "http_activity", "rdp_activity"):
    SIGMA_FIELDS[_table] = {**_ZEEK, **SIGMA_FIELDS[_table]}
SIGMA_FIELDS["dns_activity"].update({"qtype_name": "query.type", "rcode_name": "rcode"})


SIGMA_VALUES: dict[str, dict[str, dict[str, int]]] = {
    "network_activity": {
        # Sysmon 3's Initiated is true when a process on this host opened the connection
        # (OCSF: outbound, 2) and false when the connection came in (inbound, 1); the
        # Sysmon parser stores it so (sources/windows/sysmon.py).
        "Initiated": {"true": 2, "false": 1},
    },
}
"""Sigma fields whose values the store encodes differently: table → Sigma field →
Sigma value (lower case) → the stored value."""


def stored_value(table: str, field: str, value: str) -> int | None:
    """The stored form of a Sigma value for a field listed in :data:`SIGMA_VALUES`, or
    None when the value is not one the field takes."""
    return SIGMA_VALUES[table][field].get(value.strip().lower())


def translates(table: str, field: str) -> bool:
    """Whether a Sigma field's values are recoded for the store (see SIGMA_VALUES)."""
    return field in SIGMA_VALUES.get(table, {})


def table_for_logsource(logsource: Any) -> str | None:
    """The table a Sigma log source reads, or None when the store has none for it.

    farmhunt's own rules may name a table directly as ``logsource: {product: farmhunt,
    service: <table>}``.
    """
    if getattr(logsource, "product", None) == "farmhunt" and logsource.service:
        return str(logsource.service)
    category = getattr(logsource, "category", None)
    if category in LOGSOURCE_TABLES:
        return LOGSOURCE_TABLES[category]
    return None


def column_for(table: str, field: str, columns: set[str], lenient: bool = False) -> str | None:
    """The store column a Sigma field means in ``table``, or None if there is none.

    ``lenient`` (plain Sigma rules: SigmaHQ, LOLRMM) reads any other event field from
    the row's ``unmapped`` object (``unmapped.TerminalSessionId``): an event without
    it does not match, as in Sigma. farmhunt's own rules are strict, so a misspelt
    field is an error rather than a rule that never fires.
    """
    if field in columns:
        return field
    mapped = SIGMA_FIELDS.get(table, {}).get(field)
    if mapped is not None and (mapped in columns or mapped in virtual_columns(columns)):
        return mapped
    if mapped is not None and mapped.startswith("unmapped."):
        return unmapped_column(mapped.removeprefix("unmapped."), columns)
    if lenient and mapped is None:
        return unmapped_column(field, columns)
    return None
