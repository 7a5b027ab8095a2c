"""Diary statistics on hand-made data whose answers are worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.diary.stats import (
    EpisodeRecord,
    TriageRecord,
    compute,
    period_bounds,
    summary_lines,
    week_starts,
)
from bot.diary.vocab import duration_code, is_night_time, night_of

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
# Tuesday 10 March 2026, 12:00 UTC (London is on GMT until 29 March).
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, *, tz: ZoneInfo = LONDON, **details) -> EpisodeRecord:
    """An episode at a local time in March 2026."""
    local = datetime(2026, 3, day, hour, minute, tzinfo=tz)
    return EpisodeRecord(started_at=local.astimezone(UTC), **details)


# Seven cramps in the last 7 days (4–10 March, London), one outside it (2 March).
WEEK = [
    at(4, 2, location="calf", side="left", severity=6, duration="1to5", context="sleep",
       helped=("stretch",), helped_rating=3),
    at(4, 23, location="calf", side="left", severity=8, duration="5to10", context="sleep",
       helped=("stretch", "massage"), helped_rating=2),
    at(5, 3, location="foot", side="right", severity=4, duration="lt1", context="sleep",
       helped=("massage",), helped_rating=0),
    at(7, 15, location="back_thigh", side="both", severity=10, duration="gt10",
       context="exercise", helped=("walk",), helped_rating=1),
    at(8, 6, location="calf", severity=5, duration="1to5", context="rest",
       helped=("nothing",)),
    at(9, 21, location="calf", side="right", duration="1to5"),
    at(10, 1, severity=7, helped=("stretch",)),
    at(2, 3, location="foot", severity=9, duration="gt10"),  # before the period
]


def test_period_bounds_are_local_days() -> None:
    start, end, first, last = period_bounds(7, NOW, LONDON)
    assert (first, last) == (date(2026, 3, 4), date(2026, 3, 10))
    assert start == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
    assert end == NOW
    _start, _end, first_ny, _last = period_bounds(7, datetime(2026, 3, 10, 3, 0, tzinfo=UTC),
                                                  NEW_YORK)
    assert first_ny == date(2026, 3, 3)  # 03:00 UTC is still the 9th in New York


def test_week_starts_count_back_from_today() -> None:
    assert week_starts(date(2026, 3, 4), date(2026, 3, 10)) == [date(2026, 3, 4)]
    starts = week_starts(date(2026, 2, 9), date(2026, 3, 10))  # 30 days
    assert starts == [date(2026, 2, 9), date(2026, 2, 11), date(2026, 2, 18),
                      date(2026, 2, 25), date(2026, 3, 4)]


def test_night_of_and_night_time() -> None:
    assert night_of(datetime(2026, 3, 10, 2, 0)) == date(2026, 3, 9)
    assert night_of(datetime(2026, 3, 10, 11, 59)) == date(2026, 3, 9)
    assert night_of(datetime(2026, 3, 10, 12, 0)) == date(2026, 3, 10)
    assert night_of(datetime(2026, 3, 10, 23, 30)) == date(2026, 3, 10)
    assert is_night_time(datetime(2026, 3, 10, 21, 0))
    assert is_night_time(datetime(2026, 3, 10, 7, 59))
    assert not is_night_time(datetime(2026, 3, 10, 8, 0))
    assert is_night_time(datetime(2026, 3, 10, 15, 0), "sleep")


@pytest.mark.parametrize(("minutes", "code"), [
    (0.2, "lt1"), (1, "1to5"), (5, "1to5"), (5.5, "5to10"), (10, "5to10"), (10.5, "gt10"),
    (0, None),
])
def test_duration_ranges(minutes: float, code: str | None) -> None:
    assert duration_code(minutes) == code


def test_seven_days_known_answers() -> None:
    stats = compute(WEEK, days=7, now=NOW, tz=LONDON)
    assert stats.total == 7
    assert stats.per_week == pytest.approx(7.0)
    # Nights: 4th 02:00 -> night of 3rd; 4th 23:00 and 5th 03:00 -> night of 4th;
    # 8th 06:00 -> night of 7th; 9th 21:00 -> 9th; 10th 01:00 -> 9th. (15:00 is daytime.)
    assert stats.nights_with_cramps == 4
    assert stats.night_cramps == 6
    assert stats.hours[2] == 1 and stats.hours[23] == 1 and stats.hours[15] == 1
    assert stats.day_parts == {"night": 3, "morning": 1, "afternoon": 1, "evening": 2}
    assert stats.busiest_part == "night (00–06)"
    assert stats.muscles == [("calf", 4), ("back_thigh", 1), ("foot", 1)]  # ties: menu order
    assert stats.sides == {"left": 2, "right": 2, "both": 1}
    assert stats.contexts == [("sleep", 3), ("rest", 1), ("exercise", 1)]
    # Severities 6, 8, 4, 10, 5, 7 -> mean 40/6.
    assert stats.severity_rated == 6
    assert stats.severity_mean == pytest.approx(40 / 6)
    assert (stats.severity_min, stats.severity_max) == (4, 10)
    # Durations: 1to5 x3 (3 min), 5to10 (7.5), lt1 (0.5), gt10 (12) -> 29/6 minutes.
    assert stats.durations == {"lt1": 1, "1to5": 3, "5to10": 1, "gt10": 1}
    assert stats.duration_mean_minutes == pytest.approx(29 / 6)
    assert stats.typical_duration == "1to5"
    assert stats.alarming == 1
    # Remedies: stretch rated 3 and 2 (+ tried once unrated); massage 2 and 0; walk 1.
    rows = {row.code: row for row in stats.remedies}
    assert set(rows) == {"stretch", "massage", "walk"}
    assert (rows["stretch"].tried, rows["stretch"].rated) == (3, 2)
    assert rows["stretch"].mean_rating == pytest.approx(2.5)
    assert rows["massage"].mean_rating == pytest.approx(1.0)
    assert rows["walk"].mean_rating == pytest.approx(1.0)
    assert stats.remedies[0].code == "stretch"
    assert rows["stretch"].verdict == "a lot"  # 2.5 rounds up
    assert rows["massage"].verdict == "a little"
    assert stats.has_adherence is False and stats.last_triage is None


def test_thirty_days_weeks_and_adherence() -> None:
    adherence = {
        date(2026, 3, 4): (3, 3), date(2026, 3, 6): (3, 1),  # the last week: 4 of 6
        date(2026, 3, 1): (2, 0),                           # 25 Feb – 3 Mar: 0 of 2
        date(2026, 1, 1): (9, 9),                           # outside the period
    }
    stats = compute(WEEK, days=30, now=NOW, tz=LONDON, adherence=adherence)
    assert stats.total == 8
    assert [(w.start, w.cramps) for w in stats.weeks] == [
        (date(2026, 2, 9), 0), (date(2026, 2, 11), 0), (date(2026, 2, 18), 0),
        (date(2026, 2, 25), 1), (date(2026, 3, 4), 7),
    ]
    last = stats.weeks[-1]
    assert (last.reminders_sent, last.reminders_done) == (6, 4)
    assert last.adherence == pytest.approx(4 / 6)
    assert stats.weeks[-2].adherence == 0
    assert stats.weeks[0].adherence is None
    assert (stats.reminders_sent, stats.reminders_done) == (8, 4)
    assert stats.has_adherence


def test_zone_changes_days_and_hours() -> None:
    # 03:30 UTC on 10 March is 23:30 on the 9th in New York (EDT since 8 March).
    episode = EpisodeRecord(started_at=datetime(2026, 3, 10, 3, 30, tzinfo=UTC))
    in_ny = compute([episode], days=7, now=NOW, tz=NEW_YORK)
    in_london = compute([episode], days=7, now=NOW, tz=LONDON)
    assert in_ny.hours[23] == 1 and in_london.hours[3] == 1
    assert in_ny.day_parts["evening"] == 1 and in_london.day_parts["night"] == 1


def test_empty_period() -> None:
    stats = compute([], days=90, now=NOW, tz=LONDON)
    assert stats.total == 0 and stats.per_week == 0
    assert len(stats.weeks) == 13
    assert stats.severity_mean is None and stats.typical_duration is None
    assert summary_lines(stats) == [("Cramps", "none logged in these 90 days")]


def test_summary_lines_and_triage() -> None:
    triage = TriageRecord(datetime(2026, 3, 1, tzinfo=UTC), "ROUTINE", ("RF-R1",))
    stats = compute(WEEK, days=7, now=NOW, tz=LONDON, last_triage=triage)
    lines = dict(summary_lines(stats))
    assert lines["Cramps"] == "7 in 7 days (7.0 a week)"
    assert lines["Nights with cramps"] == "4 of 7"
    assert lines["Where"] == "calf 4, back of thigh 1, foot 1"
    assert lines["Severity"] == "average 6.7/10 (range 4–10, 6 rated)"
    assert lines["Duration"].startswith("typically 1–5 min, average about 5 min")
    assert lines["What helped"].startswith("stretching: ")
    assert lines["Long or unbearable"] == "1 over 10 min or 10/10"
    assert stats.last_triage.level_label == "book a doctor's appointment"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        compute([], days=7, now=datetime(2026, 3, 10), tz=LONDON)


def test_many_cramps_in_one_hour_count_once_per_night() -> None:
    base = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)
    burst = [EpisodeRecord(started_at=base + timedelta(minutes=m)) for m in range(0, 50, 5)]
    stats = compute(burst, days=7, now=NOW, tz=LONDON)
    assert stats.total == 10 and stats.nights_with_cramps == 1
