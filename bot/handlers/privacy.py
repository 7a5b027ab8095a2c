"""Consent for health data, /privacy, /mydata and /delete_my_data.

Declining still allows triage and guidance; the diary and reminders need consent.
Features ask through ``ensure_consent(update, context, resume=...)``; after Accept the bot
carries on with what the user asked for (``AFTER_CONSENT`` handlers of each feature).
Withdrawing consent keeps what is stored until the user deletes it, and offers deletion.
/mydata and /delete_my_data are generic over every table (``bot.storage.privacy``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callback_data
from bot.app import CrampContext
from bot.handlers.common import button, esc, keyboard, parse_callback, send, show, stale_button
from bot.models.user import CONSENT_ACCEPTED, CONSENT_DECLINED
from bot.storage import privacy as privacy_storage
from bot.storage import users

log = logging.getLogger(__name__)

FEATURE = "privacy"

COMMANDS = [
    ("privacy", "What I store about you, and your choices"),
    ("mydata", "Send me everything you store about me"),
    ("delete_my_data", "Delete everything you store about me"),
]

# A delete confirmation is valid this long after it was shown.
CONFIRM_VALID = timedelta(minutes=15)
EXPORT_FILENAME = "cramp-companion-my-data.json"
# Friendly names (one, many) for per-user tables; any other table shows its own name.
TABLE_LABELS = {
    "episodes": ("logged cramp", "logged cramps"),
    "triage_sessions": ("symptom check", "symptom checks"),
    "relief_sessions": ("“Cramping now” session", "“Cramping now” sessions"),
    "causes_sessions": ("causes check", "causes checks"),
    "reminder_slots": ("reminder time", "reminder times"),
    "reminder_deliveries": ("reminder sent", "reminders sent"),
}

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
    choice = (
        [button("Withdraw consent", FEATURE, "decline", "none")]
        if user is not None and user.has_consented
        else [button("Accept", FEATURE, "accept", "none"),
              button("Decline", FEATURE, "decline", "none")]
    )
    markup = keyboard(choice, [button("Send me my data", FEATURE, "export"),
                               button("Delete my data", FEATURE, "delete")])
    await show(update, context, f"{PRIVACY_TEXT}\n\n{state}", markup)


async def on_press(update: Update, context: CrampContext) -> None:
    """Record Accept or Decline, then carry on."""
    from bot.handlers import after_consent_handlers, reminders

    query = update.callback_query
    data = parse_callback(query, FEATURE)
    if data is not None and data.verb in _DATA_VERBS:
        await _DATA_VERBS[data.verb](update, context, data.args)
        return
    if data is None or data.verb not in ("accept", "decline"):
        await stale_button(update, context)
        return
    await query.answer()
    accepted = data.verb == "accept"
    withdrawing = not accepted and context.db_user is not None and context.db_user.has_consented
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
    if withdrawing:
        await offer_deletion_after_withdrawal(update, context)
        return
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


def _describe(counts: dict[str, int]) -> str:
    """'3 logged cramps, 2 reminders' from per-table row counts."""
    parts = []
    for name, count in sorted(counts.items()):
        one, many = TABLE_LABELS.get(name, (name.replace("_", " "),) * 2)
        parts.append(f"{count} {esc(one if count == 1 else many)}")
    return ", ".join(parts)


async def _stored_counts(context: CrampContext, user_id: int) -> dict[str, int]:
    async with context.db.session() as session:
        return await privacy_storage.count_rows(session, user_id)


async def offer_deletion_after_withdrawal(update: Update, context: CrampContext) -> None:
    """Say what withdrawing means for stored data, and offer to delete it."""
    counts = await _stored_counts(context, update.effective_user.id)
    stored = (f"What you saved before is still stored ({_describe(counts)}). "
              if counts else "Apart from your settings, nothing health-related is stored. ")
    await show(
        update,
        context,
        "<b>Consent withdrawn.</b> From now on I won't save new diary entries or reminder "
        "plans, and I won't send reminders. Symptom checks and guidance still work.\n\n"
        f"{stored}You can delete all of it now, or keep it and accept again later in /privacy.",
        keyboard([button("Delete my data now", FEATURE, "delete")],
                 [button("Keep it for now", FEATURE, "keep")]),
    )


async def my_data(update: Update, context: CrampContext) -> None:
    """Send everything stored about the user as a JSON document."""
    user_id = update.effective_user.id
    async with context.db.session() as session:
        stored = await privacy_storage.export_user(session, user_id)
    document = {
        "about": "Everything Cramp Companion stores about you, table by table.",
        "exported_at": context.now().isoformat(),
        **stored,
    }
    payload = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False).encode()
    log.info("user data export sent (%d bytes)", len(payload))
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(payload, filename=EXPORT_FILENAME),
        caption="Everything I store about you, as a JSON file. "
                "/delete_my_data deletes all of it.",
    )


async def delete_my_data(update: Update, context: CrampContext) -> None:
    """Ask for confirmation before deleting everything stored about the user."""
    counts = await _stored_counts(context, update.effective_user.id)
    what = f"your settings and {_describe(counts)}" if counts else "your settings"
    issued = int(context.now().timestamp())
    await show(
        update,
        context,
        "<b>Delete all your data?</b>\n"
        f"This deletes {what}, and stops your reminders. It cannot be undone.",
        keyboard([button("Yes, delete everything", FEATURE, "erase", issued)],
                 [button("No, keep my data", FEATURE, "keep")]),
    )


def _confirmation_is_fresh(context: CrampContext, issued: int) -> bool:
    """A confirmation counts only while fresh and only for the data it was shown for."""
    now = context.now()
    try:
        issued_at = datetime.fromtimestamp(issued, UTC)
    except (OverflowError, OSError, ValueError):  # a forged number
        return False
    user = context.db_user
    if user is not None and user.created_at.replace(microsecond=0) > issued_at:
        return False  # the data it was shown for is already gone (a replayed button)
    return timedelta(0) <= now - issued_at <= CONFIRM_VALID


async def erase(update: Update, context: CrampContext, args: tuple[str, ...]) -> None:
    """Delete every row of the user in every table (after the confirmation button)."""
    query = update.callback_query
    try:
        issued = callback_data.CallbackData(FEATURE, "erase", args).int_arg(0)
    except callback_data.CallbackDataError:
        issued = None
    if issued is None or not _confirmation_is_fresh(context, issued):
        await stale_button(update, context, note="This confirmation has expired.",
                           restart=button("Delete my data", FEATURE, "delete"))
        return
    await query.answer()
    async with context.db.session() as session:
        deleted = await privacy_storage.delete_user(session, update.effective_user.id)
        await session.commit()
    context.db_user = None
    log.info("user data deleted (%d rows in %d tables)", sum(deleted.values()), len(deleted))
    await show(
        update,
        context,
        "<b>Done: everything I stored about you is deleted</b> and your reminders are stopped.\n"
        "The messages in this chat stay in Telegram; you can clear the chat yourself. "
        "If you write to me again I'll start fresh.",
    )


async def keep(update: Update, context: CrampContext, args: tuple[str, ...]) -> None:
    """Cancel a deletion: nothing changes."""
    await update.callback_query.answer()
    await show(update, context, "OK, nothing was deleted. /privacy shows your choices any time.")


async def _ask_delete(update: Update, context: CrampContext, args: tuple[str, ...]) -> None:
    await update.callback_query.answer()
    await delete_my_data(update, context)


async def _export(update: Update, context: CrampContext, args: tuple[str, ...]) -> None:
    await update.callback_query.answer()
    await my_data(update, context)


_DATA_VERBS = {"erase": erase, "keep": keep, "delete": _ask_delete, "export": _export}


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("privacy", privacy),
        CommandHandler("mydata", my_data),
        CommandHandler("delete_my_data", delete_my_data),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]
