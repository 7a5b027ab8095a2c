"""The Bot API stand-in speaks Telegram's shapes and errors to the real python-telegram-bot."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.standin import BotApiStandIn, html_to_text
from bot.standin.server import BotApiError
from tests.conftest import TEST_TOKEN

CHAT = 5005


@pytest.fixture
async def tg(standin: BotApiStandIn):
    bot = Bot(TEST_TOKEN, base_url=standin.base_url, base_file_url=standin.base_file_url)
    async with bot:
        yield bot


async def test_get_me_and_telegram_shaped_messages(tg: Bot, standin: BotApiStandIn) -> None:
    assert tg.username == "cramp_companion_test_bot"
    message = await tg.send_message(CHAT, "<b>Hi</b> &amp; welcome", parse_mode="HTML")
    assert message.text == "Hi & welcome"
    assert message.from_user.is_bot
    assert message.date.tzinfo is not None
    assert standin.calls_to("sendMessage")[0].params["chat_id"] == CHAT


async def test_message_not_modified(tg: Bot) -> None:
    message = await tg.send_message(CHAT, "same")
    with pytest.raises(BadRequest, match="not modified"):
        await tg.edit_message_text("same", CHAT, message.message_id)


async def test_text_over_4096_characters_is_refused(tg: Bot) -> None:
    with pytest.raises(BadRequest, match="too long"):
        await tg.send_message(CHAT, "x" * 4097)
    assert (await tg.send_message(CHAT, "x" * 4096)).text == "x" * 4096


async def test_callback_data_over_64_bytes_is_refused(tg: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await tg.send_message(CHAT, "hi", reply_markup=markup)


async def test_blocked_chat_gets_403(tg: Bot, standin: BotApiStandIn) -> None:
    standin.block(CHAT)
    with pytest.raises(Forbidden, match="blocked"):
        await tg.send_message(CHAT, "hello?")


async def test_injected_retry_after(tg: Bot, standin: BotApiStandIn) -> None:
    standin.inject_fault("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await tg.send_message(CHAT, "hi")
    value = info.value.retry_after
    assert (value.total_seconds() if hasattr(value, "total_seconds") else value) == 3
    assert (await tg.send_message(CHAT, "hi")).text == "hi"


async def test_bad_html_is_refused_like_telegram(tg: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await tg.send_message(CHAT, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(BotApiError):
        html_to_text("a < b & c")


async def test_documents_and_photos_arrive_as_multipart(tg: Bot, standin: BotApiStandIn) -> None:
    message = await tg.send_document(CHAT, b"a,b\n1,2\n", filename="diary.csv", caption="Your diary")
    assert message.document.file_name == "diary.csv"
    call = standin.calls_to("sendDocument")[0]
    assert call.files["document"] == ("diary.csv", b"a,b\n1,2\n")
    photo = await tg.send_photo(CHAT, b"\x89PNG fake", caption="chart")
    assert photo.photo[0].file_size == len(b"\x89PNG fake")


async def test_get_updates_long_polls_and_confirms_by_offset(tg: Bot, standin: BotApiStandIn) -> None:
    user = standin.make_user(CHAT, "U")
    waiting = asyncio.create_task(tg.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    await standin.push_update(standin.build_text_update(user, "/start"))
    updates = await asyncio.wait_for(waiting, 5)
    assert [u.message.text for u in updates] == ["/start"]
    assert updates[0].message.entities[0].type == "bot_command"
    again = await tg.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert again == ()


async def test_callback_queries_carry_chat_instance(tg: Bot, standin: BotApiStandIn) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="triage:ans:1")]])
    sent = await tg.send_message(CHAT, "Q?", reply_markup=markup)
    stored = standin.messages[(CHAT, sent.message_id)]
    await standin.push_update(standin.build_callback_update(standin.make_user(CHAT), stored, "triage:ans:1"))
    (update,) = await tg.get_updates(timeout=0)
    assert update.callback_query.chat_instance
    assert update.callback_query.data == "triage:ans:1"
    assert await update.callback_query.answer() is True
