"""``farmhunt enrich``: build the address and phone facts and show what they hold."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from farmhunt.enrich.build import IP_INFO, PHONE_INFO, enrich_workspace
from farmhunt.enrich.indicators import IndicatorError, load_indicators
from farmhunt.enrich.ip import KINDS, EnrichDataError, shipped_geo
from farmhunt.settings import SettingsError, load_settings
from farmhunt.store.workspace import Workspace, WorkspaceError
from farmhunt.termsafe import text

TOP_UNKNOWN = 10


def run_enrich(workspace: Path, config: Path | None, console: Console, err: Console) -> int:
    """Read the configuration, rebuild ``ip_info`` / ``phone_info``, print a summary."""
    try:
        settings = load_settings(config, workspace)
        indicators = load_indicators(settings.indicators.paths)
    except SettingsError as exc:
        where = f"{exc.source}: " if exc.source else ""
        for problem in exc.problems:
            err.print(text(f"error: {where}{problem}", "red", limit=600))
        return 2
    except IndicatorError as exc:
        for problem in exc.problems:
            err.print(text(f"error: indicator list {problem}", "red", limit=600))
        return 2
    try:
        with Workspace(workspace) as ws, ws.write_lock():
            counts = enrich_workspace(ws, settings, indicators=indicators)
            con = ws.connect()
            kinds = con.execute(
                f'SELECT kind, count(*) FROM "{IP_INFO}" GROUP BY kind ORDER BY 2 DESC, 1'
            ).fetchall()
            unknown = con.execute(
                f"SELECT asn_org, count(*) FROM \"{IP_INFO}\" WHERE kind = 'unknown' "
                "AND asn_org IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
                [TOP_UNKNOWN],
            ).fetchall()
            phones = con.execute(
                "SELECT line_type, count(*) FILTER (WHERE valid), count(*) FILTER (WHERE is_voip), "
                f'count(*) FROM "{PHONE_INFO}" GROUP BY 1 ORDER BY 4 DESC, 1'
            ).fetchall()
            con.close()
    except (WorkspaceError, EnrichDataError, duckdb.Error, OSError) as exc:
        err.print(text(f"error: enrichment failed: {exc}", "red", limit=600))
        return 2

    listed = {k: n for k, n in indicators.counts().items() if n}
    console.print(
        text(
            f"settings: {settings.describe_source()}; indicator values: "
            + (", ".join(f"{k} {n}" for k, n in listed.items()) or "none")
            + f"; address data: GeoLite2 {shipped_geo().date} (geoip2fast)"
            + (f" + {len(settings.network.mmdb)} .mmdb" if settings.network.mmdb else "")
        )
    )
    table = Table("kind", "addresses", "meaning", title=f"{counts[IP_INFO]} distinct addresses")
    for kind, count in kinds:
        table.add_row(text(kind), str(count), text(KINDS.get(str(kind), "")))
    console.print(table)
    if unknown:
        top = Table("ASN organisation", "addresses", title="unknown networks, most addresses first")
        for org, count in unknown:
            top.add_row(text(org), str(count))
        console.print(top)
    if counts[PHONE_INFO]:
        ptable = Table(
            "line type", "numbers", "valid", "VoIP", title=f"{counts[PHONE_INFO]} roster numbers"
        )
        for line_type, valid, voip, count in phones:
            ptable.add_row(text(line_type), str(count), str(valid), str(voip))
        console.print(ptable)
    else:
        console.print("no roster phone numbers (import an HR roster to classify them)")
    return 0
