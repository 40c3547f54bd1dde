"""The channel families farmhunt maps, and the entry point from WinEvent to rows."""

from __future__ import annotations

from farmhunt.sources.base import Row
from farmhunt.sources.windows import devices, rdp, security, sysmon
from farmhunt.sources.windows.common import Family, to_rows
from farmhunt.sources.windows.model import WinEvent

FAMILIES: list[Family] = [
    sysmon.FAMILY,
    security.FAMILY,
    rdp.RCM_FAMILY,
    rdp.LSM_FAMILY,
    rdp.CORE_FAMILY,
    devices.PNP_FAMILY,
    devices.UMDF_FAMILY,
]

PROVIDER_CHANNELS = {
    sysmon.PROVIDER.lower(): sysmon.CHANNEL,
    security.PROVIDER.lower(): security.CHANNEL,
    "microsoft-windows-terminalservices-remoteconnectionmanager": rdp.RCM_CHANNEL,
    "microsoft-windows-terminalservices-localsessionmanager": rdp.LSM_CHANNEL,
    "microsoft-windows-remotedesktopservices-rdpcorets": rdp.CORE_CHANNEL,
    "microsoft-windows-kernel-pnp": devices.PNP_CHANNEL,
    "microsoft-windows-driverframeworks-usermode": devices.UMDF_CHANNEL,
}
"""A provider's usual channel, for exports that name the provider but not the channel."""


CANONICAL_CHANNELS = {name.lower(): name for name in PROVIDER_CHANNELS.values()}
"""The spelling Windows gives each channel farmhunt maps, by its lower case."""


def channel_of(channel: str | None, provider: str | None) -> str | None:
    """The event's channel, as Windows spells it when farmhunt knows it.

    Channel names are case-insensitive in Windows, and some exporters lower-case them
    (OTRF datasets write ``security`` beside ``Security``): one channel stored under two
    names splits every count and comparison by log name in two.
    """
    if channel:
        return CANONICAL_CHANNELS.get(channel.lower(), channel)
    return PROVIDER_CHANNELS.get((provider or "").lower())


def field_names(channel: str | None, event_id: int) -> tuple[str, ...] | None:
    """The EventData names of an event id in manifest order, where farmhunt knows them."""
    lowered = (channel or "").lower()
    for family in FAMILIES:
        if lowered in family.channels:
            return family.fields.get(event_id)
    return None


def normalize_event(ev: WinEvent) -> list[Row]:
    ev.channel = channel_of(ev.channel, ev.provider)
    return to_rows(ev, FAMILIES)
