"""Seeding for the benchmarks: many users, each with consent and the full reminder plan.

Used by ``bench/idle.py``; a drop-in for the ``seed`` of ``bench/reminders.py`` (same rows;
import it as ``from seed import seed`` — the bench folder is on ``sys.path`` when a bench
script runs). Rows are inserted in
bulk (Core ``INSERT`` with executemany, 5,000 users per transaction); every slot's
``next_due_at`` is computed exactly as ``bot.storage.reminders.create_default_plan`` does
(``schedule`` with the user's stable offset), so the dispatcher sees what production would.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Twelve zones, with and without DST, whole and odd offsets.
ZONES = ("Europe/London", "Europe/Berlin", "Europe/Moscow", "America/New_York",
         "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata",
         "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Australia/Lord_Howe")
CHUNK = 5000


def zone_of(user_id: int, rng: random.Random) -> str:
    return rng.choice(ZONES)


async def seed(db: Any, users: int, now: datetime, *, first_id: int = 1, rng_seed: int = 42
               ) -> float:
    """``users`` users (ids ``first_id``…) with consent and the default plan; seconds taken."""
    from sqlalchemy import insert

    from bot.models.reminders import ReminderSlot
    from bot.models.user import CONSENT_ACCEPTED, User
    from bot.reminders.timemath import schedule, user_offset_seconds
    from bot.storage.reminders import DEFAULT_PLAN

    started = time.perf_counter()
    rng = random.Random(rng_seed)
    zones = {name: ZoneInfo(name) for name in ZONES}
    last = first_id + users
    chosen = {uid: zone_of(uid, rng) for uid in range(first_id, last)}
    async with db.session() as session:
        for start in range(first_id, last, CHUNK):
            ids = range(start, min(start + CHUNK, last))
            await session.execute(insert(User.__table__), [  # type: ignore[attr-defined]
                {"id": uid, "chat_id": uid, "first_name": "U", "timezone": chosen[uid],
                 "country": "GB", "consent": CONSENT_ACCEPTED, "consent_at": now,
                 "created_at": now, "last_seen_at": now, "is_active": True}
                for uid in ids
            ])
            await session.execute(insert(ReminderSlot.__table__), [  # type: ignore[attr-defined]
                {"user_id": uid, "kind": kind, "position": position, "local_time": at,
                 "enabled": True, "suspended": False, "created_at": now, "updated_at": now,
                 "next_due_at": schedule(at, zones[chosen[uid]], now,
                                         offset_seconds=user_offset_seconds(uid))}
                for uid in ids for position, (kind, at) in enumerate(DEFAULT_PLAN)
            ])
            await session.commit()
    return time.perf_counter() - started


async def nothing_due_for(db: Any, now: datetime, quiet: timedelta) -> int:
    """Move every slot due before ``now + quiet`` one day on: an idle window. Rows moved."""
    from sqlalchemy import bindparam, select, update

    from bot.models.reminders import ReminderSlot

    slots = ReminderSlot.__table__  # type: ignore[attr-defined]
    async with db.session() as session:
        soon = (await session.execute(
            select(slots.c.id, slots.c.next_due_at).where(slots.c.next_due_at < now + quiet)
        )).all()
        if soon:
            await session.execute(
                update(slots).where(slots.c.id == bindparam("b_id"))
                .values(next_due_at=bindparam("b_next", type_=slots.c.next_due_at.type)),
                [{"b_id": row.id, "b_next": row.next_due_at + timedelta(days=1)} for row in soon],
            )
        await session.commit()
    return len(soon)
