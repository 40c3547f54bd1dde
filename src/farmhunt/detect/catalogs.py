"""Catalog placeholders for rules: ``%rmm_executables%`` and friends.

Rules name catalogs instead of copying them (Sigma's ``|expand`` modifier), so the tool
lists stay data in ``farmhunt/reference`` and every rule sees the same, current list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from farmhunt.enrich.indicators import Indicators
from farmhunt.reference import (
    ipkvm_devices,
    mouse_jigglers,
    remote_access_ports,
    remote_access_tools,
    remote_access_unattended_flags,
    remote_control_scope,
    video_call_clients,
)
from farmhunt.settings import Settings

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
        # from the analyst's anydesk_ids.txt (see indicator_placeholders); empty by default
        "indicator_anydesk_ids": (),
        "approved_remote_executables": (),
        **endpoint_placeholders(),
    }


def settings_placeholders(
    settings: Settings, indicators: Indicators | None = None
) -> dict[str, tuple[str, ...]]:
    """Placeholders from the configuration: the organisation's approved remote tools
    (names as the LOLRMM catalog or the software inventory spell them) and their
    executables, so rules can leave sanctioned remote support out; and the analyst's
    indicator lists (:func:`indicator_placeholders`)."""
    approved = settings.allow.remote_tools
    wanted = {name.lower() for name in approved}
    executables = sorted(
        {
            e.lower()
            for t in remote_access_tools()
            if t.name.lower() in wanted
            for e in t.executables
        }
    )
    families = approved_placeholders(settings)
    return {
        **default_placeholders(),
        **indicator_placeholders(indicators),
        **families,
        "approved_remote_tools": tuple(sorted(wanted)),
        "approved_remote_executables": tuple(
            sorted(set(executables) | set(families["approved_remote_executables"]))
        ),
    }


def indicator_placeholders(indicators: Indicators | None) -> dict[str, tuple[str, ...]]:
    """The remote-control placeholders widened by ``tools.txt``, and the listed AnyDesk
    ids as ``%indicator_anydesk_ids%``.

    A listed tool name counts as a remote-control tool for the endpoint rules: the
    executables of every LOLRMM entry of that name (also entries the scope file leaves
    out as not remote control, such as mesh VPNs), and the name itself as a process
    name (``name``, ``name.exe``) and a software-inventory name (as listed, ``.app``, the
    deb spelling, or followed by a version). The approved list still wins.
    """
    base = endpoint_placeholders()
    listed = [name for name, _label in indicators.tools.items()] if indicators else []
    ids = [value for value, _label in indicators.anydesk_ids.items()] if indicators else []
    if not listed:
        return {"indicator_anydesk_ids": tuple(ids)}
    wanted = set(listed)
    executables = {
        e.lower() for t in remote_access_tools() if t.name.lower() in wanted for e in t.executables
    }
    executables |= {f"{name}.exe" for name in listed}
    return {
        "remote_control_executables": tuple(
            sorted(set(base["remote_control_executables"]) | executables)
        ),
        "remote_control_process_names": tuple(
            sorted(
                set(base["remote_control_process_names"])
                | set(listed)
                | {_exe_stem(e) for e in executables}
            )
        ),
        "remote_control_package_names": tuple(
            sorted(
                set(base["remote_control_package_names"])
                | {f for name in listed for f in _package_forms(name)}
            )
        ),
        "remote_control_package_prefixes": tuple(
            sorted(set(base["remote_control_package_prefixes"]) | {f"{n} " for n in listed})
        ),
        "indicator_anydesk_ids": tuple(ids),
    }


# -- remote-control tools: the LOLRMM catalog narrowed to what lets someone drive a laptop --
#
# LOLRMM lists every remote-access-capable tool, including SSH clients, file sync, tunnels
# and inventory agents that engineers and IT run every day. The endpoint rules look for
# tools that let someone *else* see and drive this computer, so the catalog is narrowed by
# ``reference/remote_control_scope.csv`` (each exclusion with its reason), generic and
# meeting-client executables are dropped, and tools that share an executable are one
# family (LOLRMM lists some products several times), so "two tools" means two products.


@dataclass(frozen=True)
class RemoteControlTool:
    """One remote-control product (a family of LOLRMM entries) and how it shows up."""

    name: str
    names: tuple[str, ...]
    """The LOLRMM entries of the family."""
    executables: tuple[str, ...]
    """Executable file names, lower case."""
    process_names: tuple[str, ...]
    """Executable names without .exe/.app (macOS and Linux process names)."""
    package_names: tuple[str, ...]
    """Software-inventory names, lower case: as listed, ``<name>.app``, ``<name-as-deb>``."""
    package_prefixes: tuple[str, ...]
    """``<name> ``: inventory names that continue with a version or an edition."""
    ports: tuple[tuple[int, str, str], ...]
    """(port, transport, side) from ``reference/remote_access_ports.csv``."""


def _deb_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _package_forms(name: str) -> set[str]:
    lowered = name.lower()
    return {lowered, f"{lowered}.app", _deb_name(name)}


@cache
def remote_control_tools() -> tuple[RemoteControlTool, ...]:
    """The remote-control families, from LOLRMM and the scope file."""
    scope = remote_control_scope()
    excluded_tools = {e.tool.lower() for e in scope if e.action == "exclude_tool"}
    no_package = {e.tool.lower() for e in scope if e.action == "exclude_package"}
    added: dict[str, set[str]] = {}
    for entry in scope:
        if entry.action == "add_executable":
            added.setdefault(entry.tool.lower(), set()).add(entry.executable.lower())
    dropped = {e.executable.lower() for e in scope if e.action == "exclude_executable"}
    dropped |= GENERIC_EXECUTABLES
    dropped |= {e.lower() for c in video_call_clients() for e in c.executables}
    tools = remote_access_tools()
    dropped |= {e.lower() for t in tools if t.name.lower() in excluded_tools for e in t.executables}
    kept = [t for t in tools if t.name.lower() not in excluded_tools]

    def usable(executable: str) -> bool:
        return executable not in dropped and len(_exe_stem(executable)) >= 4

    executables = [
        {e.lower() for e in (*t.executables, *added.get(t.name.lower(), ())) if usable(e.lower())}
        for t in kept
    ]
    # one family per connected group of entries sharing an executable or a name
    parent = list(range(len(kept)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, tool in enumerate(kept):
        for key in (*executables[index], "name:" + tool.name.lower()):
            if key in owner:
                parent[root(index)] = root(owner[key])
            else:
                owner[key] = index
    groups: dict[int, list[int]] = {}
    for index in range(len(kept)):
        groups.setdefault(root(index), []).append(index)
    ports = remote_access_ports()
    families = []
    for members in groups.values():
        names = sorted({kept[i].name for i in members}, key=lambda n: (len(n), n.lower()))
        exes = sorted({e for i in members for e in executables[i]})
        lowered = {n.lower() for n in names}
        package_names = {f for n in names if n.lower() not in no_package for f in _package_forms(n)}
        if lowered - no_package:
            package_names |= {e for e in exes if e.endswith(".app")}
        families.append(
            RemoteControlTool(
                name=names[0],
                names=tuple(names),
                executables=tuple(exes),
                process_names=tuple(sorted({_exe_stem(e) for e in exes})),
                package_names=tuple(sorted(package_names)),
                package_prefixes=tuple(
                    sorted(f"{n.lower()} " for n in names if n.lower() not in no_package)
                ),
                ports=tuple(
                    sorted(
                        {(p.port, p.transport, p.side) for p in ports if p.tool.lower() in lowered}
                    )
                ),
            )
        )
    return tuple(sorted(families, key=lambda f: f.name.lower()))


def approved_remote_control_tools(settings: Settings) -> tuple[RemoteControlTool, ...]:
    """The families the configuration approves (``allow.remote_tools``): a family is
    approved when one of its names is approved, or begins with an approved name and a
    space ("Splashtop" approves "Splashtop Remote")."""
    approved = settings.allow.remote_tools
    wanted = {name.strip().lower() for name in approved if name.strip()}
    if not wanted:
        return ()
    return tuple(
        tool
        for tool in remote_control_tools()
        if any(n.lower() == w or n.lower().startswith(w + " ") for n in tool.names for w in wanted)
    )


def _remote_control_placeholders(
    tools: tuple[RemoteControlTool, ...],
) -> dict[str, tuple[str, ...]]:
    return {
        "executables": tuple(sorted({e for t in tools for e in t.executables})),
        "process_names": tuple(sorted({p for t in tools for p in t.process_names})),
        "package_names": tuple(sorted({p for t in tools for p in t.package_names})),
        "package_prefixes": tuple(sorted({p for t in tools for p in t.package_prefixes})),
        "listen_ports": tuple(
            sorted({str(p) for t in tools for p, _, s in t.ports if s == "listen"})
        ),
        "remote_ports": tuple(
            sorted({str(p) for t in tools for p, _, s in t.ports if s == "remote"})
        ),
    }


@cache
def endpoint_placeholders() -> dict[str, tuple[str, ...]]:
    """Placeholders of the endpoint rules: remote-control tools, KVM serials, jigglers."""
    remote = _remote_control_placeholders(remote_control_tools())
    jigglers = mouse_jigglers()
    return {
        **{f"remote_control_{key}": values for key, values in remote.items()},
        "remote_control_unattended_flags": tuple(
            sorted({f.flag.lower() for f in remote_access_unattended_flags()})
        ),
        "ipkvm_usb_instance_ids": tuple(
            sorted(
                {f"vid_{k.usb_vendor_id}&pid_{k.usb_product_id}".lower() for k in ipkvm_devices()}
            )
        ),
        "ipkvm_usb_serials": tuple(
            sorted({k.usb_serial.lower() for k in ipkvm_devices() if k.usb_serial})
        ),
        "mouse_jiggler_process_names": tuple(
            sorted({_exe_stem(e).lower() for j in jigglers for e in j.executables})
        ),
        "mouse_jiggler_package_names": tuple(
            sorted({f for j in jigglers for p in j.packages for f in _package_forms(p)})
        ),
        # from the settings' allow.remote_tools (see settings_placeholders); empty by default
        **{f"approved_remote_{key}": () for key in remote if key != "executables"},
    }


def approved_placeholders(settings: Settings) -> dict[str, tuple[str, ...]]:
    """The approved families' executables, process and package names and ports."""
    tools = approved_remote_control_tools(settings)
    remote = _remote_control_placeholders(tools)
    return {f"approved_remote_{key}": values for key, values in remote.items()}
