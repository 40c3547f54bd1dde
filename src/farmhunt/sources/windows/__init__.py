"""Windows event logs: EVTX files and the JSON exports users have of the same events.

Formats: ``evtx`` (.evtx files), ``evtx-json`` (the evtx tool's JSON), ``winlogbeat``
(Winlogbeat 6/7/8, Elastic Agent, Elasticsearch hits), ``nxlog-windows`` (NXLog
im_msvistalog JSON, the OTRF datasets), ``powershell-winevent`` (Get-WinEvent |
ConvertTo-Json), ``splunk-windows`` (Splunk search exports) and ``azure-windows``
(Azure Monitor / Sentinel SecurityEvent, Event, WindowsEvent rows). All of them become one
:class:`~farmhunt.sources.windows.model.WinEvent` and share the channel mappings:
Sysmon, Security, Remote Desktop and device installs (see ``docs/sources/windows.md``).
"""

from farmhunt.sources.windows.evtx_file import EvtxParser
from farmhunt.sources.windows.exports import (
    AzureMonitorParser,
    EvtxJsonParser,
    NxlogParser,
    PowerShellParser,
    SplunkParser,
    WinlogbeatParser,
)

PARSERS = [
    EvtxParser,
    EvtxJsonParser,
    WinlogbeatParser,
    NxlogParser,
    PowerShellParser,
    SplunkParser,
    AzureMonitorParser,
]
