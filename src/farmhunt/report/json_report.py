"""``--format json``: the report document, stable and versioned (docs/report-json.md)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import orjson

SCHEMA_FILE = "report.schema.json"


def render_json(doc: dict[str, Any]) -> str:
    """The document as indented JSON text (keys in the documented order)."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


@cache
def json_schema() -> dict[str, Any]:
    """The JSON Schema the report follows (shipped in the package)."""
    text = resources.files("farmhunt.report").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
