"""Shared checks for the guidance, relief and causes end-to-end tests.

``every_message_is_valid`` (autouse where imported) fails a test if the bot sent or edited a
message the stand-in rejected (bad HTML, too long) or one over 4096 characters.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.standin.server import BotApiStandIn

MESSAGE_METHODS = ("sendMessage", "editMessageText")


@pytest.fixture(autouse=True)
def every_message_is_valid(standin: BotApiStandIn) -> Iterator[None]:
    yield
    for call in standin.calls:
        if call.method not in MESSAGE_METHODS:
            continue
        assert call.error is None or "not modified" in call.error, (call.method, call.error)
        assert len(str(call.params.get("text", ""))) <= 4096
