"""Windows event logs: EVTX files and the JSON exports users have of the same events.

Formats: ``evtx`` (.evtx files), ``evtx-json`` (the evtx tool's JSON), ``winlogbeat``
(Winlogbeat / Elastic Agent), ``nxlog-windows`` (NXLog im_msvistalog JSON) and
``powershell-winevent`` (Get-WinEvent | ConvertTo-Json). All of them become one
:class:`~farmhunt.sources.windows.model.WinEvent` and share the channel mappings:
Sysmon, Security, Remote Desktop and device installs (see ``docs/sources/windows.md``).
"""

from farmhunt.sources.windows.evtx_file import EvtxParser
from farmhunt.sources.windows.exports import (
    EvtxJsonParser,
    NxlogParser,
    PowerShellParser,
    WinlogbeatParser,
)

PARSERS = [EvtxParser, EvtxJsonParser, WinlogbeatParser, NxlogParser, PowerShellParser]
