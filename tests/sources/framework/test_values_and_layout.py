"""Shared value parsing and JSON layout detection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from farmhunt.sources.base import RecordError
from farmhunt.sources.framing import json_layout
from farmhunt.sources.values import opt_int, parse_time


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("2025-11-17T09:14:03Z", datetime(2025, 11, 17, 9, 14, 3, tzinfo=UTC)),
        ("2025-11-17T09:14:03.1234567Z", datetime(2025, 11, 17, 9, 14, 3, 123456, tzinfo=UTC)),
        ("2025-11-17T10:14:03+01:00", datetime(2025, 11, 17, 9, 14, 3, tzinfo=UTC)),
        ("2025-11-17 09:14:03", datetime(2025, 11, 17, 9, 14, 3, tzinfo=UTC)),
        (1763370843, datetime(2025, 11, 17, 9, 14, 3, tzinfo=UTC)),
        (1763370843000, datetime(2025, 11, 17, 9, 14, 3, tzinfo=UTC)),
        ("1763370843.5", datetime(2025, 11, 17, 9, 14, 3, 500000, tzinfo=UTC)),
        ("Mon Nov 17 09:14:03 2025 UTC", datetime(2025, 11, 17, 9, 14, 3, tzinfo=UTC)),
        ("Mon Nov  3 09:14:03 2025 UTC", datetime(2025, 11, 3, 9, 14, 3, tzinfo=UTC)),
        ("20231015", datetime(2023, 10, 15, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_the_sources_formats(raw: object, expected: datetime) -> None:
    assert parse_time(raw) == expected


@pytest.mark.parametrize("raw", ["", None, "yesterday", "2025-13-45T00:00:00Z", True])
def test_parse_time_rejects_with_a_reason(raw: object) -> None:
    with pytest.raises(RecordError):
        parse_time(raw)


def test_opt_int_reads_hex_and_rejects_words() -> None:
    assert opt_int("0x1F") == 31 and opt_int("42") == 42 and opt_int("-") is None
    with pytest.raises(RecordError, match="not a number"):
        opt_int("abc", "process.pid")


def test_layout_survives_a_truncated_first_line() -> None:
    text = '{"name":"pack_x","unixTime":17633\n{"name":"pack_x","unixTime":1763370843}\n'
    assert json_layout(text) == "ndjson"
    assert json_layout('{\n  "value": [\n') == "document"
    assert json_layout("[{}]") == "array"
    assert json_layout("hello") is None
