"""Causes explorer runs and results; each function takes the session, the caller commits.

Contract for other features: ``latest_medicines`` and ``latest_factors`` return the names
flagged by the user's most recent finished run ([] when there is none).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models.causes import CausesSession


async def start(session: AsyncSession, user_id: int, step: str, now: datetime, *,
                keep_history: bool = True) -> CausesSession:
    """Begin a run; unfinished runs are dropped (and, without ``keep_history``, all runs)."""
    query = delete(CausesSession).where(CausesSession.user_id == user_id)
    if keep_history:
        query = query.where(CausesSession.finished_at.is_(None))
    await session.execute(query)
    row = CausesSession(user_id=user_id, step=step, answers={}, started_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    return row


async def get_owned(session: AsyncSession, user_id: int, session_id: int) -> CausesSession | None:
    """The run ``session_id`` if it belongs to ``user_id`` (read fresh from the database)."""
    query = select(CausesSession).where(CausesSession.id == session_id,
                                        CausesSession.user_id == user_id)
    return (await session.execute(query.execution_options(populate_existing=True))).scalars().first()


def _unchanged(row: CausesSession):
    """The WHERE clause of a compare-and-set: the run is as ``row`` saw it, and unfinished."""
    return (
        (CausesSession.id == row.id)
        & (CausesSession.version == row.version)
        & CausesSession.finished_at.is_(None)
    )


async def save_progress(session: AsyncSession, row: CausesSession, step: str,
                        answers: dict[str, Any], now: datetime) -> bool:
    """Move the run to ``step`` with ``answers`` if nobody changed it since ``row`` was read.

    False means another press (on this or another instance) got there first: re-read, retry.
    """
    result = await session.execute(
        update(CausesSession)
        .where(_unchanged(row))
        .values(step=step, answers=dict(answers), updated_at=now, version=row.version + 1)
    )
    return bool(result.rowcount)


async def finish(session: AsyncSession, row: CausesSession, *, step: str, answers: dict[str, Any],
                 factors: list[str], medicines: list[str], now: datetime, keep: bool) -> bool:
    """Store the result (compare-and-set, as ``save_progress``).

    ``keep=False`` (the user declined health-data storage) deletes the run instead.
    """
    if not keep:
        result = await session.execute(delete(CausesSession).where(_unchanged(row)))
        return bool(result.rowcount)
    result = await session.execute(
        update(CausesSession)
        .where(_unchanged(row))
        .values(step=step, answers=dict(answers), factors=list(factors),
                medicines=list(medicines), finished_at=now, updated_at=now,
                version=row.version + 1)
    )
    return bool(result.rowcount)


async def latest_result(session: AsyncSession, user_id: int) -> CausesSession | None:
    """The user's most recent finished run."""
    query = (
        select(CausesSession)
        .where(CausesSession.user_id == user_id, CausesSession.finished_at.is_not(None))
        .order_by(CausesSession.finished_at.desc(), CausesSession.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalars().first()


async def latest_medicines(session: AsyncSession, user_id: int) -> list[str]:
    """Names of the medicines picked in the latest finished run."""
    row = await latest_result(session, user_id)
    return list(row.medicines or []) if row is not None else []


async def latest_factors(session: AsyncSession, user_id: int) -> list[str]:
    """Names of the factors flagged in the latest finished run (conditions included)."""
    row = await latest_result(session, user_id)
    return list(row.factors or []) if row is not None else []
