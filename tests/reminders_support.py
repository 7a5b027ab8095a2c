"""Helpers for the reminder tests: many users with plans, scripted senders, fake time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from bot.db import Database
from bot.models.reminders import ReminderDelivery, ReminderSlot
from bot.models.user import CONSENT_ACCEPTED, User
from bot.reminders.dispatcher import SENT, Dispatcher, Outgoing, SendReport
from bot.reminders.timemath import schedule, user_offset_seconds
from bot.storage.reminders import DEFAULT_PLAN

SLOTS = ReminderSlot.__table__
DELIVERIES = ReminderDelivery.__table__
USERS = User.__table__


async def seed_plans(db: Database, user_ids: list[int], *, zone: str = "Europe/London",
                     now: datetime, only_position: int | None = None,
                     due_at: datetime | None = None) -> None:
    """Users with consent and a default plan, in bulk.

    ``due_at`` makes one slot (``only_position``, default 0) of every user due at that
    instant; the other slots stay scheduled normally.
    """
    created = datetime(2026, 3, 1, tzinfo=UTC)
    user_rows = [
        {"id": uid, "chat_id": uid, "first_name": "U", "timezone": zone, "country": "GB",
         "consent": CONSENT_ACCEPTED, "consent_at": created, "created_at": created,
         "last_seen_at": created, "is_active": True}
        for uid in user_ids
    ]
    tz = ZoneInfo(zone)
    slot_rows = []
    for uid in user_ids:
        for position, (kind, at) in enumerate(DEFAULT_PLAN):
            next_due = schedule(at, tz, now, offset_seconds=user_offset_seconds(uid))
            if due_at is not None and position == (only_position or 0):
                next_due = due_at
            slot_rows.append({
                "user_id": uid, "kind": kind, "position": position, "local_time": at,
                "enabled": True, "suspended": False, "next_due_at": next_due,
                "created_at": created, "updated_at": created,
            })
    async with db.session() as session:
        for start in range(0, len(user_rows), 1000):
            await session.execute(insert(USERS), user_rows[start:start + 1000])
        for start in range(0, len(slot_rows), 1000):
            await session.execute(insert(SLOTS), slot_rows[start:start + 1000])
        await session.commit()


async def deliveries(db: Database) -> list[dict]:
    async with db.session() as session:
        rows = (await session.execute(select(DELIVERIES).order_by(DELIVERIES.c.id))).all()
    return [dict(row._mapping) for row in rows]


async def slots_of(db: Database, user_id: int) -> list[dict]:
    async with db.session() as session:
        rows = (await session.execute(
            select(SLOTS).where(SLOTS.c.user_id == user_id).order_by(SLOTS.c.position)
        )).all()
    return [dict(row._mapping) for row in rows]


async def set_slot(db: Database, user_id: int, position: int, **values: object) -> None:
    async with db.session() as session:
        await session.execute(
            update(SLOTS).where(SLOTS.c.user_id == user_id, SLOTS.c.position == position)
            .values(**values)
        )
        await session.commit()


class FakeTime:
    """Monotonic time and a sleep that advances it instantly (no real waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)  # let tasks that are ready run at the current time first
        self.now += max(seconds, 0.0)


class RecordingSender:
    """Records every send; ``script(outgoing, attempt)`` may return another report."""

    def __init__(self, script: Callable[[Outgoing, int], SendReport | None] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.sent: list[Outgoing] = []
        self.calls: list[tuple[Outgoing, float]] = []
        self.script = script
        self.clock = clock
        self._attempts: dict[int, int] = {}

    async def send(self, outgoing: Outgoing) -> SendReport:
        attempt = self._attempts.get(outgoing.delivery_id, 0) + 1
        self._attempts[outgoing.delivery_id] = attempt
        self.calls.append((outgoing, self.clock() if self.clock else 0.0))
        report = self.script(outgoing, attempt) if self.script is not None else None
        if report is None:
            self.sent.append(outgoing)
            report = SendReport(SENT, message_id=1000 + len(self.sent))
        await asyncio.sleep(0)  # a real send yields to the event loop
        return report


def make(db: Database, clock: Callable[[], datetime], sender: object, *,
         fake: FakeTime | None = None, **options: object) -> Dispatcher:
    """A dispatcher with fake time (so budgets and backoffs do not really wait)."""
    fake = fake or FakeTime()
    options.setdefault("rate", None)
    return Dispatcher(db, clock, sender, sleep=fake.sleep, monotonic=fake.monotonic,  # type: ignore[arg-type]
                      **options)


def at_local(day: datetime, at: time, zone: str) -> datetime:
    """``at`` local time on ``day``'s date, as UTC."""
    return datetime.combine(day.date(), at, ZoneInfo(zone)).astimezone(UTC)


def plus(instant: datetime, **delta: float) -> datetime:
    return instant + timedelta(**delta)
