"""Apply alembic migrations from code (``python -m bot migrate`` and SQLite start-up).

On PostgreSQL the upgrade runs under a session-level advisory lock, so two deploy jobs
started at once cannot race: the second waits, then finds the schema at head and does
nothing. The bot itself never migrates PostgreSQL at start; it refuses to start, with one
line saying what to run, if the schema is not at this code's head revision.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
# pg_advisory_lock key for migrations: "cramp" as a number, unlikely to clash with others.
MIGRATION_LOCK_KEY = int.from_bytes(b"cramp", "big")
MIGRATE_HINT = "run python -m bot migrate"


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render our UTC type as the timezone-aware DateTime it is stored as."""
    from bot.models.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Compare our TypeDecorators by the type they store."""
    from bot.models.base import UTCDateTime

    if isinstance(metadata_type, UTCDateTime):
        metadata_column = metadata_column._copy()
        metadata_column.type = metadata_type.impl
    return context.impl.compare_type(inspected_column, metadata_column)


def alembic_config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    """An alembic Config pointing at ``migrations/``; the URL or connection comes from us."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url:
        config.attributes["database_url"] = database_url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (blocking; call outside a running event loop)."""
    if database_url.startswith("postgresql"):
        from bot.db import create_engine

        asyncio.run(_upgrade_and_dispose(create_engine(database_url), revision))
    else:
        command.upgrade(alembic_config(database_url), revision)


async def _upgrade_and_dispose(engine: AsyncEngine, revision: str) -> None:
    try:
        await upgrade_locked(engine, revision)
    finally:
        await engine.dispose()


def _upgrade_on(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection=connection), revision)


async def upgrade_locked(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade a PostgreSQL database while holding the migration advisory lock."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await connection.commit()
        try:
            await connection.run_sync(_upgrade_on, revision)
            await connection.commit()
        finally:
            await connection.rollback()
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                     {"key": MIGRATION_LOCK_KEY})
            await connection.commit()


async def schema_problem(engine: AsyncEngine) -> str | None:
    """None if the schema is at this code's head revision, else one line saying what to do."""
    async with engine.connect() as connection:
        current = await connection.run_sync(current_revision)
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    if current == head:
        return None
    if current is None:
        return f"The database has no tables yet: {MIGRATE_HINT}"
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        return (f"The database is at revision {current}, newer than this version of the bot "
                f"(head {head}): deploy the matching version.")
    return f"The database is at revision {current}, this version needs {head}: {MIGRATE_HINT}"


def check_schema(database_url: str) -> str | None:
    """``schema_problem`` for a URL, including "cannot connect" (blocking)."""
    from bot.db import create_engine

    async def check() -> str | None:
        engine = create_engine(database_url)
        try:
            return await schema_problem(engine)
        except Exception as err:  # any failure to connect is reported in one line
            detail = (str(err).strip().splitlines() or [""])[0][:200]
            return f"Cannot reach the database at DATABASE_URL: {type(err).__name__} {detail}".strip()
        finally:
            await engine.dispose()

    return asyncio.run(check())


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
