"""LOLRMM's Sigma rules, written from the shipped LOLRMM catalog in LOLRMM's own format.

The LOLRMM project generates one process-creation rule and one network rule per tool
from its catalog. farmhunt ships the catalog, so it writes the same rule set
(``farmhunt rules export-lolrmm DIR``); users can also point ``--rules`` at a checkout of
LOLRMM or SigmaHQ. These files are plain Sigma: they load through the generic path.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import yaml

from farmhunt.reference import RemoteAccessTool, remote_access_tools

NAMESPACE = uuid.UUID("8b0f3b4e-6a1b-4c55-9d0e-5f1d2e3c4b5a")


def _slug(name: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", name.lower())).strip("_")


def _rule(
    tool: RemoteAccessTool, kind: str, detection: dict[str, object], category: str
) -> dict[str, object]:
    what = "Process" if kind == "processes" else "Network"
    return {
        "title": f"Potential {tool.name} RMM Tool {what} Activity",
        "id": str(uuid.uuid5(NAMESPACE, f"{tool.name}/{kind}")),
        "status": "experimental",
        "description": f"Detects potential {what.lower()} activity of {tool.name} RMM tool",
        "references": ["https://github.com/magicsword-io/LOLRMM"],
        "author": "LOLRMM Project (catalog); rule written by farmhunt",
        "tags": ["attack.command-and-control", "attack.t1219"],
        "logsource": {"product": "windows", "category": category},
        "detection": detection,
        "falsepositives": [f"Legitimate use of {tool.name}"],
        "level": "medium",
    }


def lolrmm_rules() -> dict[str, dict[str, object]]:
    """File name → Sigma rule, for every tool with executables or domains."""
    rules: dict[str, dict[str, object]] = {}
    for tool in remote_access_tools():
        exes = sorted({e for e in tool.executables if e.lower().endswith(".exe")}, key=str.lower)
        if exes:
            patterns = ["\\" + e for e in exes]
            rules[f"{_slug(tool.name)}_processes_sigma.yml"] = _rule(
                tool,
                "processes",
                {
                    "selection_parent": {"ParentImage|endswith": patterns},
                    "selection_image": {"Image|endswith": patterns},
                    "condition": "1 of selection_*",
                },
                "process_creation",
            )
        domains = sorted({d.split(":")[0] for d in tool.domains if not re.search(r"[\[\]{}()]", d)})
        if domains:
            rules[f"{_slug(tool.name)}_network_sigma.yml"] = _rule(
                tool,
                "network",
                {
                    "selection": {"DestinationHostname|endswith": domains},
                    "condition": "selection",
                },
                "network_connection",
            )
    return rules


def export_lolrmm(directory: Path) -> int:
    """Write the rule set as YAML files; return how many."""
    directory.mkdir(parents=True, exist_ok=True)
    rules = lolrmm_rules()
    for name, rule in rules.items():
        (directory / name).write_text(
            yaml.safe_dump(rule, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    return len(rules)
