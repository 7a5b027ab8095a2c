"""Episodes (the cramp diary): add, page, read, change and delete, always by owner.

Every read or write that names an episode also names its owner (``user_id``): a function
given someone else's episode id finds nothing, whatever callback data arrived. Values are
checked against ``bot.diary.vocab`` before they reach the database. ``night_of`` is
computed here from ``started_at`` in the user's zone (given, or read from their row).
The use case commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.diary.stats import EpisodeRecord
from bot.diary.vocab import (
    CONTEXTS,
    DURATIONS,
    LOCATIONS,
    RATING_MAX,
    RATING_MIN,
    REMEDIES,
    SEVERITY_MAX,
    SEVERITY_MIN,
    SIDES,
    SOURCES,
    night_of,
)
from bot.models.episode import Episode
from bot.models.user import User

DETAIL_FIELDS = ("location", "side", "severity", "duration", "context", "helped", "helped_rating")
_CHOICES: dict[str, Iterable[str]] = {
    "location": LOCATIONS, "side": SIDES, "duration": DURATIONS, "context": CONTEXTS,
}
_TABLE = Episode.__table__  # type: ignore[attr-defined]
# Bulk reads (stats, export) use Core columns: no ORM row machinery for thousands of rows.
_RECORD_COLUMNS = tuple(_TABLE.c[name] for name in (
    "id", "started_at", "location", "side", "severity", "duration", "context", "helped",
    "helped_rating", "source", "logged_at",
))


class InvalidEpisodeError(ValueError):
    """A detail outside the diary's vocabulary (a bug or a forged button)."""


def zone(name: str | None) -> ZoneInfo:
    """The user's zone, or UTC when unset or unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def clean_details(details: dict[str, Any]) -> dict[str, Any]:
    """Check detail values against the vocabulary; None clears a field."""
    cleaned: dict[str, Any] = {}
    for name, value in details.items():
        if name not in DETAIL_FIELDS:
            raise InvalidEpisodeError(f"unknown episode field {name!r}")
        if value is None:
            cleaned[name] = None
        elif name in _CHOICES:
            if value not in _CHOICES[name]:
                raise InvalidEpisodeError(f"{name} {value!r} is not a choice")
            cleaned[name] = value
        elif name == "severity":
            if isinstance(value, bool) or not isinstance(value, int) or not SEVERITY_MIN <= value <= SEVERITY_MAX:
                raise InvalidEpisodeError(f"severity {value!r} is not {SEVERITY_MIN}-{SEVERITY_MAX}")
            cleaned[name] = value
        elif name == "helped_rating":
            if isinstance(value, bool) or not isinstance(value, int) or not RATING_MIN <= value <= RATING_MAX:
                raise InvalidEpisodeError(f"rating {value!r} is not {RATING_MIN}-{RATING_MAX}")
            cleaned[name] = value
        elif name == "helped":
            items = list(dict.fromkeys(value))
            if any(item not in REMEDIES for item in items):
                raise InvalidEpisodeError(f"helped {items!r} has an unknown remedy")
            cleaned[name] = items
    return cleaned


async def _user_zone(session: AsyncSession, user_id: int) -> ZoneInfo:
    name = (await session.execute(select(User.timezone).where(User.id == user_id))).scalar()
    return zone(name)


async def add_episode(
    session: AsyncSession,
    user_id: int,
    started_at: datetime,
    *,
    tz: ZoneInfo | None = None,
    logged_at: datetime | None = None,
    source: str = "command",
    **details: Any,
) -> Episode:
    """Save one cramp for ``user_id`` that started at ``started_at`` (aware), with details.

    ``details`` are any of location, side, severity, duration, context, helped and
    helped_rating. ``tz`` (the user's zone) decides the night it belongs to; when omitted
    it is read from the user's row.
    """
    if started_at.tzinfo is None:
        raise InvalidEpisodeError("started_at must be timezone-aware")
    if source not in SOURCES:
        raise InvalidEpisodeError(f"unknown source {source!r}")
    cleaned = clean_details(details)
    tz = tz or await _user_zone(session, user_id)
    episode = Episode(
        user_id=user_id,
        started_at=started_at.astimezone(UTC),
        logged_at=(logged_at or started_at).astimezone(UTC),
        night_of=night_of(started_at.astimezone(tz)),
        source=source,
        **cleaned,
    )
    session.add(episode)
    await session.flush()
    return episode


async def get_for_owner(session: AsyncSession, user_id: int, episode_id: int) -> Episode | None:
    """The episode if it exists and belongs to ``user_id``; otherwise None."""
    result = await session.execute(
        select(Episode).where(Episode.id == episode_id, Episode.user_id == user_id)
    )
    return result.scalars().first()


async def update_for_owner(
    session: AsyncSession,
    user_id: int,
    episode_id: int,
    *,
    started_at: datetime | None = None,
    tz: ZoneInfo | None = None,
    **details: Any,
) -> Episode | None:
    """Change fields of the owner's episode; None if it is not theirs (nothing changes)."""
    values = clean_details(details)
    if started_at is not None:
        if started_at.tzinfo is None:
            raise InvalidEpisodeError("started_at must be timezone-aware")
        tz = tz or await _user_zone(session, user_id)
        values["started_at"] = started_at.astimezone(UTC)
        values["night_of"] = night_of(started_at.astimezone(tz))
    if values:
        result = await session.execute(
            update(Episode)
            .where(Episode.id == episode_id, Episode.user_id == user_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 0:
            return None
    episode = await get_for_owner(session, user_id, episode_id)
    if episode is not None:
        await session.refresh(episode)
    return episode


async def toggle_helped(session: AsyncSession, user_id: int, episode_id: int,
                        remedy: str) -> Episode | None:
    """Add or remove one remedy; choosing "nothing" clears the others (and the rating)."""
    if remedy not in REMEDIES:
        raise InvalidEpisodeError(f"unknown remedy {remedy!r}")
    episode = await get_for_owner(session, user_id, episode_id)
    if episode is None:
        return None
    chosen = [r for r in (episode.helped or []) if r in REMEDIES]
    if remedy in chosen:
        chosen.remove(remedy)
    elif remedy == "nothing":
        chosen = ["nothing"]
    else:
        chosen = [r for r in chosen if r != "nothing"] + [remedy]
    changes: dict[str, Any] = {"helped": chosen or None}
    if chosen == ["nothing"] or not chosen:
        changes["helped_rating"] = None
    return await update_for_owner(session, user_id, episode_id, **changes)


async def delete_for_owner(session: AsyncSession, user_id: int, episode_id: int) -> bool:
    """Delete the owner's episode; False if there was none of theirs with that id."""
    result = await session.execute(
        delete(Episode)
        .where(Episode.id == episode_id, Episode.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


async def count_for_owner(session: AsyncSession, user_id: int) -> int:
    result = await session.execute(
        select(func.count()).select_from(Episode).where(Episode.user_id == user_id)
    )
    return int(result.scalar_one())


async def list_for_owner(session: AsyncSession, user_id: int, *, offset: int = 0,
                         limit: int = 8) -> list[Episode]:
    """A page of the owner's episodes, newest first."""
    result = await session.execute(
        select(Episode)
        .where(Episode.user_id == user_id)
        .order_by(Episode.started_at.desc(), Episode.id.desc())
        .offset(max(0, offset))
        .limit(limit)
    )
    return list(result.scalars().all())


async def latest_for_owner(session: AsyncSession, user_id: int) -> Episode | None:
    """The owner's most recently logged episode."""
    result = await session.execute(
        select(Episode).where(Episode.user_id == user_id)
        .order_by(Episode.logged_at.desc(), Episode.id.desc()).limit(1)
    )
    return result.scalars().first()


def _record(row: Any) -> EpisodeRecord:
    return EpisodeRecord(
        started_at=row.started_at, id=row.id, location=row.location, side=row.side,
        severity=row.severity, duration=row.duration, context=row.context,
        helped=tuple(row.helped or ()), helped_rating=row.helped_rating, source=row.source,
        logged_at=row.logged_at,
    )


async def records_between(session: AsyncSession, user_id: int, start_utc: datetime,
                          end_utc: datetime) -> list[EpisodeRecord]:
    """The owner's episodes that started in [start_utc, end_utc], oldest first, for stats."""
    connection = await session.connection()
    result = await connection.execute(
        select(*_RECORD_COLUMNS)
        .where(_TABLE.c.user_id == user_id, _TABLE.c.started_at >= start_utc,
               _TABLE.c.started_at <= end_utc)
        .order_by(_TABLE.c.started_at, _TABLE.c.id)
    )
    return [_record(row) for row in result]


async def all_records(session: AsyncSession, user_id: int) -> list[EpisodeRecord]:
    """Every episode of the owner, oldest first (the CSV export)."""
    connection = await session.connection()
    result = await connection.execute(
        select(*_RECORD_COLUMNS).where(_TABLE.c.user_id == user_id)
        .order_by(_TABLE.c.started_at, _TABLE.c.id)
    )
    return [_record(row) for row in result]


async def nights_between(session: AsyncSession, user_id: int, first: date,
                         last: date) -> list[date]:
    """Distinct nights (``night_of``) with any logged cramp in [first, last]."""
    result = await session.execute(
        select(Episode.night_of).distinct()
        .where(Episode.user_id == user_id, Episode.night_of >= first, Episode.night_of <= last)
        .order_by(Episode.night_of)
    )
    return list(result.scalars().all())
