"""A chunk sent from a parsing process arrives with the same tables, schema and values."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

from farmhunt.ingest.commit import Segment
from farmhunt.schema import get_table
from farmhunt.store.arrow import to_arrow


def test_segment_survives_the_pipe_with_its_tables_intact() -> None:
    process = get_table("process_activity")
    rows = [
        {
            "time": datetime(2025, 11, 3, 9, 30, second, 123456, tzinfo=UTC),
            "device.hostname": f"host-{second}\x1b[31m",
            "process.pid": 4000 + second,
            "unmapped": {"nested": [1, 2, second]},
        }
        for second in range(3)
    ]
    data = to_arrow(process, rows)
    segment = Segment(
        import_id=7,
        seq=2,
        records_end=3,
        tables={"process_activity": data},
        stored=3,
        rejected=0,
        complete=True,
    )

    back = pickle.loads(pickle.dumps(segment))

    assert back.tables["process_activity"].schema.equals(data.schema, check_metadata=True)
    assert back.tables["process_activity"].equals(data)
    assert (back.import_id, back.seq, back.records_end, back.complete) == (7, 2, 3, True)
    assert back.rows == 3 and back.written == {}
