"""Columns a Sigma rule names that the store keeps in another shape.

Two kinds, both computed from stored columns when a rule reads them:

- ``sigma.Hashes``: Sysmon's ``Hashes`` text (``SHA1=…,MD5=…,IMPHASH=…``) rebuilt from
  the stored JSON object (``{"IMPHASH": "…", "MD5": "…"}``) in Sysmon's order, so
  SigmaHQ's ``Hashes|contains: 'IMPHASH=…'`` matches as on the raw event.
- ``unmapped.<Field>``: an event field no column holds (``TerminalSessionId``,
  ``SourceIsIpv6``), read from the row's ``unmapped`` JSON object as text (numbers and
  booleans as their JSON text: ``2``, ``true``).
"""

from __future__ import annotations

import re

import ibis
import ibis.expr.types as ir

HASHES = "sigma.Hashes"
_HASHES_FROM = "process.file.hashes"
UNMAPPED = "unmapped"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
"""An event field name that may be looked up in ``unmapped`` (Zeek's have dots:
``certificate.serial``; it is quoted in a JSON path, so nothing else is allowed)."""


def virtual_columns(columns: set[str]) -> dict[str, str]:
    """The fixed virtual columns (name → type) a table with ``columns`` offers."""
    return {HASHES: "string"} if _HASHES_FROM in columns else {}


def unmapped_column(field: str, columns: set[str]) -> str | None:
    """``unmapped.<field>`` when the table keeps unmapped fields and the name is a
    plain field name, else None."""
    if UNMAPPED in columns and _NAME.match(field):
        return f"{UNMAPPED}.{field}"
    return None


def is_virtual(name: str, columns: set[str]) -> bool:
    return name not in columns and (
        name in virtual_columns(columns) or name.startswith(UNMAPPED + ".")
    )


def virtual_value(t: ir.Table, name: str) -> ir.Value:
    """The expression of one virtual column over ``t``."""
    return _values(t, [name])[name]


def with_virtual(t: ir.Table, names: list[str]) -> ir.Table:
    """``t`` with the virtual columns among ``names`` added as real columns."""
    wanted = [n for n in names if n not in t.columns]
    if not wanted:
        return t
    if any(n.startswith(UNMAPPED + ".") for n in wanted):
        # one parse of the unmapped object for every field read from it: one JSON
        # function per field held a buffer each, and sixty-five of them ran DuckDB
        # out of memory over six thousand events
        fields = [n for n in wanted if n.startswith(UNMAPPED + ".")]
        t = t.mutate(**{_LIST: _json_strings(t[UNMAPPED], ibis.literal(_paths(fields)))})
        values = {n: t[_LIST][i] for i, n in enumerate(fields)}
        values.update(_values(t, [n for n in wanted if n not in values]))
        return t.mutate(**values).drop(_LIST)
    return t.mutate(**_values(t, wanted))


_LIST = "__unmapped_values"


@ibis.udf.scalar.builtin(name="json_extract_string")  # type: ignore[untyped-decorator]
def _json_strings(doc: str, paths: list[str]) -> list[str]:  # type: ignore[empty-body]
    """DuckDB's ``json_extract_string`` with a list of paths: one parse, one text per
    path (a string unescaped, a number or boolean as its JSON text, NULL if absent)."""


SYSMON_HASH_ORDER = ("SHA1", "MD5", "SHA256", "IMPHASH")
"""The order Sysmon writes its hashes in (``SHA1=…,MD5=…,SHA256=…,IMPHASH=…``, the
configured ones only), as seen in every Sysmon 1 event of EVTX-ATTACK-SAMPLES."""


def _sysmon_hashes(stored: ir.StringValue) -> ir.StringValue:
    """Sysmon's Hashes text from the stored JSON object (keys sorted, values hex)."""
    parts = []
    for algorithm in SYSMON_HASH_ORDER:
        digest = stored.re_extract(f'"{algorithm}":"([^"]*)"', 1)
        parts.append(ibis.ifelse(digest != "", f"{algorithm}=" + digest, ibis.null("string")))
    return ibis.literal(",").join(parts).nullif("")


def _paths(names: list[str]) -> list[str]:
    fields = [n.removeprefix(UNMAPPED + ".") for n in names]
    if not all(_NAME.match(f) for f in fields):
        raise KeyError(names)
    return [f'$."{f}"' for f in fields]


def _values(t: ir.Table, names: list[str]) -> dict[str, ir.Value]:
    out: dict[str, ir.Value] = {}
    for name in names:
        if name == HASHES:
            out[name] = _sysmon_hashes(t[_HASHES_FROM].cast("string"))
        elif name.startswith(UNMAPPED + "."):
            out[name] = _json_strings(t[UNMAPPED], ibis.literal(_paths([name])))[0]
        else:
            raise KeyError(name)
    return out
