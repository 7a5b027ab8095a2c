"""Reminders: setting them up, /reminders and /timezone, the reminder buttons, the tick job.

Onboarding offers reminders in two taps (Set up reminders → your time zone); the plan is
stretch reminders at 09:00, 14:00 and 19:00 and a bedtime prompt at 22:00, local time.
Everything lives in the database (``bot.storage.reminders``); the one JobQueue job per
instance (``start_jobs``) runs the dispatcher (``bot.reminders.dispatcher``).
Flow drawing: docs/reminders.mmd.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import callback_data
from bot.app import CrampContext, Services
from bot.callback_data import CallbackData
from bot.handlers.common import (
    DISCLAIMER,
    MENU_REMINDERS,
    button,
    esc,
    keyboard,
    main_menu,
    menu_filter,
    parse_callback,
    send,
    show,
    stale_button,
)
from bot.models.reminders import ReminderSlot
from bot.reminders import messages, parsing
from bot.reminders.dispatcher import Dispatcher, TelegramSender
from bot.reminders.timemath import PAUSED_FOREVER
from bot.storage import reminders as storage
from bot.storage import users

log = logging.getLogger(__name__)

FEATURE = "rem"
SNOOZE = timedelta(minutes=15)
DISPATCHER_KEY = "reminders.dispatcher"
AWAIT_ZONE = "rem:tz"
AWAIT_TIME = "rem:time"
MODE_SETUP = "s"
MODE_CHANGE = "c"
LOCATION_LABEL = "📍 Share my location"
BACK_LABEL = "⬅️ Back"

COMMANDS = [
    ("reminders", "Stretch and bedtime reminders"),
    ("timezone", "Set your time zone"),
]

# Quick choices on the time-zone screen: (IANA name, label).
COMMON_ZONES: tuple[tuple[str, str], ...] = (
    ("Europe/London", "London"),
    ("Europe/Berlin", "Berlin, Paris, Rome"),
    ("Europe/Helsinki", "Helsinki, Kyiv, Athens"),
    ("America/New_York", "US Eastern"),
    ("America/Chicago", "US Central"),
    ("America/Denver", "US Mountain"),
    ("America/Los_Angeles", "US Pacific"),
    ("Asia/Kolkata", "India"),
    ("Asia/Shanghai", "China"),
    ("Australia/Sydney", "Sydney, Melbourne"),
)
STRETCH_TIMES = ("07:00", "08:00", "09:00", "10:00", "11:00", "12:00", "13:00", "14:00",
                 "15:00", "16:00", "17:00", "18:00", "19:00", "20:00", "21:00")
BEDTIME_TIMES = ("21:00", "21:30", "22:00", "22:30", "23:00", "23:30", "00:00")
PAUSE_CHOICES = (("1 day", 1), ("3 days", 3), ("7 days", 7))
KIND_LABELS = {messages.KIND_STRETCH: ("🧘", "Stretch"),
               messages.KIND_BEDTIME: ("🌙", "Bedtime routine")}


# --------------------------------------------------------------------------- helpers
def _zone_key(name: str) -> str:
    return name.replace("/", ".")


def _zone_from_key(key: str) -> str | None:
    name = key.replace(".", "/")
    return name if parsing.is_valid_zone(name) else None


def _hhmm(at: time) -> str:
    return parsing.format_time(at)


def _local(now: datetime, zone_name: str) -> datetime:
    return now.astimezone(ZoneInfo(zone_name))


def _when(instant: datetime, now: datetime, zone_name: str) -> str:
    """"today at 19:00", "tomorrow at 09:00" or "Fri 13 Mar at 09:00", local time."""
    local, today = _local(instant, zone_name), _local(now, zone_name).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return f"today at {clock}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {clock}"
    return f"{local.strftime('%a %d %b')} at {clock}"


def _zone_line(zone_name: str, now: datetime) -> str:
    local = _local(now, zone_name)
    return (f"Time zone: <b>{esc(parsing.display_zone(zone_name))}</b> · your time now "
            f"<b>{local.strftime('%H:%M')}</b> ({local.strftime('%a')})")


async def _answer(update: Update, text: str | None = None) -> None:
    """Answer the button press (first thing, so the client's spinner stops)."""
    if update.callback_query is not None:
        await update.callback_query.answer(text)


def _user_id(update: Update) -> int:
    return update.effective_user.id  # type: ignore[union-attr]


async def _set_awaiting(context: CrampContext, user_id: int, value: str | None) -> None:
    async with context.db.session() as session:
        await users.set_fields(session, user_id, awaiting=value)
        await session.commit()
    if context.db_user is not None:
        context.db_user.awaiting = value


def _plan_text(slots: list[ReminderSlot], zone_name: str, now: datetime, status: str = "") -> str:
    lines = []
    if status:
        lines += [status, ""]
    lines += ["🗓 <b>Your reminders</b>", _zone_line(zone_name, now), ""]
    for slot in slots:
        icon, label = KIND_LABELS.get(slot.kind, ("⏰", slot.kind))
        state = "on" if slot.enabled else "off"
        lines.append(f"{icon} {label} · {_hhmm(slot.local_time)} · {state}")
    lines.append("")
    pause_end = storage.paused_until(slots, now)
    if pause_end is not None and pause_end >= PAUSED_FOREVER:
        lines.append("⏸ Paused until you resume.")
    elif pause_end is not None:
        lines.append(f"⏸ Paused until {_when(pause_end, now, zone_name)}.")
    upcoming = [s.next_due_at for s in slots if s.next_due_at is not None]
    if upcoming:
        lines.append(f"Next: {_when(min(upcoming), now, zone_name)}.")
    elif pause_end is None:
        lines.append("All reminders are off.")
    lines.append("Tap a reminder to change its time or switch it off. Messages due between "
                 "22:00 and 07:00 arrive silently.")
    return "\n".join(lines)


def _plan_markup(slots: list[ReminderSlot], now: datetime) -> InlineKeyboardMarkup:
    slot_buttons = []
    for slot in slots:
        icon, _ = KIND_LABELS.get(slot.kind, ("⏰", slot.kind))
        state = "on" if slot.enabled else "off"
        slot_buttons.append(button(f"{icon} {_hhmm(slot.local_time)} · {state}", FEATURE, "slot",
                                   slot.id))
    rows = [slot_buttons[i:i + 2] for i in range(0, len(slot_buttons), 2)]
    if storage.paused_until(slots, now) is not None:
        rows.append([button("▶️ Resume", FEATURE, "resume"), button("🌍 Time zone", FEATURE, "tz")])
    else:
        rows.append([button("⏸ Pause all", FEATURE, "pause"), button("🌍 Time zone", FEATURE, "tz")])
    return keyboard(*rows)


async def _render_plan(update: Update, context: CrampContext, status: str = "",
                       *, new_message: bool = False) -> None:
    user_id = _user_id(update)
    zone_name = context.db_user.timezone if context.db_user else None
    async with context.db.session() as session:
        slots = await storage.get_slots(session, user_id)
    now = context.now()
    if not slots or not parsing.is_valid_zone(zone_name):
        await _render_offer(update, context, status, new_message=new_message)
        return
    text = _plan_text(slots, zone_name, now, status)  # type: ignore[arg-type]
    markup = _plan_markup(slots, now)
    if new_message:
        await send(update, context, text, markup)
    else:
        await show(update, context, text, markup)


async def _render_offer(update: Update, context: CrampContext, status: str = "", *,
                        new_message: bool = False) -> None:
    offer = messages.content()["offer"]["text"]
    text = (f"{status}\n\n" if status else "") + (
        f"⏰ <b>Reminders</b>\n{esc(offer)}\n\n"
        "Your plan: a stretch at 09:00, 14:00 and 19:00, and a bedtime routine at 22:00, "
        "in your local time. You can change every time later."
    )
    markup = keyboard([button("Set up reminders", FEATURE, "setup"),
                       button("Not now", FEATURE, "later")])
    if new_message:
        await send(update, context, text, markup)
    else:
        await show(update, context, text, markup)


# --------------------------------------------------------------------------- entry points
async def offer_setup(update: Update, context: CrampContext) -> None:
    """Offer reminders after onboarding; a returning user with a plan hears it is on."""
    user = context.db_user
    if user is None or not user.has_consented:
        return
    async with context.db.session() as session:
        slots = await storage.get_slots(session, user.id)
        if slots and any(s.suspended for s in slots) and parsing.is_valid_zone(user.timezone):
            slots = await storage.reschedule(session, user.id, user.timezone, context.now())
            await session.commit()
    if slots:
        await send(update, context, "⏰ Your reminders are on. /reminders shows and changes them.")
        return
    await _render_offer(update, context, new_message=True)


async def show_plan(update: Update, context: CrampContext) -> None:
    """Show the reminder plan (or offer to set it up)."""
    if not await _consented(update, context, resume="reminders"):
        return
    await _render_plan(update, context)


async def reminders_command(update: Update, context: CrampContext) -> None:
    """Answer /reminders and the Reminders menu button with the plan."""
    await show_plan(update, context)


async def choose_timezone(update: Update, context: CrampContext) -> None:
    """Show the time-zone choices: location, common zones, or typing one."""
    await _zone_screen(update, context, MODE_CHANGE)


async def timezone_command(update: Update, context: CrampContext) -> None:
    """Answer /timezone with the time-zone choices."""
    await choose_timezone(update, context)


async def begin_setup(update: Update, context: CrampContext) -> None:
    """Create the default plan, asking for the time zone first if it is not known."""
    if not await _consented(update, context, resume="reminders_setup"):
        return
    user = context.db_user
    if user is not None and parsing.is_valid_zone(user.timezone):
        await _create_plan_and_show(update, context, user.timezone)  # type: ignore[arg-type]
        return
    await _zone_screen(update, context, MODE_SETUP)


async def _consented(update: Update, context: CrampContext, resume: str) -> bool:
    from bot.handlers import privacy

    return await privacy.ensure_consent(
        update, context, resume=resume,
        reason="To send you reminders I need your OK to store your reminder times.",
    )


async def _create_plan_and_show(update: Update, context: CrampContext, zone_name: str,
                                *, new_message: bool = False) -> None:
    async with context.db.session() as session:
        await storage.create_default_plan(session, _user_id(update), zone_name, context.now())
        await session.commit()
    await _render_plan(update, context, "✅ Your reminders are set.", new_message=new_message)


# --------------------------------------------------------------------------- time zone
async def _zone_screen(update: Update, context: CrampContext, mode: str) -> None:
    now = context.now()
    current = context.db_user.timezone if context.db_user else None
    lines = [
        "🌍 <b>Your time zone</b>",
        "Reminders follow your local time. Tap your zone, share your location, or type a "
        f"city, a zone name or a UTC offset (for example: {esc(parsing.ZONE_EXAMPLES)}).",
    ]
    if parsing.is_valid_zone(current):
        lines += ["", _zone_line(current, now)]  # type: ignore[arg-type]
    rows = [[button("📍 Use my location", FEATURE, "loc", mode)]]
    zone_buttons = [
        button(f"{label} · {_local(now, name).strftime('%H:%M')}", FEATURE, "zone",
               _zone_key(name), mode)
        for name, label in COMMON_ZONES
    ]
    rows += [zone_buttons[i:i + 2] for i in range(0, len(zone_buttons), 2)]
    if mode == MODE_CHANGE:
        rows.append([button("⬅️ Back to reminders", FEATURE, "plan")])
    await _set_awaiting(context, _user_id(update), f"{AWAIT_ZONE}:{mode}")
    await show(update, context, "\n".join(lines), keyboard(*rows))


async def _ask_location(update: Update, context: CrampContext, mode: str) -> None:
    await _set_awaiting(context, _user_id(update), f"{AWAIT_ZONE}:{mode}")
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton(LOCATION_LABEL, request_location=True)], [KeyboardButton(BACK_LABEL)]],
        resize_keyboard=True, one_time_keyboard=True,
    )
    await send(update, context,
               f"Tap “{LOCATION_LABEL}” below. I only use it to look up your time zone and "
               "don't store the location.", markup)


async def apply_zone(update: Update, context: CrampContext, zone_name: str, mode: str) -> None:
    """Save the zone, reschedule (or create) the plan and confirm with the local time."""
    user_id = _user_id(update)
    now = context.now()
    consented = context.db_user is not None and context.db_user.has_consented
    async with context.db.session() as session:
        await users.set_fields(session, user_id, timezone=zone_name, awaiting=None)
        slots = await storage.reschedule(session, user_id, zone_name, now)
        created = not slots and mode == MODE_SETUP and consented
        if created:
            slots = await storage.create_default_plan(session, user_id, zone_name, now)
        await session.commit()
    if context.db_user is not None:
        context.db_user.timezone = zone_name
        context.db_user.awaiting = None
    local = _local(now, zone_name)
    note = ("\nA UTC offset does not follow daylight saving; type your city for that."
            if zone_name.startswith("Etc/") else "")
    if update.callback_query is None:
        # A typed zone or a shared location: confirm and bring the main menu back first.
        await send(update, context,
                   f"✅ Time zone: <b>{esc(parsing.display_zone(zone_name))}</b>. Your local "
                   f"time now is <b>{local.strftime('%H:%M')}</b> ({local.strftime('%A')}). "
                   f"Not right? Use /timezone.{note}", main_menu())
        status = "✅ Your reminders are set." if created else ""
    else:
        status = ("✅ Your reminders are set." if created else "✅ Time zone changed.") + (
            "\nIs the local time below right? If not, tap 🌍 Time zone." + note)
    if slots:
        await _render_plan(update, context, status, new_message=update.callback_query is None)
        return
    text = (status + "\n\n" if status else "") + "Would you like stretch and bedtime reminders?"
    await (show if update.callback_query else send)(
        update, context, text,
        keyboard([button("Set up reminders", FEATURE, "setup"), button("🌍 Time zone", FEATURE, "tz")]),
    )


async def on_location(update: Update, context: CrampContext) -> None:
    """Find the time zone of a shared location (offline) and use it."""
    location = update.message.location if update.message else None
    if location is None:
        return
    awaiting = context.db_user.awaiting if context.db_user else None
    mode = MODE_SETUP if awaiting == f"{AWAIT_ZONE}:{MODE_SETUP}" else MODE_CHANGE
    zone_name = await asyncio.to_thread(parsing.zone_at, location.latitude, location.longitude)
    if zone_name is None:
        await send(update, context,
                   "I couldn't find a time zone for that place. Type your city instead "
                   f"(for example: {esc(parsing.ZONE_EXAMPLES)}).", main_menu())
        return
    await apply_zone(update, context, zone_name, mode)


async def on_zone_text(update: Update, context: CrampContext, text: str, mode: str) -> None:
    """Use a typed time zone, or say what a valid one looks like."""
    if text.strip() == BACK_LABEL:
        await send(update, context,
                   "No problem. Tap your time zone above, or type a city "
                   f"(for example: {esc(parsing.ZONE_EXAMPLES)}).", main_menu())
        return
    guess = parsing.parse_zone(text)
    if guess.name is not None:
        await apply_zone(update, context, guess.name, mode)
        return
    if guess.error == "offset-no-zone":
        reply = ("No time zone keeps that offset all year. Type your city instead "
                 "(for example: St Johns, Adelaide or Chatham).")
    else:
        reply = (f"I don't know the time zone “{esc(text.strip()[:40])}”. Type a city, a zone "
                 f"name or a UTC offset, for example: {esc(parsing.ZONE_EXAMPLES)}.")
    markup = None
    if guess.suggestion:
        reply += f"\nDid you mean <b>{esc(parsing.display_zone(guess.suggestion))}</b>?"
        markup = keyboard([button(f"Yes, {parsing.display_zone(guess.suggestion)}", FEATURE,
                                  "zone", _zone_key(guess.suggestion), mode)])
    await send(update, context, reply, markup)


# --------------------------------------------------------------------------- slots
def _times_for(slot: ReminderSlot) -> tuple[str, ...]:
    return BEDTIME_TIMES if slot.kind == messages.KIND_BEDTIME else STRETCH_TIMES


async def _slot_screen(update: Update, context: CrampContext, slot: ReminderSlot) -> None:
    icon, label = KIND_LABELS.get(slot.kind, ("⏰", slot.kind))
    current = _hhmm(slot.local_time)
    text = (f"{icon} <b>{label}</b> reminder: <b>{current}</b>, "
            f"{'on' if slot.enabled else 'off'}.\n"
            f"Tap a new time, or type one (for example: {esc(parsing.TIME_EXAMPLES)}).")
    time_buttons = [
        button(f"• {value}" if value == current else value, FEATURE, "at", slot.id,
               value.replace(":", ""))
        for value in _times_for(slot)
    ]
    rows = [time_buttons[i:i + 4] for i in range(0, len(time_buttons), 4)]
    rows.append([button("Switch off", FEATURE, "off", slot.id) if slot.enabled
                 else button("Switch on", FEATURE, "on", slot.id)])
    rows.append([button("⬅️ Back to reminders", FEATURE, "plan")])
    await _set_awaiting(context, _user_id(update), f"{AWAIT_TIME}:{slot.id}")
    await show(update, context, text, keyboard(*rows))


async def _save_time(update: Update, context: CrampContext, slot_id: int, at: time,
                     *, new_message: bool) -> bool:
    user_id = _user_id(update)
    zone_name = context.db_user.timezone if context.db_user else None
    async with context.db.session() as session:
        slot = await storage.get_slot(session, slot_id, user_id)
        if slot is None:
            return False
        await storage.set_time(session, slot, at, zone_name, context.now())
        await users.set_fields(session, user_id, awaiting=None)
        await session.commit()
        kind = slot.kind
    if context.db_user is not None:
        context.db_user.awaiting = None
    _, label = KIND_LABELS.get(kind, ("⏰", kind))
    await _render_plan(update, context, f"✅ Saved: {label.lower()} at {_hhmm(at)}.",
                       new_message=new_message)
    return True


async def on_time_text(update: Update, context: CrampContext, text: str, slot_id: int) -> None:
    """Save a typed reminder time, or say what a valid one looks like."""
    at = parsing.parse_time(text)
    if at is None:
        await send(update, context,
                   f"I couldn't read “{esc(text.strip()[:40])}” as a time. Type it like "
                   f"{esc(parsing.TIME_EXAMPLES)}, or tap one of the times above.")
        return
    if not await _save_time(update, context, slot_id, at, new_message=True):
        await _set_awaiting(context, _user_id(update), None)
        await _render_plan(update, context, new_message=True)


async def on_text(update: Update, context: CrampContext, text: str) -> None:
    """Route typed answers: a time zone or a reminder time."""
    awaiting = (context.db_user.awaiting if context.db_user else None) or ""
    parts = awaiting.split(":")
    if awaiting.startswith(AWAIT_ZONE + ":") and len(parts) == 3:
        await on_zone_text(update, context, text, parts[2])
    elif awaiting.startswith(AWAIT_TIME + ":") and len(parts) == 3 and parts[2].isdigit():
        await on_time_text(update, context, text, int(parts[2]))
    else:
        await _set_awaiting(context, _user_id(update), None)
        await show_plan(update, context)


# --------------------------------------------------------------------------- buttons
def _restart() -> InlineKeyboardButton:
    return button("Your reminders", FEATURE, "plan")


async def on_press(update: Update, context: CrampContext) -> None:
    """Route every ``rem:`` button."""
    data = parse_callback(update.callback_query, FEATURE)  # type: ignore[arg-type]
    if data is None:
        await stale_button(update, context, restart=_restart())
        return
    handler = _VERBS.get(data.verb)
    if handler is None:
        await stale_button(update, context, restart=_restart())
        return
    await handler(update, context, data)


async def _press_simple(update: Update, context: CrampContext, data: CallbackData) -> None:
    """Open a screen: the plan, setup, "Not now", time zone, location, pause menu."""
    await _answer(update)
    if data.verb == "plan":
        await show_plan(update, context)
    elif data.verb == "setup":
        await begin_setup(update, context)
    elif data.verb == "later":
        await show(update, context, "OK. You can set up reminders any time with /reminders.")
    elif data.verb == "tz":
        mode = data.args[0] if data.args and data.args[0] in (MODE_SETUP, MODE_CHANGE) else MODE_CHANGE
        await _zone_screen(update, context, mode)
    elif data.verb == "loc":
        mode = data.args[0] if data.args and data.args[0] in (MODE_SETUP, MODE_CHANGE) else MODE_CHANGE
        await _ask_location(update, context, mode)
    elif data.verb == "pause":
        await _pause_screen(update, context)


async def _press_zone(update: Update, context: CrampContext, data: CallbackData) -> None:
    """Use the time zone on the pressed button."""
    zone_name = _zone_from_key(data.args[0]) if data.args else None
    mode = data.args[1] if len(data.args) > 1 and data.args[1] in (MODE_SETUP, MODE_CHANGE) else MODE_CHANGE
    if zone_name is None:
        await stale_button(update, context, restart=button("🌍 Time zone", FEATURE, "tz"))
        return
    await _answer(update)
    await apply_zone(update, context, zone_name, mode)


async def _slot_of(update: Update, context: CrampContext, data: CallbackData) -> ReminderSlot | None:
    if not data.args or not data.args[0].isdigit():
        return None
    async with context.db.session() as session:
        return await storage.get_slot(session, int(data.args[0]), _user_id(update))


async def _press_slot(update: Update, context: CrampContext, data: CallbackData) -> None:
    """Open one reminder: its times, on/off."""
    slot = await _slot_of(update, context, data)
    if slot is None:
        await stale_button(update, context, restart=_restart())
        return
    await _answer(update)
    await _slot_screen(update, context, slot)


async def _press_at(update: Update, context: CrampContext, data: CallbackData) -> None:
    """Save the time on the pressed button."""
    slot = await _slot_of(update, context, data)
    at = parsing.parse_time(data.args[1]) if slot is not None and len(data.args) > 1 else None
    if slot is None or at is None:
        await stale_button(update, context, restart=_restart())
        return
    await _answer(update)
    await _save_time(update, context, slot.id, at, new_message=False)  # type: ignore[arg-type]


async def _press_switch(update: Update, context: CrampContext, data: CallbackData) -> None:
    """Switch one reminder on or off."""
    user_id = _user_id(update)
    zone_name = context.db_user.timezone if context.db_user else None
    async with context.db.session() as session:
        slot = (await storage.get_slot(session, int(data.args[0]), user_id)
                if data.args and data.args[0].isdigit() else None)
        if slot is None:
            await stale_button(update, context, restart=_restart())
            return
        await _answer(update)
        enabled = data.verb == "on"
        await storage.set_enabled(session, slot, enabled, zone_name, context.now())
        await users.set_fields(session, user_id, awaiting=None)
        await session.commit()
        label = KIND_LABELS.get(slot.kind, ("⏰", slot.kind))[1].lower()
        at = _hhmm(slot.local_time)
    await _render_plan(update, context,
                       f"✅ {label.capitalize()} at {at} is {'on' if enabled else 'off'}.")


async def _pause_screen(update: Update, context: CrampContext) -> None:
    """Offer pause lengths."""
    rows = [[button(label, FEATURE, "pausefor", days) for label, days in PAUSE_CHOICES],
            [button("Until I resume", FEATURE, "pausefor", 0)],
            [button("⬅️ Back to reminders", FEATURE, "plan")]]
    await show(update, context, "⏸ <b>Pause all reminders</b> for how long?", keyboard(*rows))


async def _press_pause_for(update: Update, context: CrampContext, data: CallbackData) -> None:
    """Pause every reminder for the chosen number of days (0: until resumed)."""
    allowed = {days for _, days in PAUSE_CHOICES} | {0}
    days = int(data.args[0]) if data.args and data.args[0].isdigit() else -1
    if days not in allowed:
        await stale_button(update, context, restart=_restart())
        return
    await _answer(update)
    if not await _consented(update, context, resume="reminders"):
        return
    now = context.now()
    until = PAUSED_FOREVER if days == 0 else now + timedelta(days=days)
    zone_name = context.db_user.timezone if context.db_user else None
    async with context.db.session() as session:
        slots = await storage.pause(session, _user_id(update), until, zone_name, now)
        await session.commit()
    if not slots:
        await _render_plan(update, context)
        return
    await _render_plan(update, context, "⏸ Reminders paused.")


async def _press_resume(update: Update, context: CrampContext, data: CallbackData) -> None:
    """Resume a paused plan."""
    await _answer(update)
    zone_name = context.db_user.timezone if context.db_user else None
    async with context.db.session() as session:
        await storage.resume(session, _user_id(update), zone_name, context.now())
        await session.commit()
    await _render_plan(update, context, "▶️ Reminders are back on.")


async def _press_delivery(update: Update, context: CrampContext, data: CallbackData) -> None:
    """Done ✅ (adherence) or Snooze 15 min on a reminder."""
    delivery_id = int(data.args[0]) if data.args and data.args[0].isdigit() else None
    now = context.now()
    async with context.db.session() as session:
        delivery = (await storage.get_delivery(session, delivery_id, _user_id(update))
                    if delivery_id is not None else None)
        if delivery is None:
            await stale_button(update, context, restart=_restart())
            return
        if data.verb == "done":
            changed = await storage.mark_done(session, delivery, now)
            note = "Well done! ✅" if changed else "Already marked done ✅"
        else:
            changed = await storage.snooze(session, delivery, now + SNOOZE)
            note = ("Snoozed for 15 minutes ⏰" if changed else
                    "Already done ✅" if delivery.done_at else "Already snoozed ⏰")
        await session.commit()
    await _answer(update, note)
    zone_name = (context.db_user.timezone if context.db_user else None) or "UTC"
    if delivery.done_at is not None:
        status = f"✅ Done at {_local(delivery.done_at, zone_name).strftime('%H:%M')}. Well done!"
    elif delivery.snooze_due_at is not None:
        status = (f"⏰ Snoozed: I'll remind you again at "
                  f"{_local(delivery.snooze_due_at, zone_name).strftime('%H:%M')}.")
    else:
        return
    rendered = messages.render(delivery.kind, delivery.stretch, delivery.id,  # type: ignore[arg-type]
                               footer=DISCLAIMER, status=status, active=False)
    await show(update, context, rendered.text, _markup(rendered.rows))


def _markup(rows: tuple[tuple[tuple[str, str], ...], ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


_VERBS = {
    "plan": _press_simple, "setup": _press_simple, "later": _press_simple,
    "tz": _press_simple, "loc": _press_simple, "pause": _press_simple,
    "zone": _press_zone, "slot": _press_slot, "at": _press_at,
    "on": _press_switch, "off": _press_switch,
    "pausefor": _press_pause_for, "resume": _press_resume,
    "done": _press_delivery, "snooze": _press_delivery,
}


# --------------------------------------------------------------------------- the tick job
def make_dispatcher(application: Application, **overrides: object) -> Dispatcher:
    """Build this instance's dispatcher from the settings (tests may override options)."""
    services: Services = application.bot_data.services
    settings = services.settings
    bot = application.bot
    base_url = bot.base_url[: -len(bot.token)] if bot.base_url.endswith(bot.token) else bot.base_url
    options: dict[str, object] = {
        "rate": settings.send_budget_per_instance,
        "grace": timedelta(minutes=settings.reminder_grace_minutes),
        "footer": DISCLAIMER,
        "on_outcome": _metrics_counter(services),
        "on_retry": _retry_counter(services),
        # Application.stop() clears ``running`` first, then waits for this job: stop soon.
        "keep_running": lambda: application.running,
    }
    options.update(overrides)
    sender = options.pop("sender", None) or TelegramSender(bot.token, base_url)
    return Dispatcher(services.db, services.clock, sender, **options)  # type: ignore[arg-type]


def _metrics_counter(services: Services) -> Callable[[str, int], None] | None:
    try:
        from bot import metrics
    except ImportError:  # the metrics module is optional
        return None
    return lambda outcome, count: metrics.of(services).reminder(outcome, count)


def _retry_counter(services: Services) -> Callable[[], None] | None:
    try:
        from bot import metrics
    except ImportError:
        return None
    return lambda: metrics.of(services).telegram_retry("sendMessage")


def get_dispatcher(application: Application) -> Dispatcher:
    """This instance's dispatcher, built on first use."""
    extras = application.bot_data.services.extras
    dispatcher = extras.get(DISPATCHER_KEY)
    if dispatcher is None:
        dispatcher = extras[DISPATCHER_KEY] = make_dispatcher(application)
    return dispatcher


async def tick_job(context: CrampContext) -> None:
    """Run one dispatcher tick (the JobQueue calls this every few seconds)."""
    try:
        report = await get_dispatcher(context.application).tick()
    except Exception as err:  # keep ticking; the next tick retries
        log.warning("reminder tick failed: %s", type(err).__name__)
        return
    if report.claimed or report.skipped:
        log.info("reminders: %d sent, %d failed, %d blocked, %d skipped", report.sent,
                 report.failed, report.blocked, report.skipped)


PRUNE_EVERY_SECONDS = 3600


async def prune_job(context: CrampContext) -> None:
    """Delete delivery rows past the retention period, a batch at a time (hourly)."""
    days = context.services.settings.reminder_history_days
    before = context.now() - timedelta(days=days)
    deleted = 0
    try:
        while True:
            async with context.db.session() as session:
                batch = await storage.prune_deliveries(session, before=before)
                await session.commit()
            deleted += batch
            if batch < 5000:
                break
    except Exception as err:  # try again next hour
        log.warning("reminder history pruning failed: %s", type(err).__name__)
    if deleted:
        log.info("reminders: pruned %d delivery rows older than %d days", deleted, days)


def start_jobs(application: Application) -> None:
    """Start this instance's reminder tick and the hourly history pruning."""
    if not getattr(application.bot_data, "start_background_jobs", True):
        return
    if application.job_queue is None:
        log.warning("no JobQueue: reminders will not be sent (install the job-queue extra)")
        return
    interval = application.bot_data.services.settings.reminder_tick_seconds
    application.job_queue.run_repeating(
        tick_job, interval=interval, first=interval, name="reminders.tick",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    application.job_queue.run_repeating(
        prune_job, interval=PRUNE_EVERY_SECONDS, first=60, name="reminders.prune",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


# --------------------------------------------------------------------------- registration
def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("reminders", reminders_command),
        CommandHandler("timezone", timezone_command),
        MessageHandler(menu_filter(MENU_REMINDERS), reminders_command),
        MessageHandler(filters.LOCATION, on_location),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]


TEXT_INPUTS = {FEATURE: on_text}
AFTER_CONSENT = {"reminders": show_plan, "reminders_setup": begin_setup}
