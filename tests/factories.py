"""Factories for rows used across tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db import Database
from bot.models.user import CONSENT_ACCEPTED, User


async def make_user(db: Database, user_id: int = 1001, *, timezone: str | None = "Europe/London",
                    country: str | None = "GB", consent: str | None = CONSENT_ACCEPTED,
                    **fields: object) -> User:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    user = User(id=user_id, chat_id=user_id, first_name="Alex", timezone=timezone,
                country=country, consent=consent, consent_at=now if consent else None,
                created_at=now, last_seen_at=now, **fields)
    async with db.session() as session:
        user = await session.merge(user)  # create, or replace what an earlier step made
        await session.commit()
    return user
