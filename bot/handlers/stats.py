"""/stats: the diary's patterns over 7, 30 or 90 days — a short text and a chart image.

The text message carries the period buttons (``stats:show:<days>``, edited in place on a
press); the chart follows as a photo, rendered by matplotlib in a worker thread while the
chat shows "sending a photo…".
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
from bot.diary.stats import DEFAULT_PERIOD, PERIODS, Stats, summary_lines
from bot.handlers.common import (
    button,
    chat_action,
    esc,
    keyboard,
    parse_callback,
    show,
    stale_button,
    with_disclaimer,
)
from bot.handlers.diary import user_zone

log = logging.getLogger(__name__)

FEATURE = "stats"

COMMANDS = [("stats", "Your patterns over 7, 30 or 90 days, with a chart")]


def stats_text(stats: Stats, *, tz_chosen: bool = True) -> str:
    """The short text: one line per finding, week by week, the last symptom check."""
    lines = [f"📊 <b>Your cramps: last {stats.days} days</b> "
             f"({stats.start.day} {stats.start:%b} – {stats.end.day} {stats.end:%b})"]
    for heading, text in summary_lines(stats):
        lines.append(f"<b>{esc(heading)}:</b> {esc(text)}")
    if stats.total:
        weeks = " · ".join(
            f"{w.start.day} {w.start:%b}: {w.cramps}"
            + (f" ({w.reminders_done}/{w.reminders_sent} stretches)" if w.reminders_sent else "")
            for w in stats.weeks
        )
        lines.append(f"<b>Week by week:</b> {esc(weeks)}")
    if stats.has_adherence:
        if stats.reminders_sent:
            lines.append(f"<b>Stretch reminders done:</b> {stats.reminders_done} of "
                         f"{stats.reminders_sent} ({stats.adherence:.0%})")
        else:
            lines.append("<b>Stretch reminders:</b> none sent in this period (/reminders)")
    triage = stats.last_triage
    if triage is not None:
        lines.append(f"<b>Last symptom check:</b> {triage.finished_at.day} "
                     f"{triage.finished_at:%b %Y} — {esc(triage.level_label)}")
    if not tz_chosen:
        lines.append("<i>Times are in UTC: set your time zone with /timezone.</i>")
    text = "\n".join(lines)
    return with_disclaimer(text) if triage is not None else text


def period_markup(days: int):
    return keyboard(
        [button(("• " if d == days else "") + f"{d} days", FEATURE, "show", d) for d in PERIODS],
        [button("My diary", "diary", "list", 0), button("Export for my doctor", "export", "go")],
    )


async def show_stats(update: Update, context: CrampContext, days: int = DEFAULT_PERIOD) -> None:
    """Compute the period's statistics, show the text, then send the chart."""
    tz, chosen = user_zone(context)
    stats = await sources.gather_stats(context.db, update.effective_user.id, days=days,
                                       now=context.now(), tz=tz)
    await show(update, context, stats_text(stats, tz_chosen=chosen), period_markup(days))
    if not stats.total:
        return
    chat_id = update.effective_chat.id
    await chat_action(context, chat_id, ChatAction.UPLOAD_PHOTO)
    from bot.diary.chart import render_chart  # matplotlib: loaded on first use, not at start-up

    png = await asyncio.to_thread(render_chart, stats)
    await context.bot.send_photo(
        chat_id,
        photo=InputFile(png, filename=f"cramps-{days}-days.png"),
        caption=f"Your cramps, last {days} days",
    )


async def stats_command(update: Update, context: CrampContext) -> None:
    """Show the last 30 days' statistics and chart."""
    await show_stats(update, context, DEFAULT_PERIOD)


async def on_press(update: Update, context: CrampContext) -> None:
    """Switch the period (7, 30 or 90 days)."""
    query = update.callback_query
    data = parse_callback(query, FEATURE)
    days = data.args[0] if data is not None and data.verb == "show" and data.args else ""
    if not days.isdigit() or int(days) not in PERIODS:
        await stale_button(update, context)
        return
    await query.answer()
    await show_stats(update, context, int(days))


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("stats", stats_command),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]
