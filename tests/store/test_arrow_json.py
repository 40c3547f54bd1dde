"""JSON columns are stored as sorted JSON text; the rows given are never modified."""

from __future__ import annotations

from farmhunt.schema import get_table
from farmhunt.store.arrow import to_arrow


def test_json_values_become_sorted_text_and_rows_are_untouched() -> None:
    spec = get_table("process_activity")
    nested = {"b": 1, "a": {"z": [1, 2], "y": None}, 3: "numeric key"}
    rows = [
        {"process.pid": 1, "unmapped": nested},
        {"process.pid": 2, "unmapped": '{"already": "text"}'},
        {"process.pid": 3},
    ]
    before = [dict(r) for r in rows]
    data = to_arrow(spec, rows)
    assert data.column("unmapped").to_pylist() == [
        '{"3":"numeric key","a":{"y":null,"z":[1,2]},"b":1}',
        '{"already": "text"}',
        None,
    ]
    assert data.column("process.pid").to_pylist() == [1, 2, 3]
    assert rows == before and rows[0]["unmapped"] is nested
