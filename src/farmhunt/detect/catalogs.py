"""Catalog placeholders for rules: ``%rmm_executables%`` and friends.

Rules name catalogs instead of copying them (Sigma's ``|expand`` modifier), so the tool
lists stay data in ``farmhunt/reference`` and every rule sees the same, current list.
"""

from __future__ import annotations

import re
from functools import cache

from farmhunt.reference import (
    ipkvm_devices,
    mouse_jigglers,
    remote_access_tools,
    video_call_clients,
)

GENERIC_EXECUTABLES = {
    "agent.exe",
    "client.exe",
    "service.exe",
    "setup.exe",
    "update.exe",
    "updater.exe",
    "launcher.exe",
    "server.exe",
    "host.exe",
    "support.exe",
    "remote.exe",
    "app.exe",
    "run.exe",
    "main.exe",
    "helper.exe",
    "installer.exe",
    "svc.exe",
    "tray.exe",
}
"""Names too common to mean a remote-access tool on their own."""

_REGEX_CHARS = re.compile(r"[\[\]{}()+^$|\\]")


def _clean_domain(domain: str) -> str | None:
    domain = domain.strip().lower().split(":")[0]
    if not domain or _REGEX_CHARS.search(domain) or "/" in domain or " " in domain:
        return None
    return domain


def _exe_stem(name: str) -> str:
    return re.sub(r"\.(exe|app)$", "", name, flags=re.I)


@cache
def default_placeholders() -> dict[str, tuple[str, ...]]:
    """Placeholder name → values, from the shipped catalogs."""
    tools = remote_access_tools()
    executables = sorted(
        {
            e.lower()
            for t in tools
            for e in t.executables
            if e.lower() not in GENERIC_EXECUTABLES and len(_exe_stem(e)) >= 4
        }
    )
    domains = sorted({d for t in tools for raw in t.domains if (d := _clean_domain(raw))})
    kvms = ipkvm_devices()
    calls = video_call_clients()
    jigglers = mouse_jigglers()
    return {
        "rmm_executables": tuple(executables),
        "rmm_process_names": tuple(sorted({_exe_stem(e) for e in executables})),
        "rmm_domains": tuple(domains),
        "rmm_tool_names": tuple(sorted({t.name.lower() for t in tools})),
        "ipkvm_usb_ids": tuple(sorted({f"{k.usb_vendor_id}:{k.usb_product_id}" for k in kvms})),
        "ipkvm_usb_strings": tuple(
            sorted({s.lower() for k in kvms for s in (k.usb_manufacturer, k.usb_product) if s})
        ),
        "ipkvm_edid_names": tuple(
            sorted(
                {
                    n.strip().lower()
                    for k in kvms
                    for n in k.edid_monitor_name.split("/")
                    if n.strip()
                }
            )
        ),
        "video_call_executables": tuple(sorted({e.lower() for c in calls for e in c.executables})),
        "video_call_domains": tuple(sorted({d for c in calls for d in c.domains})),
        "mouse_jiggler_executables": tuple(
            sorted({e.lower() for j in jigglers for e in j.executables})
        ),
        "mouse_jiggler_packages": tuple(sorted({p.lower() for j in jigglers for p in j.packages})),
        # from the settings' allow.remote_tools (see settings_placeholders); empty by default
        "approved_remote_tools": (),
        "approved_remote_executables": (),
    }


def settings_placeholders(settings: object) -> dict[str, tuple[str, ...]]:
    """Placeholders from the configuration: the organisation's approved remote tools
    (names as the LOLRMM catalog or the software inventory spell them) and their
    executables, so rules can leave sanctioned remote support out."""
    approved = tuple(getattr(getattr(settings, "allow", None), "remote_tools", ()) or ())
    wanted = {name.lower() for name in approved}
    executables = sorted(
        {
            e.lower()
            for t in remote_access_tools()
            if t.name.lower() in wanted
            for e in t.executables
        }
    )
    return {
        **default_placeholders(),
        "approved_remote_tools": tuple(sorted(wanted)),
        "approved_remote_executables": tuple(executables),
    }


def tool_for_executable(executable: str) -> str | None:
    """The remote-access tool an executable belongs to, for explanations."""
    name = executable.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for tool in remote_access_tools():
        if name in {e.lower() for e in tool.executables}:
            return tool.name
    return None
