"""Migrations: upgrade -> downgrade -> upgrade, and the models agree with the migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import bot.models  # noqa: F401
from bot.db import create_engine
from bot.migrate import alembic_config, compare_type, current_revision, head_revision
from bot.models import metadata
from tests.conftest import drop_pg_schema, make_pg_database


def _round_trip(connection: Connection) -> dict[str, object]:
    config = alembic_config(connection=connection)
    command.upgrade(config, "head")
    after_first = set(inspect(connection).get_table_names())
    command.downgrade(config, "base")
    after_down = set(inspect(connection).get_table_names()) - {"alembic_version"}
    command.upgrade(config, "head")
    diff = compare_metadata(
        MigrationContext.configure(connection, opts={"compare_type": compare_type}), metadata
    )
    return {
        "tables": after_first,
        "after_down": after_down,
        "revision": current_revision(connection),
        "diff": diff,
    }


def _check(result: dict[str, object]) -> None:
    assert set(metadata.tables) <= result["tables"]
    assert result["after_down"] == set()
    assert result["revision"] == head_revision()
    assert result["diff"] == [], f"models and migrations differ: {result['diff']}"


async def test_round_trip_and_autogenerate_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    async with engine.connect() as connection:
        result = await connection.run_sync(_round_trip)
        await connection.commit()
    await engine.dispose()
    _check(result)


@pytest.mark.postgres
async def test_round_trip_and_autogenerate_on_postgres(pg_schema_url: tuple[str, str]) -> None:
    url, schema = pg_schema_url
    database = await make_pg_database(url, schema, create_tables=False)
    try:
        async with database.engine.connect() as connection:
            result = await connection.run_sync(_round_trip)
            await connection.commit()
    finally:
        await database.dispose()
        await drop_pg_schema(url, schema)
    _check(result)


def test_one_head_and_readable_revision_names() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, "migrations have branched: merge or re-parent them"
    for revision in script.walk_revisions():
        assert revision.revision[:4].isdigit() and "_" in revision.revision, revision.revision
        path = Path(revision.path)
        assert path.name.startswith(revision.revision), path.name


async def test_cli_migrate_creates_the_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.__main__ import main

    target = tmp_path / "nested" / "bot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{target}")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    code = await asyncio.to_thread(main, ["migrate"])
    assert code == 0
    assert target.exists()
