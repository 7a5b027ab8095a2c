"""SIGTERM in the middle of a reminder batch: a clean, prompt stop, and after a restart
nobody gets the same reminder twice.

The real process (``python -m bot``, long polling, SQLite) runs against the Bot API
stand-in with a small send budget, so a batch of due reminders takes seconds to send.
SIGTERM arrives after the first few; the process must exit within 10 s. A second process
then finishes the batch.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.migrate import upgrade
from bot.models.reminders import ReminderDelivery
from bot.standin import BotApiStandIn
from tests.reminders_support import seed_plans
from tests.test_process import _env, _start, _stop

pytestmark = pytest.mark.e2e

USERS = list(range(50_001, 50_061))  # 60 users, one reminder each due now
BUDGET = "4"  # messages a second: the batch takes about 15 s


def _reminders_to(standin: BotApiStandIn) -> Counter:
    return Counter(c.params["chat_id"] for c in standin.calls_to("sendMessage")
                   if c.params.get("chat_id") in USERS and not c.error)


async def _wait_for(predicate, within: float) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_sigterm_during_a_reminder_batch_stops_cleanly_and_sends_nothing_twice(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    env = _env(standin, tmp_path, SEND_BUDGET_PER_SECOND=BUDGET, REMINDER_TICK_SECONDS="0.5")
    url = env["DATABASE_URL"]
    await asyncio.to_thread(upgrade, url)
    db = Database.from_url(url)
    now = datetime.now(UTC)
    await seed_plans(db, USERS, now=now, due_at=now - timedelta(minutes=1))

    first, lines = await _start([], env, tmp_path)
    await _wait_for(lambda: sum(_reminders_to(standin).values()) >= 3, within=30)
    code = await _stop(first, signal.SIGTERM, lines)  # fails if it takes over 10 s
    assert code == 0, "".join(lines)
    after_first = _reminders_to(standin)
    assert len(after_first) < len(USERS), "the batch ended before SIGTERM: nothing tested"

    second, lines = await _start([], env, tmp_path)
    async with db.session() as session:
        in_flight = len((await session.execute(select(ReminderDelivery.id).where(
            ReminderDelivery.status == "sending"))).all())
    await _wait_for(lambda: len(_reminders_to(standin)) >= len(USERS) - in_flight, within=40)
    assert await _stop(second, signal.SIGTERM, lines) == 0, "".join(lines)

    sent = _reminders_to(standin)
    assert max(sent.values()) == 1, f"sent twice: {[u for u, n in sent.items() if n > 1]}"
    async with db.session() as session:
        statuses = Counter(status for (status,) in (await session.execute(
            select(ReminderDelivery.status))).all())
    await db.dispose()
    # At most once: every reminder was sent once, except one caught mid-send (if any),
    # which is recorded as such and never repeated.
    assert statuses["sent"] == len(sent)
    assert statuses["sent"] + statuses["sending"] == len(USERS), statuses
    assert statuses["sending"] <= 1
