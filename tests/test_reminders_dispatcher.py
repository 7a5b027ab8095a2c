"""The reminder dispatcher with a fake clock, on SQLite and on real PostgreSQL.

Sending is a recording stand-in here (the end-to-end tests use the real HTTP client);
time is a ``FakeClock`` for due times and ``FakeTime`` for the send budget and backoffs.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.db import Database
from bot.models.reminders import (
    STATUS_BLOCKED,
    STATUS_FAILED,
    STATUS_PENDING,
    STATUS_SENDING,
    STATUS_SENT,
    STATUS_SKIPPED,
)
from bot.models.user import CONSENT_DECLINED
from bot.reminders.dispatcher import (
    BLOCKED,
    FAILED,
    RETRY_AFTER,
    TRANSIENT,
    Outgoing,
    RateLimiter,
    SendReport,
)
from bot.reminders.timemath import user_offset_seconds
from bot.storage import reminders as storage
from bot.storage import users
from tests.conftest import FakeClock
from tests.reminders_support import (
    FakeTime,
    RecordingSender,
    deliveries,
    make,
    seed_plans,
    set_slot,
    slots_of,
)

LONDON = "Europe/London"
MORNING = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 09:00 in London (GMT)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def rdb(request: pytest.FixtureRequest) -> Database:
    """The test database on SQLite and on PostgreSQL."""
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


def _offset(uid: int) -> timedelta:
    return timedelta(seconds=user_offset_seconds(uid))


# ------------------------------------------------------------------ the basics
async def test_due_reminder_is_sent_once_and_the_slot_moves_to_tomorrow(rdb: Database) -> None:
    clock = FakeClock(MORNING - timedelta(hours=1))
    await seed_plans(rdb, [1], zone=LONDON, now=clock())
    sender = RecordingSender()
    dispatcher = make(rdb, clock, sender, footer="<i>footer</i>")

    assert (await dispatcher.tick()).claimed == 0
    clock.set(MORNING + _offset(1) + timedelta(seconds=1))
    report = await dispatcher.tick()
    assert (report.claimed, report.sent) == (1, 1)
    message = sender.sent[0]
    assert message.chat_id == 1 and not message.silent
    assert "stretch" in message.text.lower() and message.text.endswith("<i>footer</i>")
    assert (await dispatcher.tick()).claimed == 0  # never twice

    [row] = await deliveries(rdb)
    assert row["status"] == STATUS_SENT and row["message_id"] == 1001
    assert row["kind"] == "stretch" and str(row["local_date"]) == "2026-03-10"
    slots = await slots_of(rdb, 1)
    assert slots[0]["next_due_at"] == MORNING + timedelta(days=1) + _offset(1)


async def test_reminder_later_than_the_grace_window_is_skipped(rdb: Database) -> None:
    clock = FakeClock(MORNING - timedelta(hours=1))
    await seed_plans(rdb, [1], zone=LONDON, now=clock())
    sender = RecordingSender()
    dispatcher = make(rdb, clock, sender, grace=timedelta(minutes=30))
    clock.set(MORNING + timedelta(minutes=31) + _offset(1))
    report = await dispatcher.tick()
    assert (report.sent, report.skipped) == (0, 1)
    assert sender.sent == []
    [row] = await deliveries(rdb)
    assert row["status"] == STATUS_SKIPPED and row["error"] == "late"
    assert (await slots_of(rdb, 1))[0]["next_due_at"] == MORNING + timedelta(days=1) + _offset(1)


async def test_downtime_of_days_skips_once_and_resumes_on_schedule(db: Database) -> None:
    clock = FakeClock(MORNING - timedelta(days=3, hours=1))
    await seed_plans(db, [1], zone=LONDON, now=clock())
    clock.set(MORNING + timedelta(hours=2))  # 11:00 on day 3; four slots overdue
    sender = RecordingSender()
    report = await make(db, clock, sender).tick()
    assert report.sent == 0 and report.skipped == 4
    slots = await slots_of(db, 1)
    assert [s["next_due_at"] for s in slots] == [
        MORNING + timedelta(days=1) + _offset(1),
        MORNING + timedelta(hours=5) + _offset(1),
        MORNING + timedelta(hours=10) + _offset(1),
        MORNING + timedelta(hours=13) + _offset(1),
    ]


async def test_bedtime_prompt_goes_out_silently_and_carries_the_routine(db: Database) -> None:
    clock = FakeClock(MORNING)
    await seed_plans(db, [1], zone=LONDON, now=clock())
    clock.set(MORNING + timedelta(hours=13, seconds=60))  # 22:01 London
    sender = RecordingSender()
    await make(db, clock, sender).tick()
    [bedtime] = [m for m in sender.sent if "Bedtime" in m.text]
    assert bedtime.silent
    assert "toes" in bedtime.text and "heavy blankets" in bedtime.text
    labels = [label for row in bedtime.rows for label, _ in row]
    assert labels == ["Show me how", "Done ✅", "Snooze 15 min", "Log a cramp", "Pause"]


@pytest.mark.parametrize(
    ("zone", "start", "days"),
    [
        ("America/New_York", datetime(2026, 3, 5, tzinfo=UTC), 7),
        ("Europe/London", datetime(2026, 10, 22, tzinfo=UTC), 7),
        ("Australia/Lord_Howe", datetime(2026, 10, 1, tzinfo=UTC), 7),
    ],
)
async def test_dispatch_across_dst_keeps_local_time_and_one_per_day(
    db: Database, zone: str, start: datetime, days: int
) -> None:
    clock = FakeClock(start)
    await seed_plans(db, [7], zone=zone, now=clock())
    for position in (1, 2, 3):
        await set_slot(db, 7, position, enabled=False, next_due_at=None)
    sender = RecordingSender()
    dispatcher = make(db, clock, sender)
    for _ in range(days):
        clock.set((await slots_of(db, 7))[0]["next_due_at"] + timedelta(seconds=5))
        await dispatcher.tick()
    local = [
        (row["send_at"] - _offset(7)).astimezone(ZoneInfo(zone)) for row in await deliveries(db)
    ]
    assert [t.time() for t in local] == [time(9, 0)] * days
    assert len({t.date() for t in local}) == days == len(sender.sent)


# ------------------------------------------------------------------ snooze, done
async def test_snooze_sends_the_same_reminder_again_15_minutes_later(db: Database) -> None:
    clock = FakeClock(MORNING + _offset(1) + timedelta(seconds=2))
    await seed_plans(db, [1], zone=LONDON, now=MORNING - timedelta(hours=1))
    sender = RecordingSender()
    dispatcher = make(db, clock, sender)
    await dispatcher.tick()
    [first] = sender.sent
    async with db.session() as session:
        delivery = await storage.get_delivery(session, first.delivery_id, 1)
        assert await storage.snooze(session, delivery, clock() + timedelta(minutes=15))
        assert not await storage.snooze(session, delivery, clock() + timedelta(minutes=15))
        await session.commit()
    clock.advance(minutes=14)
    assert (await dispatcher.tick()).sent == 0
    clock.advance(minutes=1, seconds=1)
    assert (await dispatcher.tick()).sent == 1
    again = sender.sent[-1]
    assert again.delivery_id == first.delivery_id and again.text == first.text
    [row] = await deliveries(db)
    assert row["snooze_count"] == 1 and row["snooze_due_at"] is None
    assert row["status"] == STATUS_SENT and row["message_id"] == 1002
    assert (await dispatcher.tick()).sent == 0


async def test_a_snooze_is_dropped_when_reminders_are_paused_meanwhile(db: Database) -> None:
    clock = FakeClock(MORNING + _offset(1) + timedelta(seconds=2))
    await seed_plans(db, [1], zone=LONDON, now=MORNING - timedelta(hours=1))
    sender = RecordingSender()
    dispatcher = make(db, clock, sender)
    await dispatcher.tick()
    async with db.session() as session:
        delivery = await storage.get_delivery(session, sender.sent[0].delivery_id, 1)
        await storage.snooze(session, delivery, clock() + timedelta(minutes=15))
        await storage.pause(session, 1, clock() + timedelta(days=1), LONDON, clock())
        await session.commit()
    clock.advance(minutes=16)
    assert (await dispatcher.tick()).sent == 0
    [row] = await deliveries(db)
    assert row["snooze_due_at"] is None and row["snooze_count"] == 0
    assert row["status"] == STATUS_SENT


async def test_adherence_counts_stretch_reminders_sent_and_done_per_local_day(
    db: Database,
) -> None:
    clock = FakeClock(MORNING - timedelta(hours=1))
    await seed_plans(db, [1], zone=LONDON, now=clock())
    sender = RecordingSender()
    dispatcher = make(db, clock, sender)
    for hours in (0, 5, 10, 13, 24):  # 09:00, 14:00, 19:00, bedtime, next 09:00
        clock.set(MORNING + timedelta(hours=hours) + _offset(1) + timedelta(seconds=1))
        await dispatcher.tick()
    assert len(sender.sent) == 5
    async with db.session() as session:
        for message in sender.sent[:2] + sender.sent[3:]:
            delivery = await storage.get_delivery(session, message.delivery_id, 1)
            assert await storage.mark_done(session, delivery, clock())
        again = await storage.get_delivery(session, sender.sent[0].delivery_id, 1)
        assert not await storage.mark_done(session, again, clock())
        await session.commit()
        result = await storage.stretch_adherence_by_day(
            session, 1, MORNING - timedelta(days=1), MORNING + timedelta(days=2), ZoneInfo(LONDON))
        # The same rows seen from Sydney fall on other local days.
        sydney = await storage.stretch_adherence_by_day(
            session, 1, MORNING - timedelta(days=1), MORNING + timedelta(days=2),
            ZoneInfo("Australia/Sydney"))
    day = MORNING.date()
    assert result == {day: (3, 2), day + timedelta(days=1): (1, 1)}
    assert sydney == {day: (1, 1), day + timedelta(days=1): (3, 2)}


# ------------------------------------------------------------------ who gets reminders
async def test_blocked_user_stops_receiving_and_start_reactivates(rdb: Database) -> None:
    clock = FakeClock(MORNING - timedelta(hours=1))
    await seed_plans(rdb, [1, 2], zone=LONDON, now=clock())
    blocked = {2}
    sender = RecordingSender(
        lambda o, _: SendReport(BLOCKED, error="forbidden") if o.chat_id in blocked else None)
    dispatcher = make(rdb, clock, sender)
    clock.set(MORNING + timedelta(minutes=2))
    report = await dispatcher.tick()
    assert (report.sent, report.blocked) == (1, 1)
    async with rdb.session() as session:
        assert (await users.get(session, 2)).is_active is False
    assert [s["next_due_at"] for s in await slots_of(rdb, 2)] == [None] * 4
    assert all(s["suspended"] for s in await slots_of(rdb, 2))
    statuses = {row["user_id"]: row["status"] for row in await deliveries(rdb)}
    assert statuses == {1: STATUS_SENT, 2: STATUS_BLOCKED}

    clock.set(MORNING + timedelta(hours=5, minutes=2))  # 14:02: only user 1 hears from us
    await dispatcher.tick()
    assert [m.chat_id for m in sender.sent] == [1, 1]

    # The user comes back (/start): tracking marks them active; the next tick revives.
    blocked.clear()
    async with rdb.session() as session:
        await users.upsert_seen(session, user_id=2, chat_id=2, first_name="U",
                                language_code="en", now=clock())
        await session.commit()
    report = await dispatcher.tick()
    assert report.revived == 4
    assert (await slots_of(rdb, 2))[2]["next_due_at"] == MORNING + timedelta(hours=10) + _offset(2)
    clock.set(MORNING + timedelta(hours=10, minutes=2))
    await dispatcher.tick()
    assert [m.chat_id for m in sender.sent].count(2) == 1


async def test_withdrawn_consent_stops_reminders_until_given_again(db: Database) -> None:
    clock = FakeClock(MORNING - timedelta(hours=1))
    await seed_plans(db, [1], zone=LONDON, now=clock())
    async with db.session() as session:
        await users.set_fields(session, 1, consent=CONSENT_DECLINED)
        await session.commit()
    sender = RecordingSender()
    dispatcher = make(db, clock, sender)
    clock.set(MORNING + timedelta(minutes=1))
    await dispatcher.tick()
    assert sender.sent == [] and await deliveries(db) == []
    slots = await slots_of(db, 1)
    assert slots[0]["suspended"] is True and slots[0]["next_due_at"] is None
    # The other slots are suspended the same way when they come due.
    assert [s["suspended"] for s in slots[1:]] == [False] * 3
    async with db.session() as session:
        await users.set_fields(session, 1, consent="accepted")
        await session.commit()
    assert (await dispatcher.tick()).revived == 1
    assert (await slots_of(db, 1))[0]["next_due_at"] == MORNING + timedelta(days=1) + _offset(1)


async def test_count_due_counts_unclaimed_due_slots(db: Database) -> None:
    clock = FakeClock(MORNING - timedelta(hours=1))
    await seed_plans(db, [1, 2, 3], zone=LONDON, now=clock())
    async with db.session() as session:
        assert await storage.count_due(session, MORNING + timedelta(minutes=1)) == 3
        assert await storage.count_due(session, MORNING - timedelta(minutes=1)) == 0


# ------------------------------------------------------------------ Telegram's limits
async def test_retry_after_pauses_all_sending_then_retries_once(db: Database) -> None:
    clock = FakeClock(MORNING + timedelta(minutes=2))
    await seed_plans(db, list(range(1, 11)), zone=LONDON, now=MORNING - timedelta(hours=1))
    fake = FakeTime()
    flooded: list[int] = []

    def flood_once(outgoing: Outgoing, attempt: int) -> SendReport | None:
        if not flooded:  # the very first call hits flood control
            flooded.append(outgoing.chat_id)
            return SendReport(RETRY_AFTER, retry_after=7)
        return None

    sender = RecordingSender(flood_once, clock=fake.monotonic)
    retries = []
    dispatcher = make(db, clock, sender, fake=fake, rate=25, on_retry=lambda: retries.append(1))
    report = await dispatcher.tick()
    assert report.sent == 10 and len(retries) == 1
    assert sorted(m.chat_id for m in sender.sent) == list(range(1, 11))  # each exactly once
    first_call, retried = [t for o, t in sender.calls if o.chat_id == flooded[0]]
    assert retried - first_call >= 7  # waited as Telegram asked
    # Every send that started after the flood-control answer waited too.
    later = [t for o, t in sender.calls if t > first_call]
    assert len(later) >= 8 and all(t - first_call >= 7 for t in later)


async def test_transient_errors_are_retried_with_backoff_then_recorded_failed(db: Database) -> None:
    clock = FakeClock(MORNING + timedelta(minutes=2))
    await seed_plans(db, [1, 2], zone=LONDON, now=MORNING - timedelta(hours=1))
    fake = FakeTime()
    sender = RecordingSender(
        lambda o, attempt: (SendReport(TRANSIENT, error="server_error") if o.chat_id == 1
                            else SendReport(TRANSIENT) if attempt < 3 else None))
    report = await make(db, clock, sender, fake=fake, max_attempts=4).tick()
    assert (report.sent, report.failed) == (1, 1)
    attempts = [o.chat_id for o, _ in sender.calls]
    assert attempts.count(1) == 4 and attempts.count(2) == 3
    assert {0.5, 1.0, 2.0} <= set(fake.slept)
    status = {row["user_id"]: (row["status"], row["error"]) for row in await deliveries(db)}
    assert status == {1: (STATUS_FAILED, "server_error"), 2: (STATUS_SENT, None)}


async def test_an_ambiguous_failure_is_never_retried(db: Database) -> None:
    clock = FakeClock(MORNING + timedelta(minutes=2))
    await seed_plans(db, [1], zone=LONDON, now=MORNING - timedelta(hours=1))
    sender = RecordingSender(lambda o, _: SendReport(FAILED, error="timeout"))
    report = await make(db, clock, sender).tick()
    assert report.failed == 1 and len(sender.calls) == 1
    [row] = await deliveries(db)
    assert (row["status"], row["error"]) == (STATUS_FAILED, "timeout")


async def test_global_budget_and_one_message_per_second_per_chat(db: Database) -> None:
    clock = FakeClock(MORNING + timedelta(minutes=2))
    ids = list(range(1, 101))
    await seed_plans(db, ids, zone=LONDON, now=MORNING - timedelta(hours=1))
    fake = FakeTime()
    sender = RecordingSender(clock=fake.monotonic)
    dispatcher = make(db, clock, sender, fake=fake, rate=25)
    assert dispatcher.claim_limit() == 25
    await dispatcher.tick()
    times = [t for _, t in sender.calls]
    assert len(times) == 100
    # At most 25 sends (+1 burst) in any one-second window, and the whole run takes ~4 s.
    assert max(sum(1 for t in times if start <= t < start + 1 - 1e-6) for start in times) <= 26
    assert times[-1] - times[0] >= (100 - 2) / 25


async def test_two_messages_for_one_chat_are_a_second_apart(db: Database) -> None:
    """A snooze ending together with the chat's next reminder: both go, one second apart."""
    clock = FakeClock(MORNING + timedelta(minutes=2))
    await seed_plans(db, [1, 2], zone=LONDON, now=MORNING - timedelta(hours=1))
    fake = FakeTime()
    sender = RecordingSender(clock=fake.monotonic)
    dispatcher = make(db, clock, sender, fake=fake, rate=None)
    await dispatcher.tick()
    async with db.session() as session:
        [mine] = [m for m in sender.sent if m.user_id == 1]
        first = await storage.get_delivery(session, mine.delivery_id, 1)
        assert await storage.snooze(session, first, MORNING + timedelta(hours=5))
        await session.commit()
    clock.set(MORNING + timedelta(hours=5, minutes=2))  # 14:02: snooze and 14:00 slot due
    report = await dispatcher.tick()
    assert report.sent == 3
    chat_times = [t for o, t in sender.calls[2:] if o.chat_id == 1]
    assert len(chat_times) == 2 and chat_times[1] - chat_times[0] >= 1.0


def test_rate_limiter_holds_its_rate_over_time() -> None:
    fake = FakeTime()
    limiter = RateLimiter(25, monotonic=fake.monotonic, sleep=fake.sleep)

    async def run() -> list[float]:
        stamps = []
        for _ in range(250):
            await limiter.acquire()
            stamps.append(fake.now)
        return stamps

    stamps = asyncio.run(run())
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    assert 24.5 <= rate <= 25.5
    unlimited = RateLimiter(None, monotonic=fake.monotonic, sleep=fake.sleep)
    assert all(unlimited.try_acquire() for _ in range(1000))
    unlimited.pause(3)
    assert not unlimited.try_acquire()


# ------------------------------------------------------------------ crashes and races
async def _crash_and_restart(database: Database, *, graceful: bool) -> None:
    """50 users due; the first dispatcher dies on its 10th send call; a new one finishes."""
    ids = list(range(1, 51))
    clock = FakeClock(MORNING + timedelta(minutes=2))
    await seed_plans(database, ids, zone=LONDON, now=MORNING - timedelta(hours=1))
    stuck = asyncio.Event()
    first_sender = RecordingSender()

    class DyingSender:
        calls = 0

        async def send(self, outgoing: Outgoing) -> SendReport:
            DyingSender.calls += 1
            if DyingSender.calls == 10:
                stuck.set()
                await asyncio.Event().wait()  # the process dies inside this send call
            return await first_sender.send(outgoing)

    fake = FakeTime()
    first = make(database, clock, DyingSender(), fake=fake, rate=25, stop_timeout=0.05)
    if not graceful:
        async def no_record(*_args: object) -> None:  # a hard crash records nothing
            return None
        first._record = no_record  # type: ignore[method-assign]
    task = asyncio.create_task(first.tick())
    await stuck.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    rows = await deliveries(database)
    assert len(rows) == 25  # one claim of budget x 1 s; the other 25 slots were untouched
    in_flight = [r for r in rows if r["status"] == STATUS_SENDING]
    pending = [r for r in rows if r["status"] == STATUS_PENDING]
    assert len(pending) == 15
    assert len(in_flight) == (1 if graceful else 10)

    # Restart: a new dispatcher (new claim token) after the lease runs out.
    clock.advance(minutes=3)
    second_sender = RecordingSender()
    second = make(database, clock, second_sender, rate=25)
    report = await second.tick()
    assert report.claimed == 15 + 25
    assert (await second.tick()).claimed == 0

    delivered = [m.user_id for m in first_sender.sent + second_sender.sent]
    assert len(delivered) == len(set(delivered)), "a reminder was sent twice"
    lost = set(ids) - set(delivered)
    # The only loss: the one reminder whose send call was in progress when the process died.
    assert len(lost) == 1
    [lost_row] = [r for r in await deliveries(database) if r["user_id"] in lost]
    assert lost_row["status"] == STATUS_SENDING
    assert len(await deliveries(database)) == 50


async def test_dispatcher_stopped_mid_batch_restarts_without_duplicates(rdb: Database) -> None:
    await _crash_and_restart(rdb, graceful=True)


async def test_dispatcher_crashed_mid_batch_loses_only_the_send_in_progress(
    rdb: Database,
) -> None:
    await _crash_and_restart(rdb, graceful=False)


async def test_a_clean_stop_hands_back_unsent_claims_at_once(rdb: Database) -> None:
    """Application.stop() clears ``running``: the tick stops early and releases the rest."""
    clock = FakeClock(MORNING + timedelta(minutes=2))
    ids = list(range(1, 31))
    await seed_plans(rdb, ids, zone=LONDON, now=MORNING - timedelta(hours=1))
    running = [True]

    def stop_after_five(outgoing: Outgoing, attempt: int) -> None:
        if len(first_sender.calls) == 5:
            running[0] = False  # SIGTERM arrives during the fifth send

    first_sender = RecordingSender(stop_after_five)
    first = make(rdb, clock, first_sender, rate=25, keep_running=lambda: running[0])
    report = await first.tick()
    assert (report.claimed, report.sent) == (25, 5)
    rows = await deliveries(rdb)
    assert sum(r["status"] == STATUS_PENDING and r["claim_token"] is None for r in rows) == 20

    second_sender = RecordingSender()  # a new process, no lease to wait for
    second = make(rdb, clock, second_sender, rate=None)
    assert (await second.tick()).sent == 25
    delivered = [m.user_id for m in first_sender.sent + second_sender.sent]
    assert sorted(delivered) == ids


async def test_a_taken_over_claim_is_not_sent_by_its_first_owner(rdb: Database) -> None:
    clock = FakeClock(MORNING + timedelta(minutes=2))
    await seed_plans(rdb, [1], zone=LONDON, now=MORNING - timedelta(hours=1))
    async with rdb.session() as session:
        batch = await storage.claim_due_slots(session, now=clock(), limit=10, token="a" * 32,
                                              grace=timedelta(minutes=30))
    assert len(batch.claimed) == 1
    clock.advance(minutes=3)
    async with rdb.session() as session:
        taken = await storage.reclaim_stale_pending(
            session, now=clock(), lease=timedelta(minutes=2), limit=10, token="b" * 32,
            grace=timedelta(minutes=30))
    assert [c.delivery_id for c in taken.claimed] == [batch.claimed[0].delivery_id]
    async with rdb.session() as session:
        assert await storage.start_sending(session, [taken.claimed[0].delivery_id], "a" * 32) == set()
        assert await storage.start_sending(session, [taken.claimed[0].delivery_id], "b" * 32) == {
            taken.claimed[0].delivery_id}


async def _race(databases: list[Database], count: int, *, both_work: bool) -> None:
    ids = list(range(1, count + 1))
    clock = FakeClock(MORNING + timedelta(minutes=2))
    await seed_plans(databases[0], ids, zone=LONDON, now=MORNING - timedelta(hours=1))
    senders = [RecordingSender() for _ in databases]
    dispatchers = [make(database, clock, sender, batch_size=50)
                   for database, sender in zip(databases, senders, strict=True)]
    reports = await asyncio.gather(*(d.tick() for d in dispatchers))
    sent = [m.delivery_id for s in senders for m in s.sent]
    users_sent = [m.user_id for s in senders for m in s.sent]
    assert len(sent) == count == len(set(sent)) == len(set(users_sent))
    if both_work:  # SKIP LOCKED lets both make progress; SQLite serialises the claims
        assert all(report.sent > 0 for report in reports), "both dispatchers should have worked"
    rows = await deliveries(databases[0])
    assert len(rows) == count and {r["status"] for r in rows} == {STATUS_SENT}
    async with databases[0].session() as session:
        assert await storage.count_due(session, clock()) == 0


@pytest.mark.postgres
async def test_two_dispatchers_racing_over_2000_reminders_send_each_once(
    pg_db: Database, pg_schema_url: tuple[str, str],
) -> None:
    url, schema = pg_schema_url
    second = Database.from_url(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        await _race([pg_db, second], 2000, both_work=True)
    finally:
        await second.dispose()


async def test_two_dispatchers_on_one_sqlite_file_send_each_once(db: Database,
                                                                 sqlite_url: str) -> None:
    second = Database.from_url(sqlite_url)
    try:
        await _race([db, second], 300, both_work=False)
    finally:
        await second.dispose()


async def test_a_slot_changed_while_being_claimed_keeps_the_users_change(db: Database) -> None:
    """The SQLite claim takes the write lock before reading: a concurrent edit waits."""
    clock = FakeClock(MORNING + timedelta(minutes=2))
    await seed_plans(db, [1], zone=LONDON, now=MORNING - timedelta(hours=1))
    async with db.session() as claim_session:
        await storage._lock_for_write(claim_session)

        async def switch_off() -> None:
            async with db.session() as session:
                await session.execute(update(storage.SLOTS).values(enabled=False, next_due_at=None))
                await session.commit()

        editor = asyncio.create_task(switch_off())
        await asyncio.sleep(0.2)
        assert not editor.done()  # waits for the claim transaction
        await claim_session.commit()
    await editor
    assert (await make(db, clock, RecordingSender()).tick()).claimed == 0


# ------------------------------------------------------------------ retention
async def test_old_delivery_rows_are_pruned_and_recent_ones_kept(rdb: Database) -> None:
    clock = FakeClock(MORNING - timedelta(hours=1))
    await seed_plans(rdb, [1, 2], zone=LONDON, now=clock())
    dispatcher = make(rdb, clock, RecordingSender())
    clock.set(MORNING + timedelta(minutes=2))
    assert (await dispatcher.tick()).sent == 2
    days_later = MORNING + timedelta(days=200)
    async with rdb.session() as session:
        assert await storage.prune_deliveries(session, before=MORNING) == 0
        await session.commit()
    assert len(await deliveries(rdb)) == 2
    async with rdb.session() as session:
        assert await storage.prune_deliveries(session, before=days_later, limit=1) == 1
        assert await storage.prune_deliveries(session, before=days_later) == 1
        await session.commit()
    assert await deliveries(rdb) == []
    assert len(await slots_of(rdb, 1)) == 4  # the plan itself is untouched
