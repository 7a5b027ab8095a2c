"""Help during a cramp: not built yet; this placeholder says so honestly."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler

from bot.app import CrampContext
from bot.handlers.common import (
    MENU_NOW,
    main_menu,
    menu_filter,
    send,
)

COMMANDS = [
    ("now", "Cramping now: relief step by step"),
]


async def not_built_yet(update: Update, context: CrampContext) -> None:
    """Say honestly that this feature is coming."""
    await send(update, context, "Help during a cramp is not built yet — it is coming soon.", main_menu())


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(["now"], not_built_yet),
        MessageHandler(menu_filter(MENU_NOW), not_built_yet),
    ]
