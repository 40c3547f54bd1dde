"""Okta exports as data lakes write them, and values that are not what they claim.

Lake exports (Athena/Glue, Snowflake) lower-case every key and some flatten nested
objects to dotted keys; the events are those of ``samples/laptop-farm-and-foreign.ndjson``
(shaped after Okta's System Log API reference) re-keyed that way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from farmhunt.sources import read_sample
from farmhunt.sources.base import RawRecord, RecordError
from farmhunt.sources.okta.parser import OktaSystemLogParser
from farmhunt.sources.registry import choose_parser

SAMPLE = Path(__file__).parent / "samples" / "laptop-farm-and-foreign.ndjson"


def _events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]


def _lower(value: Any) -> Any:
    if isinstance(value, dict):
        return {k.lower(): _lower(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower(v) for v in value]
    return value


def _flat(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, inner in value.items():
        if isinstance(inner, dict) and inner:
            out.update(_flat(inner, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = inner
    return out


def _columns(event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(table, row)] = OktaSystemLogParser().normalize(RawRecord(1, event, json.dumps(event)))
    return table, {k: v for k, v in row.items() if k != "raw_data"}


@pytest.mark.parametrize("rekey", [_lower, lambda e: _flat(_lower(e))], ids=["lower", "flat"])
def test_lower_cased_and_flattened_exports_read_like_the_api(rekey: Any, tmp_path: Path) -> None:
    events = _events()
    exported = [rekey(e) for e in events]
    assert "eventtype" in exported[0]
    target = tmp_path / "okta-lake.ndjson"
    target.write_text("".join(json.dumps(e) + "\n" for e in exported))
    assert choose_parser(read_sample(str(target))).name == "okta"
    for original, lake in zip(events, exported, strict=True):
        assert _columns(lake) == _columns(original)


def _first() -> dict[str, Any]:
    return _events()[0]


@pytest.mark.parametrize("bad", [[1, 2], 12345, "not-an-ip", {"ip": "1.2.3.4"}])
def test_only_real_addresses_are_stored_as_ips(bad: Any) -> None:
    event = _first()
    event["client"]["ipAddress"] = bad
    with pytest.raises(RecordError, match=r"client\.ipAddress .* not an IP address"):
        _columns(event)


def test_ipv6_with_a_zone_is_an_address() -> None:
    event = _first()
    event["client"]["ipAddress"] = "fe80::1%eth0"
    assert _columns(event)[1]["src_endpoint.ip"] == "fe80::1%eth0"


@pytest.mark.parametrize("number", [1, 0, "12345", 4_102_444_800_000])
def test_a_number_that_is_no_plausible_time_is_not_1970(number: Any) -> None:
    event = _first()
    event["published"] = number
    with pytest.raises(RecordError, match=r"published .* not a plausible epoch time"):
        _columns(event)


@pytest.mark.parametrize("number", [1717423869000, 1717423869, "1717423869000"])
def test_epoch_seconds_or_milliseconds_are_read_as_such(number: Any) -> None:
    event = _first()
    event["published"] = number
    assert _columns(event)[1]["time"].isoformat().startswith("2024-06-03T14:11:09")
