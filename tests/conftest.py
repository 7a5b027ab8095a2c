"""Shared fixtures: settings, databases (SQLite per test, PostgreSQL in its own schema),
the Bot API stand-in, a started Application and a simulated user."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers every table)
from bot.app import CrampApplication, build_application
from bot.config import Settings
from bot.db import Database, create_engine
from bot.standin import BotApiStandIn, UserDriver

TEST_TOKEN = "123456789:TEST-token-for-the-local-stand-in-only"
PG_URL = os.environ.get("TEST_DATABASE_URL")


class FakeClock:
    """A settable clock: ``clock()`` returns the current fake time (aware, UTC)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("use an aware datetime")
        self.current = now

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "WEBHOOK_")) or name in ("DATABASE_URL", "ADMIN_IDS"):
            monkeypatch.delenv(name, raising=False)
    return Settings(_env_file=None, database_url=sqlite_url, telegram_bot_token=TEST_TOKEN)


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    """A fresh SQLite database with every table (created from the models)."""
    database = Database.from_url(sqlite_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield database
    await database.dispose()


def _require_pg() -> str:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped (.ci/run sets it)")
    return PG_URL


@pytest.fixture
def pg_schema_url() -> Iterator[tuple[str, str]]:
    """(url, schema): an empty schema of its own on the test PostgreSQL server, dropped after."""
    url = _require_pg()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    return url, schema


async def make_pg_database(url: str, schema: str, *, create_tables: bool = True) -> Database:
    admin = create_engine(url)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.dispose()
    database = Database(
        create_engine(url, connect_args={"server_settings": {"search_path": schema}})
    )
    if create_tables:
        async with database.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
    return database


async def drop_pg_schema(url: str, schema: str) -> None:
    admin = create_engine(url)
    async with admin.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await admin.dispose()


@pytest.fixture
async def pg_db(pg_schema_url: tuple[str, str]) -> AsyncIterator[Database]:
    """A fresh PostgreSQL schema with every table."""
    url, schema = pg_schema_url
    database = await make_pg_database(url, schema)
    yield database
    await database.dispose()
    await drop_pg_schema(url, schema)


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    server = await BotApiStandIn().start()
    yield server
    await server.stop()


async def start_application(settings: Settings, db: Database, standin: BotApiStandIn,
                            clock: FakeClock | None = None, **kwargs: object) -> CrampApplication:
    """Build, initialise and start an Application against the stand-in (no polling)."""
    application = build_application(
        settings, db=db, clock=clock, base_url=standin.base_url,
        base_file_url=standin.base_file_url, start_background_jobs=False, **kwargs,
    )
    await application.initialize()
    await application.post_init(application)
    await application.start()
    return application


async def stop_application(application: CrampApplication) -> None:
    await application.stop()
    await application.shutdown()


@pytest.fixture
async def app(settings: Settings, db: Database, standin: BotApiStandIn,
              clock: FakeClock) -> AsyncIterator[CrampApplication]:
    """A started Application on SQLite, talking HTTP to the stand-in, with a fake clock."""
    application = await start_application(settings, db, standin, clock)
    yield application
    await stop_application(application)


@pytest.fixture
def user(standin: BotApiStandIn, app: CrampApplication) -> UserDriver:
    """A Telegram user (id 1001) chatting with the bot."""
    return UserDriver(standin, app, user_id=1001, first_name="Alex")


@pytest.fixture
def other_user(standin: BotApiStandIn, app: CrampApplication) -> UserDriver:
    return UserDriver(standin, app, user_id=2002, first_name="Sam")
