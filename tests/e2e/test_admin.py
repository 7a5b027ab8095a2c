"""/admin: counts for the ids in ADMIN_IDS, the unknown-command reply for everyone else."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.db import Database
from bot.models.user import CONSENT_DECLINED
from bot.standin import BotApiStandIn, UserDriver
from bot.storage import users
from tests.conftest import FakeClock
from tests.factories import make_user

pytestmark = pytest.mark.e2e

ADMIN_ID = 9009


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"admin_ids": [ADMIN_ID]})


@pytest.fixture
def admin(standin: BotApiStandIn, app) -> UserDriver:
    return UserDriver(standin, app, user_id=ADMIN_ID, first_name="Operator")


async def test_others_get_exactly_the_unknown_command_reply(user: UserDriver,
                                                            standin: BotApiStandIn) -> None:
    admin_reply = await user.send("/admin")
    unknown = await user.send("/nosuchcommand")
    assert admin_reply.last.text == unknown.last.text.replace("/nosuchcommand", "/admin")
    assert "admin" not in [command["command"] for command in standin.commands]  # not listed


async def test_admin_sees_counts_and_never_personal_data(
    admin: UserDriver, user: UserDriver, db: Database, clock: FakeClock
) -> None:
    await make_user(db, 1)
    async with db.session() as session:
        await users.set_fields(session, 1, first_name="Zebediah")
        await session.commit()
    await make_user(db, 2, consent=CONSENT_DECLINED)
    await make_user(db, 3, is_active=False)
    await user.send("/start")
    clock.advance(seconds=5)
    await make_user(db, 4)
    await users_log_cramp(user, db, clock)
    clock.advance(seconds=5)
    screen = (await admin.send("/admin")).last
    text = screen.text
    assert screen.first_line == "Admin overview"
    assert "Users: 6" in text  # four made here, the user who pressed /start, and the admin
    assert "Blocked the bot: 1" in text
    assert "Consented to health data: 4" in text
    assert "Declined: 1" in text
    assert "episodes: 1" in text
    assert "Handler runs:" in text
    for private in ("Zebediah", "Alex", "Operator", str(user.id), str(ADMIN_ID), "calf"):
        assert private not in text
    refreshed = (await admin.press("Refresh")).last
    assert refreshed.first_line == "Admin overview"


async def users_log_cramp(user: UserDriver, db: Database, clock: FakeClock) -> None:
    """The /start user accepts and logs a cramp with a detail (health data for the test)."""
    async with db.session() as session:
        await users.set_fields(session, user.id, consent="accepted")
        await session.commit()
    clock.advance(seconds=5)
    await user.send("/cramp calf 7")


async def test_a_forged_admin_button_from_a_non_admin_changes_nothing(
    user: UserDriver, standin: BotApiStandIn
) -> None:
    menu = (await user.send("/privacy")).last
    before = len(standin.calls)
    reply = await user.press_data("admin:refresh", menu)
    assert reply == []
    assert user.answers_since(before)[0].params.get("text") == "This button is no longer active."
