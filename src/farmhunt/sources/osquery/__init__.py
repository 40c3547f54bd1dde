"""osquery: scheduled-query results (event, snapshot and batch formats) and status logs.

Rows are recognised by their columns, not by query name, and mapped to the OCSF Query
and Inventory classes (processes, software, USB devices, displays, sockets, sessions,
local admins, the host itself); unknown queries are kept in ``base_event``.
"""

from farmhunt.sources.osquery.parser import OsqueryParser

PARSERS = [OsqueryParser]
