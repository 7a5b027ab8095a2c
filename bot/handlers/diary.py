"""The cramp diary: not built yet; this placeholder says so honestly."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler

from bot.app import CrampContext
from bot.handlers.common import (
    MENU_DIARY,
    MENU_LOG,
    main_menu,
    menu_filter,
    send,
)

COMMANDS = [
    ("cramp", "Log a cramp now (details optional)"),
    ("log", "Same as /cramp"),
    ("diary", "Your logged cramps"),
    ("stats", "Your patterns and a chart"),
    ("export", "Your diary as CSV and a summary for your doctor"),
]


async def not_built_yet(update: Update, context: CrampContext) -> None:
    """Say honestly that this feature is coming."""
    await send(update, context, "The cramp diary is not built yet — it is coming soon.", main_menu())


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(["cramp", "log", "diary", "stats", "export"], not_built_yet),
        MessageHandler(menu_filter(MENU_LOG), not_built_yet),
        MessageHandler(menu_filter(MENU_DIARY), not_built_yet),
    ]
