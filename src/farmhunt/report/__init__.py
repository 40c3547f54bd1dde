"""Reports: the workspace's findings, scores and farms for people and for other tools.

:func:`~farmhunt.report.collect.build_report` reads the workspace once into the report
document (the JSON report); each format renders that document:

- ``json`` (:mod:`.json_report`): the document, versioned (docs/report-json.md);
- ``csv`` (:mod:`.csv_report`): one row per worker and finding, spreadsheet-safe;
- ``ocsf`` (:mod:`.ocsf_report`): OCSF 1.8 Detection Findings as JSON lines;
- ``stix`` (:mod:`.stix_report`): a STIX 2.1 bundle of the shareable farm indicators;
- ``html`` (:mod:`.html_report`): one self-contained page for the analyst.

The terminal ``table`` is drawn by the command line (``cli/report_view.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from farmhunt.report.collect import SCHEMA_VERSION, build_report
from farmhunt.report.csv_report import render_csv
from farmhunt.report.html_report import render_html
from farmhunt.report.json_report import json_schema, render_json
from farmhunt.report.ocsf_report import render_ocsf
from farmhunt.report.stix_report import DEFAULT_SHARE, SHARE_KINDS, parse_share, render_stix
from farmhunt.store.workspace import Workspace

FORMATS = ("table", "html", "json", "csv", "ocsf", "stix")

_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "html": render_html,
    "json": render_json,
    "csv": render_csv,
    "ocsf": render_ocsf,
}


def render(doc: dict[str, Any], fmt: str, share: Iterable[str] = DEFAULT_SHARE) -> str:
    """The document in one of the file formats (every format but ``table``)."""
    if fmt == "stix":
        return render_stix(doc, share)
    try:
        return _RENDERERS[fmt](doc)
    except KeyError:
        raise ValueError(
            f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}"
        ) from None


def write_report(
    workspace: str | os.PathLike[str],
    fmt: str,
    output: str | os.PathLike[str],
    *,
    share: Iterable[str] = DEFAULT_SHARE,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Write the workspace's report in ``fmt`` (any format but ``table``) to ``output``;
    return the report document."""
    with Workspace(workspace, read_only=True) as ws:
        doc = build_report(ws, now=now)
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(doc, fmt, share), encoding="utf-8")
    return doc


__all__ = [
    "DEFAULT_SHARE",
    "FORMATS",
    "SCHEMA_VERSION",
    "SHARE_KINDS",
    "build_report",
    "json_schema",
    "parse_share",
    "render",
    "write_report",
]
