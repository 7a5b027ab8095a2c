"""Write docs/transcripts/diary-3am.txt: a one-tap cramp log at 3 a.m., then details later.

    .venv/bin/python docs/transcripts/make_diary_3am.py

The real Application and handlers run against the local Bot API stand-in, printed the way
the console (``python -m bot console``) prints them, with a fake clock: 03:12 on a Tuesday
night in London for the one tap, 07:40 the next morning for the details.
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlmodel import SQLModel  # noqa: E402

import bot.models  # noqa: E402, F401
from bot.app import build_application  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.console import ConsolePrinter  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.models.user import CONSENT_ACCEPTED, User  # noqa: E402
from bot.standin import BotApiStandIn  # noqa: E402

TOKEN = "123456789:TRANSCRIPT-local-stand-in-token-000"
USER_ID = 424242
OUT = Path(__file__).with_name("diary-3am.txt")


async def main() -> str:
    clock = {"now": datetime(2026, 3, 10, 3, 12, 40, tzinfo=UTC)}
    out = io.StringIO()
    with tempfile.TemporaryDirectory() as folder:
        db = Database.from_url(f"sqlite+aiosqlite:///{Path(folder) / 'transcript.db'}")
        async with db.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
        async with db.session() as session:
            session.add(User(id=USER_ID, chat_id=USER_ID, first_name="Alex",
                             timezone="Europe/London", country="GB", consent=CONSENT_ACCEPTED,
                             consent_at=clock["now"], created_at=clock["now"],
                             last_seen_at=clock["now"]))
            await session.commit()
        standin = await BotApiStandIn().start()
        printer = ConsolePrinter(out)
        standin.on_call.append(printer)
        settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///unused.db",
                            telegram_bot_token=TOKEN)
        application = build_application(settings, db=db, clock=lambda: clock["now"],
                                        base_url=standin.base_url,
                                        base_file_url=standin.base_file_url,
                                        start_background_jobs=False)
        await application.initialize()
        await application.start()
        user = standin.make_user(USER_ID, "Alex")
        from telegram import Update

        async def say(text: str) -> None:
            out.write(f"\nyou> {text}\n")
            update = standin.build_text_update(user, text)
            await application.process_update(Update.de_json(update, application.bot))

        async def press(number: int) -> None:
            message, data = printer.buttons[number - 1]
            out.write(f"\nyou> {number}\n")
            stored = standin.messages.get((message["chat"]["id"], message["message_id"]), message)
            update = standin.build_callback_update(user, stored, data)
            await application.process_update(Update.de_json(update, application.bot))

        try:
            out.write("[03:12, Tuesday night, Europe/London. A calf cramp wakes Alex, "
                      "who taps the menu button once.]\n")
            await say("Log a cramp")
            out.write("\n[That's all: the cramp is saved. Alex goes back to sleep. At 07:40 "
                      "Alex adds details on the same message.]\n")
            clock["now"] = datetime(2026, 3, 10, 7, 40, tzinfo=UTC)
            await press(1)   # Calf
            await press(1)   # Left
            await press(7)   # 7 out of 10
            await press(2)   # 1-5 min
            await press(1)   # Woke me from sleep
            await press(1)   # Stretching
            await press(7)   # Next
            await press(4)   # A lot
            await say("/diary")
        finally:
            await application.stop()
            await application.shutdown()
            await standin.stop()
            await db.dispose()
    return out.getvalue()


if __name__ == "__main__":
    text = asyncio.run(main())
    OUT.write_text(text.lstrip("\n"), encoding="utf-8")
    print(text)
