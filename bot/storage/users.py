"""Users: upsert on every update, read and change settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models.user import User

_TABLE = User.__table__  # type: ignore[attr-defined]


async def upsert_seen(
    session: AsyncSession,
    *,
    user_id: int,
    chat_id: int | None,
    first_name: str | None,
    language_code: str | None,
    now: datetime,
) -> User:
    """Create the user or refresh what Telegram tells us; marks them active. One round trip."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values: dict[str, Any] = {
        "id": user_id,
        "chat_id": chat_id,
        "first_name": (first_name or "")[:128] or None,
        "language_code": (language_code or "")[:16] or None,
        "created_at": now,
        "last_seen_at": now,
        "is_active": True,
    }
    statement = insert(_TABLE).values(**values)
    changes: dict[str, Any] = {
        "first_name": statement.excluded.first_name,
        "language_code": statement.excluded.language_code,
        "last_seen_at": statement.excluded.last_seen_at,
        "is_active": True,
    }
    if chat_id is not None:
        changes["chat_id"] = statement.excluded.chat_id
    statement = statement.on_conflict_do_update(index_elements=["id"], set_=changes).returning(
        *_TABLE.c
    )
    row = (await session.execute(statement)).one()
    return User.model_validate(dict(row._mapping))


async def get(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def set_fields(session: AsyncSession, user_id: int, **fields: Any) -> None:
    """Change columns of one user (e.g. ``country="GB"``, ``awaiting=None``)."""
    unknown = set(fields) - set(_TABLE.c.keys())
    if unknown:
        raise ValueError(f"unknown user fields: {sorted(unknown)}")
    await session.execute(update(User).where(User.id == user_id).values(**fields))


async def count(session: AsyncSession, *, active: bool | None = None) -> int:
    query = select(func.count()).select_from(User)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    return int((await session.execute(query)).scalar_one())
