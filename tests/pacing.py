"""A simulated user who pauses between actions, as a person does.

The flood guard counts updates against the (fake) clock, so a test that taps through a long
flow advances the clock a little before each action, like a real person would.
"""

from __future__ import annotations

from bot.standin import BotMessage, Reply, UserDriver
from tests.conftest import FakeClock


class PacedUser:
    """Wraps a ``UserDriver``; advances ``clock`` by ``seconds`` before each action."""

    def __init__(self, driver: UserDriver, clock: FakeClock, seconds: float = 2) -> None:
        self.driver = driver
        self.clock = clock
        self.seconds = seconds

    @property
    def id(self) -> int:
        return self.driver.id

    async def send(self, text: str) -> Reply:
        self.clock.advance(seconds=self.seconds)
        return await self.driver.send(text)

    async def press(self, label: str, message: BotMessage | None = None) -> Reply:
        self.clock.advance(seconds=self.seconds)
        return await self.driver.press(label, message)
