"""Metrics: our own registry, handler timing by handler, reminder outcomes, user gauges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import create_async_engine
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot import metrics
from bot.app import Services
from bot.config import Settings
from bot.db import Database
from bot.models.user import CONSENT_DECLINED
from bot.storage import users
from tests.factories import make_user

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class Ctx:
    def __init__(self, services: Services) -> None:
        self.services = services


@pytest.fixture
def services(settings: Settings, db: Database) -> Services:
    return Services(settings=settings, db=db, clock=lambda: NOW)


async def test_instrumented_handlers_are_counted_and_timed_by_name(services: Services) -> None:
    async def show_plan(update: object, context: object) -> str:
        return "done"

    async def broken(update: object, context: object) -> None:
        raise RuntimeError("boom")

    async def stops(update: object, context: object) -> None:
        raise ApplicationHandlerStop

    ok = metrics.instrument(CommandHandler("plan", show_plan), "bot.handlers.reminders")
    bad = metrics.instrument(CommandHandler("x", broken), "bot.handlers.diary")
    stop = metrics.instrument(CommandHandler("y", stops), "bot.handlers.tracking")
    context = Ctx(services)
    assert await ok.callback(None, context) == "done"
    assert await ok.callback(None, context) == "done"
    with pytest.raises(RuntimeError):
        await bad.callback(None, context)
    with pytest.raises(ApplicationHandlerStop):
        await stop.callback(None, context)
    counters = metrics.of(services)
    assert counters.value("cramp_updates_total", handler="reminders.show_plan") == 2
    assert counters.value("cramp_handler_seconds_count", handler="reminders.show_plan") == 2
    assert counters.value("cramp_handler_errors_total", handler="diary.broken") == 1
    assert counters.value("cramp_handler_errors_total", handler="tracking.stops") == 0
    assert counters.total("cramp_updates_total") == 4
    assert ok.callback.__name__ == "show_plan"


def test_reminder_outcomes_and_our_own_registry(services: Services) -> None:
    counters = metrics.of(services)
    counters.reminder("sent", 3)
    counters.reminder("failed")
    counters.reminder("skipped", 0)
    assert counters.value("cramp_reminders_total", outcome="sent") == 3
    assert counters.value("cramp_reminders_total", outcome="failed") == 1
    with pytest.raises(ValueError, match="outcome"):
        counters.reminder("lost")
    assert REGISTRY.get_sample_value("cramp_reminders_total", {"outcome": "sent"}) is None
    assert metrics.of(services) is counters  # one per instance
    other = Services(settings=services.settings, db=services.db)
    assert metrics.of(other).value("cramp_reminders_total", outcome="sent") == 0


async def test_user_gauges_come_from_the_database_at_scrape_time(services: Services,
                                                                 db: Database) -> None:
    await make_user(db, 1)
    await make_user(db, 2, consent=CONSENT_DECLINED)
    await make_user(db, 3, is_active=False)
    async with db.session() as session:
        for user_id, ago in ((1, timedelta(hours=2)), (2, timedelta(days=3)), (3, timedelta(days=40))):
            await users.set_fields(session, user_id, last_seen_at=NOW - ago)
        await session.commit()
    text = (await metrics.render(services)).decode()
    assert 'cramp_users{state="total"} 3.0' in text
    assert 'cramp_users{state="active"} 2.0' in text
    assert 'cramp_users{state="blocked"} 1.0' in text
    assert 'cramp_users{state="consented"} 2.0' in text
    assert 'cramp_users_seen{window="1d"} 1.0' in text
    assert 'cramp_users_seen{window="7d"} 2.0' in text
    assert 'cramp_users_seen{window="30d"} 2.0' in text
    assert "cramp_database_up 1.0" in text


async def test_a_scrape_still_answers_when_the_database_is_down(services: Services,
                                                                tmp_path) -> None:
    (tmp_path / "file").write_text("not a folder")
    services.db = Database(create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/file/x.db"))
    try:
        text = (await metrics.render(services)).decode()
    finally:
        await services.db.dispose()
    assert "cramp_database_up 0.0" in text
