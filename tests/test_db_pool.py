"""The engine's pool: one connection for a SQLite file, so concurrent use cases queue in FIFO
order in the pool instead of sleeping in SQLite's busy handler (docs/performance.md)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import event, func, select

from bot.db import SQLITE_POOL_SIZE, Database, create_engine
from bot.models.user import User
from bot.storage import users

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_a_sqlite_file_gets_one_connection(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    assert SQLITE_POOL_SIZE == 1
    assert engine.pool.size() == 1  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == 0  # type: ignore[attr-defined]


def test_in_memory_sqlite_and_explicit_options_still_build(sqlite_url: str) -> None:
    create_engine("sqlite+aiosqlite:///:memory:")
    engine = create_engine(sqlite_url, pool_size=3)
    assert engine.pool.size() == 3  # type: ignore[attr-defined]


def test_postgres_keeps_its_pool() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    assert engine.pool.size() == 10  # type: ignore[attr-defined]


async def test_concurrent_writers_all_succeed_in_order(db: Database) -> None:
    connects: list[object] = []
    event.listen(db.engine.sync_engine, "connect", lambda conn, _rec: connects.append(conn))
    order: list[int] = []

    async def write(user_id: int) -> None:
        async with db.session() as session:
            await users.upsert_seen(session, user_id=user_id, chat_id=user_id, first_name="A",
                                    language_code="en", now=NOW)
            await asyncio.sleep(0)  # hand the loop to the others while holding the session
            await session.commit()
        order.append(user_id)

    await asyncio.gather(*(write(i) for i in range(1, 41)))
    async with db.session() as session:
        stored = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    assert stored == 40
    assert order == list(range(1, 41))  # first come, first served
    assert len(connects) <= 1  # never a second connection
