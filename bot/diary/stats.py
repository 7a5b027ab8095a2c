"""Diary statistics over 7, 30 or 90 days: frequency, nights, pattern, severity, what helps. Pure.

``compute(episodes, days=30, now=..., tz=...)`` takes plain ``EpisodeRecord`` values (the
storage layer builds them) and returns a ``Stats`` value; the handlers, the chart and the
PDF only render it. Everything is counted in the user's zone: a day is a local calendar
day, a week is seven local days counted back from today (the oldest may be shorter), and a
night runs noon to noon (``vocab.night_of``).

Durations are ranges, so the average is an estimate from their midpoints (over 10 minutes
counts as 12). "What helped" uses the user's own 0–3 rating of each cramp: every remedy
tried in that cramp gets that cramp's rating.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.diary.vocab import (
    CONTEXTS,
    DURATION_MINUTES,
    DURATIONS,
    LOCATIONS,
    RATINGS,
    REMEDIES,
    is_alarming,
    is_night_time,
    night_of,
)

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
# Parts of the day, by local hour: (key, label, first hour, last hour + 1).
DAY_PARTS = (
    ("night", "night (00–06)", 0, 6),
    ("morning", "morning (06–12)", 6, 12),
    ("afternoon", "afternoon (12–18)", 12, 18),
    ("evening", "evening (18–24)", 18, 24),
)
TRIAGE_LEVELS = {
    "EMERGENCY": "emergency care now",
    "URGENT": "see a doctor within 48 hours",
    "ROUTINE": "book a doctor's appointment",
    "SELF_CARE": "self-care",
}


@dataclass(frozen=True)
class EpisodeRecord:
    """One logged cramp, as the statistics need it (aware UTC ``started_at``)."""

    started_at: datetime
    id: int = 0
    location: str | None = None
    side: str | None = None
    severity: int | None = None
    duration: str | None = None
    context: str | None = None
    helped: tuple[str, ...] = ()
    helped_rating: int | None = None
    source: str = "command"
    logged_at: datetime | None = None


@dataclass(frozen=True)
class TriageRecord:
    """A finished symptom check: when, the level, and the answers that raised red flags."""

    finished_at: datetime
    level: str
    red_flags: tuple[str, ...] = ()
    flagged_answers: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (question, answer, rf)

    @property
    def level_label(self) -> str:
        return TRIAGE_LEVELS.get(self.level, self.level.lower())


@dataclass(frozen=True)
class WeekRow:
    """Cramps and stretch-reminder adherence in one week (``start``..``end``, local days)."""

    start: date
    end: date
    cramps: int
    reminders_sent: int = 0
    reminders_done: int = 0

    @property
    def adherence(self) -> float | None:
        """Share of stretch reminders marked Done, or None if none were sent."""
        return self.reminders_done / self.reminders_sent if self.reminders_sent else None


@dataclass(frozen=True)
class RemedyRow:
    """How a remedy did: times tried, times rated, mean rating (0 not at all .. 3 a lot)."""

    code: str
    tried: int
    rated: int
    mean_rating: float | None

    @property
    def label(self) -> str:
        return REMEDIES.get(self.code, self.code)

    @property
    def verdict(self) -> str:
        if self.mean_rating is None:
            return "not rated"
        return RATINGS[min(3, max(0, int(self.mean_rating + 0.5)))]  # half rounds up


@dataclass
class Stats:
    """Everything /stats, the chart and the doctor's summary show."""

    days: int
    start: date  # first local day of the period
    end: date  # last local day (today)
    tz_name: str
    total: int = 0
    weeks: list[WeekRow] = field(default_factory=list)
    nights_with_cramps: int = 0
    night_cramps: int = 0
    hours: list[int] = field(default_factory=lambda: [0] * 24)
    day_parts: dict[str, int] = field(default_factory=dict)
    muscles: list[tuple[str, int]] = field(default_factory=list)  # (location code, count)
    sides: dict[str, int] = field(default_factory=dict)
    contexts: list[tuple[str, int]] = field(default_factory=list)
    severity_mean: float | None = None
    severity_min: int | None = None
    severity_max: int | None = None
    severity_rated: int = 0
    durations: dict[str, int] = field(default_factory=dict)
    duration_mean_minutes: float | None = None
    remedies: list[RemedyRow] = field(default_factory=list)
    alarming: int = 0  # cramps over 10 minutes or 10/10 (RF-E4)
    reminders_sent: int = 0
    reminders_done: int = 0
    has_adherence: bool = False
    last_triage: TriageRecord | None = None

    @property
    def per_week(self) -> float:
        return self.total * 7 / self.days if self.days else 0.0

    @property
    def adherence(self) -> float | None:
        return self.reminders_done / self.reminders_sent if self.reminders_sent else None

    @property
    def busiest_part(self) -> str | None:
        if not self.total:
            return None
        key = max(DAY_PARTS, key=lambda part: self.day_parts.get(part[0], 0))
        return key[1]

    @property
    def typical_duration(self) -> str | None:
        """The median duration range of the cramps that have one."""
        counted = sum(self.durations.values())
        if not counted:
            return None
        running = 0
        for code in DURATIONS:
            running += self.durations.get(code, 0)
            if running * 2 >= counted:
                return code
        return None


def period_bounds(days: int, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, date, date]:
    """(start_utc, end_utc, first local day, last local day) of the ``days`` up to ``now``."""
    if days < 1:
        raise ValueError("days must be positive")
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    return start, now.astimezone(UTC), first, today


def week_starts(first: date, last: date) -> list[date]:
    """Starts of seven-day weeks counted back from ``last``; the oldest may be shorter."""
    starts: list[date] = []
    end = last
    while end >= first:
        starts.append(max(first, end - timedelta(days=6)))
        end -= timedelta(days=7)
    return starts[::-1]


def compute(
    episodes: Iterable[EpisodeRecord],
    *,
    days: int = DEFAULT_PERIOD,
    now: datetime,
    tz: ZoneInfo,
    adherence: Mapping[date, tuple[int, int]] | None = None,
    last_triage: TriageRecord | None = None,
) -> Stats:
    """The statistics of the cramps that started in the last ``days`` local days."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    start_utc, end_utc, first, last = period_bounds(days, now, tz)
    stats = Stats(days=days, start=first, end=last, tz_name=str(tz.key),
                  last_triage=last_triage)
    starts = week_starts(first, last)
    week_counts = [0] * len(starts)
    nights: set[date] = set()
    muscles: Counter[str] = Counter()
    sides: Counter[str] = Counter()
    contexts: Counter[str] = Counter()
    durations: Counter[str] = Counter()
    severities: list[int] = []
    tried: Counter[str] = Counter()
    rating_sum: Counter[str] = Counter()
    rated: Counter[str] = Counter()

    for episode in episodes:
        if not start_utc <= episode.started_at <= end_utc:
            continue
        local = episode.started_at.astimezone(tz)
        day = local.date()
        stats.total += 1
        week_counts[_week_index(starts, day)] += 1
        stats.hours[local.hour] += 1
        if is_night_time(local, episode.context):
            stats.night_cramps += 1
            nights.add(night_of(local))
        if episode.location:
            muscles[episode.location] += 1
        if episode.side:
            sides[episode.side] += 1
        if episode.context:
            contexts[episode.context] += 1
        if episode.duration in DURATIONS:
            durations[episode.duration] += 1
        if episode.severity is not None:
            severities.append(episode.severity)
        if is_alarming(episode.severity, episode.duration):
            stats.alarming += 1
        for remedy in dict.fromkeys(episode.helped):
            if remedy == "nothing":
                continue
            tried[remedy] += 1
            if episode.helped_rating is not None:
                rated[remedy] += 1
                rating_sum[remedy] += episode.helped_rating

    stats.nights_with_cramps = len(nights)
    stats.day_parts = {
        key: sum(stats.hours[lo:hi]) for key, _label, lo, hi in DAY_PARTS
    }
    stats.muscles = _ordered(muscles, LOCATIONS)
    stats.sides = dict(sides)
    stats.contexts = _ordered(contexts, CONTEXTS)
    stats.durations = {code: durations[code] for code in DURATIONS if durations[code]}
    counted = sum(durations.values())
    if counted:
        stats.duration_mean_minutes = (
            sum(DURATION_MINUTES[c] * n for c, n in durations.items()) / counted
        )
    if severities:
        stats.severity_rated = len(severities)
        stats.severity_mean = sum(severities) / len(severities)
        stats.severity_min, stats.severity_max = min(severities), max(severities)
    stats.remedies = sorted(
        (RemedyRow(code, tried[code], rated[code],
                   rating_sum[code] / rated[code] if rated[code] else None)
         for code in tried),
        key=lambda row: (-(row.mean_rating if row.mean_rating is not None else -1),
                         -row.tried, list(REMEDIES).index(row.code)
                         if row.code in REMEDIES else 99),
    )
    stats.weeks = _weeks(starts, last, week_counts, adherence, stats)
    return stats


def _week_index(starts: list[date], day: date) -> int:
    index = 0
    for i, start in enumerate(starts):
        if day >= start:
            index = i
    return index


def _ordered(counter: Counter[str], order: Mapping[str, str]) -> list[tuple[str, int]]:
    """Most frequent first; ties in the vocabulary's order."""
    rank = {code: i for i, code in enumerate(order)}
    return sorted(counter.items(), key=lambda item: (-item[1], rank.get(item[0], 99)))


def _weeks(starts: list[date], last: date, counts: list[int],
           adherence: Mapping[date, tuple[int, int]] | None, stats: Stats) -> list[WeekRow]:
    rows: list[WeekRow] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - timedelta(days=1) if i + 1 < len(starts) else last
        sent = done = 0
        if adherence:
            for day, (day_sent, day_done) in adherence.items():
                if start <= day <= end:
                    sent += day_sent
                    done += day_done
        rows.append(WeekRow(start, end, counts[i], sent, done))
    if adherence is not None:
        stats.has_adherence = True
        stats.reminders_sent = sum(row.reminders_sent for row in rows)
        stats.reminders_done = sum(row.reminders_done for row in rows)
    return rows


def summary_lines(stats: Stats) -> list[tuple[str, str]]:
    """(heading, plain text) pairs for the short text and the doctor's summary."""
    if not stats.total:
        return [("Cramps", f"none logged in these {stats.days} days")]
    lines: list[tuple[str, str]] = [
        ("Cramps", f"{stats.total} in {stats.days} days ({stats.per_week:.1f} a week)"),
        ("Nights with cramps", f"{stats.nights_with_cramps} of {stats.days}"),
    ]
    if stats.busiest_part:
        parts = ", ".join(
            f"{label.split(' ')[0]} {stats.day_parts[key]}" for key, label, _lo, _hi in DAY_PARTS
            if stats.day_parts.get(key)
        )
        lines.append(("When", f"mostly {stats.busiest_part}; {parts}"))
    if stats.muscles:
        lines.append(("Where", ", ".join(f"{LOCATIONS[c]} {n}" for c, n in stats.muscles)))
    if stats.severity_mean is not None:
        lines.append(("Severity", f"average {stats.severity_mean:.1f}/10 "
                                  f"(range {stats.severity_min}–{stats.severity_max}, "
                                  f"{stats.severity_rated} rated)"))
    if stats.duration_mean_minutes is not None and stats.typical_duration:
        lines.append(("Duration", f"typically {DURATIONS[stats.typical_duration]}, "
                                  f"average about {stats.duration_mean_minutes:.0f} min "
                                  f"({sum(stats.durations.values())} timed)"))
    if stats.contexts:
        lines.append(("Context", ", ".join(f"{CONTEXTS[c]} {n}" for c, n in stats.contexts)))
    if stats.remedies:
        lines.append(("What helped", "; ".join(
            f"{row.label}: {row.verdict}" + (f" ({row.mean_rating:.1f}/3, tried {row.tried})"
                                             if row.mean_rating is not None
                                             else f" (tried {row.tried})")
            for row in stats.remedies)))
    if stats.alarming:
        lines.append(("Long or unbearable", f"{stats.alarming} over 10 min or 10/10"))
    return lines
