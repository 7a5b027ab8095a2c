"""Consent for health data, and /privacy.

Declining still allows triage and guidance; the diary and reminders need consent.
Features ask through ``ensure_consent(update, context, resume=...)``; after Accept the bot
carries on with what the user asked for (``AFTER_CONSENT`` handlers of each feature).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callback_data
from bot.app import CrampContext
from bot.handlers.common import button, keyboard, parse_callback, send, show, stale_button
from bot.models.user import CONSENT_ACCEPTED, CONSENT_DECLINED
from bot.storage import users

FEATURE = "privacy"

COMMANDS = [("privacy", "What I store about you, and your choices")]

PRIVACY_TEXT = (
    "<b>Your data</b>\n"
    "To keep your cramp diary and send reminders I store: your Telegram id and first name, "
    "your time zone and country, the cramps you log (time, where, how bad, what helped), "
    "your symptom-check results and your reminder times.\n"
    "This is <b>health data</b>. I use it only to show you your diary, statistics and "
    "summaries, and to remind you. It is never shared or sold.\n\n"
    "• Symptom checks and guidance work without your consent.\n"
    "• /mydata sends you everything I store about you.\n"
    "• /delete_my_data deletes all of it and stops reminders."
)

Continuation = Callable[[Update, CrampContext], Awaitable[None]]


def consent_keyboard(resume: str = "none"):
    return keyboard(
        [button("Accept", FEATURE, "accept", resume), button("Decline", FEATURE, "decline", resume)]
    )


async def ask_consent(update: Update, context: CrampContext, resume: str = "none",
                      reason: str | None = None) -> None:
    """Show what is stored and why, with Accept and Decline."""
    intro = f"{reason}\n\n" if reason else ""
    await send(update, context, intro + PRIVACY_TEXT + "\n\nDo you agree?", consent_keyboard(resume))


async def ensure_consent(update: Update, context: CrampContext, resume: str,
                         reason: str = "To save this I need your OK to store health data.") -> bool:
    """True if the user has accepted; otherwise ask (resuming ``resume`` after Accept)."""
    user = context.db_user
    if user is not None and user.has_consented:
        return True
    if user is not None and user.consent == CONSENT_DECLINED:
        reason = "You chose not to let me store health data, so I can't save this."
    await ask_consent(update, context, resume, reason)
    return False


async def after_start(update: Update, context: CrampContext) -> None:
    """After the greeting: ask for consent once, then offer reminders."""
    from bot.handlers import reminders

    user = context.db_user
    if user is None or user.consent is None:
        await ask_consent(update, context, resume="onboard")
    elif user.has_consented:
        await reminders.offer_setup(update, context)


async def privacy(update: Update, context: CrampContext) -> None:
    """Explain what is stored, and offer to change the choice."""
    user = context.db_user
    state = {
        CONSENT_ACCEPTED: "You have <b>accepted</b>: your diary and reminders are on.",
        CONSENT_DECLINED: "You have <b>declined</b>: nothing health-related is stored.",
    }.get(user.consent if user else None, "You have not chosen yet.")
    markup = (
        keyboard([button("Withdraw consent", FEATURE, "decline", "none")])
        if user is not None and user.has_consented
        else consent_keyboard()
    )
    await send(update, context, f"{PRIVACY_TEXT}\n\n{state}", markup)


async def on_press(update: Update, context: CrampContext) -> None:
    """Record Accept or Decline, then carry on."""
    from bot.handlers import after_consent_handlers, reminders

    query = update.callback_query
    data = parse_callback(query, FEATURE)
    if data is None or data.verb not in ("accept", "decline"):
        await stale_button(update, context)
        return
    await query.answer()
    accepted = data.verb == "accept"
    async with context.db.session() as session:
        await users.set_fields(
            session,
            update.effective_user.id,
            consent=CONSENT_ACCEPTED if accepted else CONSENT_DECLINED,
            consent_at=context.now(),
        )
        await session.commit()
    if context.db_user is not None:
        context.db_user.consent = CONSENT_ACCEPTED if accepted else CONSENT_DECLINED
    resume = data.args[0] if data.args else "none"
    if not accepted:
        await show(
            update,
            context,
            "Understood: I won't store any health data. Symptom checks and guidance still "
            "work; you can change your mind any time with /privacy.",
        )
        return
    await show(update, context, "Thank you. Your diary and reminders are ready to use.")
    continuation = after_consent_handlers().get(resume)
    if continuation is not None:
        await continuation(update, context)
    elif resume == "onboard":
        await reminders.offer_setup(update, context)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("privacy", privacy),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]
