"""The cramp diary: one-tap logging, optional details, and the paged diary with edit/delete.

/cramp (alias /log), the "Log a cramp" menu button and the ``diary:log`` button (reminders,
"Cramping now"; ``diary:log:<duration>`` pre-fills how long) save an episode at once — time
= now in the user's zone — and say so on the first line. Optional details follow as
buttons, one question at a time, each skippable and each saved the moment it is tapped.
Typed shortcuts (``/cramp left calf 7 5m night``) fill several details at once; the reply
says what was understood and what was ignored. A cramp over 10 minutes or rated 10/10
puts the RF-E4 emergency advice first on the screen.

Consent: logging needs it. Without it the bot asks (``privacy.ensure_consent``, resume
"cramp") and keeps the request in ``users.awaiting`` as ``diary:pend:<epoch>:<src>:<details>``
(fits the 64-character column), so the cramp is saved with its original time and typed
details once the user taps Accept. Typing a new time for an episode uses
``users.awaiting = "diary:time:<id>"``.

Every button that names an episode is checked against its owner: someone else's (or a
deleted) episode gets a polite "not in your diary" and no data.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler

from bot import callback_data
from bot.app import CrampContext
from bot.diary import parser
from bot.diary.advice import load_advice
from bot.diary.vocab import (
    CONTEXTS,
    DURATIONS,
    LOCATIONS,
    RATINGS,
    REMEDIES,
    SIDES,
    is_alarming,
    where_label,
)
from bot.emergency import load_emergency_table
from bot.handlers.common import (
    MENU_DIARY,
    MENU_LOG,
    button,
    esc,
    keyboard,
    menu_filter,
    parse_callback,
    send,
    show,
    stale_button,
    with_disclaimer,
)
from bot.models.episode import Episode
from bot.models.user import CONSENT_DECLINED
from bot.storage import episodes, users

log = logging.getLogger(__name__)

FEATURE = "diary"
RESUME = "cramp"
PAGE_SIZE = 8
DEDUP_WINDOW = timedelta(seconds=60)
PENDING_MAX_AGE = timedelta(hours=1)
AWAIT_TIME = "diary:time:"
AWAIT_PENDING = "diary:pend:"

COMMANDS = [
    ("cramp", "Log a cramp now (details optional)"),
    ("log", "Same as /cramp"),
    ("diary", "Your logged cramps: view, edit, delete"),
]

# Wizard steps, in order: (step, episode field, question).
STEPS: tuple[tuple[str, str, str], ...] = (
    ("where", "location", "Where was it?"),
    ("side", "side", "Which leg?"),
    ("sev", "severity", "How bad was it, from 1 (mild) to 10 (unbearable)?"),
    ("dur", "duration", "How long did it last?"),
    ("ctx", "context", "When did it happen?"),
    ("help", "helped", "What did you try? Tap all that apply, then Next."),
    ("rate", "helped_rating", "How much did it help?"),
)
STEP_FIELD = {step: name for step, name, _q in STEPS}
STEP_QUESTION = {step: question for step, _n, question in STEPS}
FIELD_TITLES = {
    "location": "Where", "side": "Side", "severity": "How bad", "duration": "How long",
    "context": "When", "helped": "Tried", "helped_rating": "How much it helped",
}
SOURCE_CODES = {"command": "c", "button": "b", "reminder": "r"}
SOURCE_FROM_CODE = {v: k for k, v in SOURCE_CODES.items()}
# Where the "Stretch it" button points (guidance feature) for each place.
STRETCH_FOR = {"calf": "calf", "back_thigh": "ham", "front_thigh": "quad"}


# ------------------------------------------------------------------------------ helpers
def user_zone(context: CrampContext) -> tuple[ZoneInfo, bool]:
    """The user's zone and whether they chose it (False: UTC by default)."""
    name = context.db_user.timezone if context.db_user else None
    tz = episodes.zone(name)
    return tz, bool(name) and tz.key == name


def when_text(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """'03:12 today', '23:30 yesterday (Mon 9 Mar)', '23:30 on Sat 7 Mar'."""
    local = moment.astimezone(tz)
    today = now.astimezone(tz).date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        return f"{clock} today"
    if local.date() == today - timedelta(days=1):
        return f"{clock} yesterday ({local:%a} {local.day} {local:%b})"
    return f"{clock} on {local:%a} {local.day} {local:%b}"


def short_date(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def helped_text(episode: Episode) -> str:
    chosen = [REMEDIES[r] for r in (episode.helped or []) if r in REMEDIES]
    if not chosen:
        return ""
    text = ", ".join(chosen)
    if episode.helped_rating is not None and chosen != [REMEDIES["nothing"]]:
        text += f" — helped {RATINGS[episode.helped_rating]}"
    return text


def field_text(episode: Episode, name: str) -> str:
    """A field's value as the user reads it; '' when not given."""
    value = getattr(episode, name)
    if value is None:
        return ""
    if name == "location":
        return LOCATIONS.get(value, value)
    if name == "side":
        return SIDES.get(value, value)
    if name == "severity":
        return f"{value}/10"
    if name == "duration":
        return DURATIONS.get(value, value)
    if name == "context":
        return CONTEXTS.get(value, value)
    if name == "helped":
        return helped_text(episode)
    if name == "helped_rating":
        return RATINGS.get(value, str(value))
    return str(value)


def details_line(episode: Episode) -> str:
    """'left calf · 7/10 · 1–5 min · woke me from sleep · stretching — helped a lot'."""
    parts = [where_label(episode.location, episode.side)]
    parts += [field_text(episode, name) for name in ("severity", "duration", "context")]
    parts.append(helped_text(episode))
    return " · ".join(p for p in parts if p)


def emergency_lines(context: CrampContext) -> str:
    """The RF-E4 advice with the emergency number for the user's country, in bold."""
    number = load_emergency_table().number_for(context.db_user.country if context.db_user else None)
    return f"🚨 <b>{esc(load_advice().long_cramp_text(number))}</b>"


async def _load(update: Update, context: CrampContext, episode_id: int) -> Episode | None:
    async with context.db.session() as session:
        return await episodes.get_for_owner(session, update.effective_user.id, episode_id)


async def refuse(update: Update, context: CrampContext) -> None:
    """Politely refuse a button naming an episode that is not (or no longer) the user's."""
    await stale_button(
        update, context,
        note="That cramp isn't in your diary (it may have been deleted).",
        restart=button("My diary", FEATURE, "list", 0),
    )


# ------------------------------------------------------------------------------ logging
def encode_pending(started_at: datetime, source: str, parsed: parser.ParsedLog | None) -> str:
    """Pack a log waiting for consent into ``users.awaiting`` (at most 64 characters)."""
    p = parsed or parser.ParsedLog()
    fields = [p.location or "", p.side or "", str(p.severity or ""), p.duration or "",
              p.context or "", "t" if p.thigh else ""]
    value = f"{AWAIT_PENDING}{int(started_at.timestamp())}:{SOURCE_CODES[source]}:{'.'.join(fields)}"
    return value[:64]


def decode_pending(value: str) -> tuple[datetime, str, parser.ParsedLog] | None:
    """Unpack ``encode_pending``; None if it is not a well-formed pending log."""
    if not value.startswith(AWAIT_PENDING):
        return None
    try:
        epoch, source, packed = value[len(AWAIT_PENDING):].split(":", 2)
        location, side, severity, duration, context, thigh = packed.split(".")
        parsed = parser.ParsedLog(
            location=location if location in LOCATIONS else None,
            side=side if side in SIDES else None,
            severity=int(severity) if severity.isdigit() and 1 <= int(severity) <= 10 else None,
            duration=duration if duration in DURATIONS else None,
            context=context if context in CONTEXTS else None,
            thigh=thigh == "t",
        )
        return datetime.fromtimestamp(int(epoch), UTC), SOURCE_FROM_CODE[source], parsed
    except (ValueError, KeyError, OverflowError):
        return None


async def log_command(update: Update, context: CrampContext) -> None:
    """Log a cramp now, or with the details typed after /cramp."""
    text = " ".join(context.args or [])
    now = context.now()
    if not text.strip():
        await log_cramp(update, context, source="command")
        return
    tz, _chosen = user_zone(context)
    parsed = parser.parse(text, now=now, tz=tz)
    await log_cramp(update, context, source="command", parsed=parsed)


async def log_menu(update: Update, context: CrampContext) -> None:
    """Log a cramp now from the "Log a cramp" menu button."""
    await log_cramp(update, context, source="button")


async def log_cramp(update: Update, context: CrampContext, *, source: str,
                    parsed: parser.ParsedLog | None = None, duration: str | None = None,
                    started_at: datetime | None = None, pending: bool = False) -> None:
    """Save a cramp at once (asking for consent first if needed) and offer the details."""
    now = context.now()
    tz, chosen = user_zone(context)
    started = started_at or (parsed.started_at if parsed and parsed.started_at else None) or now
    details: dict[str, Any] = dict(parsed.details) if parsed else {}
    if duration and "duration" not in details:
        details["duration"] = duration
    if not pending:
        from bot.handlers import privacy

        reason = "To save this cramp I need your OK to store health data."
        if parsed is not None and (parsed.understood or parsed.ignored):
            reason = understood_text(parsed, tz, now) + "\n\n" + reason
        if not context.db_user or not context.db_user.has_consented:
            async with context.db.session() as session:
                await users.set_fields(session, update.effective_user.id,
                                       awaiting=encode_pending(started, source, _with(parsed, details)))
                await session.commit()
        if not await privacy.ensure_consent(update, context, resume=RESUME, reason=reason):
            return
    user_id = update.effective_user.id
    async with context.db.session() as session:
        episode = None
        if parsed is None and started_at is None:
            episode = await _recent_one_tap(session, user_id, now)
            if episode is not None and details:
                episode = await episodes.update_for_owner(session, user_id, episode.id, **details)
        repeated = episode is not None
        if episode is None:
            episode = await episodes.add_episode(session, user_id, started, tz=tz, logged_at=now,
                                                 source=source, **details)
        await session.commit()
    log.debug("diary: episode logged (source=%s, repeat=%s)", source, repeated)
    lines = []
    if repeated:
        lines.append(f"✅ Already logged: a cramp at {when_text(episode.started_at, tz, now)}. "
                     "It's saved; no need to log it again.")
    else:
        lines.append(f"✅ Logged a cramp at {when_text(episode.started_at, tz, now)}.")
        lines.append("It's saved — that's all you need to do. Add details if you like; each "
                     "is optional.")
    if parsed is not None and (parsed.understood or parsed.ignored):
        lines.append("")
        lines.append(understood_text(parsed, tz, now))
    if not chosen:
        lines.append("")
        lines.append("Times are in UTC because you haven't set your time zone: /timezone")
    thigh = bool(parsed and parsed.thigh and episode.location is None)
    await send_step(update, context, episode, first_step(episode, parsed), header="\n".join(lines),
                    new_message=True, tz_hint=not chosen, thigh=thigh)


def _with(parsed: parser.ParsedLog | None, details: dict[str, Any]) -> parser.ParsedLog:
    result = parser.ParsedLog(thigh=parsed.thigh if parsed else False)
    for name, value in details.items():
        setattr(result, name, value)
    return result


async def _recent_one_tap(session: Any, user_id: int, now: datetime) -> Episode | None:
    """The cramp logged moments ago by a tap (a double tap or a second Accept must not log
    twice); typed logs are deliberate and never merged."""
    latest = await episodes.latest_for_owner(session, user_id)
    if latest is None or latest.source == "command":
        return None
    return latest if timedelta(0) <= now - latest.logged_at <= DEDUP_WINDOW else None


def understood_text(parsed: parser.ParsedLog, tz: ZoneInfo, now: datetime) -> str:
    """'Understood: …' and 'Ignored: …' lines for a typed shortcut (HTML-escaped)."""
    understood: list[str] = []
    for name, _words in parsed.understood:
        if name == "time" and parsed.time_text:
            moment = parsed.started_at or now
            understood.append(f"time {when_text(moment, tz, now)}")
        elif name == "location":
            understood.append(LOCATIONS[parsed.location] if parsed.location
                              else "thigh (front or back? tap below)")
        elif name == "side" and parsed.side:
            understood.append(f"{SIDES[parsed.side]} side" if parsed.side != "both" else "both legs")
        elif name == "severity" and parsed.severity:
            understood.append(f"severity {parsed.severity}/10")
        elif name == "duration" and parsed.duration:
            understood.append(DURATIONS[parsed.duration])
        elif name == "context" and parsed.context:
            understood.append(CONTEXTS[parsed.context])
    lines = []
    if understood:
        lines.append("Understood: " + esc(" · ".join(understood)))
    if parsed.ignored:
        lines.append("Ignored: " + esc(", ".join(f"“{w[:40]}”" for w in parsed.ignored[:10])))
    if not understood:
        lines.append("I saved the cramp with the time now. Try e.g. /cramp left calf 7 5m night")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ the steps
def _applies(episode: Episode, step: str) -> bool:
    if step == "side":
        return episode.location is not None and episode.location != "other"
    if step == "rate":
        return any(r != "nothing" for r in (episode.helped or []))
    return True


def _filled(episode: Episode, step: str) -> bool:
    return getattr(episode, STEP_FIELD[step]) not in (None, [])


def first_step(episode: Episode, parsed: parser.ParsedLog | None = None) -> str | None:
    if parsed is not None and parsed.thigh and episode.location is None:
        return "where"
    return next_step(episode, None)


def next_step(episode: Episode, after: str | None) -> str | None:
    """The next wizard step after ``after`` that applies and is still empty."""
    order = [step for step, _f, _q in STEPS]
    start = order.index(after) + 1 if after in order else 0
    for step in order[start:]:
        if _applies(episode, step) and not _filled(episode, step):
            return step
    return None


def step_buttons(episode: Episode, step: str, mode: str, *,
                 thigh: bool = False) -> list[list[InlineKeyboardButton]]:
    """The choices for one step; ``mode`` is "w" (logging) or "e" (editing)."""
    eid = episode.id

    def choice(label: str, value: object) -> InlineKeyboardButton:
        return button(label, FEATURE, "set", eid, step, value, mode)

    if step == "where":
        if thigh:
            return [[choice("Front of thigh", "front_thigh"), choice("Back of thigh", "back_thigh")],
                    [choice("Calf", "calf"), choice("Foot", "foot"), choice("Other", "other")]]
        return [[choice("Calf", "calf"), choice("Foot", "foot")],
                [choice("Front of thigh", "front_thigh"), choice("Back of thigh", "back_thigh")],
                [choice("Other", "other")]]
    if step == "side":
        return [[choice("Left", "left"), choice("Right", "right"), choice("Both", "both")]]
    if step == "sev":
        return [[choice(str(n), n) for n in range(1, 6)], [choice(str(n), n) for n in range(6, 11)]]
    if step == "dur":
        return [[choice("Under 1 min", "lt1"), choice("1–5 min", "1to5")],
                [choice("5–10 min", "5to10"), choice("Over 10 min", "gt10")]]
    if step == "ctx":
        return [[choice("Woke me from sleep", "sleep"), choice("Resting", "rest")],
                [choice("During exercise", "exercise"), choice("After exercise", "after")]]
    if step == "help":
        chosen = set(episode.helped or [])
        labels = [(f"{'✓ ' if code in chosen else ''}{label.capitalize()}", code)
                  for code, label in REMEDIES.items()]
        return [[choice(t, c) for t, c in labels[i:i + 2]] for i in range(0, len(labels), 2)]
    if step == "rate":
        return [[choice("Not at all", 0), choice("A little", 1)],
                [choice("Quite a bit", 2), choice("A lot", 3)]]
    return []


def wizard_markup(episode: Episode, step: str | None, *, thigh: bool = False,
                  tz_hint: bool = False, first: bool = False) -> InlineKeyboardMarkup:
    rows = step_buttons(episode, step, "w", thigh=thigh) if step else []
    if step == "help":
        rows.append([button("Next ›", FEATURE, "skip", episode.id, step),
                     button("Done ✓", FEATURE, "done", episode.id)])
    elif step:
        rows.append([button("Skip ›", FEATURE, "skip", episode.id, step),
                     button("Done ✓", FEATURE, "done", episode.id)])
    if first:
        rows.append([InlineKeyboardButton("Still cramping? Help now",
                                          callback_data=callback_data.encode("now", "start"))])
    if tz_hint:
        rows.append([InlineKeyboardButton("Set my time zone",
                                          callback_data=callback_data.encode("rem", "tz"))])
    return keyboard(*rows)


def _saved_so_far(episode: Episode) -> str:
    line = details_line(episode)
    return f"Saved so far: {esc(line)}" if line else ""


async def send_step(update: Update, context: CrampContext, episode: Episode, step: str | None,
                    *, header: str = "", new_message: bool = False, tz_hint: bool = False,
                    thigh: bool = False) -> None:
    """Show the wizard's next question (or the summary when nothing is left)."""
    if step is None:
        await send_summary(update, context, episode, header=header, new_message=new_message)
        return
    alarming = is_alarming(episode.severity, episode.duration)
    parts = []
    if alarming:
        parts.append(emergency_lines(context))
    if header:
        parts.append(header)
    elif (saved := _saved_so_far(episode)):
        parts.append(saved)
    question = STEP_QUESTION[step]
    if step == "where" and thigh:
        question = "Which part of the thigh?"
    if step == "help":
        question += "\n(Each tap is saved at once.)"
    parts.append(f"<b>{esc(question)}</b>")
    text = "\n\n".join(parts)
    if alarming:
        text = with_disclaimer(text)
    markup = wizard_markup(episode, step, thigh=thigh, tz_hint=tz_hint, first=new_message)
    if new_message:
        await send(update, context, text, markup)
    else:
        await show(update, context, text, markup)


async def send_summary(update: Update, context: CrampContext, episode: Episode, *,
                       header: str = "", new_message: bool = False) -> None:
    """The end of logging: what is saved, and where to go next."""
    tz, _chosen = user_zone(context)
    now = context.now()
    parts = []
    alarming = is_alarming(episode.severity, episode.duration)
    if alarming:
        parts.append(emergency_lines(context))
    if header:
        parts.append(header)
    parts.append(f"Saved: a cramp at {when_text(episode.started_at, tz, now)}")
    line = details_line(episode)
    if line:
        parts[-1] += f"\n{esc(line)}"
    parts.append("You can change or delete it any time in My diary.")
    rows = [[button("Edit", FEATURE, "open", episode.id), button("My diary", FEATURE, "list", 0)]]
    guide = STRETCH_FOR.get(episode.location or "")
    if guide:
        rows.append([InlineKeyboardButton("Show the stretch for it",
                                          callback_data=callback_data.encode("guide", "show", guide))])
    if alarming:
        rows.append([InlineKeyboardButton("Check my symptoms",
                                          callback_data=callback_data.encode("triage", "begin"))])
    text = "\n\n".join(parts)
    if alarming:
        text = with_disclaimer(text)
    if new_message:
        await send(update, context, text, keyboard(*rows))
    else:
        await show(update, context, text, keyboard(*rows))


# ------------------------------------------------------------------------------ the diary
async def show_diary(update: Update, context: CrampContext, page: int = 0,
                     note: str = "") -> None:
    """List the user's cramps, newest first, a page at a time."""
    user_id = update.effective_user.id
    tz, chosen = user_zone(context)
    async with context.db.session() as session:
        total = await episodes.count_for_owner(session, user_id)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(0, page), pages - 1)
        rows = await episodes.list_for_owner(session, user_id, offset=page * PAGE_SIZE,
                                             limit=PAGE_SIZE)
    head = f"{note}\n\n" if note else ""
    if not total:
        await show(update, context,
                   head + "📔 <b>Your diary is empty.</b>\nLog a cramp with /cramp or the "
                   "“Log a cramp” button — one tap is enough.",
                   keyboard([button("Log a cramp now", FEATURE, "log")]))
        return
    lines = [f"📔 <b>Your diary</b>: {total} cramp{'s' if total != 1 else ''}"
             + (f" (page {page + 1} of {pages})" if pages > 1 else "")]
    lines.append(f"Newest first; times in {esc(tz.key)}." + ("" if chosen else " Set yours: /timezone"))
    lines.append("")
    buttons = []
    for n, episode in enumerate(rows, start=page * PAGE_SIZE + 1):
        detail = details_line(episode)
        lines.append(f"{n}. {short_date(episode.started_at, tz)}" + (f" · {esc(detail)}" if detail else ""))
        buttons.append(button(f"{n}. {short_date(episode.started_at, tz)}", FEATURE, "open",
                              episode.id, page))
    lines.append("")
    lines.append("Tap a cramp to change or delete it.")
    grid = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    nav = []
    if page > 0:
        nav.append(button("‹ Newer", FEATURE, "list", page - 1))
    if page < pages - 1:
        nav.append(button("Older ›", FEATURE, "list", page + 1))
    grid.append(nav)
    grid.append([button("Log a cramp", FEATURE, "log"),
                 InlineKeyboardButton("Statistics", callback_data=callback_data.encode("stats", "show", 30))])
    await show(update, context, head + "\n".join(lines), keyboard(*grid))


async def diary_command(update: Update, context: CrampContext) -> None:
    """Show the diary (command or menu button)."""
    await show_diary(update, context, 0)


def card_text(episode: Episode, tz: ZoneInfo, now: datetime) -> str:
    lines = [f"<b>Cramp at {when_text(episode.started_at, tz, now)}</b>"]
    for name in ("location", "side", "severity", "duration", "context", "helped"):
        value = field_text(episode, name)
        lines.append(f"{FIELD_TITLES[name]}: {esc(value) if value else '—'}")
    lines.append(f"<i>Logged {when_text(episode.logged_at, tz, now)} "
                 f"({'typed' if episode.source == 'command' else episode.source}).</i>")
    return "\n".join(lines)


def card_markup(episode: Episode, page: int = 0) -> InlineKeyboardMarkup:
    eid = episode.id
    return keyboard(
        [button("Time", FEATURE, "time", eid), button("Where", FEATURE, "step", eid, "where"),
         button("Side", FEATURE, "step", eid, "side")],
        [button("How bad", FEATURE, "step", eid, "sev"),
         button("How long", FEATURE, "step", eid, "dur"),
         button("When", FEATURE, "step", eid, "ctx")],
        [button("What helped", FEATURE, "step", eid, "help"),
         button("How much", FEATURE, "step", eid, "rate")],
        [button("Delete", FEATURE, "del", eid, page), button("‹ Back to diary", FEATURE, "list", page)],
    )


async def show_card(update: Update, context: CrampContext, episode: Episode, *,
                    page: int = 0, note: str = "", alarm: bool = False,
                    new_message: bool = False) -> None:
    """One cramp with a button per field to change, and Delete."""
    tz, _chosen = user_zone(context)
    parts = []
    if alarm:
        parts.append(emergency_lines(context))
    if note:
        parts.append(note)
    parts.append(card_text(episode, tz, context.now()))
    text = "\n\n".join(parts)
    if alarm:
        text = with_disclaimer(text)
    if new_message:
        await send(update, context, text, card_markup(episode, page))
    else:
        await show(update, context, text, card_markup(episode, page))


async def edit_step(update: Update, context: CrampContext, episode: Episode, step: str) -> None:
    """Offer the choices for one field of an existing cramp, with Clear and Back."""
    current = field_text(episode, STEP_FIELD[step])
    rows = step_buttons(episode, step, "e")
    rows.append([button("Clear", FEATURE, "set", episode.id, step, "x", "e"),
                 button("‹ Back", FEATURE, "open", episode.id)])
    question = STEP_QUESTION[step]
    text = f"<b>{esc(question)}</b>\nNow: {esc(current) if current else '—'}"
    await show(update, context, text, keyboard(*rows))


def parse_value(step: str, raw: str) -> tuple[bool, object]:
    """(valid, value) for a tapped choice; "x" clears the field."""
    if raw == "x":
        return True, None
    if step == "where":
        return raw in LOCATIONS, raw
    if step == "side":
        return raw in SIDES, raw
    if step == "dur":
        return raw in DURATIONS, raw
    if step == "ctx":
        return raw in CONTEXTS, raw
    if step == "help":
        return raw in REMEDIES, raw
    if step in ("sev", "rate") and raw.isdigit():
        value = int(raw)
        return (1 <= value <= 10) if step == "sev" else (0 <= value <= 3), value
    return False, None


async def set_value(update: Update, context: CrampContext, before: Episode, step: str,
                    value: object, mode: str) -> None:
    """Save one tapped detail at once, then show the next question (or the card)."""
    user_id = update.effective_user.id
    was_alarming = is_alarming(before.severity, before.duration)
    async with context.db.session() as session:
        if step == "help" and value is not None:
            episode = await episodes.toggle_helped(session, user_id, before.id, str(value))
        else:
            changes: dict[str, Any] = {STEP_FIELD[step]: value}
            if step == "where" and value is None:
                changes["side"] = None
            if step == "help":
                changes["helped_rating"] = None
            episode = await episodes.update_for_owner(session, user_id, before.id, **changes)
        await session.commit()
    if episode is None:  # deleted in the meantime
        await show(update, context, "That cramp isn't in your diary any more.",
                   keyboard([button("My diary", FEATURE, "list", 0)]))
        return
    if step == "help" and value is not None:
        if mode == "w":
            await send_step(update, context, episode, "help")
        else:
            await edit_step(update, context, episode, "help")
        return
    if mode == "w":
        await send_step(update, context, episode, next_step(episode, step))
        return
    became_alarming = is_alarming(episode.severity, episode.duration) and not was_alarming
    title = FIELD_TITLES[STEP_FIELD[step]].lower()
    await show_card(update, context, episode, note=f"Saved: {esc(title)}.",
                    alarm=became_alarming)


# ------------------------------------------------------------------------------ time and delete
async def ask_time(update: Update, context: CrampContext, episode: Episode) -> None:
    """Ask for the new time as text (e.g. 23:30, yesterday 23:30, 2h ago)."""
    async with context.db.session() as session:
        await users.set_fields(session, update.effective_user.id,
                               awaiting=f"{AWAIT_TIME}{episode.id}")
        await session.commit()
    tz, _chosen = user_zone(context)
    await show(
        update, context,
        f"When did this cramp start? Now: {when_text(episode.started_at, tz, context.now())}.\n"
        "Type a time, for example <code>03:10</code>, <code>yesterday 23:30</code> or "
        "<code>2h ago</code>.",
        keyboard([button("‹ Cancel", FEATURE, "open", episode.id)]),
    )


async def on_time_text(update: Update, context: CrampContext, episode_id: int, text: str) -> None:
    user_id = update.effective_user.id
    tz, _chosen = user_zone(context)
    now = context.now()
    parsed = parser.parse(text, now=now, tz=tz)
    if parsed.started_at is None:
        await send(update, context,
                   "I couldn't read a time in that. Try <code>03:10</code>, "
                   "<code>yesterday 23:30</code> or <code>2h ago</code> — or tap Cancel above.",
                   keyboard([button("‹ Cancel", FEATURE, "open", episode_id)]))
        return
    async with context.db.session() as session:
        episode = await episodes.update_for_owner(session, user_id, episode_id,
                                                  started_at=parsed.started_at, tz=tz,
                                                  **parsed.details)
        await users.set_fields(session, user_id, awaiting=None)
        await session.commit()
    if episode is None:
        await send(update, context, "That cramp isn't in your diary any more.",
                   keyboard([button("My diary", FEATURE, "list", 0)]))
        return
    note = f"Saved: time {when_text(episode.started_at, tz, now)}."
    if parsed.ignored:
        note += "\nIgnored: " + esc(", ".join(f"“{w[:40]}”" for w in parsed.ignored[:10]))
    await show_card(update, context, episode, note=note, new_message=True)


async def ask_delete(update: Update, context: CrampContext, episode: Episode, page: int) -> None:
    tz, _chosen = user_zone(context)
    await show(
        update, context,
        f"Delete the cramp at {when_text(episode.started_at, tz, context.now())}? "
        "This can't be undone.",
        keyboard([button("Yes, delete it", FEATURE, "delok", episode.id, page),
                  button("No, keep it", FEATURE, "open", episode.id, page)]),
    )


async def delete_episode(update: Update, context: CrampContext, episode_id: int, page: int) -> None:
    async with context.db.session() as session:
        deleted = await episodes.delete_for_owner(session, update.effective_user.id, episode_id)
        await session.commit()
    if not deleted:
        await refuse(update, context)
        return
    await show_diary(update, context, page, note="🗑 Deleted.")


# ------------------------------------------------------------------------------ routing
async def on_press(update: Update, context: CrampContext) -> None:
    """Route the diary's buttons; anything malformed or foreign gets a polite answer."""
    query = update.callback_query
    data = parse_callback(query, FEATURE)
    if data is None:
        await stale_button(update, context)
        return
    verb = data.verb
    try:
        if verb == "log":
            duration = data.args[0] if data.args and data.args[0] in DURATIONS else None
            source = "reminder" if len(data.args) > 1 and data.args[1] == "rem" else "button"
            await query.answer()
            await log_cramp(update, context, source=source, duration=duration)
            return
        if verb == "list":
            await query.answer()
            await show_diary(update, context, data.int_arg(0) if data.args else 0)
            return
        episode_id = data.int_arg(0)
    except callback_data.CallbackDataError:
        await stale_button(update, context)
        return
    value: object = None
    if verb == "set":
        valid = len(data.args) == 4 and data.args[1] in STEP_FIELD and data.args[3] in ("w", "e")
        if valid:
            valid, value = parse_value(data.args[1], data.args[2])
        if not valid:
            await stale_button(update, context)
            return
    episode = await _load(update, context, episode_id)
    if episode is None:
        await refuse(update, context)
        return
    await query.answer()
    page = int(data.args[1]) if len(data.args) > 1 and data.args[1].isdigit() else 0
    if verb == "set":
        await set_value(update, context, episode, data.args[1], value, data.args[3])
    elif verb == "open":
        await show_card(update, context, episode, page=page)
    elif verb == "step" and len(data.args) > 1 and data.args[1] in STEP_FIELD:
        await edit_step(update, context, episode, data.args[1])
    elif verb == "skip" and len(data.args) > 1 and data.args[1] in STEP_FIELD:
        await send_step(update, context, episode, next_step(episode, data.args[1]))
    elif verb == "done":
        await send_summary(update, context, episode)
    elif verb == "time":
        await ask_time(update, context, episode)
    elif verb == "del":
        await ask_delete(update, context, episode, page)
    elif verb == "delok":
        await delete_episode(update, context, episode.id, page)
    else:
        await show_card(update, context, episode)


async def on_text(update: Update, context: CrampContext, text: str) -> None:
    """A typed answer the diary waits for: a new time, or a log waiting for consent."""
    awaiting = (context.db_user.awaiting if context.db_user else None) or ""
    if awaiting.startswith(AWAIT_TIME) and awaiting[len(AWAIT_TIME):].isdigit():
        await on_time_text(update, context, int(awaiting[len(AWAIT_TIME):]), text)
        return
    pending = decode_pending(awaiting)
    declined = context.db_user is not None and context.db_user.consent == CONSENT_DECLINED
    fresh = pending is not None and context.now() - pending[0] <= PENDING_MAX_AGE
    if fresh and context.db_user is not None and context.db_user.has_consented:
        # Consent was given through another prompt: save the cramp the user asked to log.
        await resume_after_consent(update, context)
        from bot.handlers import fallback

        await fallback.on_text(update, context)
        return
    if fresh and not declined:
        from bot.handlers import privacy

        await privacy.ask_consent(
            update, context, RESUME,
            "Your cramp isn't saved yet: I need your OK to store health data first.",
        )
        return
    # Declined, expired or unknown: forget it and answer the text like any other.
    from bot.handlers import fallback

    async with context.db.session() as session:
        await users.set_fields(session, update.effective_user.id, awaiting=None)
        await session.commit()
    if context.db_user is not None:
        context.db_user.awaiting = None
    await fallback.on_text(update, context)


async def resume_after_consent(update: Update, context: CrampContext) -> None:
    """After Accept: save the cramp the user asked to log, with its original time."""
    awaiting = (context.db_user.awaiting if context.db_user else None) or ""
    pending = decode_pending(awaiting)
    if awaiting.startswith(AWAIT_PENDING):
        async with context.db.session() as session:
            await users.set_fields(session, update.effective_user.id, awaiting=None)
            await session.commit()
        if context.db_user is not None:
            context.db_user.awaiting = None
    if pending is None:
        await log_cramp(update, context, source="button", pending=True)
        return
    started_at, source, parsed = pending
    parsed.understood = [(name, "") for name in ("location", "side", "severity", "duration",
                                                 "context") if getattr(parsed, name)]
    if parsed.thigh and not parsed.location:
        parsed.understood.insert(0, ("location", ""))
    await log_cramp(update, context, source=source, parsed=parsed if parsed.understood else None,
                    started_at=started_at, pending=True)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(["cramp", "log"], log_command),
        CommandHandler("diary", diary_command),
        MessageHandler(menu_filter(MENU_LOG), log_menu),
        MessageHandler(menu_filter(MENU_DIARY), diary_command),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]


TEXT_INPUTS = {FEATURE: on_text}
AFTER_CONSENT = {RESUME: resume_after_consent}
