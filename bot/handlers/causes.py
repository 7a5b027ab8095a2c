"""What might be causing my cramps: not built yet; this placeholder says so honestly."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.app import CrampContext
from bot.handlers.common import (
    main_menu,
    send,
)

COMMANDS = [
    ("causes", "What might be causing my cramps?"),
]


async def not_built_yet(update: Update, context: CrampContext) -> None:
    """Say honestly that this feature is coming."""
    await send(update, context, "What might be causing my cramps is not built yet — it is coming soon.", main_menu())


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(["causes"], not_built_yet),
    ]
