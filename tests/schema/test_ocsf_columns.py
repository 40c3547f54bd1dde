"""Store columns that look like OCSF attribute paths are OCSF 1.8 attribute paths.

A column whose name reads like OCSF but is not (``src_endpoint.is_proxy``) must be marked
``extension`` in :mod:`farmhunt.schema.tables`; an extension mark on a real OCSF path is
wrong too. ``ocsf_1_8_attributes.json`` beside this file holds the OCSF 1.8 attributes
of the classes and objects involved (its ``_source`` says where they come from).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from farmhunt.schema import OCSF_VERSION, TABLES, Table
from farmhunt.schema.reference import render_markdown

OCSF: dict[str, Any] = json.loads(
    (Path(__file__).parent / "ocsf_1_8_attributes.json").read_text(encoding="utf-8")
)
CLASSES = {c["class_uid"]: c for c in OCSF["classes"].values()}
PROVENANCE = ("raw_source.",)
"""farmhunt's own provenance columns: never OCSF, always marked."""


def ocsf_problem(class_uid: int, path: str) -> str | None:
    """Why ``path`` is not an attribute path of the OCSF class, or None if it is one."""
    attributes = CLASSES[class_uid]["attributes"]
    parts = path.split(".")
    for depth, part in enumerate(parts):
        if part not in attributes:
            where = ".".join(parts[:depth]) or CLASSES[class_uid]["caption"]
            return f"{where} has no attribute {part!r}"
        kind = attributes[part]
        if depth < len(parts) - 1:
            if kind not in OCSF["objects"]:
                return f"{'.'.join(parts[: depth + 1])} is {kind}, not a known object"
            attributes = OCSF["objects"][kind]
    return None


def _checked(table: Table) -> list[str]:
    # unmapped.<name> flattens OCSF's own free-form `unmapped` object.
    return [c.name for c in table.columns if not c.name.startswith("unmapped.")]


def test_the_reference_data_is_ocsf_1_8_with_its_source() -> None:
    assert OCSF["version"] == OCSF_VERSION == "1.8.0"
    assert "ocsf-schema" in OCSF["_source"]
    assert {t.class_uid for t in TABLES.values()} <= set(CLASSES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_unmarked_columns_are_ocsf_attributes_and_marked_ones_are_not(name: str) -> None:
    table = TABLES[name]
    assert table.class_uid is not None
    wrong = []
    for column in (table.column(n) for n in _checked(table)):
        problem = ocsf_problem(table.class_uid, column.name)
        if column.name.startswith(PROVENANCE):
            if not column.extension:
                wrong.append(f"{column.name}: provenance, must be marked extension")
        elif problem and not column.extension:
            wrong.append(f"{column.name}: not OCSF 1.8 ({problem}); mark it extension")
        elif not problem and column.extension:
            wrong.append(f"{column.name}: is an OCSF 1.8 attribute, must not be marked")
    assert not wrong, f"{name}:\n" + "\n".join(wrong)


def test_checker_rejects_what_ocsf_lacks() -> None:
    assert ocsf_problem(3002, "src_endpoint.ip") is None
    assert ocsf_problem(3002, "src_endpoint.location.country") is None
    assert ocsf_problem(3002, "src_endpoint.is_proxy") is not None
    assert ocsf_problem(5020, "package.path") is not None
    assert ocsf_problem(3002, "no_such_attribute") is not None


def test_schema_reference_shows_which_columns_are_extensions() -> None:
    text = render_markdown()
    auth = text.split("## `authentication`", 1)[1].split("\n## ", 1)[0]
    proxy = next(line for line in auth.splitlines() if line.startswith("| `src_endpoint.is_proxy`"))
    assert "extension" in proxy
    ip = next(line for line in auth.splitlines() if line.startswith("| `src_endpoint.ip`"))
    assert "extension" not in ip
