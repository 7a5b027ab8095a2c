"""PerUserUpdateProcessor: different users at once, each user's updates in arrival order."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Update

from bot.app import CrampApplication, build_application
from bot.config import Settings
from bot.standin import BotApiStandIn
from bot.update_processor import (
    DEFAULT_MAX_CONCURRENT_UPDATES,
    PerUserUpdateProcessor,
    ordering_key,
)


def text_update(standin: BotApiStandIn, user_id: int, text: str, bot=None) -> Update:
    raw = standin.build_text_update(standin.make_user(user_id), text)
    return Update.de_json(raw, bot)


class Log:
    """Records start/end of each simulated handler; each waits for its own go signal."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.go: dict[str, asyncio.Event] = {}

    async def handler(self, name: str) -> None:
        self.events.append(f"start {name}")
        await self.go.setdefault(name, asyncio.Event()).wait()
        self.events.append(f"end {name}")

    def release(self, name: str) -> None:
        self.go.setdefault(name, asyncio.Event()).set()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_users_updates_run_one_after_the_other_in_order() -> None:
    builder = BotApiStandIn()
    processor = PerUserUpdateProcessor(8)
    log = Log()
    tasks = [asyncio.create_task(processor.process_update(text_update(builder, 1, t),
                                                          log.handler(t)))
             for t in ("a", "b", "c")]
    await settle()
    assert log.events == ["start a"]  # b and c wait for a
    log.release("c")  # c is ready first, but must not overtake b
    log.release("b")
    await settle()
    assert log.events == ["start a"]
    log.release("a")
    await asyncio.gather(*tasks)
    assert log.events == ["start a", "end a", "start b", "end b", "start c", "end c"]
    assert processor.users_in_progress == 0


async def test_different_users_run_at_once() -> None:
    builder = BotApiStandIn()
    processor = PerUserUpdateProcessor(8)
    log = Log()
    tasks = [asyncio.create_task(processor.process_update(text_update(builder, uid, f"u{uid}"),
                                                          log.handler(f"u{uid}")))
             for uid in (1, 2, 3)]
    await settle()
    assert sorted(log.events) == ["start u1", "start u2", "start u3"]
    assert processor.users_in_progress == 3
    for uid in (3, 1, 2):
        log.release(f"u{uid}")
    await asyncio.gather(*tasks)
    assert processor.users_in_progress == 0


async def test_the_bound_holds_across_users() -> None:
    builder = BotApiStandIn()
    processor = PerUserUpdateProcessor(2)
    log = Log()
    tasks = [asyncio.create_task(processor.process_update(text_update(builder, uid, "x"),
                                                          log.handler(f"u{uid}")))
             for uid in (1, 2, 3)]
    await settle()
    assert len(log.events) == 2  # the third waits for a free slot
    for uid in (1, 2, 3):
        log.release(f"u{uid}")
    await asyncio.gather(*tasks)
    assert len(log.events) == 6


async def test_a_failing_or_cancelled_update_does_not_block_the_next() -> None:
    builder = BotApiStandIn()
    processor = PerUserUpdateProcessor(8)
    log = Log()

    async def boom() -> None:
        raise RuntimeError("handler failed")

    first = asyncio.create_task(processor.process_update(text_update(builder, 1, "a"), boom()))
    second = asyncio.create_task(processor.process_update(text_update(builder, 1, "b"),
                                                          log.handler("b")))
    third = asyncio.create_task(processor.process_update(text_update(builder, 1, "c"),
                                                         log.handler("c")))
    with pytest.raises(RuntimeError):
        await first
    await settle()
    second.cancel()  # e.g. shutting down while it runs
    with pytest.raises(asyncio.CancelledError):
        await second
    log.release("c")
    await third
    assert log.events == ["start b", "start c", "end c"]
    assert processor.users_in_progress == 0


def test_updates_are_keyed_by_user_then_chat() -> None:
    builder = BotApiStandIn()
    assert ordering_key(text_update(builder, 42, "hi")) == 42
    channel = Update.de_json({"update_id": 1, "channel_post": {
        "message_id": 1, "date": 0, "chat": {"id": -100, "type": "channel"}, "text": "x"}}, None)
    assert ordering_key(channel) == -100
    assert ordering_key(Update(update_id=2)) is None
    assert ordering_key("not an update") is None


def test_the_application_uses_it_by_default(settings: Settings) -> None:
    application = build_application(settings, start_background_jobs=False)
    assert isinstance(application.update_processor, PerUserUpdateProcessor)
    assert application.concurrent_updates == DEFAULT_MAX_CONCURRENT_UPDATES
    sequential = build_application(settings, start_background_jobs=False, concurrent_updates=False)
    assert sequential.concurrent_updates == 1


@pytest.mark.e2e
async def test_a_started_application_serves_several_users_at_once(
    app: CrampApplication, standin: BotApiStandIn
) -> None:
    processor = app.update_processor
    assert isinstance(processor, PerUserUpdateProcessor)
    users = list(range(5001, 5011))
    for uid in users:
        app.update_queue.put_nowait(text_update(standin, uid, "/help", app.bot))
    most = 0
    for _ in range(2000):
        most = max(most, processor.users_in_progress)
        replied = {c.params.get("chat_id") for c in standin.calls_to("sendMessage")}
        if set(users) <= replied and processor.users_in_progress == 0:
            break
        await asyncio.sleep(0.005)
    assert set(users) <= replied  # every user got an answer
    assert most > 1  # and they were served at the same time, not one after another
