"""Everything stored about one user: export it, or delete it, across every table.

Generic over ``SQLModel.metadata``: a table is per-user when it has a ``user_id`` column
(the convention every feature follows), plus the ``users`` row itself. A new feature's
table is covered the day it is added, without touching this module.
"""

from __future__ import annotations

import base64
import enum
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Table, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import metadata  # importing bot.models registers every table
from bot.models.user import User

USERS_TABLE = User.__tablename__
USER_COLUMN = "user_id"


def user_tables() -> list[Table]:
    """Tables holding per-user rows (a ``user_id`` column), parents before children."""
    return [t for t in metadata.sorted_tables if USER_COLUMN in t.c and t.name != USERS_TABLE]


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a column value."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


async def _rows(session: AsyncSession, table: Table, column: str, user_id: int) -> list[dict]:
    order = list(table.primary_key.columns) or list(table.c)[:1]
    result = await session.execute(select(table).where(table.c[column] == user_id).order_by(*order))
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in result]


async def export_user(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """Every stored row about ``user_id``: the users row and each per-user table's rows."""
    users_table = metadata.tables[USERS_TABLE]
    profile = await _rows(session, users_table, "id", user_id)
    tables = {table.name: await _rows(session, table, USER_COLUMN, user_id)
              for table in user_tables()}
    return {"user": profile[0] if profile else None, "tables": tables}


async def count_rows(session: AsyncSession, user_id: int) -> dict[str, int]:
    """How many rows each per-user table holds for ``user_id`` (tables with none left out)."""
    counts: dict[str, int] = {}
    for table in user_tables():
        query = select(func.count()).select_from(table).where(table.c[USER_COLUMN] == user_id)
        count = int((await session.execute(query)).scalar_one())
        if count:
            counts[table.name] = count
    return counts


async def delete_user(session: AsyncSession, user_id: int) -> dict[str, int]:
    """Delete every row of ``user_id`` in every table, the users row last; rows deleted per table.

    Children go before parents, so it works with or without ON DELETE CASCADE.
    The caller commits.
    """
    deleted: dict[str, int] = {}
    for table in reversed(user_tables()):
        result = await session.execute(delete(table).where(table.c[USER_COLUMN] == user_id))
        if result.rowcount:
            deleted[table.name] = int(result.rowcount)
    users_table = metadata.tables[USERS_TABLE]
    result = await session.execute(delete(users_table).where(users_table.c.id == user_id))
    if result.rowcount:
        deleted[USERS_TABLE] = int(result.rowcount)
    return deleted
