"""OCSF passthrough: lake events keep their attributes; unknown classes are kept whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden import check_golden, golden_cases

HERE = Path(__file__).parent


@pytest.mark.parametrize("sample,golden", golden_cases(HERE), ids=lambda p: p.name)
def test_golden(sample: Path, golden: Path, update_golden: bool) -> None:
    check_golden(sample, golden, update_golden, expected_format="ocsf")


def test_attributes_land_in_columns_and_unknown_ones_in_unmapped() -> None:
    outcomes = check_golden(*golden_cases(HERE)[0], update=False)
    auth = outcomes[0]["row"]
    assert outcomes[0]["table"] == "authentication"
    assert auth["user.email_addr"] == "jdoe@example.com"
    assert auth["src_endpoint.location.country"] == "US"
    assert auth["is_mfa"] is True
    assert "observables" in auth["unmapped"]
    assert outcomes[1]["table"] == "process_activity"
    assert outcomes[1]["row"]["process.pid"] == 4242
    assert "not a timestamp" in outcomes[2]["quarantine"]["reason"]
    assert outcomes[3]["table"] == "base_event"


def _lake_table() -> object:
    import pyarrow as pa

    return pa.table(
        {
            "class_uid": pa.array([3002, 1007, 3002], pa.int32()),
            "activity_id": pa.array([1, 1, 1], pa.int32()),
            "time": pa.array([1763776800000, 1763776860000, None], pa.int64()),
            "metadata": pa.array(
                [{"version": "1.8.0", "product": {"name": "Okta", "vendor_name": "Okta"}}] * 3
            ),
            "user": pa.array([{"email_addr": "jdoe@example.com"}, None, {"email_addr": "x@y"}]),
            "device": pa.array([None, {"hostname": "WS-0142"}, None]),
            "src_endpoint": pa.array([{"ip": "203.0.113.7"}, None, None]),
        }
    )


def test_security_lake_style_parquet_with_nested_structs(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from farmhunt.ingest.model import IngestOptions
    from farmhunt.ingest.pipeline import ingest_paths
    from farmhunt.store import Workspace

    path = tmp_path / "lake.parquet"
    pq.write_table(_lake_table(), path, row_group_size=2)  # type: ignore[arg-type]
    with Workspace(tmp_path / "ws", create=True) as ws:
        [result] = ingest_paths(ws, [str(path)], IngestOptions())
        assert (result.format, result.stored, result.rejected) == ("ocsf-parquet", 2, 1)
        con = ws.connect()
        assert con.execute(
            'SELECT "user.email_addr", "src_endpoint.ip" FROM authentication'
        ).fetchall() == [("jdoe@example.com", "203.0.113.7")]
        assert con.execute('SELECT "device.hostname" FROM process_activity').fetchall() == [
            ("WS-0142",)
        ]
        [(reason, record)] = con.execute(
            'SELECT reason, "raw_source.record" FROM quarantine'
        ).fetchall()
        assert record == 3 and "time is missing" in reason


def test_flat_dotted_parquet_and_non_ocsf_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from farmhunt.ingest.model import IngestOptions
    from farmhunt.ingest.pipeline import ingest_paths
    from farmhunt.store import Workspace

    flat = tmp_path / "flat.parquet"
    pq.write_table(
        pa.table(
            {
                "class_uid": [3002],
                "time": [1763776800000],
                "metadata.version": ["1.8.0"],
                "user.name": ["jdoe"],
            }
        ),
        flat,
    )
    other = tmp_path / "sales.parquet"
    pq.write_table(pa.table({"region": ["EMEA"], "amount": [3]}), other)
    with Workspace(tmp_path / "ws", create=True) as ws:
        ok, refused = ingest_paths(ws, [str(flat), str(other)], IngestOptions())
        assert (ok.status, ok.stored) == ("imported", 1)
        assert refused.status == "error" and "not OCSF events" in refused.message
        assert ws.connect().execute('SELECT "user.name" FROM authentication').fetchall() == [
            ("jdoe",)
        ]
