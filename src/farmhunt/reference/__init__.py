"""Reference catalogs shipped with farmhunt (remote-access tools, IP-KVM identities).

Data, not code: the files beside this module, with their provenance in README.md.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class RemoteAccessTool:
    name: str
    category: str
    website: str
    executables: tuple[str, ...]
    installation_paths: tuple[str, ...]
    domains: tuple[str, ...]
    ports: tuple[int, ...]
    signers: tuple[str, ...]


@dataclass(frozen=True)
class IpKvmDevice:
    device: str
    usb_vendor_id: str
    usb_product_id: str
    usb_manufacturer: str
    usb_product: str
    usb_serial: str
    edid_maker: str
    edid_product: str
    edid_monitor_name: str
    note: str
    source: str


def _text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def remote_access_tools() -> tuple[RemoteAccessTool, ...]:
    """The LOLRMM-derived catalog of remote-access tools."""
    rows = json.loads(_text("rmm_tools.json"))
    return tuple(
        RemoteAccessTool(
            name=r["name"],
            category=r["category"],
            website=r["website"],
            executables=tuple(r["executables"]),
            installation_paths=tuple(r["installation_paths"]),
            domains=tuple(r["domains"]),
            ports=tuple(r["ports"]),
            signers=tuple(r["signers"]),
        )
        for r in rows
    )


@cache
def ipkvm_devices() -> tuple[IpKvmDevice, ...]:
    """Factory identities of hardware IP-KVMs."""
    reader = csv.DictReader(_text("ipkvm_devices.csv").splitlines())
    return tuple(IpKvmDevice(**row) for row in reader)


@dataclass(frozen=True)
class CatalogEntry:
    """A named tool with the process names, packages and domains it shows up as."""

    name: str
    executables: tuple[str, ...]
    packages: tuple[str, ...]
    domains: tuple[str, ...]


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(";") if v.strip())


@cache
def video_call_clients() -> tuple[CatalogEntry, ...]:
    reader = csv.DictReader(_text("video_call_clients.csv").splitlines())
    return tuple(
        CatalogEntry(r["client"], _split(r["executables"]), (r["client"],), _split(r["domains"]))
        for r in reader
    )


@cache
def mouse_jigglers() -> tuple[CatalogEntry, ...]:
    reader = csv.DictReader(_text("mouse_jigglers.csv").splitlines())
    return tuple(
        CatalogEntry(r["tool"], _split(r["executables"]), _split(r["package_names"]), ())
        for r in reader
    )


@dataclass(frozen=True)
class ScopeEntry:
    """How farmhunt narrows the LOLRMM catalog to tools that let someone drive a computer:
    ``exclude_tool``, ``exclude_package`` (only as a software-inventory name),
    ``exclude_executable`` or ``add_executable``."""

    action: str
    tool: str
    executable: str
    reason: str
    source: str


@cache
def remote_control_scope() -> tuple[ScopeEntry, ...]:
    reader = csv.DictReader(_text("remote_control_scope.csv").splitlines())
    return tuple(ScopeEntry(**row) for row in reader)


@dataclass(frozen=True)
class RemoteAccessPort:
    """A port a remote-access tool listens on (``listen``) or connects to (``remote``)."""

    tool: str
    port: int
    transport: str
    side: str
    meaning: str
    source: str


@cache
def remote_access_ports() -> tuple[RemoteAccessPort, ...]:
    reader = csv.DictReader(_text("remote_access_ports.csv").splitlines())
    return tuple(
        RemoteAccessPort(
            row["tool"],
            int(row["port"]),
            row["transport"],
            row["side"],
            row["meaning"],
            row["source"],
        )
        for row in reader
    )


@dataclass(frozen=True)
class UnattendedFlag:
    """A command-line flag that sets a remote-access tool up for unattended access."""

    tool: str
    flag: str
    meaning: str
    source: str


@cache
def remote_access_unattended_flags() -> tuple[UnattendedFlag, ...]:
    reader = csv.DictReader(_text("remote_access_unattended.csv").splitlines())
    return tuple(UnattendedFlag(**row) for row in reader)
