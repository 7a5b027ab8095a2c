"""Reminder time maths: pure functions, an injected ``now``, five zones, both DST changes.

2026 transitions used below (local wall clock):
- Europe/London: 29 Mar 01:00 GMT → 02:00 BST; 25 Oct 02:00 BST → 01:00 GMT.
- America/New_York: 8 Mar 02:00 EST → 03:00 EDT; 1 Nov 02:00 EDT → 01:00 EST.
- Australia/Sydney: 5 Apr 03:00 AEDT → 02:00 AEST; 4 Oct 02:00 AEST → 03:00 AEDT.
- Australia/Lord_Howe (a 30-minute shift): 5 Apr 02:00 (+11) → 01:30 (+10:30);
  4 Oct 02:00 (+10:30) → 02:30 (+11).
- Asia/Kolkata: no daylight saving (+05:30).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reminders.timemath import (
    PAUSED_FOREVER,
    STRETCHES,
    exists,
    is_quiet,
    local_date,
    next_due,
    occurrence,
    schedule,
    stretch_for,
    too_late,
    user_offset_seconds,
)

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
         "Australia/Lord_Howe"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_times(at: time, zone_name: str, start: datetime, days: int) -> list[datetime]:
    """Successive due times, as the dispatcher advances a slot: each after the last."""
    zone = ZoneInfo(zone_name)
    due, result = start, []
    for _ in range(days):
        due = next_due(at, zone, due)
        result.append(due)
    return result


# ------------------------------------------------------------------ 09:00 stays 09:00
@pytest.mark.parametrize(
    ("zone_name", "start", "before_utc", "after_utc"),
    [
        # Spring forward: the UTC instant moves one hour earlier.
        ("Europe/London", utc(2026, 3, 25), utc(2026, 3, 28, 9), utc(2026, 3, 29, 8)),
        ("America/New_York", utc(2026, 3, 5), utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)),
        ("Australia/Sydney", utc(2026, 9, 30), utc(2026, 10, 2, 23), utc(2026, 10, 3, 22)),
        ("Australia/Lord_Howe", utc(2026, 9, 30), utc(2026, 10, 2, 22, 30),
         utc(2026, 10, 3, 22)),
        # Fall back: the UTC instant moves one hour (Lord Howe: 30 minutes) later.
        ("Europe/London", utc(2026, 10, 21), utc(2026, 10, 24, 8), utc(2026, 10, 25, 9)),
        ("America/New_York", utc(2026, 10, 28), utc(2026, 10, 31, 13), utc(2026, 11, 1, 14)),
        ("Australia/Sydney", utc(2026, 4, 1), utc(2026, 4, 3, 22), utc(2026, 4, 4, 23)),
        ("Australia/Lord_Howe", utc(2026, 4, 1), utc(2026, 4, 3, 22), utc(2026, 4, 4, 22, 30)),
    ],
)
def test_nine_am_stays_nine_local_across_dst(zone_name: str, start: datetime,
                                             before_utc: datetime, after_utc: datetime) -> None:
    dues = local_times(time(9, 0), zone_name, start, 10)
    zone = ZoneInfo(zone_name)
    assert all(d.astimezone(zone).time() == time(9, 0) for d in dues)
    assert [d.astimezone(zone).date() for d in dues] == [
        dues[0].astimezone(zone).date() + timedelta(days=i) for i in range(10)
    ]
    assert before_utc in dues and after_utc in dues
    assert dues.index(after_utc) == dues.index(before_utc) + 1


def test_kolkata_has_no_dst_and_fires_at_0330_utc_every_day() -> None:
    dues = local_times(time(9, 0), "Asia/Kolkata", utc(2026, 3, 1), 400)
    assert {(d.hour, d.minute) for d in dues} == {(3, 30)}
    assert len({d.date() for d in dues}) == 400


# ------------------------------------------------------------------ nonexistent times
@pytest.mark.parametrize(
    ("zone_name", "day", "at", "expected_utc", "expected_local"),
    [
        ("Europe/London", date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1), time(2, 0)),
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7), time(3, 0)),
        ("Australia/Sydney", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16), time(3, 0)),
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 30),
         time(2, 30)),
    ],
)
def test_nonexistent_time_fires_at_first_valid_minute_after(
    zone_name: str, day: date, at: time, expected_utc: datetime, expected_local: time
) -> None:
    zone = ZoneInfo(zone_name)
    assert not exists(day, at, zone)
    fired = next_due(at, zone, datetime.combine(day, time(0), zone) - timedelta(hours=1))
    assert fired == expected_utc
    assert fired.astimezone(zone).time() == expected_local
    # The day after, the normal wall time is back.
    following = next_due(at, zone, fired)
    assert following.astimezone(zone).time() == at
    assert following.astimezone(zone).date() == day + timedelta(days=1)


# ------------------------------------------------------------------ ambiguous times
@pytest.mark.parametrize(
    ("zone_name", "day", "at", "first_utc", "second_utc", "next_day_utc"),
    [
        ("Europe/London", date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30),
         utc(2026, 10, 25, 1, 30), utc(2026, 10, 26, 1, 30)),
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30),
         utc(2026, 11, 1, 6, 30), utc(2026, 11, 2, 6, 30)),
        ("Australia/Sydney", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30),
         utc(2026, 4, 4, 16, 30), utc(2026, 4, 5, 16, 30)),
        ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45),
         utc(2026, 4, 4, 15, 15), utc(2026, 4, 5, 15, 15)),
    ],
)
def test_ambiguous_time_fires_once_at_first_occurrence(
    zone_name: str, day: date, at: time, first_utc: datetime, second_utc: datetime,
    next_day_utc: datetime,
) -> None:
    zone = ZoneInfo(zone_name)
    # Both instants really show this wall time (the hour happens twice)...
    assert first_utc.astimezone(zone).time() == at == second_utc.astimezone(zone).time()
    fired = next_due(at, zone, first_utc - timedelta(hours=3))
    assert fired == first_utc
    # ...but after firing once, the next due time is the following day, not the repeat.
    following = next_due(at, zone, fired)
    assert following == next_day_utc
    assert second_utc < following


@pytest.mark.parametrize("zone_name", ZONES)
def test_ambiguous_and_nonexistent_days_still_fire_exactly_once_per_day(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    for at in (time(1, 30), time(2, 0), time(2, 15), time(2, 30), time(9, 0)):
        dues = local_times(at, zone_name, utc(2026, 1, 1), 365)
        days = [d.astimezone(zone).date() for d in dues]
        assert days == [days[0] + timedelta(days=i) for i in range(365)], (zone_name, at)


# ------------------------------------------------------------------ property-based
@settings(max_examples=300, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    minute_of_day=st.integers(0, 24 * 60 - 1),
    after=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31),
                       timezones=st.just(UTC)),
    offset=st.integers(0, 59),
)
def test_next_due_fires_once_per_local_day_at_the_wall_time(
    zone_name: str, minute_of_day: int, after: datetime, offset: int
) -> None:
    zone = ZoneInfo(zone_name)
    at = time(minute_of_day // 60, minute_of_day % 60)
    first = next_due(at, zone, after, offset)
    second = next_due(at, zone, first, offset)
    assert after < first <= after + timedelta(hours=27)
    # Exactly one firing per local day, never a skipped day.
    assert local_date(second, zone, offset) == local_date(first, zone, offset) + timedelta(days=1)
    # It fires at the wall time, or at the first valid minute after a missing one.
    shown = (first - timedelta(seconds=offset)).astimezone(zone)
    day = local_date(first, zone, offset)
    if exists(day, at, zone):
        assert shown.time().replace(tzinfo=None) == at
        assert first - timedelta(seconds=offset) == occurrence(day, at, zone)
    else:
        wall = datetime.combine(day, at)
        assert wall < shown.replace(tzinfo=None) <= wall + timedelta(hours=1)


# ------------------------------------------------------------------ schedule, offsets
def test_schedule_respects_off_and_pauses() -> None:
    zone = ZoneInfo("Europe/London")
    now = utc(2026, 3, 10, 12)
    assert schedule(time(9), zone, now) == utc(2026, 3, 11, 9)
    assert schedule(time(14), zone, now) == utc(2026, 3, 10, 14)
    assert schedule(time(9), zone, now, enabled=False) is None
    assert schedule(time(9), zone, now, paused_until=PAUSED_FOREVER) is None
    assert schedule(time(9), zone, now, paused_until=utc(2026, 3, 13, 12)) == utc(2026, 3, 14, 9)
    assert schedule(time(14), zone, now, paused_until=utc(2026, 3, 9)) == utc(2026, 3, 10, 14)
    assert schedule(time(14), zone, now, offset_seconds=42) == utc(2026, 3, 10, 14, 0, 42)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_due(time(9), ZoneInfo("UTC"), datetime(2026, 1, 1))


def test_user_offset_is_stable_in_range_and_spreads_users() -> None:
    offsets = [user_offset_seconds(user_id) for user_id in range(1, 6001)]
    assert all(0 <= value <= 59 for value in offsets)
    assert set(offsets) == set(range(60))
    # No second gets much more than its share (100 each on average).
    assert max(offsets.count(value) for value in range(60)) < 160


def test_user_offset_is_the_same_in_every_process() -> None:
    import os
    import subprocess
    import sys

    ids = [1001, 2002, 123456789, 7000000001]
    code = ("from bot.reminders.timemath import user_offset_seconds as f; "
            f"print([f(i) for i in {ids}])")
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
        for seed in ("1", "2")
    }
    assert outputs == {str([user_offset_seconds(i) for i in ids])}


def test_local_date_is_the_users_date() -> None:
    zone = ZoneInfo("Europe/London")
    due = next_due(time(23, 59), zone, utc(2026, 3, 10, 12), offset_seconds=59)
    assert due == utc(2026, 3, 10, 23, 59, 59)
    assert local_date(due, zone, 59) == date(2026, 3, 10)
    # Local dates are the user's, not UTC's: 09:00 in Sydney is the previous UTC day.
    sydney = ZoneInfo("Australia/Sydney")
    due = next_due(time(9), sydney, utc(2026, 3, 10, 12), offset_seconds=7)
    assert due.date() == date(2026, 3, 10)
    assert local_date(due, sydney, 7) == date(2026, 3, 11)


@pytest.mark.parametrize("zone_name", ZONES)
def test_quiet_hours_are_22_to_7_local(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    day = date(2026, 6, 15)
    def at(hour: int, minute: int) -> datetime:
        return occurrence(day, time(hour, minute), zone)
    assert is_quiet(at(22, 0), zone)
    assert is_quiet(at(23, 30), zone)
    assert is_quiet(at(0, 0), zone)
    assert is_quiet(at(6, 59), zone)
    assert not is_quiet(at(7, 0), zone)
    assert not is_quiet(at(14, 0), zone)
    assert not is_quiet(at(21, 59), zone)


def test_too_late_is_strictly_past_the_grace_window() -> None:
    due = utc(2026, 3, 10, 9)
    grace = timedelta(minutes=30)
    assert not too_late(due, due + grace, grace)
    assert too_late(due, due + grace + timedelta(seconds=1), grace)
    assert not too_late(due, due - timedelta(minutes=5), grace)


def test_stretches_rotate_through_calf_hamstring_quadriceps() -> None:
    day = date(2026, 3, 10)
    today = [stretch_for(day, position) for position in range(3)]
    assert sorted(today) == sorted(STRETCHES)
    tomorrow = [stretch_for(day + timedelta(days=1), position) for position in range(3)]
    assert tomorrow == today[1:] + today[:1]
    # A user with only the morning slot still rotates day by day.
    assert {stretch_for(day + timedelta(days=i), 0) for i in range(3)} == set(STRETCHES)
