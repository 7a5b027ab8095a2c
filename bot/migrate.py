"""Apply alembic migrations from code (``python -m bot migrate`` and SQLite start-up)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


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
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
