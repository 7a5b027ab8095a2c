"""/export: every logged cramp as CSV and a one-page PDF summary for a doctor, as documents.

The summary covers the last 90 days (the CSV has everything): frequency, pattern, severity,
duration, what was tried and how it helped, symptom-check results with their red-flag
answers, medicines flagged in the causes explorer, and the disclaimer. Both files are
rendered in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callback_data
from bot.app import CrampContext
from bot.diary import sources
from bot.diary.stats import period_bounds
from bot.handlers.common import button, chat_action, keyboard, parse_callback, send, stale_button
from bot.handlers.diary import user_zone
from bot.storage import episodes

log = logging.getLogger(__name__)

FEATURE = "export"
SUMMARY_DAYS = 90

COMMANDS = [("export", "Your diary as CSV and a one-page summary for your doctor")]


async def export(update: Update, context: CrampContext) -> None:
    """Send the CSV of all cramps and the PDF summary."""
    user_id = update.effective_user.id
    chat_id = update.effective_chat.id
    tz, _chosen = user_zone(context)
    now = context.now()
    async with context.db.session() as session:
        records = await episodes.all_records(session, user_id)
    if not records:
        await send(update, context,
                   "Your diary is empty, so there is nothing to export yet. Log a cramp with "
                   "/cramp — one tap is enough.",
                   keyboard([button("Log a cramp now", "diary", "log")]))
        return
    await chat_action(context, chat_id, ChatAction.UPLOAD_DOCUMENT)
    start, end, _first, _last = period_bounds(SUMMARY_DAYS, now, tz)
    stats = await sources.gather_stats(context.db, user_id, days=SUMMARY_DAYS, now=now, tz=tz)
    # fpdf and matplotlib: loaded on first use, not at start-up.
    from bot.diary.report import ReportData, render_csv, render_pdf

    data = ReportData(
        stats=stats,
        generated_at=now.astimezone(tz),
        first_name=context.db_user.first_name if context.db_user else None,
        all_time_total=len(records),
        first_logged=records[0].started_at.astimezone(tz),
        triage=await sources.triage_between(context.db, user_id, start, end) or [],
        medicines=await sources.medicines(context.db, user_id),
    )
    csv_bytes = await asyncio.to_thread(render_csv, records, tz)
    pdf_bytes = await asyncio.to_thread(render_pdf, data)
    stamp = f"{now.astimezone(tz):%Y-%m-%d}"
    await context.bot.send_document(
        chat_id,
        document=InputFile(csv_bytes, filename=f"cramp-diary-{stamp}.csv"),
        caption=(f"Your cramp diary: {_count(len(records))}, one row each (opens in any "
                 "spreadsheet)."),
    )
    await context.bot.send_document(
        chat_id,
        document=InputFile(pdf_bytes, filename=f"cramp-summary-{stamp}.pdf"),
        caption=f"A one-page summary of the last {SUMMARY_DAYS} days to show your doctor. "
                "Information only, not a diagnosis.",
    )
    log.debug("diary: export sent")


async def on_press(update: Update, context: CrampContext) -> None:
    """Export from a button (the stats screen)."""
    query = update.callback_query
    data = parse_callback(query, FEATURE)
    if data is None or data.verb != "go":
        await stale_button(update, context)
        return
    await query.answer()
    await export(update, context)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("export", export),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]


def _count(n: int) -> str:
    """'the 1 cramp' / 'all 12 cramps'."""
    return "the 1 cramp" if n == 1 else f"all {n} cramps"
