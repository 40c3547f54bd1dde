"""Running the simulator: the company, day by day, through every writer; then truth."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from farmhunt.simulate.behaviour import day_activities, days_of
from farmhunt.simulate.company import Company, build_company
from farmhunt.simulate.config import SimConfig
from farmhunt.simulate.writers import Writer
from farmhunt.simulate.writers.hr import HrWriter
from farmhunt.simulate.writers.identity import EntraWriter, OktaWriter
from farmhunt.simulate.writers.osquery import OsqueryWriter
from farmhunt.simulate.writers.saas import GitHubWriter, GoogleWriter
from farmhunt.simulate.writers.windows import WindowsWriter
from farmhunt.simulate.writers.zeek import OfficeZeekWriter, ZeekWriter

SHARD_WORKERS = 250
"""Workers simulated together: memory holds one shard's day, whatever the company size;
each shard's day is its own set of files (as exports split by hour or partition)."""

TELEMETRY = "telemetry"
"""Sub-directory of the output holding the raw files (``truth.json`` sits beside it)."""

WRITERS: list[type[Writer]] = [
    HrWriter,
    OktaWriter,
    EntraWriter,
    GoogleWriter,
    GitHubWriter,
    OsqueryWriter,
    ZeekWriter,
    OfficeZeekWriter,
    WindowsWriter,
]


@dataclass
class SimResult:
    company: Company
    events: dict[str, int]
    days: int

    @property
    def total(self) -> int:
        return sum(self.events.values())


def simulate(
    config: SimConfig,
    out: Path,
    on_day: Callable[[int, int, int], None] | None = None,
    windows_evtx: bool = False,
) -> SimResult:
    """Write a company's raw telemetry under ``out``; return what was written.

    ``on_day(day_index, days, events_so_far)`` reports progress; ``windows_evtx`` writes
    the Windows laptops' logs as .evtx files instead of Winlogbeat JSON. With
    ``config.events_target`` the run stops after the day that reaches the target.
    """
    company = build_company(config)
    out.mkdir(parents=True, exist_ok=True)
    writers = [
        WindowsWriter(company, out / TELEMETRY, evtx=True)
        if cls is WindowsWriter and windows_evtx
        else cls(company, out / TELEMETRY)
        for cls in WRITERS
    ]
    for writer in writers:
        writer.start()
    done = 0
    try:
        shards = [
            company.workers[i : i + SHARD_WORKERS]
            for i in range(0, len(company.workers), SHARD_WORKERS)
        ]
        for index, day in enumerate(days_of(company)):
            for number, shard in enumerate(shards):
                part = f"-part{number + 1:03d}" if len(shards) > 1 else ""
                for writer in writers:
                    writer.begin_day(day, part)
                for activity in day_activities(company, day, shard):
                    for writer in writers:
                        writer.write(activity)
                for writer in writers:
                    writer.end_day(day, part)
                    writer.close_files()
            done = index + 1
            total = sum(w.count for w in writers)
            if on_day:
                on_day(done, config.days, total)
            if config.events_target and total >= config.events_target:
                break
    finally:
        for writer in writers:
            writer.close()
    write_truth(company, out / "truth.json", done)
    write_config(out / "farmhunt.yaml")
    return SimResult(company, {type(w).__name__: w.count for w in writers}, done)


def write_truth(company: Company, path: Path, days: int) -> None:
    """What was injected, for evaluation: who is fraudulent, which farm, which behaviours."""
    config = company.config
    truth = {
        "schema_version": 1,
        "seed": config.seed,
        "scenario": config.scenario,
        "intensity": config.intensity.name,
        "intensity_rates": config.intensity.rates(),
        "office": (
            {
                "city": company.office.city,
                "public_ip": company.office.net.ip,
                "members": sorted(company.office.members),
            }
            if company.office
            else None
        ),
        "start": config.start.isoformat(),
        "days": days,
        "workers": {
            w.worker_id: {
                "email": w.email,
                "fraudulent": w.fraudulent,
                "role": w.role,
                "farm": w.farm_id,
                "access": w.access,
                "operator_timezone": w.operator_tz,
                "behaviours": sorted(w.behaviours),
                "benign_traits": sorted(w.traits),
                "hostname": w.device.hostname,
            }
            for w in sorted(company.workers, key=lambda w: w.worker_id)
        },
        "farms": {
            f.farm_id: {
                "address": f.address,
                "city": f.city,
                "public_ip": f.net.ip,
                "provider": f.net.provider,
                "operator_timezone": f.operator_tz,
                "members": sorted(f.members),
            }
            for f in company.farms
        },
        "conference": (
            {"day": company.conference[0].isoformat(), "public_ip": company.conference[1].ip}
            if company.conference
            else None
        ),
    }
    path.write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n", encoding="utf-8")


COMPANY_CONFIG = """\
# The simulated company's own farmhunt configuration (see docs/configuration.md):
# what its IT team knows about its networks and sanctioned tools.
indicators:
  paths: [indicators]                   # lists the security team keeps (VoIP prefixes)
network:
  corporate_egress: [12.130.0.0/21]     # offices and the VPN concentrator's public side
  corporate_vpn_pools: [10.8.0.0/13]    # addresses the corporate VPN gives laptops
allow:
  remote_tools: [TeamViewer]            # IT support's approved remote-support tool
"""


def write_config(path: Path) -> None:
    """The company's configuration (corporate ranges, the approved support tool) and
    its indicator lists: the VoIP carrier's number prefixes, as a commercial list has."""
    from farmhunt.simulate.company import voip_prefixes

    path.write_text(COMPANY_CONFIG, encoding="utf-8")
    folder = path.parent / "indicators"
    folder.mkdir(exist_ok=True)
    (folder / "voip_prefixes.txt").write_text(
        "# VoIP carrier number blocks (simulated): E.164 prefixes\n"
        + "".join(f"{p}\n" for p in voip_prefixes()),
        encoding="utf-8",
    )
