"""Users: refreshed on every update, read and change settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models.user import User

_TABLE = User.__table__  # type: ignore[attr-defined]

# ``last_seen_at`` is kept to this resolution: an update from a returning user whose name,
# language, chat and active flag are unchanged and who was seen less than this long ago
# only reads the row (no write, no commit to flush). Consumers count users seen per day,
# week and month, so minutes are plenty. See docs/performance.md.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)

_BY_ID = select(*_TABLE.c).where(_TABLE.c.id == bindparam("user_id"))


def _is_fresh(row: Any, *, chat_id: int | None, first_name: str | None,
              language_code: str | None, now: datetime) -> bool:
    """True if the stored row already says what this update would write."""
    since = now - row.last_seen_at
    return (
        row.is_active
        and row.first_name == first_name
        and row.language_code == language_code
        and (chat_id is None or row.chat_id == chat_id)
        and timedelta(0) <= since < LAST_SEEN_RESOLUTION
    )


@cache
def _upsert_statement(dialect: str, with_chat: bool) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING, built once per dialect (values bound)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE)
    changes: dict[str, Any] = {
        "first_name": statement.excluded.first_name,
        "language_code": statement.excluded.language_code,
        "last_seen_at": statement.excluded.last_seen_at,
        "is_active": True,
    }
    if with_chat:
        changes["chat_id"] = statement.excluded.chat_id
    return statement.on_conflict_do_update(index_elements=["id"], set_=changes).returning(
        *_TABLE.c
    )


async def upsert_seen(
    session: AsyncSession,
    *,
    user_id: int,
    chat_id: int | None,
    first_name: str | None,
    language_code: str | None,
    now: datetime,
) -> User:
    """Create the user or refresh what Telegram tells us; marks them active.

    Most updates come from a returning user whose row is already current: that costs one
    primary-key read and no write. Otherwise (new user, a change, or ``last_seen_at`` older
    than ``LAST_SEEN_RESOLUTION``) one upsert follows.
    """
    first_name = (first_name or "")[:128] or None
    language_code = (language_code or "")[:16] or None
    found = (await session.execute(_BY_ID, {"user_id": user_id})).one_or_none()
    if found is not None and _is_fresh(found, chat_id=chat_id, first_name=first_name,
                                       language_code=language_code, now=now):
        return User.model_validate(dict(found._mapping))
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    values: dict[str, Any] = {
        "id": user_id,
        "chat_id": chat_id,
        "first_name": first_name,
        "language_code": language_code,
        "created_at": now,
        "last_seen_at": now,
        "is_active": True,
    }
    statement = _upsert_statement(dialect, chat_id is not None)
    row = (await session.execute(statement, values)).one()
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
