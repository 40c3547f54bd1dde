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
