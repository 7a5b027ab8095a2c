"""Last in line: typed answers a feature asked for, then unknown text, commands and buttons."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.app import CrampContext
from bot.handlers.common import esc, main_menu, send, stale_button

# Words that suggest a feature; each suggestion is the command that serves it.
_SUGGESTIONS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"\b(now|right now|cramping|hurts?|pain)\b", re.I), "/now", "help with a cramp right now"),
    (re.compile(r"\b(check|symptom|worr|doctor|serious|swell|numb)", re.I), "/check", "check your symptoms"),
    (re.compile(r"\bstretch", re.I), "/stretch", "stretches, step by step"),
    (re.compile(r"\b(log|diary|record|history)\b", re.I), "/cramp", "log a cramp"),
    (re.compile(r"\bremind", re.I), "/reminders", "your reminders"),
    (re.compile(r"\b(cause|why)\b", re.I), "/causes", "what might be causing your cramps"),
]


def suggestions_for(text: str) -> list[tuple[str, str]]:
    """Commands that might be what the user meant, best first."""
    return [(command, label) for pattern, command, label in _SUGGESTIONS if pattern.search(text)]


async def on_text(update: Update, context: CrampContext) -> None:
    """Route a typed answer to the feature waiting for it, or help the user on."""
    from bot.handlers import text_input_handlers

    text = (update.message.text or "").strip()
    user = context.db_user
    if user is not None and user.awaiting:
        handler = text_input_handlers().get(user.awaiting.split(":", 1)[0])
        if handler is not None:
            await handler(update, context, text)
            return
    hints = suggestions_for(text)
    lines = ["I didn't quite catch that."]
    if hints:
        lines.append("Did you mean:")
        lines += [f"{command} — {esc(label)}" for command, label in hints[:3]]
    else:
        lines.append("Choose an option from the menu below, or type /help to see everything I can do.")
    await send(update, context, "\n".join(lines), main_menu())


async def on_unknown_command(update: Update, context: CrampContext) -> None:
    """Answer a command we do not know."""
    command = (update.message.text or "").split()[0][:40]
    await send(
        update,
        context,
        f"I don't know the command {esc(command)}. Type /help to see what I can do, or use the menu.",
        main_menu(),
    )


async def on_other_message(update: Update, context: CrampContext) -> None:
    """Answer stickers, photos, voice notes and the like."""
    await send(
        update,
        context,
        "I can only read text messages and button presses. Choose an option from the menu.",
        main_menu(),
    )


async def on_unknown_button(update: Update, context: CrampContext) -> None:
    """Answer a button nobody handles (old, from a removed feature, or forged)."""
    await stale_button(update, context, note="This button has expired. Please use the menu.")


def handlers() -> list[BaseHandler]:
    return [
        MessageHandler(filters.COMMAND, on_unknown_command),
        MessageHandler(filters.TEXT, on_text),
        MessageHandler(filters.ALL, on_other_message),
        CallbackQueryHandler(on_unknown_button),
    ]
