"""Golden-file harness for source parsers: raw sample in, normalized rows out.

``check_golden(sample, golden, expected_format)`` runs the sample through format
detection and the same framing/normalization the ingest pipeline uses, checks every
row against the store schema (types included), and compares the rows as JSON lines
with the golden file. ``pytest --update-golden`` rewrites the golden files; review the
change with ``git diff``. Rows carry only the sample's file name, never a path.
"""

from __future__ import annotations

import difflib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from farmhunt.ingest.hashing import head_digest
from farmhunt.ingest.reading import iter_results
from farmhunt.schema import get_table
from farmhunt.sources import read_sample
from farmhunt.sources.base import Rejected, Stream
from farmhunt.sources.framing import DEFAULT_MAX_RECORD_BYTES, open_decompressed
from farmhunt.sources.registry import choose_parser, get_parser
from farmhunt.store.arrow import to_arrow


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def parse_sample(
    sample_path: Path,
    expected_format: str | None = None,
    force: str | None = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> list[dict[str, Any]]:
    """Every outcome for the sample: {"table", "row"} or {"quarantine": {...}}."""
    sample = read_sample(str(sample_path))
    parser = get_parser(force) if force else choose_parser(sample)
    if expected_format is not None:
        assert parser.name == expected_format, (
            f"{sample_path.name} was detected as {parser.name}, expected {expected_format}"
        )
    out: list[dict[str, Any]] = []
    with open_decompressed(str(sample_path)) as binary:
        stream = Stream(
            str(sample_path),
            sample_path.name,
            binary,
            sample.encoding or "utf-8",
            max_record_bytes,
        )
        for number, outcome in iter_results(parser, stream, head_digest(str(sample_path))):
            if isinstance(outcome, Rejected):
                out.append({"quarantine": {"record": number, "reason": outcome.reason}})
                continue
            for table, row in outcome:
                to_arrow(get_table(table), [row])  # every value must fit its column
                out.append({"table": table, "row": _jsonable(row)})
    return out


def check_golden(
    sample_path: Path,
    golden_path: Path,
    update: bool,
    expected_format: str | None = None,
    force: str | None = None,
) -> list[dict[str, Any]]:
    """Compare (or with ``update``, rewrite) the golden file; return the outcomes."""
    outcomes = parse_sample(sample_path, expected_format, force)
    text = "".join(json.dumps(o, sort_keys=True, ensure_ascii=False) + "\n" for o in outcomes)
    if update or not golden_path.exists():
        golden_path.parent.mkdir(parents=True, exist_ok=True)
        golden_path.write_text(text, encoding="utf-8")
        if not update:
            raise AssertionError(f"{golden_path} did not exist; written now, review and re-run")
        return outcomes
    expected = golden_path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), text.splitlines(True), str(golden_path), "actual", n=1
            )
        )
        raise AssertionError(f"golden mismatch for {sample_path.name}:\n{diff[:6000]}")
    return outcomes


def golden_cases(folder: Path) -> list[tuple[Path, Path]]:
    """(sample, golden) pairs: every file in ``samples/`` and ``golden/<name>.jsonl``."""
    samples = sorted(p for p in (folder / "samples").iterdir() if p.is_file())
    return [(s, folder / "golden" / f"{s.name}.jsonl") for s in samples]
