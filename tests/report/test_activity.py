"""Activity hours: the claimed zone's clock, daylight saving, the claimed working day."""

from __future__ import annotations

from datetime import UTC, datetime

from farmhunt.report.activity import WORK_DAY, activity

FALLBACK = datetime(2025, 11, 5, tzinfo=UTC)


def test_hours_are_put_in_the_claimed_zone() -> None:
    hours = [(datetime(2025, 11, 4, 2, tzinfo=UTC), 5), (datetime(2025, 11, 4, 15, tzinfo=UTC), 3)]
    result = activity(hours, "America/New_York", FALLBACK)
    assert result.utc[2] == 5 and result.utc[15] == 3
    assert result.local is not None and result.local[21] == 5 and result.local[10] == 3
    assert result.events == 8
    assert result.off_hours_share == round(5 / 8, 3)
    assert result.work_hours_local == list(range(*WORK_DAY))
    assert result.work_hours_utc == list(range(14, 22))  # 09:00-17:00 EST is 14:00-22:00 UTC


def test_daylight_saving_moves_the_local_hour() -> None:
    summer = activity([(datetime(2025, 7, 1, 13, tzinfo=UTC), 1)], "America/New_York", FALLBACK)
    winter = activity([(datetime(2025, 12, 1, 13, tzinfo=UTC), 1)], "America/New_York", FALLBACK)
    assert summer.local is not None and summer.local.index(1) == 9
    assert winter.local is not None and winter.local.index(1) == 8


def test_no_or_bad_zone_gives_utc_only() -> None:
    for zone in (None, "", "Mars/Olympus_Mons", "../etc/passwd"):
        result = activity([(datetime(2025, 11, 4, 2, tzinfo=UTC), 1)], zone, FALLBACK)
        assert result.local is None and result.timezone is None
        assert result.off_hours_share is None and result.work_hours_utc == []
        assert result.utc[2] == 1


def test_a_worker_without_events_still_gets_the_working_day_in_utc() -> None:
    result = activity([], "Asia/Tokyo", FALLBACK)
    assert result.events == 0 and result.off_hours_share is None
    assert result.work_hours_utc == [0, 1, 2, 3, 4, 5, 6, 7]
