""""Cramping now" progress: one row per flow; each function takes the session, the caller commits.

Only a user's latest flow is kept: starting a new one deletes the older rows. A flow of a
user who declined health-data storage is deleted when it ends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models.relief import ReliefSession


async def start(session: AsyncSession, user_id: int, now: datetime) -> ReliefSession:
    """Begin a new flow for ``user_id``, replacing any earlier one."""
    await session.execute(delete(ReliefSession).where(ReliefSession.user_id == user_id))
    row = ReliefSession(user_id=user_id, started_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    return row


async def get_owned(session: AsyncSession, user_id: int, session_id: int) -> ReliefSession | None:
    """The flow ``session_id`` if it belongs to ``user_id`` (finished or not)."""
    row = await session.get(ReliefSession, session_id)
    return row if row is not None and row.user_id == user_id else None


async def get(session: AsyncSession, session_id: int) -> ReliefSession | None:
    return await session.get(ReliefSession, session_id)


async def set_step(session: AsyncSession, row: ReliefSession, step: int, now: datetime) -> None:
    row.step = step
    row.updated_at = now
    session.add(row)


async def start_hold(session: AsyncSession, session_id: int, step: int, now: datetime) -> int:
    """Start a hold on ``step``; returns its sequence number (older countdowns go stale).

    One atomic UPDATE … RETURNING, so two presses on two instances get different numbers.
    """
    result = await session.execute(
        update(ReliefSession)
        .where(ReliefSession.id == session_id)
        .values(step=step, hold_seq=ReliefSession.hold_seq + 1, updated_at=now)
        .returning(ReliefSession.hold_seq)
    )
    return int(result.scalar_one())


async def hold_is_current(session: AsyncSession, session_id: int, seq: int, step: int) -> bool:
    """True while the countdown ``seq`` is the flow's latest hold and the user is still on it."""
    query = select(ReliefSession.id).where(
        ReliefSession.id == session_id,
        ReliefSession.hold_seq == seq,
        ReliefSession.step == step,
        ReliefSession.finished_at.is_(None),
    )
    return (await session.execute(query)).first() is not None


async def claim_still_question(session: AsyncSession, session_id: int, now: datetime) -> bool:
    """Mark "Still cramping?" as asked; True only for the one caller that may ask it."""
    result = await session.execute(
        update(ReliefSession)
        .where(
            ReliefSession.id == session_id,
            ReliefSession.still_asked_at.is_(None),
            ReliefSession.finished_at.is_(None),
        )
        .values(still_asked_at=now, updated_at=now)
    )
    return bool(result.rowcount)


async def mark_outcome(session: AsyncSession, row: ReliefSession, outcome: str, now: datetime) -> None:
    """Record what happened (e.g. emergency advice shown) without ending the flow."""
    row.outcome = outcome
    row.updated_at = now
    session.add(row)


async def finish(session: AsyncSession, row: ReliefSession, outcome: str, now: datetime, *,
                 keep: bool) -> None:
    """End the flow; ``keep=False`` (no consent to store health data) deletes the row."""
    if not keep:
        await session.delete(row)
        return
    row.finished_at = now
    row.outcome = outcome
    row.updated_at = now
    session.add(row)
