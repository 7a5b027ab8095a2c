"""/settings: the country for the emergency number (and, as features land, more)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler

from bot import callback_data
from bot.app import CrampContext
from bot.emergency import load_emergency_table
from bot.handlers.common import (
    MENU_SETTINGS,
    button,
    esc,
    keyboard,
    menu_filter,
    parse_callback,
    send,
    show,
    stale_button,
)
from bot.storage import users

FEATURE = "set"
AWAIT_COUNTRY = "set:country"

COMMANDS = [
    ("settings", "Country for the emergency number, time zone, privacy"),
    ("country", "Choose your country (for the emergency number)"),
]


def _country_line(code: str | None) -> str:
    table = load_emergency_table()
    name = table.name_for(code)
    number = table.number_for(code)
    if name is None:
        return f"not set (I use {number}, the number for most of the world)"
    return f"{esc(name)} — emergency number {number}"


async def settings(update: Update, context: CrampContext) -> None:
    """Show the settings screen."""
    user = context.db_user
    lines = ["<b>Settings</b>", "", f"Country: {_country_line(user.country if user else None)}"]
    lines.append(f"Time zone: {esc(user.timezone) if user and user.timezone else 'not set'}")
    markup = keyboard(
        [button("Change country", FEATURE, "country")],
        [button("Time zone", FEATURE, "tz")],
        [button("Reminders", FEATURE, "rem"), button("Privacy", FEATURE, "privacy")],
    )
    await show(update, context, "\n".join(lines), markup)


async def choose_country(update: Update, context: CrampContext) -> None:
    """Offer common countries as buttons, or typing a name."""
    table = load_emergency_table()
    common = table.common()
    rows = [
        [button(f"{c.name} ({c.number})", FEATURE, "cc", c.code) for c in common[i : i + 2]]
        for i in range(0, len(common), 2)
    ]
    async with context.db.session() as session:
        await users.set_fields(session, update.effective_user.id, awaiting=AWAIT_COUNTRY)
        await session.commit()
    # A new message, so the screen the user came from (an emergency outcome) stays visible.
    await send(
        update,
        context,
        "Which country are you in? I use it to show the right emergency number.\n"
        "Tap one, or type its name (for example: Portugal).",
        keyboard(*rows),
    )


async def save_country(update: Update, context: CrampContext, code: str) -> None:
    table = load_emergency_table()
    async with context.db.session() as session:
        await users.set_fields(session, update.effective_user.id, country=code, awaiting=None)
        await session.commit()
    if context.db_user is not None:
        context.db_user.country = code
    await show(
        update,
        context,
        f"Saved: {esc(table.name_for(code))}. In an emergency I will show "
        f"<b>{table.number_for(code)}</b>.",
        keyboard([button("Back to settings", FEATURE, "show")]),
    )


async def on_country_text(update: Update, context: CrampContext, text: str) -> None:
    """Handle a typed country name or code."""
    country = load_emergency_table().find(text)
    if country is None:
        await send(
            update,
            context,
            f"I don't know the country “{esc(text[:50])}”. Type a name such as Germany or a "
            "two-letter code such as DE — or tap a button above.",
        )
        return
    await save_country(update, context, country.code)


async def on_press(update: Update, context: CrampContext) -> None:
    """Route settings buttons."""
    from bot.handlers import privacy, reminders

    query = update.callback_query
    data = parse_callback(query, FEATURE)
    if data is None:
        await stale_button(update, context)
        return
    if data.verb == "cc":
        country = load_emergency_table().countries.get(data.args[0] if data.args else "")
        if country is None:
            await stale_button(update, context)
            return
        await query.answer()
        await save_country(update, context, country.code)
        return
    await query.answer()
    if data.verb == "country":
        await choose_country(update, context)
    elif data.verb == "tz":
        await reminders.choose_timezone(update, context)
    elif data.verb == "rem":
        await reminders.show_plan(update, context)
    elif data.verb == "privacy":
        await privacy.privacy(update, context)
    else:
        await settings(update, context)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("settings", settings),
        CommandHandler("country", choose_country),
        MessageHandler(menu_filter(MENU_SETTINGS), settings),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]


TEXT_INPUTS = {FEATURE: on_country_text}
