"""What happens in the simulated company, independent of any log format.

Behaviour produces these; each writer renders the ones its source would record (an
Okta sign-in, a Sysmon process creation, a Zeek ssl line …). Keeping the facts apart
from their rendering means every source tells the same story about the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Net:
    """Where traffic appears to come from on the internet."""

    ip: str
    kind: str
    """residential, mobile, vpn, venue, corporate or operator."""
    provider: str
    asn: int
    country: str
    region: str
    city: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Activity:
    time: datetime
    worker_id: str


@dataclass(frozen=True)
class SignIn(Activity):
    net: Net
    app: str
    success: bool
    mfa: bool
    user_agent: str
    client_os: str
    failure_reason: str = ""
    session_id: str = ""
    risk: str = "none"


@dataclass(frozen=True)
class DriveEvent(Activity):
    net: Net
    action: str
    """view, edit, download, create, change_user_access, change_document_visibility."""
    doc_id: str
    title: str
    doc_type: str
    owner: str
    visibility: str
    target_user: str = ""


@dataclass(frozen=True)
class GitEvent(Activity):
    net: Net
    action: str
    """git.clone, git.fetch, git.push, repo.download_zip, repo.access, public_key.create …"""
    repo: str
    visibility: str
    transport: str = "http"
    previous_visibility: str = ""
    user_agent: str = "git/2.47.1"
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessStart(Activity):
    hostname: str
    user: str
    image: str
    cmdline: str
    pid: int
    parent_image: str
    parent_pid: int
    company: str = ""
    product: str = ""
    original_name: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class NetConnect(Activity):
    hostname: str
    image: str
    pid: int
    src_ip: str
    src_port: int
    dst_ip: str
    dst_port: int
    dst_host: str
    protocol: str = "tcp"
    bytes_out: int = 0
    bytes_in: int = 0
    duration_s: float = 0.0
    on_vpn: bool = False
    """Whether the corporate VPN carried it (the concentrator's Zeek sees it)."""
    at_office: bool = False
    """Whether the laptop was on the office LAN (the office's Zeek sensor sees it)."""


@dataclass(frozen=True)
class DnsLookup(Activity):
    hostname: str
    image: str
    pid: int
    client_ip: str
    query: str
    answers: tuple[str, ...]
    on_vpn: bool = False
    at_office: bool = False


@dataclass(frozen=True)
class TlsSession(Activity):
    hostname: str
    src_ip: str
    src_port: int
    dst_ip: str
    dst_port: int
    sni: str
    subject: str
    issuer: str
    on_vpn: bool = False
    at_office: bool = False


@dataclass(frozen=True)
class Logon(Activity):
    hostname: str
    user: str
    logon_type: int
    """Windows logon type: 2 interactive, 3 network, 7 unlock, 10 remote interactive, 11 cached."""
    src_ip: str
    src_host: str
    success: bool = True


@dataclass(frozen=True)
class RdpSession(Activity):
    hostname: str
    user: str
    action: str
    """connect, reconnect or disconnect."""
    client_name: str
    client_ip: str
    client_utc_offset_minutes: int
    client_build: str = "22621"
    keyboard_layout: str = "English - United States"


@dataclass(frozen=True)
class UsbAttach(Activity):
    hostname: str
    vendor_id: str
    product_id: str
    vendor: str
    model: str
    serial: str
    usb_class: str = ""


@dataclass(frozen=True)
class DisplayAttach(Activity):
    hostname: str
    name: str
    vendor_id: str
    product_id: str
    serial: str


@dataclass(frozen=True)
class InventorySnapshot(Activity):
    """A device's state as a scheduled query sees it: software, admins, listening ports."""

    hostname: str
    os: str
    software: tuple[tuple[str, str, str], ...]
    """(name, version, publisher)"""
    admins: tuple[str, ...]
    processes: tuple[tuple[int, str, str], ...]
    """(pid, name, path)"""
    listening: tuple[tuple[int, str, str], ...]
    """(port, protocol, process name)"""
    usb: tuple[UsbAttach, ...] = ()
    displays: tuple[DisplayAttach, ...] = ()
    logged_in: tuple[tuple[str, str, str], ...] = ()
    """(user, type, source host/ip)"""
