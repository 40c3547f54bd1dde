"""to_arrow stores what pyarrow itself would make of each value, and names a bad one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from farmhunt.schema import get_table
from farmhunt.store.arrow import BadValue, to_arrow

SPEC = get_table("process_activity")


def _reference(rows: list[dict[str, object]]) -> pa.Table:
    """Each column converted by pyarrow alone, value by value as given."""
    schema = SPEC.arrow_schema()
    return pa.Table.from_arrays(
        [pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema], schema=schema
    )


@pytest.mark.parametrize(
    "times",
    [
        [datetime(2025, 11, 3, 8, 15, 42, 999_999, tzinfo=UTC), None],
        [datetime(1969, 12, 31, 23, 59, 59, 500, tzinfo=UTC)],  # before the epoch: floor
        [datetime(2025, 11, 3, 8, 15, tzinfo=timezone(timedelta(hours=5, minutes=30)))],
        [datetime(2025, 11, 3, 8, 15, tzinfo=UTC), datetime(2025, 11, 3, 8, 15)],  # naive
    ],
)
def test_timestamps_are_what_pyarrow_makes_of_them(times: list[datetime | None]) -> None:
    rows: list[dict[str, object]] = [
        {"time": t, "process.created_time": t, "process.pid": i} for i, t in enumerate(times)
    ]
    assert to_arrow(SPEC, rows).equals(_reference(rows))


def test_rows_with_different_columns_fill_the_rest_with_nulls() -> None:
    rows: list[dict[str, object]] = [
        {"process.pid": 7, "process.name": "zsh"},
        {"process.cmd_line": "ls -la", "activity_id": 1},
        {},
    ]
    data = to_arrow(SPEC, rows)
    assert data.schema == SPEC.arrow_schema()
    assert data.equals(_reference(rows))


def test_a_value_its_column_cannot_hold_names_the_row_and_column() -> None:
    rows: list[dict[str, object]] = [
        {"process.pid": 1, "process.name": "a"},
        {"process.pid": 2, "process.name": "b"},
        {"process.pid": "not a pid", "process.name": "c"},
    ]
    with pytest.raises(BadValue) as caught:
        to_arrow(SPEC, rows)
    assert caught.value.row_index == 2
    assert "process.pid" in str(caught.value)


def test_a_bad_timestamp_is_named_like_any_other_bad_value() -> None:
    rows: list[dict[str, object]] = [
        {"time": datetime(2025, 1, 1, tzinfo=UTC)},
        {"time": "yesterday"},
    ]
    with pytest.raises(BadValue) as caught:
        to_arrow(SPEC, rows)
    assert caught.value.row_index == 1
    assert "time" in str(caught.value)


def test_an_unknown_column_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        to_arrow(SPEC, [{"no.such.column": 1}])
