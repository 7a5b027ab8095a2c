"""AiohttpRequest: PTB's request interface over aiohttp, against the local Bot API stand-in.

What the bot relies on: parameters arrive with their types (form-encoded, as PTB sends them), files go as
multipart with their names, Telegram's 4xx answers come back as (status, body) for PTB to
turn into errors, timeouts raise TimedOut and connection failures NetworkError.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.aiohttp_request import AiohttpRequest
from bot.standin import BotApiStandIn
from tests.conftest import TEST_TOKEN


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    instance = Bot(TEST_TOKEN, base_url=standin.base_url, base_file_url=standin.base_file_url,
                   request=AiohttpRequest(connection_pool_size=4))
    await instance.initialize()
    yield instance
    await instance.shutdown()


async def test_a_message_arrives_with_its_json_types(bot: Bot, standin: BotApiStandIn) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes ✅", callback_data="triage:a:1:0:y")]])
    message = await bot.send_message(5, "Café <b>ünïcode</b> &amp; more", parse_mode="HTML",
                                      reply_markup=markup, disable_notification=True)
    call = standin.calls_to("sendMessage")[-1]
    assert call.content_type.startswith("application/x-www-form-urlencoded")
    assert call.params["chat_id"] == 5
    assert call.params["text"] == "Café <b>ünïcode</b> &amp; more"
    assert call.params["disable_notification"] is True
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Yes ✅", "callback_data": "triage:a:1:0:y"}]]
    }
    assert message.text == "Café ünïcode & more"
    assert message.reply_markup == markup


async def test_files_go_as_multipart_with_their_names(bot: Bot, standin: BotApiStandIn) -> None:
    message = await bot.send_document(5, InputFile(b"a,b\n1,2\n", filename="diary.csv"),
                                      caption="<b>Your diary</b>", parse_mode="HTML")
    call = standin.calls_to("sendDocument")[-1]
    assert call.files == {"document": ("diary.csv", b"a,b\n1,2\n")}
    assert call.params["chat_id"] == 5
    assert message.document is not None and message.document.file_name == "diary.csv"
    assert message.caption == "Your diary"


async def test_telegram_errors_reach_ptb_as_errors(bot: Bot, standin: BotApiStandIn) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(5, "<b>unclosed", parse_mode="HTML")
    assert standin.calls_to("sendMessage")[-1].error


async def test_a_request_without_parameters_works(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "cramp_companion_test_bot"


async def test_a_silent_server_times_out() -> None:
    release = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await release.wait()
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"http://127.0.0.1:{port}/bot{TEST_TOKEN}/getMe", "POST")
    finally:
        release.set()
        await request.shutdown()
        server.close()


async def test_a_refused_connection_is_a_network_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()  # nothing listens on the port any more
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.do_request(f"http://127.0.0.1:{port}/bot{TEST_TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()


async def test_it_must_be_initialised_and_can_be_reused(standin: BotApiStandIn) -> None:
    request = AiohttpRequest()
    url = f"{standin.base_url}{TEST_TOKEN}/getMe"
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(url, "POST")
    await request.initialize()
    await request.shutdown()
    await request.initialize()  # PTB initialises again after a shutdown
    status, body = await request.do_request(url, "POST")
    await request.shutdown()
    assert status == 200 and b"cramp_companion_test_bot" in body


def test_timeouts_follow_ptb_defaults() -> None:
    from telegram.request import BaseRequest

    request = AiohttpRequest(read_timeout=7, connect_timeout=3, pool_timeout=1)
    default = BaseRequest.DEFAULT_NONE
    timeout = request._timeout(default, default, default, default, has_files=False)
    assert timeout.sock_read == 7 and timeout.sock_connect == 3 and timeout.connect == 4
    assert request.read_timeout == 7
    assert timeout.total is None
    uploading = request._timeout(default, default, default, default, has_files=True)
    assert uploading.total == 20 + 7 + 4  # the media write timeout bounds an upload
    explicit = request._timeout(30, 1, None, None, has_files=False)
    assert explicit.sock_read == 30 and explicit.connect is None and explicit.sock_connect is None
    assert request._timeout(None, None, None, None, has_files=True).total is None


async def test_httpx_finds_sniffio_without_searching_sys_path() -> None:
    """httpx still sends reminders and long-polls; httpcore imports sniffio per request."""
    import sys

    from httpcore._synchronization import current_async_library

    assert current_async_library() == "asyncio"
    assert "sniffio" in sys.modules  # a failed import would leave it out and search again
