"""The logs of a whole session hold no message text, no health data, no name and no token.

One user goes through everything — start, consent, reminders, a symptom check, "Cramping
now", causes, a cramp with details and typed words, stats, the diary, a reminder sent,
/mydata and /delete_my_data — while every log record is captured: at INFO and above from
every logger (with the library loggers at the levels production sets), and at DEBUG from
the bot's own loggers. None may contain what the user typed or the token.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import CrampApplication
from bot.logging_setup import _QUIET, RedactingFilter
from bot.standin import BotApiStandIn, UserDriver
from tests.conftest import TEST_TOKEN, FakeClock

pytestmark = pytest.mark.e2e

MORNING = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
NAME = "Zoltanette"
FREE_TEXT = "my neighbour purple-elephant-42 says magnesium"
# Words that would reveal health data or what the user typed if they reached a log line.
FORBIDDEN = [NAME, "purple-elephant", "magnesium", "calf", "Calf", "7/10", "severity",
             "Europe/London", "Woke me", "Massage", "antipsychotic", "Statins",
             TEST_TOKEN, TEST_TOKEN.split(":")[1]]


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def capture():
    """Every record: root at DEBUG, library loggers at production levels, bot.* at DEBUG."""
    handler = Capture()
    levels = {"": logging.DEBUG, "bot": logging.DEBUG, **_QUIET}
    saved = {name: logging.getLogger(name or None).level for name in levels}
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)  # setLevel also clears level caches
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for name, level in saved.items():
        logging.getLogger(name or None).setLevel(level)


async def test_a_whole_session_leaves_no_personal_data_in_the_logs(
    app: CrampApplication, standin: BotApiStandIn, clock: FakeClock, capture: Capture
) -> None:
    from bot.handlers.reminders import get_dispatcher

    user = UserDriver(standin, app, user_id=4711, first_name=NAME)

    async def send(text: str):
        clock.advance(seconds=3)
        return await user.send(text)

    async def press(label: str):
        clock.advance(seconds=3)
        return await user.press(label)

    clock.set(MORNING)
    await send("/start")
    await press("Accept")
    await press("Set up reminders")
    await send("Europe/London")
    await send("/check")
    for _ in range(6):
        await press("No")
    await press("Yes")  # an answer that matters: a red flag
    await send("/now")
    await press("Next step ›")
    await send("/causes")
    await press("Yes")
    await send("Log a cramp")
    await press("Calf")
    await press("Left")
    await press("7")
    await press("1–5 min")
    await press("Woke me from sleep")
    await press("Massage")
    await send("/cramp right calf 4 " + FREE_TEXT)
    await send(FREE_TEXT)
    await send("/stats")
    await send("/diary")
    clock.set(MORNING + timedelta(hours=1, minutes=5))
    await get_dispatcher(app).tick()  # the 09:00 stretch reminder goes out
    assert standin.calls_to("sendMessage")[-1].params["chat_id"] == user.id
    await send("/mydata")
    await send("/delete_my_data")
    await press("Yes, delete everything")
    await send("/help")

    bot_records = [r for r in capture.records if r.name.startswith("bot")]
    assert bot_records, "the session logged nothing at all: is the capture working?"
    visible = [r for r in capture.records if r.levelno >= logging.INFO or r.name.startswith("bot")]
    for record in visible:
        line = capture.format(record)
        leaked = [word for word in FORBIDDEN if word in line]
        assert not leaked, f"{leaked} in a log line: {line!r}"
    # At DEBUG, libraries do print Bot API URLs; the redacting filter that
    # configure_logging puts on every handler must hide the token in them.
    redactor = RedactingFilter(TEST_TOKEN)
    for record in capture.records:
        redactor.filter(record)
        line = capture.format(record)
        assert TEST_TOKEN.split(":")[1] not in line, line

