"""Rebuild farmhunt's shipped catalogs from the public reference data.

Usage: python scripts/build_reference.py [REFERENCE_DIR]   (default: ../shared/reference)

Reads the LOLRMM catalog (Apache-2.0) and the IP-KVM device table and writes compact,
deterministic catalogs into src/farmhunt/reference/, keeping provenance and the licence.
Run it when the upstream reference data is refreshed; review the diff.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "farmhunt" / "reference"


def _exe_names(paths: list[str], pe: object) -> list[str]:
    names: set[str] = set()
    for path in paths:
        leaf = re.split(r"[\\/]", path.rstrip("\\/"))[-1]
        if leaf.lower().endswith((".exe", ".app")) and "*" not in leaf and "<" not in leaf:
            names.add(leaf)
    entries = pe if isinstance(pe, list) else [pe]
    for entry in entries:
        if isinstance(entry, dict):
            for key in ("Filename", "OriginalFileName"):
                value = entry.get(key) or ""
                if value and "*" not in value:
                    names.add(value)
    return sorted(names, key=str.lower)


def build_rmm(source: Path) -> list[dict[str, object]]:
    tools = json.loads((source / "lolrmm" / "rmm_tools.json").read_text(encoding="utf-8"))
    catalog = []
    for tool in tools:
        details = tool.get("Details") or {}
        network = (tool.get("Artifacts") or {}).get("Network") or []
        domains = sorted(
            {d for n in network for d in (n.get("Domains") or []) if d and d != "user_managed"}
        )
        ports = sorted({p for n in network for p in (n.get("Ports") or []) if isinstance(p, int)})
        signers = sorted(
            {
                c.get("signer_name", "")
                for c in ((tool.get("CodeSigning") or {}).get("certificates") or [])
                if c.get("signer_name")
            }
        )
        catalog.append(
            {
                "name": tool["Name"],
                "category": tool.get("Category", ""),
                "website": details.get("Website", ""),
                "executables": _exe_names(
                    details.get("InstallationPaths") or [], details.get("PEMetadata")
                ),
                "installation_paths": details.get("InstallationPaths") or [],
                "domains": domains,
                "ports": ports,
                "signers": signers,
            }
        )
    return sorted(catalog, key=lambda t: str(t["name"]).lower())


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference"
    OUT.mkdir(parents=True, exist_ok=True)
    rmm = build_rmm(source)
    (OUT / "rmm_tools.json").write_text(
        json.dumps(rmm, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    shutil.copy(source / "lolrmm" / "LICENSE", OUT / "LOLRMM-LICENSE")
    with open(source / "ipkvm_devices.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open(OUT / "ipkvm_devices.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rmm)} remote-access tools, {len(rows)} IP-KVM devices written to {OUT}")


if __name__ == "__main__":
    main()
