"""/start, /help and /menu: greet, explain, show the main menu."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.app import CrampContext
from bot.handlers.common import esc, main_menu, send

COMMANDS = [
    ("start", "Start the bot and show the menu"),
    ("help", "What I can do, command by command"),
    ("menu", "Show the main menu"),
]


async def start(update: Update, context: CrampContext) -> None:
    """Greet the user, say what the bot is, show the menu and ask for consent once."""
    from bot.handlers import privacy

    name = update.effective_user.first_name if update.effective_user else ""
    await send(
        update,
        context,
        f"Hi {esc(name)}! I'm Cramp Companion, your helper for leg cramps.\n"
        "I can check your symptoms, guide you through a cramp and stretches, keep a cramp "
        "diary and remind you to stretch.\n"
        "I'm not a doctor: I give information, not a diagnosis.",
        main_menu(),
    )
    await privacy.after_start(update, context)


async def help_command(update: Update, context: CrampContext) -> None:
    """List every command with one line each."""
    from bot.handlers import bot_commands

    lines = ["<b>What I can do</b>", ""]
    lines += [f"/{name} — {esc(text)}" for name, text in bot_commands()]
    lines += ["", "Or use the menu buttons below the message field."]
    await send(update, context, "\n".join(lines), main_menu())


async def menu(update: Update, context: CrampContext) -> None:
    """Show the main menu again."""
    await send(update, context, "Here is the menu. What would you like to do?", main_menu())


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("menu", menu),
    ]
