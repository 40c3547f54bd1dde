"""``--format html``: one self-contained page an analyst opens offline.

Every string in the page may come from a log, so the page is built with Jinja2's
autoescaping (text and attributes), the charts' data travels as JSON in a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` written as
``\\u003c`` …, and the page's own script draws with ``textContent`` and
``setAttribute`` only. Control characters in any printed text are written out as
escapes (``\\x1b``), as on the terminal. A Content-Security-Policy allows nothing but the page's own
stylesheet and script (by their SHA-256 hashes): no network, no images, no other
script, even if some value escaped its escaping.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from farmhunt.detect.model import CATEGORIES
from farmhunt.report.graph import KIND_LABELS, farm_graph, human_kinds
from farmhunt.report.values import epoch_ms, parse_iso, visible

OPEN_WORKERS = 3
"""Worker sections open when the page loads (the highest ranked)."""

KEY_FIELDS = (
    "device.hostname",
    "actor.user.email_addr",
    "actor.user.name",
    "user.email_addr",
    "user.name",
    "src_endpoint.ip",
    "src_endpoint.location.country",
    "dst_endpoint.ip",
    "dst_endpoint.port",
    "process.name",
    "process.file.path",
    "process.cmd_line",
    "query.hostname",
    "activity_name",
    "status",
    "employee_id",
    "email",
    "phone",
    "ship_address",
)
KEY_FIELD_LIMIT = 6
HTML_EVENTS = 5
"""Events shown per finding in the page (the JSON report keeps more)."""
RAW_LIMIT = 4000
"""Characters of an original record shown in the page."""


def _asset(name: str) -> str:
    return (
        resources.files("farmhunt.report").joinpath("templates", name).read_text(encoding="utf-8")
    )


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def content_security_policy(css: str, js: str) -> str:
    return (
        f"default-src 'none'; style-src '{_hash(css)}'; script-src '{_hash(js)}'; "
        "img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; "
        "form-action 'none'"
    )


def script_json(value: Any) -> str:
    """JSON that cannot end the ``<script>`` element it sits in or start markup."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _when(value: str | None) -> str:
    parsed = parse_iso(value)
    return "–" if parsed is None else parsed.strftime("%Y-%m-%d %H:%M UTC")


def _anchor(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", value)


def _category(value: str) -> str:
    return value if value in CATEGORIES or value == "farm" else "other"


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _keyfields(fields: dict[str, Any]) -> list[tuple[str, str]]:
    chosen = [(k, _short(fields[k])) for k in KEY_FIELDS if k in fields]
    if len(chosen) < 2:
        chosen += [(k, _short(v)) for k, v in fields.items() if k not in KEY_FIELDS]
    return chosen[:KEY_FIELD_LIMIT]


def _short_filter(value: Any, limit: int) -> str:
    return _short(value, limit)


def _finalize(value: Any) -> Any:
    """Every printed text with its control characters written out (``\\x1b``): a
    browser draws them as empty boxes, or lets a bidi override reorder a host name.
    The page's own stylesheet, script and data (``Markup``) are left as they are."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("farmhunt.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters.update(
        when=_when,
        anchor=_anchor,
        category=_category,
        keyfields=_keyfields,
        short=_short_filter,
        kinds=human_kinds,
    )
    return env


def chart_data(doc: dict[str, Any]) -> dict[str, Any]:
    """What the page's script draws: per worker, activity hours and the findings' times."""
    workers = []
    for worker in doc["workers"]:
        hours = worker["activity_hours"]
        workers.append(
            {
                "activity": {
                    "timezone": visible(hours["timezone"]) if hours["timezone"] else None,
                    "events": hours["events"],
                    "utc": hours["utc"],
                    "local": hours["local"],
                    "work_utc": hours["work_hours_utc"],
                    "work_local": hours["work_hours_local"],
                },
                "findings": [
                    {
                        "title": visible(f["title"]),
                        "severity": f["severity"],
                        "first": epoch_ms(f["first_seen"]),
                        "last": epoch_ms(f["last_seen"]),
                        "events": sorted(
                            {epoch_ms(e["time"]) for e in f["evidence"] if e["time"]} - {None}
                        ),
                    }
                    for f in sorted(worker["findings"], key=lambda f: f["first_seen"] or "")
                ],
            }
        )
    span = doc["ingest"]["time_range"]
    return {
        "range": {"first": epoch_ms(span["first"]), "last": epoch_ms(span["last"])},
        "workers": workers,
    }


def render_html(doc: dict[str, Any]) -> str:
    css = _asset("report.css")
    js = _asset("report.js")
    names = {w["worker_id"]: w["full_name"] for w in doc["workers"]}
    graphs = [(c, farm_graph(c, names)) for c in doc["clusters"]]
    template = _environment().get_template("report.html")
    return template.render(
        doc=doc,
        csp=content_security_policy(css, js),
        css=Markup(css),
        js=Markup(js),
        data=Markup(script_json(chart_data(doc))),
        graphs=graphs,
        names=names,
        levels={w["worker_id"]: w["level"] or "" for w in doc["workers"]},
        index_of={w["worker_id"]: i for i, w in enumerate(doc["workers"])},
        kind_labels=KIND_LABELS,
        open_workers=OPEN_WORKERS,
        html_events=HTML_EVENTS,
        raw_limit=RAW_LIMIT,
    )
