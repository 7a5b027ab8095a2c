"""Two instances on one PostgreSQL behave as one bot.

Two Applications (as two replicas behind one webhook URL would be) share one PostgreSQL
schema. One user's updates alternate between them, update by update, through a whole
symptom check and a diary entry with an edit (including a typed answer the other instance
asked for). Nothing lives in either process's memory, so every step lands.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.app import CrampApplication
from bot.config import Settings
from bot.db import Database
from bot.standin import BotApiStandIn, UserDriver
from bot.standin.driver import Reply
from bot.storage import episodes
from bot.storage import triage as triage_store
from tests.conftest import FakeClock, start_application, stop_application

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

# 03:12 on Tuesday 10 March 2026 in London (GMT).
THREE_AM = datetime(2026, 3, 10, 3, 12, tzinfo=UTC)


class Alternating:
    """One Telegram user whose every update goes to the other instance than the last."""

    def __init__(self, standin: BotApiStandIn, apps: list[CrampApplication], clock: FakeClock):
        self.apps = apps
        self.clock = clock
        self.driver = UserDriver(standin, apps[0], user_id=7007, first_name="Jo")
        self.turn = 0
        self.served_by: list[int] = []

    def _next(self) -> None:
        self.clock.advance(seconds=2)  # a person's pace
        index = self.turn % len(self.apps)
        self.driver.application = self.apps[index]
        self.served_by.append(index)
        self.turn += 1

    async def send(self, text: str) -> Reply:
        self._next()
        return await self.driver.send(text)

    async def press(self, label: str) -> Reply:
        self._next()
        return await self.driver.press(label)


@pytest.fixture
async def two_instances(settings: Settings, pg_db: Database, standin: BotApiStandIn,
                        clock: FakeClock) -> AsyncIterator[list[CrampApplication]]:
    apps = [await start_application(settings, pg_db, standin, clock) for _ in range(2)]
    yield apps
    for app in apps:
        await stop_application(app)


async def test_two_instances_serve_one_user_through_a_triage_and_a_diary_edit(
    two_instances: list[CrampApplication], standin: BotApiStandIn, clock: FakeClock,
    pg_db: Database,
) -> None:
    clock.set(THREE_AM)
    jo = Alternating(standin, two_instances, clock)

    # Onboarding: /start on one instance, Accept on the other.
    reply = await jo.send("/start")
    assert reply.last.button_labels == ["Accept", "Decline"]
    reply = await jo.press("Accept")
    assert "Thank you" in reply.text

    # A whole symptom check, each answer on the other instance.
    reply = await jo.send("/check")
    assert reply.last.first_line == "Symptom check: question 1 of 11"
    for number in range(2, 10):
        reply = await jo.press("No")
        assert reply.last.first_line == f"Symptom check: question {number} of 11"
    outcome = (await jo.press("Yes")).last
    assert outcome.first_line == "Book an appointment with your doctor"
    why = (await jo.press("Why?")).last
    assert why.first_line == "Why I suggested this"
    async with pg_db.session() as session:
        result = await triage_store.latest_result(session, jo.driver.id)
    assert result.level == "ROUTINE" and len(result.answers) == 9

    # A diary entry with details, then an edit — including a typed time that one instance
    # asked for and the other receives.
    reply = await jo.send("Log a cramp")
    assert reply.last.first_line == "✅ Logged a cramp at 03:12 today."
    await jo.press("Calf")
    await jo.press("Left")
    reply = await jo.press("7")
    assert "left calf · 7/10" in reply.last.text
    reply = await jo.send("My diary")
    assert reply.last.first_line == "📔 Your diary: 1 cramp"
    reply = await jo.press("1. Tue 10 Mar 03:12")
    assert "How bad: 7/10" in reply.last.text
    await jo.press("How bad")
    reply = await jo.press("4")
    assert "How bad: 4/10" in reply.last.text
    reply = await jo.press("Time")
    assert "When did this cramp start?" in reply.last.text
    reply = await jo.send("yesterday 22:05")
    assert "Saved: time 22:05 yesterday (Mon 9 Mar)." in reply.last.text

    async with pg_db.session() as session:
        [episode] = await episodes.list_for_owner(session, jo.driver.id, limit=10)
    assert (episode.location, episode.side, episode.severity) == ("calf", "left", 4)
    assert episode.started_at == datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
    # Both instances really took part, strictly alternating.
    assert jo.served_by == [i % 2 for i in range(len(jo.served_by))]
    assert len(jo.served_by) == 23


async def test_the_same_press_on_both_instances_at_once_counts_once(
    two_instances: list[CrampApplication], standin: BotApiStandIn, clock: FakeClock,
    pg_db: Database,
) -> None:
    a, b = two_instances
    user = UserDriver(standin, a, user_id=7008, first_name="Sam")
    await user.send("/start")
    clock.advance(seconds=2)
    await user.press("Accept")
    clock.advance(seconds=2)
    question = (await user.send("/check")).last
    no = next(btn.callback_data for row in question.buttons for btn in row if btn.text == "No")
    on_b = UserDriver(standin, b, user_id=7008, first_name="Sam")
    # A double tap that reached two replicas: both updates are processed concurrently.
    await asyncio.gather(user.press_data(no, question), on_b.press_data(no, question))
    stored = standin.messages[(question.chat_id, question.message_id)]
    assert stored["text"].startswith("Symptom check: question 2 of 11")
    clock.advance(seconds=2)
    reply = await user.press("No")
    assert reply.last.first_line == "Symptom check: question 3 of 11"
