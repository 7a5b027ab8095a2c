"""Counts for the operator's /admin screen: how many, never who."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models.user import CONSENT_ACCEPTED, CONSENT_DECLINED, User
from bot.storage.privacy import user_tables


async def user_counts(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Users: total, active, blocked, consented, declined, seen in the last 24 h and 7 days."""
    row = (await session.execute(select(
        func.count(),
        func.count().filter(User.is_active.is_(True)),
        func.count().filter(User.is_active.is_(False)),
        func.count().filter(User.consent == CONSENT_ACCEPTED),
        func.count().filter(User.consent == CONSENT_DECLINED),
        func.count().filter(User.last_seen_at >= now - timedelta(days=1)),
        func.count().filter(User.last_seen_at >= now - timedelta(days=7)),
    ).select_from(User))).one()
    keys = ("users", "active", "blocked", "consented", "declined", "seen_24h", "seen_7d")
    return dict(zip(keys, (int(v) for v in row), strict=True))


async def table_counts(session: AsyncSession) -> dict[str, int]:
    """Rows in every per-user table (episodes, triage results, reminders, ...)."""
    counts: dict[str, int] = {}
    for table in user_tables():
        counts[table.name] = int(
            (await session.execute(select(func.count()).select_from(table))).scalar_one()
        )
    return counts


async def overview(session: AsyncSession, now: datetime) -> dict[str, Any]:
    """Everything /admin shows, as plain counts."""
    return {"users": await user_counts(session, now), "tables": await table_counts(session)}
