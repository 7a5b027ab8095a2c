"""Privacy end to end: consent, /mydata, /delete_my_data across every table, withdrawal.

``fill_every_table`` drives one user through the real flows (consent, a symptom check,
"Cramping now", the causes explorer, a logged cramp, reminders set up and one sent) so
that every per-user table holds rows of theirs before the deletion test runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import CrampApplication
from bot.db import Database
from bot.models import metadata
from bot.standin import BotApiStandIn, UserDriver
from bot.storage import privacy as privacy_storage
from tests.conftest import FakeClock, start_application, stop_application
from tests.pacing import PacedUser as Person

pytestmark = pytest.mark.e2e

# 08:00 on Tuesday 10 March 2026 in London: the 09:00 stretch reminder is an hour away.
MORNING = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


async def rows_of(db: Database, user_id: int) -> dict[str, int]:
    """Rows that belong to ``user_id`` in every table (``users`` by id, others by user_id)."""
    counts: dict[str, int] = {}
    async with db.session() as session:
        for name, table in metadata.tables.items():
            column = table.c.id if name == "users" else table.c.get("user_id")
            if column is None:
                continue
            query = select(func.count()).select_from(table).where(column == user_id)
            counts[name] = int((await session.execute(query)).scalar_one())
    return counts


async def send_due_reminders(app: CrampApplication) -> None:
    from bot.handlers.reminders import get_dispatcher

    await get_dispatcher(app).tick()


async def fill_every_table(person: Person, app: CrampApplication, clock: FakeClock) -> None:
    """Consent, a finished symptom check, "Cramping now", causes, a cramp, reminders."""
    clock.set(MORNING)
    await person.send("/start")
    await person.press("Accept")
    await person.press("Set up reminders")
    await person.send("Europe/London")
    await person.send("/check")
    for _ in range(8):
        await person.press("No")
    await person.press("Yes")
    await person.send("/now")
    await person.press("Next step ›")
    await person.send("/causes")
    await person.press("Yes")
    await person.send("/cramp left calf 6")
    clock.set(MORNING + timedelta(hours=1, minutes=5))  # the 09:00 reminder is due
    await send_due_reminders(app)


def per_user_tables() -> set[str]:
    return {table.name for table in privacy_storage.user_tables()}


async def test_every_table_is_per_user_or_users() -> None:
    for name, table in metadata.tables.items():
        assert name == "users" or "user_id" in table.c, (
            f"{name} has no user_id: /mydata and /delete_my_data would not cover it")


async def test_mydata_sends_everything_stored_as_json(
    app: CrampApplication, user: UserDriver, clock: FakeClock, db: Database
) -> None:
    person = Person(user, clock)
    await fill_every_table(person, app, clock)
    counters = app.bot_data.services.extras["metrics"]
    assert counters.value("cramp_reminders_total", outcome="sent") == 1  # the dispatcher counts
    reply = await person.send("/mydata")
    document = reply.last
    assert document.method == "sendDocument"
    name, payload = document.document
    assert name == "cramp-companion-my-data.json"
    data = json.loads(payload)
    assert data["user"]["id"] == user.id and data["user"]["first_name"] == "Alex"
    assert data["user"]["consent"] == "accepted"
    assert set(data["tables"]) == per_user_tables()
    stored = await rows_of(db, user.id)
    for table, rows in data["tables"].items():
        assert len(rows) == stored[table] > 0, table
        assert all(row["user_id"] == user.id for row in rows)
    [episode] = data["tables"]["episodes"]
    assert (episode["location"], episode["side"], episode["severity"]) == ("calf", "left", 6)
    assert data["tables"]["reminder_deliveries"][0]["status"] == "sent"
    datetime.fromisoformat(data["exported_at"])


async def test_delete_my_data_removes_every_row_in_every_table_and_stops_reminders(
    app: CrampApplication, user: UserDriver, other_user: UserDriver, clock: FakeClock,
    db: Database, standin: BotApiStandIn,
) -> None:
    alex, sam = Person(user, clock), Person(other_user, clock)
    await fill_every_table(sam, app, clock)
    await fill_every_table(alex, app, clock)
    before = await rows_of(db, alex.id)
    assert all(before[name] > 0 for name in metadata.tables), before  # every table has data
    sam_before = await rows_of(db, sam.id)

    confirm = (await alex.send("/delete_my_data")).last
    assert confirm.first_line == "Delete all your data?"
    assert "1 logged cramp" in confirm.text and "It cannot be undone." in confirm.text
    assert confirm.button_labels == ["Yes, delete everything", "No, keep my data"]
    kept = (await alex.press("No, keep my data")).last
    assert kept.text.startswith("OK, nothing was deleted.")
    assert await rows_of(db, alex.id) == before

    await alex.send("/delete_my_data")
    done = (await alex.press("Yes, delete everything")).last
    assert done.first_line == ("Done: everything I stored about you is deleted and your "
                               "reminders are stopped.")
    assert await rows_of(db, alex.id) == dict.fromkeys(metadata.tables, 0)
    assert await rows_of(db, sam.id) == sam_before  # nobody else's data was touched

    # The next reminder time passes: Sam gets one, Alex gets nothing.
    since = len(standin.calls)
    clock.set(MORNING + timedelta(hours=6, minutes=5))  # 14:00 London is due
    await send_due_reminders(app)
    sent_to = {c.params["chat_id"] for c in standin.calls_to("sendMessage", since=since)}
    assert sent_to == {sam.id}


async def test_a_replayed_or_expired_delete_confirmation_is_refused(
    app: CrampApplication, user: UserDriver, clock: FakeClock, db: Database,
    standin: BotApiStandIn,
) -> None:
    alex = Person(user, clock)
    await alex.send("/start")
    await alex.press("Accept")
    await alex.send("/cramp calf 5")
    confirm = (await alex.send("/delete_my_data")).last
    clock.advance(minutes=16)
    before = len(standin.calls)
    reply = await alex.driver.press("Yes, delete everything", confirm)
    assert user.answers_since(before)[0].params["text"] == "This confirmation has expired."
    assert reply.last.button_labels == ["Delete my data"]
    assert (await rows_of(db, alex.id))["episodes"] == 1  # nothing deleted

    confirm = (await alex.send("/delete_my_data")).last
    await alex.driver.press("Yes, delete everything", confirm)
    assert (await rows_of(db, alex.id))["users"] == 0
    await alex.send("/start")  # a fresh start: a new, empty profile
    await alex.press("Accept")
    await alex.send("/cramp calf 3")
    before = len(standin.calls)
    await alex.driver.press_data(confirm.buttons[0][0].callback_data, confirm)  # replayed
    assert user.answers_since(before)[0].params["text"] == "This confirmation has expired."
    assert (await rows_of(db, alex.id))["episodes"] == 1  # the new data stays


async def test_declining_keeps_triage_and_guidance_but_stores_nothing(
    app: CrampApplication, user: UserDriver, clock: FakeClock, db: Database
) -> None:
    alex = Person(user, clock)
    await alex.send("/start")
    reply = await alex.press("Decline")
    assert "Symptom checks and guidance still work" in reply.text
    await alex.send("/check")
    for _ in range(8):
        await alex.press("No")
    outcome = (await alex.press("Yes")).last
    assert outcome.first_line == "Book an appointment with your doctor"  # shown, not kept
    assert (await alex.send("/stretch")).last.button_labels  # guidance works
    refused = (await alex.send("/cramp calf 7")).last
    assert "You chose not to let me store health data" in refused.text
    await alex.send("/reminders")
    stored = await rows_of(db, alex.id)
    assert stored.pop("users") == 1
    assert set(stored.values()) == {0}, stored


async def test_withdrawing_consent_says_what_happens_and_offers_deletion(
    app: CrampApplication, user: UserDriver, clock: FakeClock, db: Database
) -> None:
    alex = Person(user, clock)
    await alex.send("/start")
    await alex.press("Accept")
    await alex.send("/cramp calf 5")
    screen = (await alex.send("/privacy")).last
    assert "You have <b>accepted</b>" in screen.raw_text
    assert screen.button_labels == ["Withdraw consent", "Send me my data", "Delete my data"]
    withdrawn = (await alex.press("Withdraw consent")).last
    assert withdrawn.first_line == "Consent withdrawn. From now on I won't save new diary " \
        "entries or reminder plans, and I won't send reminders. Symptom checks and guidance " \
        "still work."
    assert "What you saved before is still stored (1 logged cramp)." in withdrawn.text
    assert withdrawn.button_labels == ["Delete my data now", "Keep it for now"]
    await alex.press("Keep it for now")
    assert (await rows_of(db, alex.id))["episodes"] == 1
    refused = (await alex.send("/cramp calf 2")).last
    assert "You chose not to let me store health data" in refused.text
    assert (await rows_of(db, alex.id))["episodes"] == 1
    await alex.send("/privacy")
    await alex.press("Delete my data")
    await alex.press("Yes, delete everything")
    assert set((await rows_of(db, alex.id)).values()) == {0}


@pytest.mark.postgres
async def test_delete_my_data_on_postgresql(settings, pg_db: Database, standin: BotApiStandIn,
                                            clock: FakeClock) -> None:
    app = await start_application(settings, pg_db, standin, clock)
    try:
        alex = Person(UserDriver(standin, app, user_id=1001), clock)
        sam = Person(UserDriver(standin, app, user_id=2002, first_name="Sam"), clock)
        await fill_every_table(sam, app, clock)
        await fill_every_table(alex, app, clock)
        assert all(count > 0 for count in (await rows_of(pg_db, alex.id)).values())
        sam_before = await rows_of(pg_db, sam.id)
        await alex.send("/delete_my_data")
        await alex.press("Yes, delete everything")
        assert await rows_of(pg_db, alex.id) == dict.fromkeys(metadata.tables, 0)
        assert await rows_of(pg_db, sam.id) == sam_before
    finally:
        await stop_application(app)
