"""Process updates concurrently across users, in order within each user.

With PTB's default (one update at a time) every Bot API round trip of one user's update
(tens of milliseconds to Telegram) holds up everybody else: throughput is capped near
1 / (round trips × latency), whatever the CPU. Handlers keep no state in process memory
and guard their writes (compare-and-set, unique keys), so different users' updates can run
at once; two updates of the same user still run one after the other, in arrival order, as
they would with sequential processing (a typed answer never overtakes the command before it).

``build_application`` installs ``PerUserUpdateProcessor()`` unless told otherwise.
See docs/performance.md for the measurements.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# At most this many updates in progress in one process. Beyond it updates wait in PTB's
# update queue. At ~3-6 ms of CPU per update a process saturates one core long before this
# bound; it exists to keep memory and database-pool queues bounded under a burst.
DEFAULT_MAX_CONCURRENT_UPDATES = 128


def ordering_key(update: object) -> int | None:
    """Updates with the same key run in order: the user's id, else the chat's; None: no order."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Up to ``max_concurrent_updates`` updates at once, one at a time per user."""

    def __init__(self, max_concurrent_updates: int = DEFAULT_MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        # The last update of each user still in progress: the next one of that user waits
        # for it. An entry is removed when its update finishes and none follows.
        self._last: dict[int, asyncio.Future[None]] = {}

    @property
    def users_in_progress(self) -> int:
        return len(self._last)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the same user's previous update, then run this one."""
        key = ordering_key(update)
        if key is None:
            await coroutine
            return
        previous = self._last.get(key)
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = finished
        try:
            if previous is not None:
                try:
                    await asyncio.shield(previous)
                except BaseException:  # cancelled while waiting: this update never runs
                    getattr(coroutine, "close", lambda: None)()
                    raise
            await coroutine
        finally:
            finished.set_result(None)
            if self._last.get(key) is finished:
                del self._last[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
