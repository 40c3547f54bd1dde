"""Column-mapping files: which header of an HR or inventory export is which field.

A mapping is YAML, canonical field → header in the export::

    employee_id: Emp Num
    full_name: [Preferred Name, Last Name]   # several headers are joined
    home_address: [Address Line 1, City, State, Zip Code, Country]
    work_city: null                          # never guess this field from a header

Settings may sit beside the fields, and the fields may instead be nested under
``columns:``: ``product`` / ``vendor`` (stored in ``metadata.product.*``),
``date_order`` (``MDY`` or ``DMY``: how to read an ambiguous ``03/04/2024``),
``phone_region`` (ISO country assumed for phone numbers written without ``+``) and
``detect`` (headers that, all present, make farmhunt apply a shipped mapping without
being asked). Fields the mapping does not name are still recognised by their usual
header spellings (:mod:`farmhunt.sources.hr.fields`).

Mappings shipped with farmhunt live in ``mappings/*.yaml`` beside this module; pass one
by name (``--column-map bamboohr``) or any file by path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from farmhunt.sources.hr.fields import DEVICE_BY_NAME, ROSTER_BY_NAME, Field, header_key
from farmhunt.yamlsafe import load

SETTINGS = ("product", "vendor", "date_order", "phone_region", "detect", "description", "name")
KNOWN_FIELDS = sorted({*ROSTER_BY_NAME, *DEVICE_BY_NAME})


class MappingError(ValueError):
    """A column-mapping file that cannot be used, with the reason."""


@dataclass(frozen=True)
class ColumnMap:
    """A parsed column-mapping file."""

    name: str
    columns: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    """Canonical field → headers (joined when several), or None: never fill the field."""
    detect: tuple[str, ...] = ()
    product: str | None = None
    vendor: str | None = None
    date_order: str = "MDY"
    phone_region: str | None = None

    def headers(self) -> set[str]:
        """Every header the mapping names, as :func:`header_key` keys."""
        return {header_key(h) for hs in self.columns.values() if hs for h in hs}


def parse_column_map(data: Any, name: str) -> ColumnMap:
    """Validate a mapping document (already loaded from YAML)."""
    if not isinstance(data, dict):
        raise MappingError(f"{name}: a column mapping must be a YAML mapping of field: header")
    fields: dict[str, Any] = {}
    nested = data.get("columns")
    if nested is not None:
        if not isinstance(nested, dict):
            raise MappingError(f"{name}: 'columns' must be a mapping of field: header")
        fields.update(nested)
    for key, value in data.items():
        if key == "columns" or key in SETTINGS:
            continue
        fields[key] = value
    columns: dict[str, tuple[str, ...] | None] = {}
    for key, value in fields.items():
        key = str(key)
        if key not in ROSTER_BY_NAME and key not in DEVICE_BY_NAME:
            raise MappingError(
                f"{name}: unknown field {key!r}; known fields: {', '.join(KNOWN_FIELDS)}"
            )
        if value is None:
            columns[key] = None
        elif isinstance(value, str) and value.strip():
            columns[key] = (value,)
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, str) and v.strip() for v in value)
        ):
            columns[key] = tuple(value)
        else:
            raise MappingError(
                f"{name}: field {key!r} must name a header, a list of headers, or null"
            )
    order = str(data.get("date_order", "MDY")).upper()
    if order not in ("MDY", "DMY"):
        raise MappingError(f"{name}: date_order must be MDY or DMY, not {order!r}")
    region = data.get("phone_region")
    if region is not None and not (isinstance(region, str) and len(region) == 2):
        raise MappingError(f"{name}: phone_region must be a two-letter country code")
    detect = data.get("detect") or []
    if not isinstance(detect, list) or not all(isinstance(h, str) for h in detect):
        raise MappingError(f"{name}: detect must be a list of headers")
    return ColumnMap(
        name=str(data.get("name") or name),
        columns=columns,
        detect=tuple(detect),
        product=_opt(data.get("product")),
        vendor=_opt(data.get("vendor")),
        date_order=order,
        phone_region=region.upper() if isinstance(region, str) else None,
    )


def _opt(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def load_column_map(spec: str) -> ColumnMap:
    """A mapping from a file path, or a shipped mapping by name (``bamboohr``)."""
    path = Path(spec)
    if not path.is_file():
        shipped = {m.name: m for m in shipped_mappings()}
        if spec in shipped:
            return shipped[spec]
        known = ", ".join(sorted(shipped))
        raise MappingError(f"{spec}: no such file, and no shipped mapping of that name ({known})")
    try:
        data = load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{spec}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{spec}: not valid YAML: {exc}") from None
    return parse_column_map(data, path.stem)


@cache
def shipped_mappings() -> tuple[ColumnMap, ...]:
    """The mappings shipped in ``mappings/``, by file name."""
    folder = resources.files("farmhunt.sources.hr") / "mappings"
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            data = load(entry.read_text(encoding="utf-8"))
            found.append(parse_column_map(data, entry.name.rsplit(".", 1)[0]))
    return tuple(found)


def mapping_for(keys: list[str], given: ColumnMap | None) -> ColumnMap | None:
    """The mapping to apply to a file with these header keys: the user's, else a shipped one
    whose ``detect`` headers are all present, else none."""
    if given is not None:
        return given
    present = set(keys)
    for candidate in shipped_mappings():
        if candidate.detect and all(header_key(h) in present for h in candidate.detect):
            return candidate
    return None


def resolve_columns(
    keys: list[str], fields: tuple[Field, ...], mapping: ColumnMap | None
) -> dict[str, tuple[int, ...]]:
    """Canonical field → indexes of the header cells holding it.

    The mapping's headers come first; every other field takes the first of its aliases
    present in the header and not already used. A header is used by one field only.
    """
    index: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key:
            index.setdefault(key, i)
    used: set[int] = set()
    found: dict[str, tuple[int, ...]] = {}
    disabled: set[str] = set()
    names = {f.name for f in fields}
    if mapping is not None:
        for name, headers in mapping.columns.items():
            if name not in names:
                continue
            if headers is None:
                disabled.add(name)
                continue
            cells = tuple(index[k] for k in (header_key(h) for h in headers) if k in index)
            if cells:
                found[name] = cells
                used.update(cells)
    for spec in fields:
        if spec.name in found or spec.name in disabled:
            continue
        for alias in spec.aliases:
            at = index.get(header_key(alias))
            if at is not None and at not in used:
                found[spec.name] = (at,)
                used.add(at)
                break
    return found
