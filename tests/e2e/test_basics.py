"""End to end through the real Application and the Bot API stand-in: the basics."""

from __future__ import annotations

import logging

import pytest
from telegram.ext import CommandHandler

from bot.handlers import bot_commands
from bot.handlers.common import MENU_LABELS
from bot.handlers.errors import SORRY
from bot.standin import BotApiStandIn, UserDriver
from bot.storage import users


async def _row(app, user_id: int):
    async with app.bot_data.services.db.session() as session:
        return await users.get(session, user_id)


async def test_start_greets_shows_menu_and_asks_consent(user: UserDriver, app) -> None:
    reply = await user.send("/start")
    greeting = reply[0]
    assert greeting.first_line.startswith("Hi Alex!")
    assert "not a doctor" in greeting.text
    assert greeting.reply_keyboard == list(MENU_LABELS)
    assert greeting.markup.get("is_persistent") is True
    consent = reply[1]
    assert "health data" in consent.text
    assert consent.button_labels == ["Accept", "Decline"]
    row = await _row(app, user.id)
    assert row is not None and row.chat_id == user.id and row.first_name == "Alex"


async def test_start_registers_the_command_list(standin: BotApiStandIn, app) -> None:
    names = [c["command"] for c in standin.commands]
    assert names == [name for name, _ in bot_commands()]
    assert {"start", "help", "check", "cramp", "reminders", "settings"} <= set(names)


async def test_help_lists_every_command_with_one_line(user: UserDriver) -> None:
    reply = await user.send("/help")
    for name, _ in bot_commands():
        assert f"/{name} — " in reply.last.text


async def test_menu_shows_the_keyboard_again(user: UserDriver) -> None:
    reply = await user.send("/menu")
    assert reply.last.reply_keyboard == list(MENU_LABELS)


async def test_every_update_creates_or_updates_the_user(user: UserDriver, app, clock) -> None:
    await user.send("hello")
    first = await _row(app, user.id)
    clock.advance(minutes=5)
    user.user["first_name"] = "Alexandra"
    await user.send("/menu")
    second = await _row(app, user.id)
    assert second.first_name == "Alexandra"
    assert second.last_seen_at > first.last_seen_at
    assert second.created_at == first.created_at


async def test_unknown_text_gets_help_and_the_menu(user: UserDriver) -> None:
    reply = await user.send("asdfghjkl")
    assert "didn't quite catch that" in reply.last.text
    assert reply.last.reply_keyboard == list(MENU_LABELS)


async def test_free_text_with_a_hint_suggests_the_feature(user: UserDriver) -> None:
    reply = await user.send("I want to stretch")
    assert "/stretch" in reply.last.text


async def test_unknown_command_is_answered(user: UserDriver) -> None:
    reply = await user.send("/frobnicate now")
    assert "don't know the command /frobnicate" in reply.last.text
    assert reply.last.reply_keyboard == list(MENU_LABELS)


async def test_non_text_message_is_answered(user: UserDriver, standin: BotApiStandIn) -> None:
    update = standin.build_text_update(user.user, "x")
    message = update["message"]
    del message["text"]
    message["sticker"] = {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                          "is_animated": False, "is_video": False, "type": "regular"}
    reply = await user._process(update)
    assert "only read text" in reply.last.text


async def test_oversized_text_is_refused_politely(user: UserDriver) -> None:
    reply = await user.send("a" * 3000)
    assert "too long" in reply.last.text
    assert len(reply) == 1


async def test_forged_callback_data_gets_a_polite_answer(user: UserDriver, standin: BotApiStandIn) -> None:
    reply = await user.send("/settings")
    index = len(standin.calls)
    for data in ("nonsense", "set:cc:XX", "zz:top:1", "set", "privacy:bogus"):
        await user.press_data(data, reply.last)
    answers = user.answers_since(index)
    assert len(answers) == 5
    assert all(a.params.get("text") for a in answers)
    assert not standin.calls_to("sendMessage", since=index) or all(
        "went wrong" not in c.params.get("text", "") for c in standin.calls_to("sendMessage", since=index)
    )


async def test_settings_country_by_button_and_by_typing(user: UserDriver, app) -> None:
    reply = await user.send("Settings")
    assert reply.last.first_line == "Settings"
    await user.press("Change country")
    reply = await user.press("United States")
    assert "911" in reply.last.text
    assert (await _row(app, user.id)).country == "US"
    await user.send("/country")
    reply = await user.send("Narnia")
    assert "don't know the country" in reply.last.text
    reply = await user.send("germany")
    assert "Saved: Germany" in reply.last.text and "112" in reply.last.text
    row = await _row(app, user.id)
    assert row.country == "DE" and row.awaiting is None


async def test_a_menu_button_cancels_a_pending_typed_answer(user: UserDriver, app) -> None:
    await user.send("/country")
    assert (await _row(app, user.id)).awaiting == "set:country"
    await user.send("Settings")
    assert (await _row(app, user.id)).awaiting is None


async def test_decline_then_accept_consent(user: UserDriver, app) -> None:
    await user.send("/start")
    reply = await user.press("Decline")
    assert "won't store any health data" in reply.last.text
    assert (await _row(app, user.id)).consent == "declined"
    await user.send("/privacy")
    await user.press("Accept")
    assert (await _row(app, user.id)).consent == "accepted"


async def test_error_handler_replies_once_and_keeps_running(
    user: UserDriver, app, standin: BotApiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(update, context) -> None:
        raise RuntimeError("kaboom")

    app.handlers[0].insert(0, CommandHandler("boom", boom))
    caplog.set_level(logging.INFO)
    reply = await user.send("/boom secret words")
    assert [m.text for m in reply] == [SORRY]
    assert "secret words" not in caplog.text
    assert "update" in caplog.text and "RuntimeError" in caplog.text
    reply = await user.send("/menu")
    assert reply.last.reply_keyboard == list(MENU_LABELS)


async def test_polling_through_get_updates(standin: BotApiStandIn, app) -> None:
    """The real Updater long-polls the stand-in and the reply comes back over HTTP."""
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        user = standin.make_user(3003, "Polly")
        since = len(standin.calls)
        await standin.push_update(standin.build_text_update(user, "/start"))
        call = await standin.wait_for_call(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id") == 3003, since=since
        )
        assert "Hi Polly!" in call.result["text"]
    finally:
        await app.updater.stop()


async def test_start_up_survives_a_refused_command_list(settings, db, standin: BotApiStandIn,
                                                        clock) -> None:
    """A Bot API server that refuses setMyCommands must not stop the bot from starting."""
    from tests.conftest import start_application, stop_application

    standin.inject_fault("setMyCommands", 400, "Bad Request: method not supported")
    application = await start_application(settings, db, standin, clock)
    try:
        user = UserDriver(standin, application, user_id=4004)
        reply = await user.send("/start")
        assert reply[0].first_line.startswith("Hi ")
    finally:
        await stop_application(application)


async def test_an_edited_message_gets_a_useful_reply_not_an_error(user: UserDriver,
                                                                 standin: BotApiStandIn) -> None:
    update = standin.build_text_update(user.user, "hello")
    edited = update.pop("message")
    update["edited_message"] = {**edited, "edit_date": edited["date"]}
    reply = await user._process(update)
    assert [m.text for m in reply] == [
        "I only read new messages, so I didn't act on that edit. Please send it again as a "
        "new message."
    ]
