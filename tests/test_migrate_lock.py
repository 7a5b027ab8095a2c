"""Migrations as one explicit deploy step: an advisory lock on PostgreSQL, and a bot that
refuses to start on a schema that is not at this code's head revision."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.db import Database, create_engine
from bot.migrate import (
    MIGRATION_LOCK_KEY,
    current_revision,
    head_revision,
    schema_problem,
    upgrade_locked,
)
from tests.conftest import drop_pg_schema, make_pg_database


def _engine(url: str, schema: str):
    return create_engine(url, connect_args={"server_settings": {"search_path": schema}})


async def _revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(current_revision)


@pytest.mark.postgres
async def test_concurrent_migrations_do_not_race(pg_schema_url: tuple[str, str]) -> None:
    url, schema = pg_schema_url
    database = await make_pg_database(url, schema, create_tables=False)
    engines = [_engine(url, schema) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade_locked(engine) for engine in engines))
        assert await _revision(database) == head_revision()
    finally:
        for engine in engines:
            await engine.dispose()
        await database.dispose()
        await drop_pg_schema(url, schema)


@pytest.mark.postgres
async def test_a_migration_waits_for_the_lock(pg_schema_url: tuple[str, str]) -> None:
    url, schema = pg_schema_url
    database = await make_pg_database(url, schema, create_tables=False)
    engine = _engine(url, schema)
    holder = await database.engine.connect()
    try:
        await holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        await holder.commit()
        task = asyncio.create_task(upgrade_locked(engine))
        # Wait until PostgreSQL shows the migrator queued behind our lock.
        for _ in range(200):
            waiting = (await holder.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ))).scalar_one()
            await holder.commit()
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting >= 1 and not task.done()
        assert await _revision(database) is None  # nothing applied while the lock is held
        await holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
        await holder.commit()
        await asyncio.wait_for(task, 60)
        assert await _revision(database) == head_revision()
    finally:
        await holder.close()
        await engine.dispose()
        await database.dispose()
        await drop_pg_schema(url, schema)


@pytest.mark.postgres
async def test_schema_problem_names_the_step_to_run(pg_schema_url: tuple[str, str]) -> None:
    url, schema = pg_schema_url
    database = await make_pg_database(url, schema, create_tables=False)
    try:
        assert "no tables yet: run python -m bot migrate" in await schema_problem(database.engine)
        await upgrade_locked(database.engine)
        assert await schema_problem(database.engine) is None
        async with database.engine.connect() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '0001_users'"))
            await connection.commit()
        if head_revision() != "0001_users":
            problem = await schema_problem(database.engine)
            assert problem == (f"The database is at revision 0001_users, this version needs "
                               f"{head_revision()}: run python -m bot migrate")
        async with database.engine.connect() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
            await connection.commit()
        assert "newer than this version" in await schema_problem(database.engine)
    finally:
        await database.dispose()
        await drop_pg_schema(url, schema)


def test_the_bot_refuses_to_start_on_an_unreachable_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main
    from tests.conftest import TEST_TOKEN

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:9/none")
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("Cannot reach the database at DATABASE_URL")
