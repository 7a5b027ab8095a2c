"""users.upsert_seen: every update creates or refreshes the user, writing only when needed.

A returning user whose details are unchanged and who was seen less than
``LAST_SEEN_RESOLUTION`` ago costs one read and no write (docs/performance.md); anything
Telegram tells us that changed, a reactivation, or an older ``last_seen_at`` is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from bot.db import Database
from bot.storage import users
from bot.storage.users import LAST_SEEN_RESOLUTION

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
USER = 4242


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The first word of every SQL statement sent while the block runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def seen(db: Database, now: datetime, *, chat_id: int | None = USER,
               first_name: str | None = "Alex", language_code: str | None = "en"):
    async with db.session() as session:
        row = await users.upsert_seen(session, user_id=USER, chat_id=chat_id,
                                      first_name=first_name, language_code=language_code, now=now)
        await session.commit()
    async with db.session() as session:
        stored = await users.get(session, USER)
    return row, stored


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Database:
    name = "db" if request.param == "sqlite" else "pg_db"
    return request.getfixturevalue(name)


async def test_a_new_user_is_created(database: Database) -> None:
    with statements(database) as sent:
        row, stored = await seen(database, T0)
    assert "INSERT" in sent
    assert stored is not None and stored.first_name == "Alex" and stored.chat_id == USER
    assert row.created_at == row.last_seen_at == T0 and row.is_active


async def test_an_unchanged_recent_user_is_read_not_written(database: Database) -> None:
    await seen(database, T0)
    later = T0 + LAST_SEEN_RESOLUTION - timedelta(seconds=1)
    with statements(database) as sent:
        row, stored = await seen(database, later)
    assert not {"INSERT", "UPDATE"} & set(sent[:-1]), sent  # the last one is our own re-read
    assert sent[0] == "SELECT"
    assert row.last_seen_at == stored.last_seen_at == T0  # kept to the resolution
    assert row.first_name == "Alex" and row.is_active


async def test_last_seen_is_refreshed_after_the_resolution(database: Database) -> None:
    await seen(database, T0)
    later = T0 + LAST_SEEN_RESOLUTION
    row, stored = await seen(database, later)
    assert row.last_seen_at == stored.last_seen_at == later
    assert stored.created_at == T0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"first_name": "Alexandra"}, ("first_name", "Alexandra")),
        ({"language_code": "de"}, ("language_code", "de")),
        ({"chat_id": 777}, ("chat_id", 777)),
        ({"first_name": None}, ("first_name", None)),
    ],
)
async def test_a_change_is_written_at_once(database: Database, change: dict[str, object],
                                           expected: tuple[str, object]) -> None:
    await seen(database, T0)
    now = T0 + timedelta(seconds=10)
    row, stored = await seen(database, now, **change)  # type: ignore[arg-type]
    name, value = expected
    assert getattr(row, name) == getattr(stored, name) == value
    assert stored.last_seen_at == now


async def test_no_chat_id_keeps_the_stored_one_without_a_write(database: Database) -> None:
    await seen(database, T0)
    with statements(database) as sent:
        row, stored = await seen(database, T0 + timedelta(seconds=5), chat_id=None)
    assert "INSERT" not in sent
    assert row.chat_id == stored.chat_id == USER


async def test_an_inactive_user_is_reactivated_at_once(database: Database) -> None:
    await seen(database, T0)
    async with database.session() as session:
        await users.set_fields(session, USER, is_active=False)
        await session.commit()
    row, stored = await seen(database, T0 + timedelta(seconds=5))
    assert row.is_active and stored.is_active


async def test_a_clock_set_back_rewrites_last_seen(database: Database) -> None:
    await seen(database, T0)
    earlier = T0 - timedelta(hours=1)
    row, stored = await seen(database, earlier)
    assert row.last_seen_at == stored.last_seen_at == earlier


async def test_long_names_are_cut_the_same_way_on_both_paths(database: Database) -> None:
    long_name = "A" * 300
    row, stored = await seen(database, T0, first_name=long_name, language_code="x" * 40)
    assert row.first_name == stored.first_name == "A" * 128
    with statements(database) as sent:
        again, _ = await seen(database, T0 + timedelta(seconds=1), first_name=long_name,
                              language_code="x" * 40)
    assert "INSERT" not in sent  # the cut name equals the stored one: nothing changed
    assert again.language_code == "x" * 16
