"""An epoch number is read in the one unit (seconds, ms, µs, ns) that makes it a
plausible event time, in every source; a number that is plausible in none is
quarantined with its value, never read in another unit.

``253402300799000`` is 9999-12-31T23:59:59Z in milliseconds ("never expires"): above
1e14, it was taken for microseconds and stored as 1978-01-11.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from farmhunt.sources.base import RecordError
from farmhunt.sources.values import from_epoch, parse_time
from tests.golden import parse_sample

SOURCES = Path(__file__).parent.parent
NEVER_MS = 253_402_300_799_000
WHEN = datetime(2024, 6, 3, 14, 11, 9, tzinfo=UTC)


def _first_line(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    data = gzip.decompress(data) if path.suffix == ".gz" else data
    return dict(json.loads(data.split(b"\n")[0]))


def _okta(value: Any) -> dict[str, Any]:
    record = _first_line(SOURCES / "okta/samples/laptop-farm-and-foreign.ndjson")
    record["published"] = value
    return record


def _osquery(value: Any) -> dict[str, Any]:
    record = _first_line(SOURCES / "osquery/samples/osqueryd.results.log")
    record.pop("calendarTime")
    record["unixTime"] = value
    return record


def _github(value: Any) -> dict[str, Any]:
    record = _first_line(SOURCES / "github/samples/audit-stream-2025-10-07.json.log.gz")
    record["@timestamp"] = value
    record.pop("created_at", None)
    return record


def _entra(value: Any) -> dict[str, Any]:
    record = _first_line(SOURCES / "entra/samples/signins.ndjson.gz")
    record["createdDateTime"] = value
    return record


def _google(value: Any) -> dict[str, Any]:
    page = json.loads((SOURCES / "google/samples/login-activities-page.json").read_text())
    record = dict(page["items"][0])
    record["id"] = {**record["id"], "time": value}
    return record


CASES: list[tuple[str, Callable[[Any], dict[str, Any]]]] = [
    ("okta", _okta),
    ("osquery", _osquery),
    ("github_audit", _github),
    ("entra_signin", _entra),
    ("google_workspace", _google),
]


def _outcomes(tmp_path: Path, fmt: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps(record) + "\n")
    return parse_sample(path, force=fmt)


@pytest.mark.parametrize(("fmt", "make"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("value", [NEVER_MS, str(NEVER_MS), 12, 4_102_444_800_000_000])
def test_a_number_plausible_in_no_unit_is_quarantined_with_its_value(
    tmp_path: Path, fmt: str, make: Callable[[Any], dict[str, Any]], value: Any
) -> None:
    outcomes = _outcomes(tmp_path, fmt, make(value))
    assert outcomes and all("quarantine" in o for o in outcomes), outcomes
    reason = outcomes[0]["quarantine"]["reason"]
    assert str(value) in reason and "not a plausible epoch time" in reason


@pytest.mark.parametrize(("fmt", "make"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("scale", [1, 1_000, 1_000_000, 1_000_000_000])
def test_each_unit_is_read_as_itself(
    tmp_path: Path, fmt: str, make: Callable[[Any], dict[str, Any]], scale: int
) -> None:
    value = int(WHEN.timestamp()) * scale
    outcomes = _outcomes(tmp_path, fmt, make(value))
    rows = [o["row"] for o in outcomes if "row" in o]
    assert rows, outcomes
    assert rows[0]["time"].startswith("2024-06-03T14:11:09"), rows[0]["time"]


def test_the_units_are_exact_and_no_other_number_is_reinterpreted() -> None:
    assert from_epoch(1717423869123456789) == datetime(2024, 6, 3, 14, 11, 9, 123456, tzinfo=UTC)
    assert from_epoch(1717423869.5) == datetime(2024, 6, 3, 14, 11, 9, 500000, tzinfo=UTC)
    assert parse_time("1717423869000") == WHEN
    for value in (NEVER_MS, 0.5, -1717423869, float("nan"), float("inf"), 10**30):
        with pytest.raises(RecordError, match="not a plausible epoch time"):
            from_epoch(value)
