"""The one global error handler: log without personal data, reply once, keep running."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from telegram import Update
from telegram.error import Forbidden, NetworkError

from bot import metrics
from bot.app import CrampContext

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong. Please try again."
UNAVAILABLE = (
    "I'm temporarily unavailable (my storage is not answering). Please try again in a minute."
)
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout, ConnectionError, OSError)


def is_database_unavailable(error: BaseException | None) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, DATABASE_DOWN) and not isinstance(error, NetworkError)


async def on_error(update: object, context: CrampContext) -> None:
    """Log the error with the update id only, and tell the user once."""
    await report(update, context, context.error)


async def report(update: object, context: CrampContext, error: BaseException | None) -> None:
    """Count and log ``error`` (no personal data), and tell the user once."""
    update_id = update.update_id if isinstance(update, Update) else None
    counters = metrics.of(context.services)
    if isinstance(error, Forbidden):
        counters.error("blocked")
        log.info("update %s: the user blocked the bot", update_id)
        return
    unavailable = is_database_unavailable(error)
    if unavailable:
        counters.error("database_unavailable")
        log.warning("update %s: database unavailable (%s)", update_id, type(error).__name__)
    elif isinstance(error, NetworkError):  # Telegram unreachable even after the retries
        counters.error("telegram_unavailable")
        log.warning("update %s: Bot API unavailable (%s)", update_id, type(error).__name__)
    else:
        counters.error("unhandled")
        log.error("update %s: unhandled %s", update_id, type(error).__name__, exc_info=error)
    if not isinstance(update, Update):
        return
    text = UNAVAILABLE if unavailable else SORRY
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except Exception as reply_error:  # the reply itself failed: nothing more we can do
        log.warning("update %s: could not send the error reply (%s)", update_id,
                    type(reply_error).__name__)
