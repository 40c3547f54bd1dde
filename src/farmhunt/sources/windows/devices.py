"""Device installs: Kernel-PnP/Configuration, DriverFrameworks-UserMode, Security 6416.

A USB device plugged into a laptop (a PiKVM's keyboard/mouse gadget, a capture card,
a TinyPilot) leaves its device instance id — ``USB\\VID_1D6B&PID_0104\\CAFEBABE`` — in
these events. The vendor and product ids are parsed into
``unmapped.usb_vendor_id``/``unmapped.usb_product_id`` (4 lower-case hex digits, the form
``lsusb`` and osquery use) and the serial number, when the device has one, into
``peripheral_device.serial_number``.
"""

from __future__ import annotations

import re
from typing import Any

from farmhunt.sources.windows.common import Family, Mapped, take
from farmhunt.sources.windows.model import WinEvent

PNP_CHANNEL = "Microsoft-Windows-Kernel-PnP/Configuration"
UMDF_CHANNEL = "Microsoft-Windows-DriverFrameworks-UserMode/Operational"

_DEVICE = ("DeviceInstanceId", "DriverName", "ClassGuid")
FIELDS: dict[int, tuple[str, ...]] = {
    **dict.fromkeys(
        (400, 401, 402, 403),
        (
            *_DEVICE,
            "DriverDate",
            "DriverVersion",
            "DriverProvider",
            "DriverInbox",
            "DriverSection",
            "DriverRank",
            "MatchingDeviceId",
            "OutrankedDrivers",
            "DeviceUpdated",
            "Status",
            "ParentDeviceInstanceId",
        ),
    ),
    **dict.fromkeys(
        (410, 411, 412),
        (*_DEVICE, "ServiceName", "LowerFilters", "UpperFilters", "Problem", "Status"),
    ),
    420: ("DeviceInstanceId", "ClassGuid", "Problem", "Status"),
    421: ("DeviceInstanceId", "ClassGuid", "Problem", "Status"),
    430: ("DeviceInstanceId",),
}
"""Kernel-PnP EventData names in manifest order (for exports without names)."""

DESCRIPTIONS = {
    400: "Device configured",
    401: "Device failed configuration",
    402: "Device configuration blocked by policy",
    403: "Device configuration needs a reboot",
    410: "Device started",
    411: "Device had a problem starting",
    412: "Device start needs a reboot",
    420: "Device deleted",
    421: "Device could not be deleted",
    430: "Device needs further installation",
    2003: "UMDF host asked to load the drivers of a device",
    2004: "UMDF host loading a driver for a device",
    2010: "UMDF host loaded the drivers of a device",
    2100: "UMDF host received a PnP or power operation for a device",
    2101: "UMDF host completed a PnP or power operation for a device",
    2102: "UMDF host forwarded a finished PnP or power operation for a device",
    2105: "UMDF host forwarded a PnP or power operation for a device",
    2106: "UMDF host completed a forwarded PnP or power operation for a device",
    6416: "A new external device was recognized",
}

INSTANCE_FIELDS = ("DeviceInstanceId", "InstanceId", "instance", "DeviceId")
"""Where each source puts the device instance id (Kernel-PnP, UMDF 2003/2010, UMDF
2100-2106 as an attribute of UMDFHostDeviceRequest, Security 6416)."""

_VID = re.compile(r"VID_([0-9A-Fa-f]{4})(?![0-9A-Fa-f])")
_PID = re.compile(r"PID_([0-9A-Fa-f]{4})(?![0-9A-Fa-f])")
_LUN = re.compile(r"&\d+$")


def parse_instance_id(instance: str) -> dict[str, str]:
    """USB vendor id, product id and serial number from a device instance id.

    ``USB\\VID_1D6B&PID_0104\\CAFEBABE`` → ``{"vendor_id": "1d6b", "product_id":
    "0104", "serial": "CAFEBABE"}``. Windows makes up the last part of the id when a
    device reports no serial number; such ids contain ``&`` (``7&2a3b4c5d&0&1``) and give
    no serial. USB storage ids (``USBSTOR\\DISK&VEN_…\\<serial>&0``, also embedded with
    ``#`` separators in WPD and UMDF ids) end in ``&<LUN>``, which is dropped.
    """
    found: dict[str, str] = {}
    vid, pid = _VID.search(instance), _PID.search(instance)
    if vid and pid:
        found["vendor_id"], found["product_id"] = vid.group(1).lower(), pid.group(1).lower()
    serial: str | None = None
    parts = instance.split("\\")
    if "#" in instance:
        segments = instance.split("#")
        for i, segment in enumerate(segments[:-1]):
            if segment.upper().startswith(("DISK&VEN_", "CDROM&VEN_")):
                serial = _LUN.sub("", segments[i + 1])
                break
            if i > 0 and _VID.search(segment) and _PID.search(segment):
                serial = segments[i + 1]
                break
    elif len(parts) >= 3 and parts[0].upper() in ("USB", "USBSTOR"):
        serial = parts[2]
        if parts[0].upper() == "USBSTOR":
            serial = _LUN.sub("", serial)
    if serial and "&" not in serial:
        found["serial"] = serial
    return found


def _device_columns(ev: WinEvent, instance_field: str | None) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    instance = ev.get(instance_field) if instance_field else None
    if instance is not None:
        text = str(instance).strip()
        columns["peripheral_device.uid"] = text
        parsed = parse_instance_id(text)
        if "vendor_id" in parsed:
            columns["unmapped.usb_vendor_id"] = parsed["vendor_id"]
            columns["unmapped.usb_product_id"] = parsed["product_id"]
            columns["peripheral_device.vendor_id_list"] = [parsed["vendor_id"]]
        if "serial" in parsed:
            columns["peripheral_device.serial_number"] = parsed["serial"]
    if ev.message is None and ev.event_id in DESCRIPTIONS:
        columns["message"] = DESCRIPTIONS[ev.event_id]
    return columns


def device_change(ev: WinEvent) -> Mapped:
    """Kernel-PnP and UMDF device events: the device instance id and what it says."""
    instance_field = next((f for f in INSTANCE_FIELDS if ev.get(f) is not None), None)
    columns = _device_columns(ev, instance_field)
    used = {instance_field} if instance_field else set()
    return Mapped("device_config_state_change", 1, columns, used)


EXTERNAL_DEVICE = {
    "DeviceDescription": "peripheral_device.name",
    "SubjectUserName": "actor.user.name",
    "SubjectDomainName": "actor.user.domain",
    "SubjectUserSid": "actor.user.uid",
}


def external_device(ev: WinEvent) -> Mapped:
    """Security 6416, 'A new external device was recognized by the System'."""
    columns, used = take(ev, "device_config_state_change", EXTERNAL_DEVICE)
    columns.update(_device_columns(ev, "DeviceId"))
    used.add("DeviceId")
    return Mapped("device_config_state_change", 1, columns, used)


PNP_FAMILY = Family(
    channels=frozenset({PNP_CHANNEL.lower()}),
    product="Windows Plug and Play",
    mappers=dict.fromkeys((400, 401, 402, 403, 410, 411, 412, 420, 421, 430), device_change),
    fields=FIELDS,
)

UMDF_FAMILY = Family(
    channels=frozenset({UMDF_CHANNEL.lower()}),
    product="Windows Plug and Play",
    mappers=dict.fromkeys((2003, 2004, 2010, 2100, 2101, 2102, 2105, 2106), device_change),
    fields={},
)
