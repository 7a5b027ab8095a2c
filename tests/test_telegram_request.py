"""Bot API requests: 5xx answers, timeouts and dropped connections are retried, 4xx are not."""

from __future__ import annotations

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from bot.aiohttp_request import AiohttpRequest
from bot.app import CrampApplication
from bot.standin import BotApiStandIn, UserDriver
from bot.telegram_request import RetryingRequest, method_of

URL = "https://api.telegram.org/bot123:SECRET/sendMessage"


class Script:
    """Stands in for the HTTP layer: answers from a list, one entry per attempt."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.attempts = 0

    async def __call__(self, _self: object, url: str, method: str, *args: object, **kwargs: object):
        self.attempts += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


@pytest.fixture
def retried() -> list[str]:
    return []


@pytest.fixture
def request_(retried: list[str]) -> RetryingRequest:
    return RetryingRequest(delays=(0, 0, 0), on_retry=retried.append)


async def test_a_5xx_then_success_is_retried(request_: RetryingRequest, retried: list[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script((502, b"bad gateway"), (503, b"unavailable"), (200, b'{"ok":true}'))
    monkeypatch.setattr(AiohttpRequest, "do_request", script)
    assert await request_.do_request(URL, "POST") == (200, b'{"ok":true}')
    assert script.attempts == 3
    assert retried == ["sendMessage", "sendMessage"]


async def test_timeouts_and_connection_errors_are_retried(request_: RetryingRequest,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    timeout = TimedOut()
    timeout.__cause__ = httpx.ReadTimeout("slow")
    script = Script(timeout, NetworkError("httpx.ConnectError: refused"), (200, b"{}"))
    monkeypatch.setattr(AiohttpRequest, "do_request", script)
    assert await request_.do_request(URL, "POST") == (200, b"{}")
    assert script.attempts == 3


async def test_client_errors_are_not_retried(request_: RetryingRequest,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script((400, b"bad request"), (200, b"{}"))
    monkeypatch.setattr(AiohttpRequest, "do_request", script)
    assert await request_.do_request(URL, "POST") == (400, b"bad request")
    assert script.attempts == 1


async def test_gives_up_after_the_last_attempt(request_: RetryingRequest,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(*[TimedOut()] * 4)
    monkeypatch.setattr(AiohttpRequest, "do_request", script)
    with pytest.raises(TimedOut):
        await request_.do_request(URL, "POST")
    assert script.attempts == 4
    script = Script(*[(500, b"x")] * 4)
    monkeypatch.setattr(AiohttpRequest, "do_request", script)
    assert await request_.do_request(URL, "POST") == (500, b"x")  # PTB turns it into an error
    assert script.attempts == 4


def test_the_logged_method_never_contains_the_token() -> None:
    assert method_of(URL) == "sendMessage"


@pytest.mark.e2e
async def test_a_reply_survives_two_bad_gateways(app: CrampApplication, user: UserDriver,
                                                 standin: BotApiStandIn) -> None:
    app.bot.request.delays = (0.01, 0.01, 0.01)
    standin.inject_fault("sendMessage", 502, "Bad Gateway", times=2)
    reply = await user.send("/help")
    assert reply.last.first_line == "What I can do"
    failed = [c for c in standin.calls_to("sendMessage") if c.error]
    assert len(failed) == 2
    counters = app.bot_data.services.extras["metrics"]
    assert counters.value("cramp_telegram_retries_total", method="sendMessage") == 2


@pytest.mark.e2e
async def test_when_telegram_stays_down_the_bot_stays_up(app: CrampApplication, user: UserDriver,
                                                         standin: BotApiStandIn) -> None:
    app.bot.request.delays = (0.01, 0.01, 0.01)
    standin.inject_fault("sendMessage", 500, "Internal Server Error", times=8)
    await user.send("/help")  # the reply and the apology both fail: logged, not crashed
    counters = app.bot_data.services.extras["metrics"]
    assert counters.value("cramp_errors_total", kind="telegram_unavailable") == 1
    reply = await user.send("/help")
    assert reply.last.first_line == "What I can do"
