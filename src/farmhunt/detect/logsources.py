"""Which table a plain Sigma rule reads, and which of the table's rows its log source means.

Category log sources (``process_creation``) name a kind of event, one table each
(:data:`~farmhunt.detect.fieldmap.LOGSOURCE_TABLES`). Service log sources name a log:

- ``product: zeek``: each Zeek log the store maps has its table (``dns`` →
  ``dns_activity``); other logs (``smb_files``, ``dce_rpc``, ``kerberos``, ``x509`` …)
  are kept in ``base_event`` with their fields in ``unmapped``. Rows are those of that
  Zeek log (``metadata.log_name``), so a ``conn`` rule does not read Sysmon's
  connections in the same table.
- ``product: windows`` with ``service: security`` (``system``, ``sysmon`` …): the
  table is the one the Windows parser stores the rule's ``EventID`` values in, found
  by asking the parser itself; rows are those of that channel.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from sigma.conditions import ConditionFieldEqualsValueExpression
from sigma.types import SigmaNumber, SigmaString

from farmhunt.detect.fieldmap import table_for_logsource

ZEEK_TABLES = {
    "conn": "network_activity",
    "ssl": "network_activity",
    "dns": "dns_activity",
    "http": "http_activity",
    "rdp": "rdp_activity",
}
"""Zeek logs the Zeek parser maps to a table (sources/zeek/mapping.py); any other log is
in ``base_event``."""

WINDOWS_CHANNELS = {
    "security": "Security",
    "system": "System",
    "application": "Application",
    "sysmon": "Microsoft-Windows-Sysmon/Operational",
}
"""Sigma's Windows service names → the channel (``metadata.log_name``) they read."""


def rows_of(logsource: Any) -> tuple[str, str] | None:
    """(column, value) the rows of a service log source have, or None for any row."""
    product = (getattr(logsource, "product", None) or "").lower()
    service = (getattr(logsource, "service", None) or "").lower()
    if getattr(logsource, "category", None) or not service:
        return None
    if product == "zeek":
        return "metadata.log_name", service
    if product == "windows" and service in WINDOWS_CHANNELS:
        return "metadata.log_name", WINDOWS_CHANNELS[service]
    return None


def table_for_rule(rule: Any) -> tuple[str | None, str]:
    """(table, "") for a rule the store can run, or (None, why not)."""
    logsource = rule.logsource
    table = table_for_logsource(logsource)
    if table is not None:
        return table, ""
    product = (getattr(logsource, "product", None) or "").lower()
    service = (getattr(logsource, "service", None) or "").lower()
    if getattr(logsource, "category", None) or not service:
        return None, f"log source {logsource} not stored"
    if product == "zeek":
        return ZEEK_TABLES.get(service, "base_event"), ""
    if product == "windows" and service in WINDOWS_CHANNELS:
        ids = sorted(event_ids(rule))
        tables = sorted({windows_table(WINDOWS_CHANNELS[service], i) for i in ids})
        if not tables:
            return "base_event", ""
        if len(tables) == 1:
            return tables[0], ""
        return None, f"its event ids {ids} are stored in several tables: {', '.join(tables)}"
    return None, f"log source {logsource} not stored"


def event_ids(rule: Any) -> set[int]:
    """The ``EventID`` values a rule's detection compares with."""
    found: set[int] = set()

    def walk(node: Any) -> None:
        if isinstance(node, ConditionFieldEqualsValueExpression) and node.field == "EventID":
            value = node.value
            if isinstance(value, SigmaNumber) and isinstance(value.number, int):
                found.add(value.number)
            elif isinstance(value, SigmaString) and not value.contains_special():
                text = "".join(p for p in value.s if isinstance(p, str))
                if text.isdigit():
                    found.add(int(text))
        for arg in getattr(node, "args", None) or []:
            walk(arg)

    for condition in rule.detection.parsed_condition:
        walk(condition.parsed)
    return found


@functools.cache
def windows_table(channel: str, event_id: int) -> str:
    """The table the Windows parser stores an event of ``channel`` and ``event_id``
    in, asked of the parser with an event without fields; ``base_event`` when its
    mapping needs fields to decide."""
    from farmhunt.sources.windows.channels import normalize_event
    from farmhunt.sources.windows.model import WinEvent

    probe = WinEvent(event_id, datetime(2000, 1, 1, tzinfo=UTC), None, channel, None, None)
    try:
        rows = normalize_event(probe)
    except Exception:  # a mapping that needs its fields: the general table
        return "base_event"
    return rows[0][0] if rows else "base_event"
