"""The JSON document splitter cuts exactly the records a JSON parser would see, whatever
the read block size, and bounds what it holds of an oversized record."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest

from farmhunt.sources import json_split
from farmhunt.sources.json_split import parse_record, split_document

_TRICKY = [1, -9223372036854775808, 'a]b}"', "q\\x", None, True, 2.5, "{[", ""]


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice(_TRICKY)
    if roll < 0.6:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {f'k{i}"]': _value(rng, depth + 1) for i in range(rng.randint(0, 3))}


def _records(data: bytes, prefix: str, limit: int = 1 << 20) -> list[Any]:
    return [
        p.parsed[0] if p.parsed else json.loads(p.data)
        for p in split_document(io.BytesIO(data), prefix, limit)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_records_match_a_json_parser_for_any_block_size(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        monkeypatch.setattr(json_split, "BLOCK", rng.randint(1, 40))
        items = [{"x": _value(rng)} for _ in range(rng.randint(0, 5))]
        array = json.dumps(items, indent=rng.choice([None, 1])).encode()
        assert _records(array, "item") == items
        lines = b"\n".join(json.dumps(i).encode() for i in items)
        assert _records(lines, "") == items
        page = {"@odata.context": 'v"alue', "value": items, "next": [{"value": [9]}]}
        assert _records(json.dumps(page).encode(), "value.item") == items
        # with a small limit every record is still one piece, read or refused
        pieces = list(split_document(io.BytesIO(array), "item", rng.randint(5, 60)))
        assert len(pieces) == len(items)
        assert all(len(p.data) <= json_split.KEEP_BYTES for p in pieces if p.error)


def test_an_oversized_string_is_passed_over_without_holding_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(json_split, "BLOCK", 1024)
    big = '{"a": "' + 'x\\"' * 200_000 + '"}'
    data = f'[{big}, {{"b": 1}}]'.encode()
    pieces = list(split_document(io.BytesIO(data), "item", 10_000))
    assert [p.error is not None for p in pieces] == [True, False]
    assert pieces[0].data.startswith(b'{"a": "x') and len(pieces[0].data) == 4096
    assert pieces[1].parsed == ({"b": 1},)


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b'{"Keywords": -9223372036854775808}', {"Keywords": -9223372036854775808}),
        (b'{"ratio": NaN, "n": 1}', None),  # Python's json writes NaN: read, not refused
        (b'{"user": "\\ud800"}', ValueError),  # a lone surrogate cannot be stored
        (b'{"user": "\xed\xb3\xbf"}', ValueError),
    ],
)
def test_parse_record_reads_what_writers_emit_and_refuses_what_cannot_be_kept(
    data: bytes, value: Any
) -> None:
    if value is ValueError:
        with pytest.raises(ValueError):
            parse_record(data)
    elif value is None:
        assert parse_record(data)["n"] == 1
    else:
        assert parse_record(data) == value
