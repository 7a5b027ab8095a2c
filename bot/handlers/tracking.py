"""Group -1: keep the user's row fresh on every update and guard the input edge."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.app import CrampContext
from bot.handlers.common import esc, is_menu_label
from bot.storage import users

log = logging.getLogger(__name__)

MAX_INPUT_TEXT = 1000


async def track_user(update: Update, context: CrampContext) -> None:
    """Create or refresh the user's row; refuse oversized text before any feature sees it."""
    tg_user = update.effective_user
    if tg_user is None or tg_user.is_bot:
        raise ApplicationHandlerStop
    chat = update.effective_chat
    message = update.message
    text = message.text if message is not None else None
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
        await session.commit()
    context.db_user = row
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


def handlers() -> list[BaseHandler]:
    return [TypeHandler(Update, track_user)]
