"""What every feature's handlers share: the main menu, the disclaimer, safe replies.

Only presentation helpers live here; no feature logic.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import filters

from bot import callback_data
from bot.app import CrampContext
from bot.callback_data import CallbackData, CallbackDataError

log = logging.getLogger(__name__)

# Main menu labels (the persistent reply keyboard).
MENU_CHECK = "Check symptoms"
MENU_NOW = "Cramping now"
MENU_LOG = "Log a cramp"
MENU_STRETCHES = "Stretches"
MENU_REMINDERS = "Reminders"
MENU_DIARY = "My diary"
MENU_SETTINGS = "Settings"
MENU_LABELS = (
    MENU_CHECK, MENU_NOW, MENU_LOG, MENU_STRETCHES, MENU_REMINDERS, MENU_DIARY, MENU_SETTINGS,
)

DISCLAIMER = "<i>Information only, not a diagnosis: it does not replace a doctor.</i>"
MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096


def menu_filter(label: str) -> filters.BaseFilter:
    """Match a menu button press: the label, case-insensitive, emoji or spaces around it."""
    return filters.TEXT & filters.Regex(re.compile(rf"^\W*{re.escape(label)}\W*$", re.IGNORECASE))


def is_menu_label(text: str) -> bool:
    cleaned = re.sub(r"^\W+|\W+$", "", text).lower()
    return cleaned in {label.lower() for label in MENU_LABELS}


def main_menu() -> ReplyKeyboardMarkup:
    """The persistent main menu."""
    return ReplyKeyboardMarkup(
        [
            [MENU_CHECK, MENU_NOW],
            [MENU_LOG, MENU_STRETCHES],
            [MENU_REMINDERS, MENU_DIARY],
            [MENU_SETTINGS],
        ],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder="Choose an option or type /help",
    )


def esc(text: object) -> str:
    """Escape any user- or data-derived text for Telegram HTML."""
    return html.escape(str(text), quote=False)


def fit(text: str, limit: int = MAX_TEXT) -> str:
    """Keep a message within Telegram's limit, cutting at a line break if needed."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return text[: cut if cut > 0 else limit - 2].rstrip() + "\n…"


def with_disclaimer(text: str) -> str:
    """A medical screen: the text, then the one-line disclaimer."""
    return fit(text.rstrip(), MAX_TEXT - len(DISCLAIMER) - 2) + "\n\n" + DISCLAIMER


def button(text: str, feature: str, verb: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callback_data.encode(feature, verb, *args))


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


async def send(update: Update, context: CrampContext, text: str,
               markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None,
               **kwargs: object) -> Message:
    """Send a new HTML message to the update's chat."""
    chat = update.effective_chat
    if chat is None:
        raise ValueError("update without a chat")
    return await context.bot.send_message(
        chat.id, fit(text), parse_mode=ParseMode.HTML, reply_markup=markup, **kwargs
    )


async def show(update: Update, context: CrampContext, text: str,
               markup: InlineKeyboardMarkup | None = None) -> Message | bool:
    """Edit the pressed message in place, or send a new one for a typed command."""
    query = update.callback_query
    if query is not None and query.message is not None and isinstance(query.message, Message):
        try:
            return await query.edit_message_text(
                fit(text), parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except BadRequest as err:
            if "not modified" in str(err).lower():
                return True
            if "not found" not in str(err).lower() and "can't be edited" not in str(err).lower():
                raise
    return await send(update, context, text, markup)


async def chat_action(context: CrampContext, chat_id: int, action: str) -> None:
    """Show "sending a photo…" and the like; a nicety, so a refusal never stops the reply."""
    try:
        await context.bot.send_chat_action(chat_id, action)
    except TelegramError as error:
        log.info("chat action refused (%s)", type(error).__name__)


def parse_callback(query: CallbackQuery, feature: str) -> CallbackData | None:
    """Decode a press for ``feature``; None if it is malformed (a stale or forged button)."""
    try:
        return callback_data.decode(query.data, feature)
    except CallbackDataError:
        return None


STALE_TEXT = "This button is no longer active."


async def flow_press(update: Update, context: CrampContext, feature: str,
                     start: Callable[[Update, CrampContext], Awaitable[None]],
                     restart: InlineKeyboardButton) -> tuple[CallbackData, int] | None:
    """Decode a press of a stored flow (``feature:verb:<session id>:…``).

    Runs ``start`` for the ``start`` verb; answers a malformed press as stale (offering
    ``restart``). Returns (data, session id) when the feature should handle the press, and
    None when it has been answered here.
    """
    data = parse_callback(update.callback_query, feature)
    if data is None:
        await stale_button(update, context, restart=restart)
        return None
    if data.verb == "start":
        await start(update, context)
        return None
    try:
        return data, data.int_arg(0)
    except CallbackDataError:
        await stale_button(update, context, restart=restart)
        return None


async def stale_button(update: Update, context: CrampContext, *,
                       restart: InlineKeyboardButton | None = None,
                       note: str = STALE_TEXT) -> None:
    """Answer an old, foreign or malformed button politely, offering a fresh start."""
    query = update.callback_query
    if query is not None:
        await query.answer(note)
    if restart is not None:
        await send(update, context, f"{esc(note)} You can start again:", keyboard([restart]))
