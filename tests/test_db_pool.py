"""The engine's pool (docs/performance.md): one connection for a SQLite file, so concurrent
use cases queue in FIFO order in the pool instead of sleeping in SQLite's busy handler; on
PostgreSQL a pooled connection is pinged only after sitting idle, not on every checkout."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select, text

import bot.db as bot_db
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


# --------------------------------------------------------------------------- PostgreSQL
def count_pings(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    dialect = db.engine.sync_engine.dialect
    real = dialect.do_ping
    pings: list[int] = []

    def counted(dbapi_connection):  # type: ignore[no-untyped-def]
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


async def backend_pid(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_busy_postgres_connection_is_not_pinged(pg_db: Database,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pings = count_pings(pg_db, monkeypatch)
    pids = {await backend_pid(pg_db) for _ in range(5)}
    assert pings == []  # used moments ago: no extra round trip
    assert len(pids) == 1  # and the same pooled connection each time


async def test_an_idle_connection_that_died_is_replaced_unseen(
    pg_db: Database, pg_schema_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await backend_pid(pg_db)
    admin = create_engine(pg_schema_url[0])
    async with admin.begin() as connection:  # e.g. the server restarted while we were idle
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    await admin.dispose()
    monkeypatch.setattr(bot_db, "PING_AFTER_IDLE_SECONDS", 0.0)  # "idle long enough"
    pings = count_pings(pg_db, monkeypatch)
    second = await backend_pid(pg_db)  # no error reaches the caller
    assert second != first
    assert pings  # the idle connection was pinged, failed, and was replaced


def test_an_explicit_pre_ping_is_left_to_sqlalchemy() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none", pool_pre_ping=True)
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
    assert not event.contains(engine.sync_engine, "checkin", bot_db._mark_idle)
    default = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    assert not default.pool._pre_ping  # type: ignore[attr-defined]
    assert event.contains(default.sync_engine, "checkin", bot_db._mark_idle)
