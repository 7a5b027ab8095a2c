"""Group -1: keep the user's row fresh on every update and guard the input edge.

The guards, in order: bots and updates without a user are ignored; the per-user flood guard
(per instance, see ``bot.flood``); a button press from anyone but the chat's own user is
refused; oversized text and group chats get a short answer. A user who blocks the bot is
marked inactive (``my_chat_member``), which the reminders and /metrics rely on.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot import metrics
from bot.app import CrampContext
from bot.flood import FloodGuard, Verdict
from bot.handlers import errors
from bot.handlers.common import esc, is_menu_label
from bot.models.user import User
from bot.storage import users

log = logging.getLogger(__name__)

MAX_INPUT_TEXT = 1000
SLOW_DOWN = ("You're sending messages faster than I can keep up with. I'll take a "
             "{seconds}-second break, then carry on — nothing you saved is lost.")
EDITED = ("I only read new messages, so I didn't act on that edit. Please send it again "
          "as a new message.")
FOREIGN_BUTTON = "This button belongs to someone else's chat."


async def track_user(update: Update, context: CrampContext) -> None:
    """Create or refresh the user's row; refuse oversized text before any feature sees it."""
    tg_user = update.effective_user
    if tg_user is None or tg_user.is_bot:
        raise ApplicationHandlerStop
    if not await within_rate(update, context, tg_user.id) or await refuse_foreign_button(update):
        raise ApplicationHandlerStop
    message = update.message
    text = message.text if message is not None else None
    try:
        row, blocked = await _refresh_row(update, context, text)
    except Exception as error:  # e.g. the database is down: say so once, run nothing else
        await errors.report(update, context, error)
        raise ApplicationHandlerStop from None
    context.db_user = row
    if update.edited_message is not None:
        # Acting on an edit would re-run an old command; say how to redo it instead.
        await update.edited_message.reply_text(EDITED)
        raise ApplicationHandlerStop
    if update.my_chat_member is not None:
        if blocked:
            log.info("update %s: the user blocked the bot", update.update_id)
        raise ApplicationHandlerStop  # nothing to answer: a status change, not a message
    if text is not None and len(text) > MAX_INPUT_TEXT and message is not None:
        await message.reply_text(
            f"That message is too long for me ({len(text)} characters). "
            f"Please keep it under {MAX_INPUT_TEXT} characters."
        )
        raise ApplicationHandlerStop
    if message is not None and message.chat.type != "private":
        await message.reply_text(
            f"I work in private chats only: open a chat with @{esc(context.bot.username)}."
        )
        raise ApplicationHandlerStop


async def _refresh_row(update: Update, context: CrampContext, text: str | None) -> tuple[User, bool]:
    """Upsert the user's row (one round trip); clear ``awaiting`` on a command or menu press."""
    tg_user = update.effective_user
    chat = update.effective_chat
    resets_input = bool(text) and (text.startswith("/") or is_menu_label(text))
    async with context.db.session() as session:
        row = await users.upsert_seen(
            session,
            user_id=tg_user.id,
            chat_id=chat.id if chat is not None and chat.type == "private" else None,
            first_name=tg_user.first_name,
            language_code=tg_user.language_code,
            now=context.now(),
        )
        if resets_input and row.awaiting:
            await users.set_fields(session, tg_user.id, awaiting=None)
            row.awaiting = None
        blocked = _blocked_us(update)
        if blocked:
            await users.set_fields(session, tg_user.id, is_active=False)
            row.is_active = False
        await session.commit()
    return row, blocked


def flood_guard(context: CrampContext) -> FloodGuard | None:
    """This instance's flood guard (None when FLOOD_MAX_UPDATES is 0)."""
    extras = context.services.extras
    if "flood_guard" not in extras:
        settings = context.services.settings
        extras["flood_guard"] = (
            FloodGuard(settings.flood_max_updates, settings.flood_window_seconds,
                       settings.flood_pause_seconds)
            if settings.flood_max_updates else None
        )
    return extras["flood_guard"]


async def within_rate(update: Update, context: CrampContext, user_id: int) -> bool:
    """Apply the per-user flood guard: warn once when the limit is crossed, then drop."""
    guard = flood_guard(context)
    if guard is None or update.my_chat_member is not None:
        return True
    verdict = guard.check(user_id, context.now().timestamp())
    if verdict is Verdict.ALLOW:
        return True
    metrics.of(context.services).flood_dropped.inc()
    if verdict is Verdict.WARN:
        log.info("update %s: flood guard paused a user", update.update_id)
        text = SLOW_DOWN.format(seconds=round(guard.pause))
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200])
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    return False


async def refuse_foreign_button(update: Update) -> bool:
    """True (and answered) if a button press comes from someone other than the chat's user."""
    query = update.callback_query
    if query is None or query.message is None:
        return False
    chat = query.message.chat
    if chat.type == "private" and chat.id == query.from_user.id:
        return False
    await query.answer(FOREIGN_BUTTON)
    return True


def _blocked_us(update: Update) -> bool:
    member = update.my_chat_member
    return (member is not None and member.chat.type == "private"
            and member.new_chat_member.status == ChatMemberStatus.BANNED)


def handlers() -> list[BaseHandler]:
    return [TypeHandler(Update, track_user)]
