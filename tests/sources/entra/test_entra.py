"""Entra ID sign-in logs: Graph pages, Azure Monitor exports, Log Analytics rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden import check_golden, golden_cases

HERE = Path(__file__).parent


@pytest.mark.parametrize("sample,golden", golden_cases(HERE), ids=lambda p: p.name)
def test_golden(sample: Path, golden: Path, update_golden: bool) -> None:
    check_golden(sample, golden, update_golden, expected_format="entra_signin")
