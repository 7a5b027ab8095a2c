"""Reminders: not built yet; this placeholder says so honestly."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler

from bot.app import CrampContext
from bot.handlers.common import (
    MENU_REMINDERS,
    main_menu,
    menu_filter,
    send,
)

COMMANDS = [
    ("reminders", "Stretch and bedtime reminders"),
    ("timezone", "Set your time zone"),
]


async def not_built_yet(update: Update, context: CrampContext) -> None:
    """Say honestly that this feature is coming."""
    await send(update, context, "Reminders is not built yet — it is coming soon.", main_menu())


async def offer_setup(update: Update, context: CrampContext) -> None:
    """Offer reminders after onboarding (not built yet: nothing to offer)."""


async def choose_timezone(update: Update, context: CrampContext) -> None:
    """Pick a time zone (not built yet)."""
    await not_built_yet(update, context)


async def show_plan(update: Update, context: CrampContext) -> None:
    """Show the reminder plan (not built yet)."""
    await not_built_yet(update, context)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(["reminders", "timezone"], not_built_yet),
        MessageHandler(menu_filter(MENU_REMINDERS), not_built_yet),
    ]
