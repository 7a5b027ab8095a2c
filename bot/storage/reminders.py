"""Reminder data: users' plans (slots) and the dispatcher's claims on due reminders.

Data functions take the session explicitly; the caller commits, except the dispatcher's
claim functions, which are one transaction each by design (see docs/reminders.md):

1. ``claim_due_slots``: lock due slots (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite
   the transaction takes the single write lock first), insert one delivery row per slot
   under the unique key (user, slot, local date), advance each slot to its next local time.
2. ``start_sending``: right before the send call, move the rows this dispatcher still owns
   from ``pending`` to ``sending`` (a compare-and-set on the claim token).
3. ``record_results``: the outcome of each send.

A ``pending`` row whose dispatcher died is taken over after a lease
(``reclaim_stale_pending``); a ``sending`` row is never sent again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select as sm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models.reminders import (
    STATUS_BLOCKED,
    STATUS_PENDING,
    STATUS_SENDING,
    STATUS_SENT,
    STATUS_SKIPPED,
    ReminderDelivery,
    ReminderSlot,
)
from bot.models.user import CONSENT_ACCEPTED, User
from bot.reminders.messages import KIND_BEDTIME, KIND_STRETCH
from bot.reminders.timemath import (
    PAUSED_FOREVER,
    local_date,
    schedule,
    stretch_for,
    too_late,
    user_offset_seconds,
)

SLOTS = ReminderSlot.__table__  # type: ignore[attr-defined]
DELIVERIES = ReminderDelivery.__table__  # type: ignore[attr-defined]
USERS = User.__table__  # type: ignore[attr-defined]

DEFAULT_PLAN: tuple[tuple[str, time], ...] = (
    (KIND_STRETCH, time(9, 0)),
    (KIND_STRETCH, time(14, 0)),
    (KIND_STRETCH, time(19, 0)),
    (KIND_BEDTIME, time(22, 0)),
)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None


def _next_for(slot: ReminderSlot, zone_name: str | None, now: datetime) -> datetime | None:
    zone = _zone(zone_name)
    if zone is None:
        return None
    return schedule(slot.local_time, zone, now, offset_seconds=user_offset_seconds(slot.user_id),
                    enabled=slot.enabled, paused_until=slot.paused_until)


# --------------------------------------------------------------------------- the plan
async def get_slots(session: AsyncSession, user_id: int) -> list[ReminderSlot]:
    """The user's slots, in plan order."""
    result = await session.exec(
        sm_select(ReminderSlot)
        .where(ReminderSlot.user_id == user_id)
        .order_by(ReminderSlot.position)  # type: ignore[arg-type]
    )
    return list(result.all())


async def get_slot(session: AsyncSession, slot_id: int, user_id: int) -> ReminderSlot | None:
    """One slot, only if it belongs to ``user_id``."""
    slot = await session.get(ReminderSlot, slot_id)
    return slot if slot is not None and slot.user_id == user_id else None


async def create_default_plan(session: AsyncSession, user_id: int, zone_name: str,
                              now: datetime) -> list[ReminderSlot]:
    """Create the default plan (stretch 09:00, 14:00, 19:00; bedtime 22:00) if missing.

    Idempotent: a double tap, or a second instance, cannot create a second plan.
    """
    insert_fn = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    zone = ZoneInfo(zone_name)
    offset = user_offset_seconds(user_id)
    rows = [
        {
            "user_id": user_id, "kind": kind, "position": position, "local_time": at,
            "enabled": True, "suspended": False, "paused_until": None,
            "next_due_at": schedule(at, zone, now, offset_seconds=offset),
            "created_at": now, "updated_at": now,
        }
        for position, (kind, at) in enumerate(DEFAULT_PLAN)
    ]
    statement = insert_fn(SLOTS).on_conflict_do_nothing(index_elements=["user_id", "position"])
    await session.execute(statement, rows)
    return await get_slots(session, user_id)


async def _save_schedule(session: AsyncSession, slots: Iterable[ReminderSlot], zone_name: str | None,
                         now: datetime) -> None:
    for slot in slots:
        slot.next_due_at = _next_for(slot, zone_name, now)
        slot.suspended = False
        slot.updated_at = now
        session.add(slot)
    await session.flush()


async def reschedule(session: AsyncSession, user_id: int, zone_name: str | None,
                     now: datetime) -> list[ReminderSlot]:
    """Recompute every slot's next due time (after a zone change, a resume, /start)."""
    slots = await get_slots(session, user_id)
    await _save_schedule(session, slots, zone_name, now)
    return slots


async def set_time(session: AsyncSession, slot: ReminderSlot, at: time, zone_name: str | None,
                   now: datetime) -> None:
    slot.local_time = at.replace(second=0, microsecond=0, tzinfo=None)
    await _save_schedule(session, [slot], zone_name, now)


async def set_enabled(session: AsyncSession, slot: ReminderSlot, enabled: bool,
                      zone_name: str | None, now: datetime) -> None:
    slot.enabled = enabled
    await _save_schedule(session, [slot], zone_name, now)


async def pause(session: AsyncSession, user_id: int, until: datetime, zone_name: str | None,
                now: datetime) -> list[ReminderSlot]:
    """Pause every slot until ``until`` (``PAUSED_FOREVER``: until the user resumes)."""
    slots = await get_slots(session, user_id)
    for slot in slots:
        slot.paused_until = until
    await _save_schedule(session, slots, zone_name, now)
    return slots


async def resume(session: AsyncSession, user_id: int, zone_name: str | None,
                 now: datetime) -> list[ReminderSlot]:
    slots = await get_slots(session, user_id)
    for slot in slots:
        slot.paused_until = None
    await _save_schedule(session, slots, zone_name, now)
    return slots


def paused_until(slots: Sequence[ReminderSlot], now: datetime) -> datetime | None:
    """When the plan's pause ends (``PAUSED_FOREVER`` if open-ended); None if not paused."""
    ends = [s.paused_until for s in slots if s.paused_until is not None and s.paused_until > now]
    return max(ends) if ends else None


# --------------------------------------------------------------------------- deliveries
async def get_delivery(session: AsyncSession, delivery_id: int,
                       user_id: int) -> ReminderDelivery | None:
    """One delivery, only if it belongs to ``user_id``."""
    row = await session.get(ReminderDelivery, delivery_id)
    return row if row is not None and row.user_id == user_id else None


async def mark_done(session: AsyncSession, delivery: ReminderDelivery, now: datetime) -> bool:
    """Record that the user did the stretch; False if it was already recorded."""
    if delivery.done_at is not None:
        return False
    delivery.done_at = now
    delivery.snooze_due_at = None
    session.add(delivery)
    await session.flush()
    return True


async def snooze(session: AsyncSession, delivery: ReminderDelivery, until: datetime) -> bool:
    """Ask the dispatcher to send this reminder again at ``until``; False if already pending."""
    if delivery.snooze_due_at is not None or delivery.done_at is not None:
        return False
    delivery.snooze_due_at = until
    session.add(delivery)
    await session.flush()
    return True


async def stretch_adherence_by_day(session: AsyncSession, user_id: int, start_utc: datetime,
                                   end_utc: datetime, tz: ZoneInfo) -> dict[date, tuple[int, int]]:
    """(stretch reminders sent, marked Done) per local day in ``tz``, for due times in
    ``[start_utc, end_utc)``. Days without a sent stretch reminder are absent. Bedtime
    prompts are not counted."""
    query = select(DELIVERIES.c.due_at, DELIVERIES.c.done_at).where(
        DELIVERIES.c.user_id == user_id,
        DELIVERIES.c.kind == KIND_STRETCH,
        DELIVERIES.c.status == STATUS_SENT,
        DELIVERIES.c.due_at >= start_utc,
        DELIVERIES.c.due_at < end_utc,
    )
    days: dict[date, list[int]] = {}
    for due_at, done_at in (await session.execute(query)).all():
        counts = days.setdefault(due_at.astimezone(tz).date(), [0, 0])
        counts[0] += 1
        counts[1] += done_at is not None
    return {day: (sent, done) for day, (sent, done) in sorted(days.items())}


async def count_due(session: AsyncSession, now: datetime) -> int:
    """Slots due now and not yet claimed (for the admin screen)."""
    query = select(func.count()).select_from(SLOTS).where(SLOTS.c.next_due_at <= now)
    return int((await session.execute(query)).scalar_one())


async def prune_deliveries(session: AsyncSession, *, before: datetime, limit: int = 5000) -> int:
    """Delete up to ``limit`` delivery rows due before ``before``; the number deleted.

    Old rows only feed adherence statistics (at most 90 days back), and a slot never fires
    for a past local date again, so their unique keys are no longer needed.
    """
    doomed = select(DELIVERIES.c.id).where(DELIVERIES.c.due_at < before).limit(limit)
    result = await session.execute(DELIVERIES.delete().where(DELIVERIES.c.id.in_(doomed)))
    return int(result.rowcount or 0)


# --------------------------------------------------------------------------- dispatcher
@dataclass(frozen=True)
class Claimed:
    """A delivery this dispatcher owns and should send now."""

    delivery_id: int
    user_id: int
    chat_id: int
    kind: str
    stretch: str
    send_at: datetime
    zone_name: str


@dataclass
class ClaimBatch:
    """One claim transaction: the deliveries to send and how many rows it looked at."""

    claimed: list[Claimed]
    examined: int = 0
    skipped: int = 0


def _eligible(row: object) -> bool:
    return bool(
        row.is_active and row.consent == CONSENT_ACCEPTED and row.chat_id is not None  # type: ignore[attr-defined]
        and _zone(row.timezone) is not None  # type: ignore[attr-defined]
    )


async def _lock_for_write(session: AsyncSession) -> None:
    """On SQLite, take the write lock before reading, so the read and the writes that follow
    form one serialised transaction (a no-op UPDATE makes pysqlite BEGIN and lock)."""
    if _dialect(session) == "sqlite":
        await session.execute(text("UPDATE reminder_slots SET id = id WHERE 0"))


def _skip_locked(query, session: AsyncSession, of):  # type: ignore[no-untyped-def]
    if _dialect(session) == "postgresql":
        return query.with_for_update(of=of, skip_locked=True)
    return query


async def claim_due_slots(session: AsyncSession, *, now: datetime, limit: int, token: str,
                          grace: timedelta) -> ClaimBatch:
    """Claim up to ``limit`` due slots in one transaction (committed here).

    Inserts the delivery rows (``pending``, or ``skipped`` when later than ``grace``),
    advances every claimed slot to its next local occurrence, and returns the deliveries to
    send. A slot whose user is inactive or has withdrawn consent is suspended instead.
    """
    await _lock_for_write(session)
    query = (
        select(
            SLOTS.c.id, SLOTS.c.user_id, SLOTS.c.kind, SLOTS.c.position, SLOTS.c.local_time,
            SLOTS.c.enabled, SLOTS.c.paused_until, SLOTS.c.next_due_at,
            USERS.c.chat_id, USERS.c.timezone, USERS.c.is_active, USERS.c.consent,
        )
        .select_from(SLOTS.join(USERS, USERS.c.id == SLOTS.c.user_id))
        .where(SLOTS.c.next_due_at <= now)
        .order_by(SLOTS.c.next_due_at)
        .limit(limit)
    )
    rows = (await session.execute(_skip_locked(query, session, SLOTS))).all()
    if not rows:
        await session.commit()
        return ClaimBatch([])
    deliveries: list[dict[str, object]] = []
    advances: list[dict[str, object]] = []
    zones: dict[int, str] = {}
    chats: dict[int, int] = {}
    for row in rows:
        if not _eligible(row):
            advances.append({"b_id": row.id, "b_next": None, "b_suspended": True})
            continue
        zone = ZoneInfo(row.timezone)
        offset = user_offset_seconds(row.user_id)
        due: datetime = row.next_due_at
        paused = row.paused_until is not None and row.paused_until > due
        if row.enabled and not paused:
            day = local_date(due, zone, offset)
            late = too_late(due, now, grace)
            deliveries.append({
                "user_id": row.user_id, "slot_id": row.id, "kind": row.kind,
                "stretch": stretch_for(day, row.position), "local_date": day,
                "due_at": due, "send_at": due,
                "status": STATUS_SKIPPED if late else STATUS_PENDING,
                "claim_token": None if late else token, "claimed_at": now,
                "error": "late" if late else None, "snooze_count": 0,
            })
            zones[row.id] = row.timezone
            chats[row.id] = row.chat_id
        following = schedule(row.local_time, zone, max(now, due), offset_seconds=offset,
                             enabled=row.enabled, paused_until=row.paused_until)
        advances.append({"b_id": row.id, "b_next": following, "b_suspended": False})
    claimed: list[Claimed] = []
    skipped = 0
    if deliveries:
        insert_fn = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
        statement = (
            insert_fn(DELIVERIES)
            .on_conflict_do_nothing(index_elements=["user_id", "slot_id", "local_date"])
            .returning(DELIVERIES.c.id, DELIVERIES.c.slot_id, DELIVERIES.c.user_id,
                       DELIVERIES.c.kind, DELIVERIES.c.stretch, DELIVERIES.c.send_at,
                       DELIVERIES.c.status)
        )
        inserted = (await session.execute(statement, deliveries)).all()
        for row in inserted:
            if row.status == STATUS_PENDING:
                claimed.append(Claimed(row.id, row.user_id, chats[row.slot_id], row.kind,
                                       row.stretch, row.send_at, zones[row.slot_id]))
            else:
                skipped += 1
    await session.execute(
        update(SLOTS)
        .where(SLOTS.c.id == bindparam("b_id"))
        .values(next_due_at=bindparam("b_next", type_=SLOTS.c.next_due_at.type),
                suspended=bindparam("b_suspended"), updated_at=now),
        advances,
    )
    await session.commit()
    return ClaimBatch(claimed, examined=len(rows), skipped=skipped)


async def claim_snoozes(session: AsyncSession, *, now: datetime, limit: int, token: str,
                        grace: timedelta) -> ClaimBatch:
    """Claim snoozed reminders whose snooze has ended (one transaction, committed here)."""
    await _lock_for_write(session)
    query = (
        select(DELIVERIES.c.id, DELIVERIES.c.user_id, DELIVERIES.c.kind, DELIVERIES.c.stretch,
               DELIVERIES.c.snooze_due_at, USERS.c.chat_id, USERS.c.timezone,
               USERS.c.is_active, USERS.c.consent, SLOTS.c.enabled, SLOTS.c.paused_until)
        .select_from(DELIVERIES.join(USERS, USERS.c.id == DELIVERIES.c.user_id)
                     .join(SLOTS, SLOTS.c.id == DELIVERIES.c.slot_id))
        .where(DELIVERIES.c.snooze_due_at <= now)
        .order_by(DELIVERIES.c.snooze_due_at)
        .limit(limit)
    )
    rows = (await session.execute(_skip_locked(query, session, DELIVERIES))).all()
    claimed: list[Claimed] = []
    changes: list[dict[str, object]] = []
    for row in rows:
        due = row.snooze_due_at
        paused = row.paused_until is not None and row.paused_until > now
        send = (_eligible(row) and row.enabled and not paused
                and not too_late(due, now, grace))
        changes.append({"b_id": row.id, "b_send_at": due,
                        "b_token": token if send else None})
        if send:
            claimed.append(Claimed(row.id, row.user_id, row.chat_id, row.kind, row.stretch, due,
                                   row.timezone))
    if changes:
        # A snooze that cannot be sent (too late, reminder switched off or paused since,
        # user gone) is simply dropped: the first delivery keeps its status.
        sendable = [c for c in changes if c["b_token"] is not None]
        dropped = [{"b_id": c["b_id"]} for c in changes if c["b_token"] is None]
        if sendable:
            await session.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.id == bindparam("b_id"))
                .values(status=STATUS_PENDING, claim_token=bindparam("b_token"), claimed_at=now,
                        send_at=bindparam("b_send_at", type_=DELIVERIES.c.send_at.type),
                        snooze_due_at=None, snooze_count=DELIVERIES.c.snooze_count + 1,
                        error=None),
                sendable,
            )
        if dropped:
            await session.execute(
                update(DELIVERIES).where(DELIVERIES.c.id == bindparam("b_id"))
                .values(snooze_due_at=None),
                dropped,
            )
    await session.commit()
    return ClaimBatch(claimed, examined=len(rows), skipped=len(rows) - len(claimed))


async def reclaim_stale_pending(session: AsyncSession, *, now: datetime, lease: timedelta,
                                limit: int, token: str, grace: timedelta) -> ClaimBatch:
    """Take over ``pending`` deliveries whose dispatcher stopped before sending them.

    A row is stale when it was claimed more than ``lease`` ago and is still ``pending``:
    its owner never reached the send call. Too-late rows become ``skipped``.
    """
    await _lock_for_write(session)
    query = (
        select(DELIVERIES.c.id, DELIVERIES.c.user_id, DELIVERIES.c.kind, DELIVERIES.c.stretch,
               DELIVERIES.c.send_at, USERS.c.chat_id, USERS.c.timezone, USERS.c.is_active,
               USERS.c.consent)
        .select_from(DELIVERIES.join(USERS, USERS.c.id == DELIVERIES.c.user_id))
        .where(DELIVERIES.c.status == STATUS_PENDING, DELIVERIES.c.claimed_at < now - lease)
        .order_by(DELIVERIES.c.claimed_at)
        .limit(limit)
    )
    rows = (await session.execute(_skip_locked(query, session, DELIVERIES))).all()
    claimed: list[Claimed] = []
    changes: list[dict[str, object]] = []
    for row in rows:
        send_at = row.send_at
        send = _eligible(row) and not too_late(send_at, now, grace)
        changes.append({
            "b_id": row.id, "b_status": STATUS_PENDING if send else STATUS_SKIPPED,
            "b_token": token if send else None,
            "b_error": None if send else ("late" if _eligible(row) else "inactive"),
        })
        if send:
            claimed.append(Claimed(row.id, row.user_id, row.chat_id, row.kind, row.stretch,
                                   send_at, row.timezone))
    if changes:
        await session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == bindparam("b_id"))
            .values(status=bindparam("b_status"), claim_token=bindparam("b_token"),
                    claimed_at=now, error=bindparam("b_error")),
            changes,
        )
    await session.commit()
    return ClaimBatch(claimed, examined=len(rows), skipped=len(rows) - len(claimed))


async def start_sending(session: AsyncSession, delivery_ids: Sequence[int],
                        token: str) -> set[int]:
    """Move the rows this dispatcher still owns from pending to sending (committed here).

    Returns the ids it may now send. A row another dispatcher took over (lease expired) is
    not returned, so at most one dispatcher ever calls Telegram for a delivery.
    """
    if not delivery_ids:
        return set()
    statement = (
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(list(delivery_ids)), DELIVERIES.c.status == STATUS_PENDING,
               DELIVERIES.c.claim_token == token)
        .values(status=STATUS_SENDING)
        .returning(DELIVERIES.c.id)
    )
    started = {row.id for row in (await session.execute(statement)).all()}
    await session.commit()
    return started


# A claim released on a clean stop looks as old as can be: any dispatcher takes it at once.
RELEASED_AT = datetime(2000, 1, 1, tzinfo=UTC)


async def release_claims(session: AsyncSession, delivery_ids: Sequence[int], token: str) -> int:
    """Hand back pending deliveries this dispatcher will not send (a clean stop): any
    dispatcher may claim them at once instead of waiting for the lease. Committed here."""
    if not delivery_ids:
        return 0
    result = await session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(list(delivery_ids)), DELIVERIES.c.status == STATUS_PENDING,
               DELIVERIES.c.claim_token == token)
        .values(claim_token=None, claimed_at=RELEASED_AT)
    )
    await session.commit()
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class Outcome:
    """What happened to one send."""

    delivery_id: int
    user_id: int
    status: str
    message_id: int | None = None
    error: str | None = None


async def record_results(session: AsyncSession, outcomes: Sequence[Outcome],
                         now: datetime) -> None:
    """Store send outcomes; users who blocked the bot are deactivated and their slots stop.

    Committed here.
    """
    if not outcomes:
        return
    await session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == bindparam("b_id"))
        .values(status=bindparam("b_status"), message_id=bindparam("b_message_id"),
                error=bindparam("b_error"),
                sent_at=bindparam("b_sent_at", type_=DELIVERIES.c.sent_at.type)),
        [
            {"b_id": o.delivery_id, "b_status": o.status, "b_message_id": o.message_id,
             "b_error": o.error, "b_sent_at": now if o.status == STATUS_SENT else None}
            for o in outcomes
        ],
    )
    blocked = sorted({o.user_id for o in outcomes if o.status == STATUS_BLOCKED})
    if blocked:
        await suspend_users(session, blocked, now)
    await session.commit()


async def suspend_users(session: AsyncSession, user_ids: Sequence[int], now: datetime) -> None:
    """Mark users inactive (they blocked the bot) and stop their slots."""
    await session.execute(update(USERS).where(USERS.c.id.in_(user_ids)).values(is_active=False))
    await session.execute(
        update(SLOTS).where(SLOTS.c.user_id.in_(user_ids))
        .values(next_due_at=None, suspended=True, updated_at=now)
    )


async def revive_suspended(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Restart slots of users who came back (active and consenting again). Committed here."""
    query = (
        select(SLOTS.c.id, SLOTS.c.user_id, SLOTS.c.local_time, SLOTS.c.enabled,
               SLOTS.c.paused_until, USERS.c.timezone)
        .select_from(SLOTS.join(USERS, USERS.c.id == SLOTS.c.user_id))
        .where(SLOTS.c.suspended.is_(True), USERS.c.is_active.is_(True),
               USERS.c.consent == CONSENT_ACCEPTED, USERS.c.chat_id.is_not(None))
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    changes = []
    for row in rows:
        zone = _zone(row.timezone)
        if zone is None:
            continue
        changes.append({
            "b_id": row.id,
            "b_next": schedule(row.local_time, zone, now,
                               offset_seconds=user_offset_seconds(row.user_id),
                               enabled=row.enabled, paused_until=row.paused_until),
        })
    if changes:
        await session.execute(
            update(SLOTS)
            .where(and_(SLOTS.c.id == bindparam("b_id"), SLOTS.c.suspended.is_(True)))
            .values(next_due_at=bindparam("b_next", type_=SLOTS.c.next_due_at.type),
                    suspended=False, updated_at=now),
            changes,
        )
    await session.commit()
    return len(changes)


__all__ = [
    "DEFAULT_PLAN",
    "PAUSED_FOREVER",
    "STATUS_SENDING",
    "ClaimBatch",
    "Claimed",
    "Outcome",
    "claim_due_slots",
    "claim_snoozes",
    "count_due",
    "create_default_plan",
    "get_delivery",
    "get_slot",
    "get_slots",
    "mark_done",
    "pause",
    "reclaim_stale_pending",
    "record_results",
    "release_claims",
    "reschedule",
    "resume",
    "revive_suspended",
    "set_enabled",
    "set_time",
    "snooze",
    "start_sending",
    "stretch_adherence_by_day",
]
