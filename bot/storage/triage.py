"""Triage sessions and results: data functions; each takes the session, the use case commits.

Every change to a session is a compare-and-set on its ``step``: it applies only if nobody
answered in the meantime (a double press, or the same press reaching two instances), so a
triage never advances twice for one press.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models.triage import TriageResult, TriageSession


async def start(session: AsyncSession, user_id: int, *, node: str, graph_version: str,
                now: datetime) -> TriageSession:
    """Open a new session at ``node``; the user's unfinished ones are abandoned (deleted)."""
    await session.execute(
        delete(TriageSession).where(
            col(TriageSession.user_id) == user_id, col(TriageSession.finished_at).is_(None)
        )
    )
    row = TriageSession(user_id=user_id, node=node, graph_version=graph_version,
                        started_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, session_id: int) -> TriageSession | None:
    return (
        await session.exec(select(TriageSession).where(TriageSession.id == session_id))
    ).first()


def _unchanged_since(session_id: int, step: int) -> tuple[Any, ...]:
    return (
        col(TriageSession.id) == session_id,
        col(TriageSession.step) == step,
        col(TriageSession.finished_at).is_(None),
    )


async def advance(session: AsyncSession, session_id: int, *, expected_step: int, node: str,
                  answers: list[dict[str, Any]], now: datetime) -> bool:
    """Move an unfinished session on (or back); False if its step is no longer ``expected_step``."""
    result = await session.execute(
        update(TriageSession)
        .where(*_unchanged_since(session_id, expected_step))
        .values(node=node, step=len(answers), answers=answers, updated_at=now)
    )
    return result.rowcount == 1


async def finish(session: AsyncSession, session_id: int, *, expected_step: int, node: str,
                 answers: list[dict[str, Any]], red_flags: list[str], level: str,
                 now: datetime, keep: bool = True) -> bool:
    """Close a session with its outcome; ``keep=False`` deletes it instead (no consent).

    False if the session moved on since ``expected_step`` (nothing is changed then).
    """
    if not keep:
        result = await session.execute(
            delete(TriageSession).where(*_unchanged_since(session_id, expected_step))
        )
        return result.rowcount == 1
    result = await session.execute(
        update(TriageSession)
        .where(*_unchanged_since(session_id, expected_step))
        .values(node=node, step=len(answers), answers=answers, red_flags=red_flags,
                level=level, updated_at=now, finished_at=now)
    )
    return result.rowcount == 1


async def latest_result(session: AsyncSession, user_id: int) -> TriageResult | None:
    """The user's most recent finished triage, or None."""
    query = (
        select(TriageSession)
        .where(TriageSession.user_id == user_id, col(TriageSession.finished_at).is_not(None))
        .order_by(col(TriageSession.finished_at).desc(), col(TriageSession.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def results_between(session: AsyncSession, user_id: int, start_utc: datetime,
                          end_utc: datetime) -> list[TriageResult]:
    """The user's finished triages with start_utc <= finished_at < end_utc, oldest first."""
    query = (
        select(TriageSession)
        .where(
            TriageSession.user_id == user_id,
            col(TriageSession.finished_at) >= start_utc,
            col(TriageSession.finished_at) < end_utc,
        )
        .order_by(col(TriageSession.finished_at), col(TriageSession.id))
    )
    return list((await session.exec(query)).all())
