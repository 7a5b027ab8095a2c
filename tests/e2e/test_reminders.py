"""Reminders end to end: the real Application and HTTP client against the Bot API stand-in.

Due reminders are sent by running one dispatcher tick directly after moving the fake
clock (the JobQueue job does the same every few seconds in production).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import CrampApplication
from bot.db import Database
from bot.handlers import reminders
from bot.reminders.timemath import PAUSED_FOREVER, user_offset_seconds
from bot.standin import BotApiStandIn, BotMessage, UserDriver
from bot.storage import reminders as storage
from bot.storage import users
from tests.conftest import FakeClock
from tests.pacing import PacedUser as Person
from tests.reminders_support import deliveries, slots_of

pytestmark = pytest.mark.e2e

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # Tuesday; 12:00 in London (GMT)


@pytest.fixture
def alex(user: UserDriver, clock: FakeClock) -> Person:
    clock.set(NOON)
    return Person(user, clock, seconds=1)


async def with_plan(person: Person, zone_label: str = "London") -> None:
    """/start, Accept, Set up reminders, pick a zone: the default plan exists."""
    await person.send("/start")
    await person.press("Accept")
    await person.press("Set up reminders")
    await person.press(zone_label)


async def tick(app: CrampApplication, standin: BotApiStandIn, chat_id: int) -> list[BotMessage]:
    """Run one dispatcher tick; the reminders it delivered to ``chat_id``."""
    since = len(standin.calls)
    await reminders.get_dispatcher(app).tick()
    return [BotMessage(c) for c in standin.calls[since:]
            if c.method == "sendMessage" and c.error is None and c.params["chat_id"] == chat_id]


def offset(user_id: int) -> timedelta:
    return timedelta(seconds=user_offset_seconds(user_id))


# ------------------------------------------------------------------ onboarding
async def test_after_consent_reminders_are_set_up_in_two_taps(
    app: CrampApplication, alex: Person, db: Database
) -> None:
    await alex.send("/start")
    offer = (await alex.press("Accept")).last
    assert offer.button_labels == ["Set up reminders", "Not now"]
    assert "09:00, 14:00 and 19:00" in offer.text and "22:00" in offer.text

    zones = (await alex.press("Set up reminders")).last  # tap 1
    assert zones.first_line == "🌍 Your time zone"
    assert "London · 12:00" in zones.button_labels
    assert "Sydney, Melbourne · 23:00" in zones.button_labels
    assert "📍 Use my location" in zones.button_labels

    plan = (await alex.press("London")).last  # tap 2
    assert plan.first_line == "✅ Your reminders are set."
    assert "Is the local time below right? If not, tap 🌍 Time zone." in plan.text
    assert "your time now 12:00 (Tue)" in plan.text
    for line in ("🧘 Stretch · 09:00 · on", "🧘 Stretch · 14:00 · on",
                 "🧘 Stretch · 19:00 · on", "🌙 Bedtime routine · 22:00 · on"):
        assert line in plan.text
    assert "Next: today at 14:00." in plan.text
    assert plan.button_labels[-2:] == ["⏸ Pause all", "🌍 Time zone"]

    async with db.session() as session:
        row = await users.get(session, alex.id)
        slots = await storage.get_slots(session, alex.id)
    assert row.timezone == "Europe/London"
    assert [s.next_due_at for s in slots] == [
        NOON + timedelta(hours=21) + offset(alex.id), NOON + timedelta(hours=2) + offset(alex.id),
        NOON + timedelta(hours=7) + offset(alex.id), NOON + timedelta(hours=10) + offset(alex.id),
    ]


async def test_not_now_and_reminders_without_consent_ask_first(
    app: CrampApplication, alex: Person, db: Database
) -> None:
    ask = (await alex.send("/reminders")).last
    assert ask.button_labels == ["Accept", "Decline"]
    assert "reminder times" in ask.text
    offer = (await alex.press("Accept")).last
    assert offer.button_labels == ["Set up reminders", "Not now"]
    later = (await alex.press("Not now")).last
    assert "any time with /reminders" in later.text
    async with db.session() as session:
        assert await storage.get_slots(session, alex.id) == []


async def test_start_again_with_a_plan_says_reminders_are_on(
    app: CrampApplication, alex: Person
) -> None:
    await with_plan(alex)
    reply = await alex.send("/start")
    assert "Your reminders are on" in reply.text
    assert "Set up reminders" not in reply.button_labels


# ------------------------------------------------------------------ time zones
async def test_typed_city_zone_name_and_offset_are_understood(
    app: CrampApplication, alex: Person, db: Database
) -> None:
    await alex.send("/start")
    await alex.press("Accept")
    await alex.press("Set up reminders")
    reply = await alex.send("Berlin")
    confirm, plan = reply[0], reply[-1]
    assert confirm.first_line.startswith("✅ Time zone: Europe/Berlin. Your local time now is "
                                         "13:00 (Tuesday).")
    assert confirm.reply_keyboard[0] == "Check symptoms"  # the main menu is back
    assert "✅ Your reminders are set." not in plan.text or "Europe/Berlin" in plan.text
    assert "Stretch · 09:00" in plan.text

    await alex.send("/timezone")
    wrong = (await alex.send("Berlinn")).last
    assert "I don't know the time zone “Berlinn”" in wrong.text
    assert "Berlin, Europe/Berlin or UTC+2" in wrong.text
    assert wrong.button_labels == ["Yes, Europe/Berlin"]

    nonsense = (await alex.send("somewhere nice")).last
    assert "for example: Berlin, Europe/Berlin or UTC+2" in nonsense.text

    offset_reply = (await alex.send("UTC+2"))[0]
    assert "Time zone: UTC+2" in offset_reply.text and "14:00" in offset_reply.text
    assert "does not follow daylight saving" in offset_reply.text

    await alex.send("/timezone")
    iana = (await alex.send("America/New_York"))[0]
    assert "America/New York" in iana.text and "08:00 (Tuesday)" in iana.text
    async with db.session() as session:
        slots = await storage.get_slots(session, alex.id)
        assert (await users.get(session, alex.id)).timezone == "America/New_York"
    # 14:00 in New York (EDT since 8 March) is 18:00 UTC: the plan moved with the zone.
    assert slots[1].next_due_at == NOON + timedelta(hours=6) + offset(alex.id)


async def test_shared_location_sets_the_zone_offline(
    app: CrampApplication, alex: Person, db: Database
) -> None:
    await with_plan(alex)
    await alex.send("/timezone")
    ask = (await alex.press("📍 Use my location")).last
    assert ask.reply_keyboard == ["📍 Share my location", "⬅️ Back"]
    assert ask.markup["keyboard"][0][0]["request_location"] is True
    alex.clock.advance(seconds=1)
    reply = await alex.driver.share_location(-33.8688, 151.2093)
    assert "Time zone: Australia/Sydney" in reply[0].text
    assert "your local time now is 23:00".lower() in reply[0].text.lower()
    assert reply[0].reply_keyboard[0] == "Check symptoms"
    async with db.session() as session:
        assert (await users.get(session, alex.id)).timezone == "Australia/Sydney"


async def test_zone_buttons_carry_the_zone(app: CrampApplication, alex: Person, db: Database) -> None:
    await with_plan(alex)
    await alex.send("/timezone")
    reply = (await alex.press("India")).last
    assert reply.first_line == "✅ Time zone changed."
    assert "Time zone: Asia/Kolkata · your time now 17:30 (Tue)" in reply.text
    async with db.session() as session:
        assert (await users.get(session, alex.id)).timezone == "Asia/Kolkata"


# ------------------------------------------------------------------ changing the plan
async def test_change_a_time_by_button_and_by_typing(
    app: CrampApplication, alex: Person, db: Database
) -> None:
    await with_plan(alex)
    await alex.send("/reminders")
    screen = (await alex.press("🧘 09:00 · on")).last
    assert "Stretch reminder: 09:00, on." in screen.text
    assert "• 09:00" in screen.button_labels and "Switch off" in screen.button_labels
    plan = (await alex.press("10:00")).last
    assert plan.first_line == "✅ Saved: stretch at 10:00."
    assert "🧘 Stretch · 10:00 · on" in plan.text

    await alex.press("🧘 14:00 · on")
    bad = (await alex.send("half past never")).last
    assert "I couldn't read “half past never” as a time" in bad.text
    assert "21:30, 9pm or 7:15 am" in bad.text
    saved = (await alex.send("9pm")).last
    assert saved.first_line == "✅ Saved: stretch at 21:00."
    async with db.session() as session:
        slots = await storage.get_slots(session, alex.id)
        assert (await users.get(session, alex.id)).awaiting is None
    assert [s.local_time.strftime("%H:%M") for s in slots] == ["10:00", "21:00", "19:00", "22:00"]
    assert slots[1].next_due_at == NOON + timedelta(hours=9) + offset(alex.id)
    # Free text afterwards is not taken as a time any more.
    assert "Saved" not in (await alex.send("7pm")).text


async def test_switch_a_reminder_off_and_on(app: CrampApplication, alex: Person, db: Database) -> None:
    await with_plan(alex)
    await alex.send("/reminders")
    await alex.press("🌙 22:00 · on")
    off = (await alex.press("Switch off")).last
    assert off.first_line == "✅ Bedtime routine at 22:00 is off."
    assert "🌙 Bedtime routine · 22:00 · off" in off.text
    assert (await slots_of(db, alex.id))[3]["next_due_at"] is None
    await alex.press("🌙 22:00 · off")
    on = (await alex.press("Switch on")).last
    assert "🌙 Bedtime routine · 22:00 · on" in on.text
    assert (await slots_of(db, alex.id))[3]["next_due_at"] == NOON + timedelta(hours=10) + offset(alex.id)


async def test_pause_for_three_days_or_until_resumed(
    app: CrampApplication, alex: Person, db: Database
) -> None:
    await with_plan(alex)
    await alex.send("/reminders")
    menu = (await alex.press("⏸ Pause all")).last
    assert menu.button_labels == ["1 day", "3 days", "7 days", "Until I resume",
                                  "⬅️ Back to reminders"]
    paused = (await alex.press("3 days")).last
    assert "⏸ Paused until Fri 13 Mar at 12:00." in paused.text
    assert "Next: Fri 13 Mar at 14:00." in paused.text
    assert "▶️ Resume" in paused.button_labels
    resumed = (await alex.press("▶️ Resume")).last
    assert "Next: today at 14:00." in resumed.text

    await alex.press("⏸ Pause all")
    forever = (await alex.press("Until I resume")).last
    assert "⏸ Paused until you resume." in forever.text
    slots = await slots_of(db, alex.id)
    assert {s["next_due_at"] for s in slots} == {None}
    assert {s["paused_until"] for s in slots} == {PAUSED_FOREVER}


# ------------------------------------------------------------------ delivery
async def test_reminder_for_the_next_minute_arrives_with_buttons_and_done_is_recorded(
    app: CrampApplication, standin: BotApiStandIn, alex: Person, db: Database
) -> None:
    await with_plan(alex)
    await alex.send("/reminders")
    await alex.press("🧘 09:00 · on")
    await alex.send("12:01")
    alex.clock.set(NOON + timedelta(seconds=30))
    assert await tick(app, standin, alex.id) == []  # not yet
    alex.clock.set(NOON + timedelta(minutes=1) + offset(alex.id) + timedelta(seconds=1))
    [reminder] = await tick(app, standin, alex.id)
    assert reminder.first_line in ("🧘 Calf stretch", "🧘 Hamstring stretch",
                                   "🧘 Quadriceps stretch")
    assert reminder.button_labels == ["Show me how", "Done ✅", "Snooze 15 min", "Log a cramp",
                                      "Pause"]
    assert not reminder.silent
    assert reminder.text.endswith("it does not replace a doctor.")
    assert await tick(app, standin, alex.id) == []  # never twice

    since = len(standin.calls)
    done = (await alex.press("Done ✅", reminder)).last
    assert "✅ Done at 12:01. Well done!" in done.text
    assert done.button_labels == ["Show me how", "Log a cramp"]
    assert [c.params.get("text") for c in alex.driver.answers_since(since)] == ["Well done! ✅"]
    [row] = await deliveries(db)
    assert row["done_at"] is not None and row["status"] == "sent"
    async with db.session() as session:
        adherence = await storage.stretch_adherence_by_day(
            session, alex.id, NOON - timedelta(days=1), NOON + timedelta(days=1),
            ZoneInfo("Europe/London"))
    assert adherence == {NOON.date(): (1, 1)}
    # The Done button is gone; a second press (a slow client) is answered, not recorded twice.
    assert "Done ✅" not in done.button_labels
    again = len(standin.calls)
    await alex.driver.press_data(f"rem:done:{row['id']}", reminder)
    assert [c.params.get("text") for c in alex.driver.answers_since(again)] == [
        "Already marked done ✅"]
    [after] = await deliveries(db)
    assert after["done_at"] == row["done_at"]


async def test_snooze_creates_a_due_time_15_minutes_later_and_it_arrives(
    app: CrampApplication, standin: BotApiStandIn, alex: Person, db: Database
) -> None:
    await with_plan(alex)
    alex.clock.set(NOON + timedelta(hours=2) + offset(alex.id) + timedelta(seconds=2))  # 14:00
    [reminder] = await tick(app, standin, alex.id)
    snoozed = (await alex.press("Snooze 15 min", reminder)).last
    back_at = alex.clock() + timedelta(minutes=15)  # London is on UTC in March
    assert f"⏰ Snoozed: I'll remind you again at {back_at:%H:%M}." in snoozed.text
    [row] = await deliveries(db)
    assert row["snooze_due_at"] == alex.clock() + timedelta(minutes=15)
    alex.clock.advance(minutes=10)
    assert await tick(app, standin, alex.id) == []
    alex.clock.advance(minutes=5, seconds=1)
    [again] = await tick(app, standin, alex.id)
    assert again.raw_text == reminder.raw_text and again.button_labels == reminder.button_labels
    assert again.message_id != reminder.message_id
    [row] = await deliveries(db)
    assert row["snooze_count"] == 1 and row["message_id"] == again.message_id
    done = (await alex.press("Done ✅", again)).last
    assert f"Done at {alex.clock():%H:%M}" in done.text


async def test_bedtime_prompt_is_silent_and_carries_the_routine(
    app: CrampApplication, standin: BotApiStandIn, alex: Person
) -> None:
    await with_plan(alex)
    alex.clock.set(NOON + timedelta(hours=10) + offset(alex.id) + timedelta(seconds=2))  # 22:00
    [bedtime] = await tick(app, standin, alex.id)
    assert bedtime.first_line == "🌙 Bedtime routine"
    assert bedtime.silent
    assert "toes" in bedtime.text and "feet hang over the end of the bed" in bedtime.text
    assert "Avoid heavy blankets" in bedtime.text


async def test_show_me_how_and_pause_buttons_on_a_reminder(
    app: CrampApplication, standin: BotApiStandIn, alex: Person
) -> None:
    await with_plan(alex)
    alex.clock.set(NOON + timedelta(hours=2) + offset(alex.id) + timedelta(seconds=2))
    [reminder] = await tick(app, standin, alex.id)
    title = reminder.first_line.removeprefix("🧘 ")
    how = await alex.press("Show me how", reminder)
    assert title in how.text
    alex.clock.set(NOON + timedelta(hours=7) + offset(alex.id) + timedelta(seconds=2))  # 19:00
    [evening] = await tick(app, standin, alex.id)
    pause = (await alex.press("Pause", evening)).last
    assert pause.button_labels[:3] == ["1 day", "3 days", "7 days"]


async def test_blocked_user_stops_receiving_and_start_reactivates(
    app: CrampApplication, standin: BotApiStandIn, alex: Person, db: Database
) -> None:
    await with_plan(alex)
    standin.block(alex.id)
    alex.clock.set(NOON + timedelta(hours=2, minutes=1))
    assert await tick(app, standin, alex.id) == []
    async with db.session() as session:
        assert (await users.get(session, alex.id)).is_active is False
    assert [r["status"] for r in await deliveries(db)] == ["blocked"]
    since = len(standin.calls)
    alex.clock.set(NOON + timedelta(hours=7, minutes=1))  # 19:00: no attempt at all
    await tick(app, standin, alex.id)
    assert [c for c in standin.calls[since:] if c.params.get("chat_id") == alex.id] == []

    standin.blocked_chats.discard(alex.id)
    back = await alex.send("/start")
    assert "Your reminders are on" in back.text
    async with db.session() as session:
        assert (await users.get(session, alex.id)).is_active is True
    alex.clock.set(NOON + timedelta(hours=10) + offset(alex.id) + timedelta(seconds=5))  # 22:00
    [bedtime] = await tick(app, standin, alex.id)
    assert bedtime.first_line == "🌙 Bedtime routine"


# ------------------------------------------------------------------ bad input
async def test_stale_foreign_and_forged_buttons_get_a_polite_answer(
    app: CrampApplication, standin: BotApiStandIn, alex: Person, other_user: UserDriver,
) -> None:
    await with_plan(alex)
    alex.clock.set(NOON + timedelta(hours=2) + offset(alex.id) + timedelta(seconds=2))
    [reminder] = await tick(app, standin, alex.id)
    plan = (await alex.send("/reminders")).last
    slot_data = alex.driver.find_button("🧘 09:00 · on", plan)[1]
    done_data = alex.driver.find_button("Done ✅", reminder)[1]
    for data in ("rem:done:999999", "rem:slot:999999", "rem:zone:Nowhere.Land:s",
                 "rem:at:1:9999", "rem:pausefor:5", "rem:nonsense", "rem:done:abc"):
        since = len(standin.calls)
        alex.clock.advance(seconds=1)
        reply = await alex.driver.press_data(data, plan)
        [answer] = alex.driver.answers_since(since)
        assert answer.params.get("text") == "This button is no longer active.", data
        assert "Start again" in reply.text or "start again" in reply.text
    # Sam pressing Alex's buttons (forwarded messages, forged data) changes nothing.
    sam = Person(other_user, alex.clock, seconds=1)
    await sam.send("/start")
    await sam.press("Accept")
    for data in (slot_data, done_data):
        since = len(standin.calls)
        await sam.driver.press_data(data, (await sam.send("/reminders")).last)
        [answer] = sam.driver.answers_since(since)
        assert answer.params.get("text") == "This button is no longer active."
    rows = await deliveries(app.bot_data.services.db)
    assert rows[0]["done_at"] is None


# ------------------------------------------------------------------ the job
async def test_start_jobs_registers_one_repeating_tick(app: CrampApplication) -> None:
    app.bot_data.start_background_jobs = True
    reminders.start_jobs(app)
    try:
        [job] = app.job_queue.get_jobs_by_name("reminders.tick")
        interval = app.bot_data.services.settings.reminder_tick_seconds
        assert job.job.trigger.interval == timedelta(seconds=interval)
        assert job.job.max_instances == 1
    finally:
        for job in app.job_queue.get_jobs_by_name("reminders.tick"):
            job.schedule_removal()
    app.bot_data.start_background_jobs = False
    reminders.start_jobs(app)
    assert app.job_queue.get_jobs_by_name("reminders.tick") == ()


async def test_the_hourly_pruning_job_deletes_only_history_past_retention(
    app: CrampApplication, db: Database, clock: FakeClock
) -> None:
    from tests.reminders_support import seed_plans

    app.bot_data.start_background_jobs = True  # type: ignore[attr-defined]
    reminders.start_jobs(app)
    names = {job.name for job in app.job_queue.jobs()}
    assert {"reminders.tick", "reminders.prune"} <= names
    [prune] = app.job_queue.get_jobs_by_name("reminders.prune")
    for job in app.job_queue.jobs():
        job.schedule_removal()  # run them by hand only

    await seed_plans(db, [7], now=clock())
    dispatcher = reminders.get_dispatcher(app)
    clock.advance(days=1)
    await dispatcher.tick()
    history = len(await deliveries(db))
    assert history > 0
    await prune.run(app)
    assert len(await deliveries(db)) == history  # a day old: kept
    clock.advance(days=app.bot_data.services.settings.reminder_history_days + 1)
    await prune.run(app)
    assert await deliveries(db) == []
