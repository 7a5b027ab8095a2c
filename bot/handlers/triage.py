"""Check my symptoms (triage): not built yet; this placeholder says so honestly."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler

from bot.app import CrampContext
from bot.handlers.common import (
    MENU_CHECK,
    main_menu,
    menu_filter,
    send,
)

COMMANDS = [
    ("check", "Check my symptoms: how urgent is it?"),
]


async def not_built_yet(update: Update, context: CrampContext) -> None:
    """Say honestly that this feature is coming."""
    await send(update, context, "Check my symptoms (triage) is not built yet — it is coming soon.", main_menu())


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(["check"], not_built_yet),
        MessageHandler(menu_filter(MENU_CHECK), not_built_yet),
    ]
