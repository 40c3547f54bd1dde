"""Finding parsers and choosing one per file by its content.

Parsers live in subpackages of :mod:`farmhunt.sources` (``sources/osquery``,
``sources/windows`` …); each subpackage lists its parsers in ``PARSERS``. Discovery by
import means adding a source never edits a central list.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from farmhunt.sources.base import FileError, Parser, Sample


@cache
def all_parsers() -> dict[str, Parser]:
    """Every known parser by format name."""
    import farmhunt.sources as package

    found: dict[str, Parser] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"farmhunt.sources.{info.name}")
        for cls in getattr(module, "PARSERS", ()):
            parser = cls()
            if parser.name in found:
                raise RuntimeError(f"two parsers claim the format name {parser.name!r}")
            found[parser.name] = parser
    return found


def get_parser(name: str) -> Parser:
    parsers = all_parsers()
    if name not in parsers:
        raise FileError(f"unknown format {name!r}; known formats: {', '.join(sorted(parsers))}")
    return parsers[name]


def choose_parser(sample: Sample) -> Parser:
    """The parser most sure of the sample, or a FileError that says what the file looked like."""
    scored = sorted(
        ((_safe_sniff(p, sample), p.name, p) for p in all_parsers().values()),
        key=lambda t: (-t[0], t[1]),
    )
    if scored and scored[0][0] > 0:
        return scored[0][2]
    raise FileError(describe_unrecognized(sample))


def _safe_sniff(parser: Parser, sample: Sample) -> float:
    """A parser whose sniff fails on odd input must not stop every other from answering."""
    try:
        return float(parser.sniff(sample))
    except Exception:
        return 0.0


def describe_unrecognized(sample: Sample) -> str:
    if not sample.head:
        return "empty file: nothing to import"
    if sample.text is None:
        return "binary file that is not a known log format (not EVTX, JSON, CSV or TSV)"
    if sample.json_kind and not sample.records:
        return f"looks like JSON ({sample.json_kind}) but no record could be parsed from its start"
    if sample.json_kind:
        keys = sorted({k for r in sample.first_dicts()[:5] for k in r})[:12]
        return (
            "JSON records of no known source (first keys: "
            f"{', '.join(keys) or 'none'}); use --format to force one"
        )
    return "text file in no known log format; use --format to force one"
