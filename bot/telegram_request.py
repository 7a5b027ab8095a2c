"""Bot API requests that survive Telegram's bad moments: 5xx answers and timeouts are retried.

Every reply the bot sends goes through ``RetryingRequest`` (``build_application`` installs
it). A 5xx answer, a timeout or a dropped connection is retried up to ``attempts`` times
with a short backoff (0.5 s, 1 s, 2 s by default), so a reply is not lost to a blip.

Trade-off, on purpose: after a *read* timeout Telegram may already have delivered the
message, so a retry can, rarely, show the user a reply twice. We prefer that to losing a
reply. 4xx answers (bad request, blocked, flood wait) are not retried here: they are not
transient or, for 429, the caller decides (the reminder dispatcher honours ``retry_after``).
Long polling (``getUpdates``) uses its own request object and its own retry loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData

from bot.aiohttp_request import AiohttpRequest

log = logging.getLogger(__name__)

DEFAULT_DELAYS = (0.5, 1.0, 2.0)


def method_of(url: str) -> str:
    """The Bot API method of a request URL (never the token part)."""
    return url.rsplit("/", 1)[-1][:64]


class RetryingRequest(AiohttpRequest):
    """A Bot API request (aiohttp, see bot.aiohttp_request) that retries 5xx answers, timeouts
    and network errors."""

    def __init__(self, *args: Any, delays: Sequence[float] = DEFAULT_DELAYS,
                 on_retry: Callable[[str], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delays = tuple(delays)
        self.on_retry = on_retry

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Send; on a 5xx, timeout or connection error wait a little and send again."""
        api_method = method_of(url)
        for attempt, delay in enumerate((*self.delays, None), start=1):
            try:
                code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
            except (TimedOut, NetworkError) as err:
                if delay is None:
                    raise
                reason = type(err).__name__
            else:
                if code < 500 or delay is None:
                    return code, payload
                reason = f"HTTP {code}"
            log.warning("Bot API %s failed (%s), retry %d of %d in %.1fs", api_method, reason,
                        attempt, len(self.delays), delay)
            if self.on_retry is not None:
                self.on_retry(api_method)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt
