"""/admin: counts for the operator (ids in ADMIN_IDS) — how many, never who.

Anyone else gets exactly the reply an unknown command gets, so the command stays invisible.
It is not in the command list. The counts come from the shared database (all instances);
the "this instance" lines come from this process's metrics.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callback_data, metrics
from bot.app import CrampContext
from bot.handlers.common import button, esc, keyboard, parse_callback, show, stale_button
from bot.storage import overview

FEATURE = "admin"

_USER_LINES = (
    ("users", "Users"),
    ("active", "Active (not blocked)"),
    ("blocked", "Blocked the bot"),
    ("consented", "Consented to health data"),
    ("declined", "Declined"),
    ("seen_24h", "Seen in the last 24 h"),
    ("seen_7d", "Seen in the last 7 days"),
)


def is_admin(context: CrampContext, user_id: int | None) -> bool:
    return user_id is not None and user_id in context.services.settings.admin_ids


async def _due_reminders(context: CrampContext, session) -> int | None:
    """Reminders due now, if the reminders feature offers the count."""
    try:
        from bot.storage import reminders as reminder_storage
    except ImportError:
        return None
    count_due = getattr(reminder_storage, "count_due", None)
    if count_due is None:
        return None
    return int(await count_due(session, context.now()))


def render(counts: dict, due: int | None, instance: metrics.Metrics) -> str:
    """The admin screen: plain numbers only."""
    users = counts["users"]
    lines = ["<b>Admin overview</b>", ""]
    lines += [f"{label}: {users[key]}" for key, label in _USER_LINES]
    lines += ["", "<b>Stored rows</b>"]
    lines += [f"{esc(name)}: {count}" for name, count in sorted(counts["tables"].items())]
    if not counts["tables"]:
        lines.append("(no feature tables yet)")
    if due is not None:
        lines.append(f"Reminders due now: {due}")
    sent, failed, skipped = (int(instance.value("cramp_reminders_total", outcome=o))
                             for o in ("sent", "failed", "skipped"))
    handled, errors, refused, dropped = (int(instance.total(name)) for name in (
        "cramp_updates_total", "cramp_errors_total", "cramp_webhook_refused_total",
        "cramp_flood_dropped_total"))
    lines += [
        "",
        "<b>This instance since start</b>",
        f"Handler runs: {handled}; errors: {errors}",
        f"Reminders sent {sent}, failed {failed}, skipped {skipped}",
        f"Webhook requests refused: {refused}; flood-dropped updates: {dropped}",
    ]
    return "\n".join(lines)


async def admin(update: Update, context: CrampContext) -> None:
    """Show counts to admins; answer everyone else as an unknown command."""
    from bot.handlers import fallback

    user = update.effective_user
    if not is_admin(context, user.id if user else None):
        if update.callback_query is not None:
            await stale_button(update, context)
        else:
            await fallback.on_unknown_command(update, context)
        return
    async with context.db.session() as session:
        counts = await overview.overview(session, context.now())
        due = await _due_reminders(context, session)
    text = render(counts, due, metrics.of(context.services))
    await show(update, context, text, keyboard([button("Refresh", FEATURE, "refresh")]))


async def on_press(update: Update, context: CrampContext) -> None:
    """Refresh the admin screen (admins only)."""
    query = update.callback_query
    data = parse_callback(query, FEATURE)
    if data is None or data.verb != "refresh" or not is_admin(context, update.effective_user.id):
        await stale_button(update, context)
        return
    await query.answer()
    await admin(update, context)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("admin", admin),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]
