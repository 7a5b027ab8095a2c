"""Abuse at the edge: the flood guard, over-long text, and foreign, forged or replayed buttons
for every feature's callback prefix. Nothing raises, nothing changes, everyone is answered."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.app import CrampApplication
from bot.config import Settings
from bot.db import Database
from bot.handlers.tracking import FOREIGN_BUTTON, MAX_INPUT_TEXT, SLOW_DOWN
from bot.models import metadata
from bot.standin import BotApiStandIn, UserDriver
from bot.standin.driver import BotMessage
from tests.conftest import FakeClock
from tests.factories import make_user

pytestmark = pytest.mark.e2e

# A command that shows buttons of each feature's prefix.
BUTTON_SOURCES = {
    "triage": "/check",
    "now": "/now",
    "causes": "/causes",
    "guide": "/stretch",
    "diary": "/cramp",
    "stats": "/stats",
    "export": "/stats",  # "Export for my doctor" under the statistics
    "rem": "/reminders",
    "set": "/settings",
    "privacy": "/privacy",
    "admin": "/admin",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"admin_ids": [1001]})


@pytest.fixture
def errors(app: CrampApplication) -> list[BaseException]:
    """Every error that reaches the error handlers."""
    seen: list[BaseException] = []

    async def record(update: object, context: object) -> None:
        seen.append(context.error)  # type: ignore[attr-defined]

    app.add_error_handler(record)
    return seen


async def _row_counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return {name: int((await session.execute(select(func.count()).select_from(table))).scalar_one())
                for name, table in metadata.tables.items()}


async def _with_data(db: Database, user: UserDriver, clock: FakeClock) -> None:
    """A consenting user with a cramp in the diary (so /stats and /export have buttons)."""
    await make_user(db, user.id)
    await user.send("/cramp calf 6")
    clock.advance(seconds=5)


async def _buttons_of(user: UserDriver, clock: FakeClock, prefix: str) -> BotMessage:
    clock.advance(seconds=5)
    reply = await user.send(BUTTON_SOURCES[prefix])
    for message in reversed(reply):
        if any(b.callback_data and b.callback_data.startswith(f"{prefix}:")
               for row in message.buttons for b in row):
            return message
    raise AssertionError(f"{BUTTON_SOURCES[prefix]} showed no {prefix}: button: {reply.text!r}")


async def test_flood_guard_warns_once_then_drops_then_lets_through(
    app: CrampApplication, user: UserDriver, clock: FakeClock, standin: BotApiStandIn
) -> None:
    replies = [await user.send(f"hello {i}") for i in range(20)]  # all within one second
    assert all(reply for reply in replies)
    warned = await user.send("hello 21")
    assert [m.text for m in warned] == [SLOW_DOWN.format(seconds=30)]
    assert await user.send("hello 22") == []
    assert await user.send("/help") == []
    counters = app.bot_data.services.extras["metrics"]
    assert counters.value("cramp_flood_dropped_total") == 3
    clock.advance(seconds=31)
    assert (await user.send("/help")).last.first_line == "What I can do"
    # Someone else was never affected.
    other = UserDriver(standin, app, user_id=2002)
    assert (await other.send("/help")).last.first_line == "What I can do"


async def test_flooding_with_buttons_gets_one_short_answer(
    app: CrampApplication, user: UserDriver, clock: FakeClock, standin: BotApiStandIn
) -> None:
    menu = (await user.send("/privacy")).last  # update 1 of the 20 allowed
    for _ in range(19):
        await user.press_data("privacy:zz", menu)
    before = len(standin.calls)
    await user.press_data("privacy:zz", menu)
    answers = user.answers_since(before)
    assert [a.params.get("text") for a in answers] == [SLOW_DOWN.format(seconds=30)[:200]]
    before = len(standin.calls)
    await user.press_data("privacy:zz", menu)
    assert standin.calls[before:] == []  # dropped: no work at all


async def test_over_long_text_is_refused_before_any_feature(user: UserDriver, app) -> None:
    reply = await user.send("/cramp " + "x" * MAX_INPUT_TEXT)
    assert reply.last.text == (f"That message is too long for me ({MAX_INPUT_TEXT + 7} characters). "
                               f"Please keep it under {MAX_INPUT_TEXT} characters.")


@pytest.mark.parametrize("prefix", sorted(BUTTON_SOURCES))
async def test_another_users_press_is_refused_for_every_feature(
    prefix: str, app: CrampApplication, user: UserDriver, other_user: UserDriver,
    clock: FakeClock, db: Database, standin: BotApiStandIn, errors: list[BaseException],
) -> None:
    await _with_data(db, user, clock)
    message = await _buttons_of(user, clock, prefix)
    datas = [b.callback_data for row in message.buttons for b in row if b.callback_data]
    before_rows = await _row_counts(db)
    stored_before = dict(standin.messages[(message.chat_id, message.message_id)])
    for data in datas:
        clock.advance(seconds=5)
        before = len(standin.calls)
        reply = await other_user.press_data(data, message)
        assert reply == []
        assert [a.params.get("text") for a in other_user.answers_since(before)] == [FOREIGN_BUTTON]
        assert [c.method for c in standin.calls[before:]] == ["answerCallbackQuery"]
    assert standin.messages[(message.chat_id, message.message_id)] == stored_before
    after_rows = await _row_counts(db)
    assert after_rows == {**before_rows, "users": before_rows["users"]}  # other_user not even stored
    assert errors == []


@pytest.mark.parametrize("prefix", sorted(BUTTON_SOURCES))
async def test_forged_presses_are_answered_politely_for_every_feature(
    prefix: str, app: CrampApplication, user: UserDriver, clock: FakeClock, db: Database,
    standin: BotApiStandIn, errors: list[BaseException],
) -> None:
    await _with_data(db, user, clock)
    message = await _buttons_of(user, clock, prefix)
    forged = [f"{prefix}:nosuchverb", f"{prefix}:nosuchverb:1:2:3", f"{prefix}:x",
              f"{prefix}:" + "9" * 55, f"{prefix}:a b", f"{prefix}::::"]
    real = [b.callback_data for row in message.buttons for b in row if b.callback_data]
    # Real verbs with wrong, huge or missing arguments.
    for data in real:
        parts = data.split(":")
        forged += [":".join(parts[:2]), ":".join([*parts[:2], "-1"]),
                   ":".join([*parts[:2], "99999999999999999"]), ":".join([*parts[:2], "zz", "zz"])]
    for data in forged:
        clock.advance(seconds=5)
        before = len(standin.calls)
        await user.press_data(data, message)
        answers = user.answers_since(before)
        assert answers, f"{data!r} was not answered"
        failed = [c.error for c in standin.calls[before:]
                  if c.error and "message is not modified" not in c.error]
        assert not failed, (data, failed)
    assert errors == []


@pytest.mark.parametrize("prefix", sorted(BUTTON_SOURCES))
async def test_replayed_presses_are_answered_and_do_not_crash(
    prefix: str, app: CrampApplication, user: UserDriver, clock: FakeClock, db: Database,
    standin: BotApiStandIn, errors: list[BaseException],
) -> None:
    await _with_data(db, user, clock)
    message = await _buttons_of(user, clock, prefix)
    datas = [b.callback_data for row in message.buttons for b in row if b.callback_data]
    for data in datas[:4]:
        for _ in range(2):  # the press, then the same press replayed
            clock.advance(seconds=5)
            before = len(standin.calls)
            await user.press_data(data, message)
            assert user.answers_since(before), f"{data!r} was not answered"
    assert errors == []
