"""Fuzz: 10,000 random texts, commands and button presses through the real Application.

One Application on SQLite, driven through ``process_update`` by the stand-in's user driver.
Hypothesis draws each input: free text (unicode, menu labels, times, over-long text),
commands (every registered one, unknown ones, with random arguments) and callback data
(every feature prefix with random verbs and arguments, garbage, over-long data, and presses
of the buttons the bot actually showed, which walks the real flows).

For every input: the error handler never runs and no ERROR is logged, and the bot answers
(a message, an edit, a document or a callback answer). The app runs in an event loop of
this module's own, so a plain ``@given`` test can drive it step by step.
"""

from __future__ import annotations

import asyncio
import logging
import os
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel

from bot.app import CrampApplication
from bot.config import Settings
from bot.db import Database
from bot.handlers import bot_commands
from bot.handlers.common import MENU_LABELS
from bot.standin import BotApiStandIn, BotMessage, UserDriver
from tests.conftest import TEST_TOKEN, FakeClock, start_application, stop_application

pytestmark = pytest.mark.e2e

# 10,000 by default; CRAMP_FUZZ_INPUTS=500 for a quick local run.
FUZZ_INPUTS = int(os.environ.get("CRAMP_FUZZ_INPUTS", "10000"))
ANSWERS = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument",
           "sendPhoto", "answerCallbackQuery"}
PREFIXES = ["triage", "now", "causes", "guide", "rem", "diary", "stats", "export", "set",
            "privacy", "admin", "bogus"]
ARG_CHARS = string.ascii_letters + string.digits + "_.+-"

texts = st.one_of(
    st.text(max_size=120),
    st.sampled_from([*MENU_LABELS, "yes", "no", "help", "7:30", "22:15", "tomorrow",
                     "Europe/Berlin", "UTC+2", "Germany", "calf 5 min last night", "", " ",
                     "<b>bold</b> & <script>", "🦵💥", "0", "-1", "99999999999999999999"]),
    st.text(alphabet=string.printable, min_size=990, max_size=1100),
)
# /export and /stats draw charts and PDFs (a few hundred ms each): rarer, not left out.
HEAVY_COMMANDS = {"export", "stats"}
COMMAND_NAMES = [name for name, _ in bot_commands() if name not in HEAVY_COMMANDS] + [
    "admin", "start@cramp_companion_test_bot", "nope", "DELETE_MY_DATA"]


@st.composite
def commands(draw: st.DrawFn) -> str:
    """A command, known or not, with or without random arguments."""
    heavy = draw(st.integers(min_value=0, max_value=99)) == 50
    name = draw(st.sampled_from(sorted(HEAVY_COMMANDS) if heavy else COMMAND_NAMES))
    arg = draw(st.one_of(st.just(""), st.text(max_size=30)))
    return f"/{name} {arg}".rstrip()


callbacks = st.one_of(
    st.builds(
        lambda prefix, verb, args: ":".join([prefix, verb, *args]),
        st.sampled_from(PREFIXES),
        st.text(alphabet=string.ascii_lowercase + "_", max_size=12),
        st.lists(st.text(alphabet=ARG_CHARS, max_size=12), max_size=3),
    ),
    st.text(max_size=80),  # garbage, possibly over 64 bytes
)


@st.composite
def actions(draw: st.DrawFn) -> tuple[str, object]:
    """One user action: 30% text, 20% command, 20% forged callback, 30% a shown button."""
    roll = draw(st.integers(min_value=0, max_value=99))
    if roll < 30:
        return "text", draw(texts)
    if roll < 50:
        return "command", draw(commands())
    if roll < 70:
        return "callback", draw(callbacks)
    return "press", draw(st.integers(min_value=0, max_value=30))


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Rig:
    """One started Application in a loop of its own, and a user driving it."""

    loop: asyncio.AbstractEventLoop
    standin: BotApiStandIn
    app: CrampApplication
    user: UserDriver
    clock: FakeClock
    errors: list[BaseException] = field(default_factory=list)
    steps: int = 0
    silent: list[str] = field(default_factory=list)

    def run(self, action: tuple[str, object]) -> None:
        self.loop.run_until_complete(self._run(*action))

    async def _run(self, kind: str, payload: object) -> None:
        self.clock.advance(seconds=1.1)  # a human pace: the flood guard stays out of the way
        before = len(self.standin.calls)
        if kind in ("text", "command"):
            await self.user.send(str(payload))
        elif kind == "callback":
            await self.user.press_data(str(payload), await self.anchor())
        else:
            await self._press_shown(int(payload))
        self.steps += 1
        answered = [c for c in self.standin.calls[before:] if c.method in ANSWERS and not c.error]
        if not answered:
            self.silent.append(f"{kind}: {payload!r}")

    async def _press_shown(self, index: int) -> None:
        """Press one of the buttons the bot last showed (walks real flows)."""
        message = self.user.last_with_buttons
        stored = self.standin.messages.get((message.chat_id, message.message_id)) if message else None
        buttons = [b for row in (stored or {}).get("reply_markup", {}).get("inline_keyboard", [])
                   for b in row if b.get("callback_data")]
        if not buttons:
            await self.user.send("/start")
            return
        data = buttons[index % len(buttons)]["callback_data"]
        await self.user.press_data(data, message)

    async def anchor(self) -> BotMessage:
        """A message of the bot's to attach forged callback data to."""
        if self.user.last_with_buttons is not None:
            return self.user.last_with_buttons
        return (await self.user.send("/privacy")).last


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    loop = asyncio.new_event_loop()
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    app_settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{path}",
                            telegram_bot_token=TEST_TOKEN, admin_ids=[1001])
    clock = FakeClock()

    async def start() -> tuple[BotApiStandIn, CrampApplication, Database]:
        db = Database.from_url(app_settings.database_url)
        async with db.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
        standin = await BotApiStandIn().start()
        app = await start_application(app_settings, db, standin, clock)
        return standin, app, db

    standin, app, db = loop.run_until_complete(start())
    rig = Rig(loop, standin, app, UserDriver(standin, app, user_id=1001, first_name="Fuzz"),
              clock)

    async def count_error(update: object, context: object) -> None:
        rig.errors.append(context.error)  # type: ignore[attr-defined]

    app.add_error_handler(count_error)
    records = _ErrorRecords()
    logging.getLogger("bot").addHandler(records)
    try:
        yield rig
    finally:
        logging.getLogger("bot").removeHandler(records)
        loop.run_until_complete(stop_application(app))
        loop.run_until_complete(db.dispose())
        loop.run_until_complete(standin.stop())
        loop.close()
    assert not records.records, [r.getMessage() for r in records.records[:5]]


@settings(max_examples=FUZZ_INPUTS, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(action=actions())
def _drive(rig: Rig, action: tuple[str, object]) -> None:
    rig.run(action)
    assert not rig.errors, f"{action!r} raised {rig.errors[-1]!r}"
    assert not rig.silent, f"no answer to {rig.silent[-1]}"


def test_ten_thousand_random_inputs_no_crash_and_always_an_answer(rig: Rig) -> None:
    _drive(rig)
    assert rig.steps >= FUZZ_INPUTS
    assert rig.errors == []
    assert rig.silent == []
    counters = rig.app.bot_data.services.extras["metrics"]
    assert counters.total("cramp_errors_total") == 0
