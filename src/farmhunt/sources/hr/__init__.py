"""HR roster and device inventory exports (CSV): who the workers are and what they were sent.

Not telemetry but the reference every detection needs: the ``workers`` table (one row
per roster row, every re-export kept) and the ``devices`` table (the laptops, their
owners and where they were shipped). Identity resolution
(:mod:`farmhunt.enrich.identity`) links the people and hosts in the events to them.
"""

from farmhunt.sources.hr.parser import DeviceInventoryParser, HrRosterParser

PARSERS = [HrRosterParser, DeviceInventoryParser]
