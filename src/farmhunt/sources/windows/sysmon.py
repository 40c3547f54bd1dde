"""Sysmon (Microsoft-Windows-Sysmon/Operational): process launches, connections, DNS.

Field names are those of the Sysmon schema (``sysmon -s``, schema 4.90): event 1
ProcessCreate, 3 NetworkConnect, 22 DNSQuery; the file and registry events (11, 12,
13, 14, 23, 26) are mapped in :mod:`.objects`. Other Sysmon events are kept in
``base_event``.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from farmhunt.sources.values import opt_bool
from farmhunt.sources.windows import objects
from farmhunt.sources.windows.common import (
    Family,
    Mapped,
    basename,
    int_field,
    parse_hashes,
    take,
)
from farmhunt.sources.windows.model import (
    WinEvent,
    fast_time,
    logon_id,
    norm_guid,
    split_account,
)

CHANNEL = "Microsoft-Windows-Sysmon/Operational"
PROVIDER = "Microsoft-Windows-Sysmon"

FIELDS: dict[int, tuple[str, ...]] = {
    1: (
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "Image",
        "FileVersion",
        "Description",
        "Product",
        "Company",
        "OriginalFileName",
        "CommandLine",
        "CurrentDirectory",
        "User",
        "LogonGuid",
        "LogonId",
        "TerminalSessionId",
        "IntegrityLevel",
        "Hashes",
        "ParentProcessGuid",
        "ParentProcessId",
        "ParentImage",
        "ParentCommandLine",
        "ParentUser",
    ),
    3: (
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "Image",
        "User",
        "Protocol",
        "Initiated",
        "SourceIsIpv6",
        "SourceIp",
        "SourceHostname",
        "SourcePort",
        "SourcePortName",
        "DestinationIsIpv6",
        "DestinationIp",
        "DestinationHostname",
        "DestinationPort",
        "DestinationPortName",
    ),
    22: (
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "QueryName",
        "QueryStatus",
        "QueryResults",
        "Image",
        "User",
    ),
}
"""EventData names in manifest order (for exports that list values without names)."""

PROCESS_CREATE = {
    "Image": "process.file.path",
    "CommandLine": "process.cmd_line",
    "ProcessId": "process.pid",
    "User": "process.user.name",
    "IntegrityLevel": "process.integrity",
    "OriginalFileName": "process.file.internal_name",
    "Product": "process.file.product.name",
    "Company": "process.file.company_name",
    "Description": "process.file.desc",
    "FileVersion": "process.file.version",
    "CurrentDirectory": "process.working_directory",
    "LogonId": "process.session.uid",
    "ParentImage": "process.parent_process.file.path",
    "ParentCommandLine": "process.parent_process.cmd_line",
    "ParentProcessId": "process.parent_process.pid",
    "ParentUser": "process.parent_process.user.name",
}

NETWORK_CONNECT = {
    "SourceIp": "src_endpoint.ip",
    "SourcePort": "src_endpoint.port",
    "SourceHostname": "src_endpoint.hostname",
    "DestinationIp": "dst_endpoint.ip",
    "DestinationPort": "dst_endpoint.port",
    "DestinationHostname": "dst_endpoint.hostname",
    "Protocol": "connection_info.protocol_name",
    "Image": "process.file.path",
    "ProcessId": "process.pid",
    "User": "process.user.name",
}

DNS_QUERY = {
    "QueryName": "query.hostname",
    "Image": "process.file.path",
    "ProcessId": "process.pid",
    "User": "process.user.name",
}

DNS_TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA"}
DNS_TYPES |= {33: "SRV", 64: "SVCB", 65: "HTTPS"}

QUERY_STATUS = {
    0: (0, "NoError"),
    9001: (1, "FormError"),
    9002: (2, "ServError"),
    9003: (3, "NXDomain"),
    9004: (4, "NotImp"),
    9005: (5, "Refused"),
}
"""Windows DNS status codes (DNS_ERROR_RCODE_*) → OCSF rcode_id and rcode."""


def parse_query_results(value: Any) -> list[dict[str, str]] | None:
    """Sysmon's ``type:  5 cname.example;::ffff:192.0.2.1;`` as OCSF DNS answers.

    Entries are ``;``-separated: ``type:  N name`` for non-address records (the
    number is the DNS type, 5 = CNAME) and bare addresses, IPv4 ones written as
    IPv4-mapped IPv6 (``::ffff:a.b.c.d``).
    """
    if not isinstance(value, str):
        return None
    answers: list[dict[str, str]] = []
    for raw in value.split(";"):
        entry = raw.strip()
        if not entry or entry == "-":
            continue
        if entry.lower().startswith("type:"):
            rest = entry[5:].strip()
            number, _, rdata = rest.partition(" ")
            kind = DNS_TYPES.get(int(number), number) if number.isdigit() else number
            answers.append({"type": kind, "rdata": rdata.strip()})
            continue
        found, data = _address_answer(entry)
        answers.append({"rdata": data} if found is None else {"type": found, "rdata": data})
    return answers or None


@lru_cache(maxsize=65536)
def _address_answer(entry: str) -> tuple[str | None, str]:
    """One bare answer as (record type, data); parsing addresses is costly and they repeat."""
    try:
        address = ipaddress.ip_address(entry)
    except ValueError:
        return None, entry
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return "A", str(address.ipv4_mapped)
    return ("A" if address.version == 4 else "AAAA"), entry


def _process_common(ev: WinEvent, columns: dict[str, Any], used: set[str]) -> None:
    """Image name, ProcessGuid and Sysmon's UtcTime, shared by every Sysmon event."""
    image = columns.get("process.file.path")
    if image:
        columns["process.name"] = columns["process.file.name"] = basename(image)
    if "ProcessGuid" in ev.data:
        used.add("ProcessGuid")
        columns["process.uid"] = norm_guid(ev.data["ProcessGuid"])
    user, domain = split_account(ev.get("User"))
    columns["actor.user.name"], columns["actor.user.domain"] = user, domain


def process_create(ev: WinEvent) -> Mapped:
    columns, used = take(ev, "process_activity", PROCESS_CREATE)
    _process_common(ev, columns, used)
    if "process.session.uid" in columns:
        columns["process.session.uid"] = logon_id(ev.get("LogonId"))
    parent = columns.get("process.parent_process.file.path")
    if parent:
        name = basename(parent)
        columns["process.parent_process.name"] = columns["process.parent_process.file.name"] = name
    if "ParentProcessGuid" in ev.data:
        used.add("ParentProcessGuid")
        columns["process.parent_process.uid"] = norm_guid(ev.data["ParentProcessGuid"])
    # The launching user is the parent's (ParentUser, Sysmon 13.30+), else the
    # account the new process runs as, which is the same user in all but RunAs cases.
    launcher = ev.get("ParentUser") or ev.get("User")
    columns["actor.user.name"], columns["actor.user.domain"] = split_account(launcher)
    hashes = parse_hashes(ev.get("Hashes"))
    if hashes is not None:
        used.add("Hashes")
        columns["process.file.hashes"] = hashes
    utc_time = ev.get("UtcTime")
    # opt_time's test for "no time", then the time as parse_time reads it
    created = None if utc_time in (None, "", 0, "0") else fast_time(utc_time, "UtcTime")
    if created is not None:
        used.add("UtcTime")
        columns["process.created_time"] = created
    return Mapped("process_activity", 1, columns, used)


def network_connect(ev: WinEvent) -> Mapped:
    columns, used = take(ev, "network_activity", NETWORK_CONNECT)
    _process_common(ev, columns, used)
    protocol = columns.get("connection_info.protocol_name")
    if protocol:
        columns["connection_info.protocol_name"] = protocol.lower()
    initiated = opt_bool(ev.get("Initiated"))
    if initiated is not None:
        used.add("Initiated")
        # Initiated: the process on this host opened the connection (outbound).
        columns["connection_info.direction_id"] = 2 if initiated else 1
    return Mapped("network_activity", 1, columns, used)


def dns_query(ev: WinEvent) -> Mapped:
    columns, used = take(ev, "dns_activity", DNS_QUERY)
    _process_common(ev, columns, used)
    status = int_field(ev, "QueryStatus")
    if status is not None:
        used.add("QueryStatus")
        rcode_id, rcode = QUERY_STATUS.get(status, (99, str(status)))
        columns["rcode_id"], columns["rcode"] = rcode_id, rcode
    answers = parse_query_results(ev.get("QueryResults"))
    if answers is not None:
        used.add("QueryResults")
        columns["answers"] = answers
    # Sysmon logs a query once it completed, with its answers: query and response.
    return Mapped("dns_activity", 6, columns, used)


FAMILY = Family(
    channels=frozenset({CHANNEL.lower()}),
    product="Sysmon",
    mappers={
        1: process_create,
        3: network_connect,
        22: dns_query,
        11: objects.file_create,
        12: objects.registry_event,
        13: objects.registry_event,
        14: objects.registry_event,
        23: objects.file_delete,
        26: objects.file_delete,
    },
    fields={**FIELDS, **objects.SYSMON_FIELDS},
)
