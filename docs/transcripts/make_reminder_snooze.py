"""Write docs/transcripts/reminder-snooze.txt: reminders set up, one arrives, is snoozed,
arrives again 15 minutes later and is marked done.

    .venv/bin/python docs/transcripts/make_reminder_snooze.py

The real Application, handlers and reminder dispatcher (with its own HTTP client) run
against the local Bot API stand-in, printed the way the console (``python -m bot console``)
prints them, with a fake clock. Where the JobQueue would tick every few seconds, the script
runs one dispatcher tick itself.
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlmodel import SQLModel  # noqa: E402

import bot.models  # noqa: E402, F401
from bot.app import build_application  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.console import ConsolePrinter  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.handlers.reminders import get_dispatcher  # noqa: E402
from bot.reminders.timemath import user_offset_seconds  # noqa: E402
from bot.standin import BotApiStandIn  # noqa: E402

TOKEN = "123456789:TRANSCRIPT-local-stand-in-token-000"
USER_ID = 424242
OUT = Path(__file__).with_name("reminder-snooze.txt")


async def main() -> str:
    clock = {"now": datetime(2026, 3, 10, 8, 55, tzinfo=UTC)}  # 08:55 in London
    out = io.StringIO()
    with tempfile.TemporaryDirectory() as folder:
        db = Database.from_url(f"sqlite+aiosqlite:///{Path(folder) / 'transcript.db'}")
        async with db.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
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

        def later(**delta: float) -> None:
            clock["now"] += timedelta(**delta)

        async def say(text: str) -> None:
            later(seconds=3)
            out.write(f"\nyou> {text}\n")
            update = standin.build_text_update(user, text)
            await application.process_update(Update.de_json(update, application.bot))

        async def press(label: str) -> None:
            later(seconds=3)
            for number, (message, data) in enumerate(printer.buttons, start=1):
                stored = standin.messages.get((message["chat"]["id"], message["message_id"]),
                                              message)
                labels = [b["text"] for row in stored.get("reply_markup", {}).get(
                    "inline_keyboard", []) for b in row if b.get("callback_data") == data]
                if labels and labels[0].startswith(label):
                    out.write(f"\nyou> {number}    ({labels[0]})\n")
                    update = standin.build_callback_update(user, stored, data)
                    await application.process_update(Update.de_json(update, application.bot))
                    return
            raise AssertionError(f"no button {label!r}")

        async def tick_at(moment: datetime, note: str) -> None:
            clock["now"] = moment
            out.write(f"\n[{note}]\n")
            await get_dispatcher(application).tick()

        spread = timedelta(seconds=user_offset_seconds(USER_ID))
        try:
            out.write("[08:55, Tuesday 10 March 2026, London. Alex starts the bot for the first "
                      "time.]\n")
            await say("/start")
            await press("Accept")
            await press("Set up reminders")
            await press("London")
            await tick_at(datetime(2026, 3, 10, 9, 0, tzinfo=UTC) + spread + timedelta(seconds=2),
                          "09:00: the dispatcher's tick finds the 09:00 stretch reminder due")
            out.write("\n[Alex is busy and snoozes it.]\n")
            await press("Snooze")
            later(minutes=10)
            await get_dispatcher(application).tick()
            out.write("\n[09:10: a tick; the snooze has not ended, nothing is sent]\n")
            await tick_at(clock["now"] + timedelta(minutes=5, seconds=1),
                          "09:15: the snooze has ended; the next tick sends the reminder again")
            await press("Done")
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
