"""Reminder time maths: pure functions of an injected ``now`` and an IANA zone.

Every instant here is an aware UTC ``datetime``; wall times are ``datetime.time`` in the
user's zone. The rules:

* a reminder at 09:00 stays at 09:00 local time on both sides of a DST change;
* a wall time that does not exist that day (the spring-forward gap) fires at the first
  valid minute after it (02:30 in a 02:00→03:00 gap fires at 03:00);
* a wall time that happens twice (the autumn fall-back) fires once, at its first occurrence;
* each user gets a stable offset of 0–59 seconds, so users who share a minute are spread
  over it instead of all being due in the same second.

No Telegram, no ORM: ``tests/test_reminders_timemath.py`` runs these with a fake clock.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

STRETCHES: tuple[str, ...] = ("calf", "ham", "quad")
QUIET_START = time(22, 0)
QUIET_END = time(7, 0)
# "Paused until you resume": a far-future sentinel both databases store.
PAUSED_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
# The longest run of missing wall-clock minutes in the tz database (Samoa skipped a whole
# day in 2011); bounds the search for the first valid minute after a gap.
_MAX_GAP_MINUTES = 26 * 60


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def exists(day: date, at: time, zone: tzinfo) -> bool:
    """True if the wall time ``at`` on ``day`` happens in ``zone`` (is not in a DST gap)."""
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    local = wall.replace(tzinfo=zone)
    round_trip = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return round_trip == wall


def occurrence(day: date, at: time, zone: tzinfo) -> datetime:
    """The UTC instant of wall time ``at`` on local ``day`` in ``zone``.

    A time in a DST gap moves to the first valid minute after it; an ambiguous time
    (repeated in the fall-back hour) resolves to its first occurrence (``fold=0``).
    """
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0, second=0, microsecond=0))
    if not exists(wall.date(), wall.time(), zone):
        probe = wall
        for _ in range(_MAX_GAP_MINUTES):
            probe += timedelta(minutes=1)
            if exists(probe.date(), probe.time(), zone):
                wall = probe
                break
        else:  # pragma: no cover - no such gap exists in the tz database
            raise ValueError(f"no valid minute after {wall} in {zone}")
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def next_due(at: time, zone: tzinfo, after: datetime, offset_seconds: int = 0) -> datetime:
    """The first instant strictly after ``after`` at which the daily wall time ``at`` fires.

    ``offset_seconds`` (the user's spread, 0–59) is added to every occurrence. Each local
    day yields exactly one instant, so an ambiguous wall time fires once.
    """
    _require_aware(after, "after")
    after = after.astimezone(UTC)
    offset = timedelta(seconds=offset_seconds)
    start = after.astimezone(zone).date() - timedelta(days=1)
    for days in range(4):
        candidate = occurrence(start + timedelta(days=days), at, zone) + offset
        if candidate > after:
            return candidate
    # Only reachable across a skipped calendar day (e.g. Samoa, 30 Dec 2011).
    for days in range(4, 8):  # pragma: no cover - historical dates only
        candidate = occurrence(start + timedelta(days=days), at, zone) + offset
        if candidate > after:
            return candidate
    raise ValueError(f"no occurrence of {at} after {after} in {zone}")  # pragma: no cover


def schedule(at: time, zone: tzinfo, now: datetime, *, offset_seconds: int = 0,
             enabled: bool = True, paused_until: datetime | None = None) -> datetime | None:
    """When a slot is next due: None if it is off or paused until the user resumes."""
    _require_aware(now, "now")
    if not enabled:
        return None
    after = now
    if paused_until is not None:
        _require_aware(paused_until, "paused_until")
        if paused_until >= PAUSED_FOREVER:
            return None
        after = max(now, paused_until)
    return next_due(at, zone, after, offset_seconds)


def user_offset_seconds(user_id: int) -> int:
    """A stable 0–59 second offset for a user (same in every process and instance)."""
    digest = hashlib.blake2b(str(user_id).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 60


def local_date(instant: datetime, zone: tzinfo, offset_seconds: int = 0) -> date:
    """The local calendar date of a due time (its per-user offset taken off first)."""
    _require_aware(instant, "instant")
    return (instant - timedelta(seconds=offset_seconds)).astimezone(zone).date()


def is_quiet(instant: datetime, zone: tzinfo, start: time = QUIET_START,
             end: time = QUIET_END) -> bool:
    """True if ``instant`` falls in the quiet hours (default 22:00–07:00 local)."""
    _require_aware(instant, "instant")
    local = instant.astimezone(zone).time().replace(tzinfo=None)
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def too_late(due: datetime, now: datetime, grace: timedelta) -> bool:
    """True if a reminder due at ``due`` is more than ``grace`` late at ``now``."""
    _require_aware(due, "due")
    _require_aware(now, "now")
    return now - due > grace


def stretch_for(day: date, position: int) -> str:
    """Which stretch a reminder names: rotates calf → hamstring → quadriceps.

    The three daily reminders name three different stretches, and the order shifts by one
    each day.
    """
    return STRETCHES[(day.toordinal() + position) % len(STRETCHES)]


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name (raises ``ZoneInfoNotFoundError`` if unknown)."""
    return ZoneInfo(name)
