"""Causes explorer runs and results; each function takes the session, the caller commits.

Contract for other features: ``latest_medicines`` and ``latest_factors`` return the names
flagged by the user's most recent finished run ([] when there is none).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
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
    """The run ``session_id`` if it belongs to ``user_id``."""
    row = await session.get(CausesSession, session_id)
    return row if row is not None and row.user_id == user_id else None


async def save_progress(session: AsyncSession, row: CausesSession, step: str,
                        answers: dict[str, Any], now: datetime) -> None:
    row.step = step
    row.answers = dict(answers)  # a new object, so the JSON column is marked changed
    row.updated_at = now
    session.add(row)


async def finish(session: AsyncSession, row: CausesSession, *, step: str, answers: dict[str, Any],
                 factors: list[str], medicines: list[str], now: datetime, keep: bool) -> None:
    """Store the result; ``keep=False`` (the user declined storage) deletes the run instead."""
    if not keep:
        await session.delete(row)
        return
    row.step = step
    row.answers = dict(answers)
    row.factors = list(factors)
    row.medicines = list(medicines)
    row.finished_at = now
    row.updated_at = now
    session.add(row)


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
