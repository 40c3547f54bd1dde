"""Endpoint rules with a configuration: the approved remote-support tool is left out, and
the remote-control catalog is the LOLRMM catalog narrowed to tools that drive a laptop.

Inline rule tests run without settings; what depends on ``farmhunt.yaml`` is tested here.
"""

from __future__ import annotations

from typing import Any

import pytest

from farmhunt.detect.catalogs import (
    approved_remote_control_tools,
    default_placeholders,
    remote_control_tools,
    settings_placeholders,
)
from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import RuleSet, load_rules
from farmhunt.detect.model import Finding
from farmhunt.detect.testing import connection_with
from farmhunt.reference import remote_access_ports, remote_access_tools, remote_control_scope
from farmhunt.settings import Settings, parse_settings

RULES = load_rules()
APPROVED = parse_settings("allow: {remote_tools: [TeamViewer], ignore_ips: [198.51.100.0/24]}")
TOOL_RULES = [
    "endpoint.remote_access_tool_process",
    "endpoint.remote_access_tool_running",
    "endpoint.remote_access_tool_installed",
    "endpoint.remote_access_tool_network",
    "endpoint.remote_access_tool_unattended_setup",
    "endpoint.multiple_remote_access_tools",
    "endpoint.remote_tool_with_owner_admin",
]
IT_LAPTOP = "NWL-MBP-4649"
FARM_LAPTOP = "NWL-LT-10001"


def findings(
    rule_ids: list[str], tables: dict[str, list[dict[str, Any]]], settings: Settings | None
) -> list[Finding]:
    ctx = make_context(connection_with(tables), settings)
    return run_rules(ctx, RuleSet(rules=[RULES.by_id(r) for r in rule_ids]))


def laptop(host: str, user: str, tool_exe: str, package: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "process_activity": [
            {
                "device.hostname": host,
                "process.file.name": tool_exe,
                "process.cmd_line": f"{tool_exe} assignment --id 0001",
            }
        ],
        "process_query": [
            {"device.hostname": host, "process.name": tool_exe, "process.file.name": tool_exe}
        ],
        "software_inventory_info": [
            {"device.hostname": host, "package.name": package},
            {"device.hostname": host, "package.name": f"{package} Host"},
        ],
        "network_connection_query": [
            {"device.hostname": host, "process.name": tool_exe, "dst_endpoint.port": 5938},
            {"device.hostname": host, "src_endpoint.port": 5938, "state": "LISTEN"},
        ],
        "admin_group_query": [{"device.hostname": host, "user.name": user, "group.name": "admin"}],
    }


def merged(*parts: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for part in parts:
        for table, rows in part.items():
            out.setdefault(table, []).extend(rows)
    return out


LINKS = {
    "worker_links": [
        {"identifier_type": "hostname", "identifier": IT_LAPTOP, "worker_id": "E1"},
        {"identifier_type": "username", "identifier": "rohan.it", "worker_id": "E1"},
        {"identifier_type": "hostname", "identifier": FARM_LAPTOP, "worker_id": "E2"},
        {"identifier_type": "username", "identifier": "brian.parker", "worker_id": "E2"},
    ]
}


def test_the_approved_tool_fires_no_tool_rule_but_others_still_do() -> None:
    tables = merged(
        laptop(IT_LAPTOP, "rohan.it", "TeamViewer", "TeamViewer"),
        laptop(FARM_LAPTOP, "brian.parker", "AnyDesk.exe", "AnyDesk"),
        {"software_inventory_info": [{"device.hostname": FARM_LAPTOP, "package.name": "RustDesk"}]},
        LINKS,
    )
    with_config = findings(TOOL_RULES, tables, APPROVED)
    assert {f.subject for f in with_config} == {FARM_LAPTOP}
    assert {f.rule.id for f in with_config} == set(TOOL_RULES)
    without = findings(TOOL_RULES, tables, None)
    assert IT_LAPTOP in {f.subject for f in without}, "the test's IT laptop is a real look-alike"


def test_a_renamed_copy_of_the_approved_tool_is_not_excused() -> None:
    tables = {
        "process_activity": [
            {
                "device.hostname": FARM_LAPTOP,
                "process.file.name": "svc-host-helper.exe",
                "process.file.internal_name": "TeamViewer.exe",
            }
        ]
    }
    got = findings(["endpoint.remote_access_tool_process"], tables, APPROVED)
    assert [f.subject for f in got] == [FARM_LAPTOP]


def test_the_approved_tools_ports_are_excused_only_without_a_process() -> None:
    tables = {
        "network_connection_query": [
            {"device.hostname": IT_LAPTOP, "dst_endpoint.port": 5938},
            {"device.hostname": FARM_LAPTOP, "dst_endpoint.port": 21116},
        ]
    }
    got = findings(["endpoint.remote_access_tool_network"], tables, APPROVED)
    assert [f.subject for f in got] == [FARM_LAPTOP]


def test_an_approved_name_covers_the_products_editions() -> None:
    settings = parse_settings("allow: {remote_tools: [Splashtop]}")
    names = {n for t in approved_remote_control_tools(settings) for n in t.names}
    assert {"Splashtop", "Splashtop Remote", "Splashtop (Beta)"} <= names
    placeholders = settings_placeholders(settings)
    assert "srserver.exe" in placeholders["approved_remote_executables"]
    assert "splashtop " in placeholders["approved_remote_package_prefixes"]
    tables = {
        "software_inventory_info": [
            {"device.hostname": IT_LAPTOP, "package.name": "Splashtop Streamer"}
        ]
    }
    assert not findings(["endpoint.remote_access_tool_installed"], tables, settings)
    assert findings(["endpoint.remote_access_tool_installed"], tables, None)


def test_inbound_rdp_respects_ignored_addresses() -> None:
    tables = {
        "authentication": [
            {
                "device.hostname": FARM_LAPTOP,
                "activity_id": 1,
                "status_id": 1,
                "logon_type_id": 10,
                "src_endpoint.ip": "198.51.100.7",
            }
        ]
    }
    assert findings(["endpoint.inbound_rdp_logon"], tables, None)
    assert not findings(["endpoint.inbound_rdp_logon"], tables, APPROVED)


# --------------------------------------------------------------------------- the catalog


def test_the_scope_file_names_real_catalog_entries() -> None:
    names = {t.name.lower() for t in remote_access_tools()}
    for entry in remote_control_scope():
        assert entry.action in {
            "exclude_tool",
            "exclude_package",
            "exclude_executable",
            "add_executable",
        }
        assert entry.reason, entry
        if entry.action != "exclude_executable":
            assert entry.tool.lower() in names, entry.tool
    for port in remote_access_ports():
        assert port.tool.lower() in names and port.side in {"listen", "remote"}, port


@pytest.mark.parametrize(
    "executable",
    [
        "putty.exe",  # outbound SSH client
        "mstsc.exe",  # the Windows RDP client: connects out
        "winpty-agent.exe",  # Git for Windows' terminal helper
        "zoom.exe",  # meeting clients are the video-call rule's business
        "g2mcomm.exe",
        "connect.exe",  # generic
        "tailscaled.exe",  # developer VPN
        "dwm.exe",  # Windows' own window manager
    ],
)
def test_everyday_executables_are_not_remote_control_tools(executable: str) -> None:
    assert executable not in default_placeholders()["remote_control_executables"]


@pytest.mark.parametrize(
    "executable",
    ["anydesk.exe", "rustdesk.exe", "remoting_host.exe", "teamviewer.exe", "client32.exe"],
)
def test_remote_control_tools_are_in_the_catalog(executable: str) -> None:
    assert executable in default_placeholders()["remote_control_executables"]


def test_products_listed_several_times_are_one_family() -> None:
    families = {name: t for t in remote_control_tools() for name in t.names}
    assert families["ISL Light"] is families["ISL Online"]
    assert families["Splashtop"] is families["Splashtop Remote"]
    assert families["AnyDesk"] is not families["RustDesk"]
    assert "quick assist" not in default_placeholders()["remote_control_package_names"]


def test_many_prefixes_become_one_escaped_pattern() -> None:
    """The installed-software rule's 200-odd 'name + space' prefixes compile to one regular
    expression: dots and parentheses in product names are literal."""
    rows = [
        {"device.hostname": "A", "package.name": "247ithelp.com (ConnectWise) 2.1"},
        {"device.hostname": "B", "package.name": "247ithelpXcom (ConnectWise) 2.1"},
        {"device.hostname": "C", "package.name": "Splashtop (Beta) 3.5"},
        {"device.hostname": "D", "package.name": "Splashtop(Beta) 3.5"},
    ]
    got = findings(
        ["endpoint.remote_access_tool_installed"], {"software_inventory_info": rows}, None
    )
    assert {f.subject for f in got} == {"A", "C"}
