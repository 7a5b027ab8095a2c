"""Chat with the bot in the terminal: no token, no network.

The real Application and handlers run against the local Bot API stand-in, with a SQLite
file of their own (``data/console.db``). Each bot message prints with its buttons numbered;
typing a number presses that button; ``!location LAT LON`` shares a location; anything else
is sent as text. ``/quit`` or Ctrl-D ends the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any, TextIO

from bot.config import Settings
from bot.standin.server import BotApiStandIn, Call

CONSOLE_DB_URL = "sqlite+aiosqlite:///./data/console.db"
CONSOLE_TOKEN = "123456789:CONSOLE-local-stand-in-token-0000"
CONSOLE_USER_ID = 424242
MESSAGE_METHODS = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument"}


class ConsolePrinter:
    """Prints what the bot sends and remembers the latest buttons."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.buttons: list[tuple[dict[str, Any], str]] = []  # (message, callback data)
        self.menu: list[str] = []

    def __call__(self, call: Call) -> None:
        if call.method not in MESSAGE_METHODS or call.error is not None:
            if call.error and call.method != "getUpdates":
                self.out.write(f"  (bot API error on {call.method}: {call.error})\n")
            return
        message = call.result if isinstance(call.result, dict) else {}
        tag = {"editMessageText": "bot (edited)", "editMessageReplyMarkup": "bot (buttons changed)"}
        header = tag.get(call.method, "bot")
        body = message.get("text") or message.get("caption") or ""
        if call.method == "sendPhoto":
            body = f"[picture: {next(iter(call.files.values()), ('chart',))[0]}] {body}"
        if call.method == "sendDocument":
            name, content = next(iter(call.files.values()), ("file", b""))
            body = f"[document: {name}, {len(content)} bytes] {body}"
        if call.method != "editMessageReplyMarkup":
            self.out.write(f"\n{header}> " + body.replace("\n", "\n     ") + "\n")
        if call.params.get("disable_notification"):
            self.out.write("     (sent silently)\n")
        markup = call.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard")
        if rows:
            self.buttons = []
            for row in rows:
                cells = []
                for button in row:
                    self.buttons.append((message, button.get("callback_data", "")))
                    cells.append(f"[{len(self.buttons)}] {button['text']}")
                self.out.write("     " + "   ".join(cells) + "\n")
        keyboard = markup.get("keyboard")
        if keyboard:
            self.menu = [b["text"] if isinstance(b, dict) else b for row in keyboard for b in row]
            self.out.write("     menu: " + " · ".join(self.menu) + "\n")
        self.out.flush()


async def _settle(standin: BotApiStandIn, since: int, quiet: float = 0.25, limit: float = 5.0) -> None:
    """Wait until the bot has answered and then gone quiet for a moment."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    seen = since
    last_change = loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.05)
        if len(standin.calls) != seen:
            seen = len(standin.calls)
            last_change = loop.time()
        elif seen > since and loop.time() - last_change >= quiet:
            return


async def console_session(settings: Settings, stdin: TextIO, out: TextIO) -> None:
    from bot.app import build_application

    standin = await BotApiStandIn().start()
    printer = ConsolePrinter(out)
    standin.on_call.append(printer)
    application = build_application(
        settings, token=CONSOLE_TOKEN, base_url=standin.base_url, base_file_url=standin.base_file_url
    )
    user = standin.make_user(CONSOLE_USER_ID, "You")
    echo = not stdin.isatty()
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    await application.start()
    out.write(
        "Cramp Companion console: you are chatting with the real bot through a local stand-in "
        "of Telegram.\nType a message or a command (/start, /help), a number to press a button, "
        "'!location LAT LON' to share a location, /quit to leave.\n"
    )
    out.flush()
    try:
        while True:
            if not echo:
                out.write("\nyou> ")
                out.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            line = line.strip()
            if echo:
                out.write(f"\nyou> {line}\n")
            if not line:
                continue
            if line in ("/quit", "/exit"):
                break
            since = len(standin.calls)
            if line.isdigit() and 1 <= int(line) <= len(printer.buttons):
                message, data = printer.buttons[int(line) - 1]
                stored = standin.messages.get((message["chat"]["id"], message["message_id"]), message)
                await standin.push_update(standin.build_callback_update(user, stored, data))
            elif line.startswith("!location"):
                try:
                    _, lat, lon = line.split()
                    update = standin.build_location_update(user, float(lat), float(lon))
                except ValueError:
                    out.write("  usage: !location 51.5 -0.12\n")
                    continue
                await standin.push_update(update)
            else:
                await standin.push_update(standin.build_text_update(user, line))
            await _settle(standin, since)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await standin.stop()
        out.write("\nbye\n")
        out.flush()


def run_console(settings: Settings, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Run the console until the user quits."""
    from bot.migrate import upgrade

    settings = settings.model_copy(update={"database_url": CONSOLE_DB_URL})
    upgrade(CONSOLE_DB_URL)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(console_session(settings, stdin or sys.stdin, out or sys.stdout))
    return 0
