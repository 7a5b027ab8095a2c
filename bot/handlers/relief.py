""""Cramping now" (/now, the menu button, ``now:start``): a guided relief card, step by step.

Progress (step, hold sequence, when "Still cramping?" was asked, the outcome) lives in
``relief_sessions``, so any instance can serve the next press. Two JobQueue jobs add
timing on the instance that served the press:

- the hold timer: a ``run_repeating`` job edits the step message every tick until the hold
  ends (never a sleep inside a handler);
- "Still cramping?": a ``run_once`` job 10 minutes after the start asks the question.

Both are transient: a restart drops an in-flight countdown and the pending question job,
never the flow. As a safety net, the first press after 10 minutes asks "Still cramping?"
if no job did (``claim_still_question`` makes sure it is asked once). Yes leads to the
RF-E4 emergency advice with the number for the user's country first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    Job,
    JobQueue,
    MessageHandler,
)

from bot import callback_data
from bot.app import CrampContext
from bot.content import Relief, load_content
from bot.content.relief import STILL_AFTER, duration_code, still_question_due
from bot.emergency import load_emergency_table
from bot.handlers.common import (
    MENU_NOW,
    button,
    esc,
    fit,
    flow_press,
    keyboard,
    menu_filter,
    send,
    show,
    stale_button,
    with_disclaimer,
)
from bot.models.relief import OUTCOME_EASED, OUTCOME_EMERGENCY, ReliefSession
from bot.models.user import User
from bot.storage import relief as store

log = logging.getLogger(__name__)

FEATURE = "now"
TITLE = "Cramping now"
TIMING_KEY = "relief_timing"

COMMANDS = [
    ("now", "Cramping now: relief step by step"),
]


@dataclass(frozen=True)
class ReliefTiming:
    """How long the hold lasts, how often its message is edited, when to ask again.

    Put another instance in ``services.extras["relief_timing"]`` to change it (tests use
    fractions of a second).
    """

    hold_seconds: float = 30
    tick_seconds: float = 10
    still_after: timedelta = STILL_AFTER


def timing(context: CrampContext) -> ReliefTiming:
    value = context.services.extras.get(TIMING_KEY)
    return value if isinstance(value, ReliefTiming) else ReliefTiming()


def relief_content() -> Relief:
    return load_content().relief


def _start_again() -> InlineKeyboardButton:
    return button("Start again", FEATURE, "start")


def _keep(user: User | None) -> bool:
    """Keep finished flows only when the user has accepted health-data storage."""
    return user is not None and user.has_consented


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ------------------------------------------------------------------ rendering


def _header(relief: Relief, step: int) -> str:
    return f"<b>{TITLE}</b> · step {step + 1} of {len(relief.steps)}"


def _step_buttons(relief: Relief, sid: int, step: int, hold: ReliefTiming,
                  *, hold_label: str | None = None) -> InlineKeyboardMarkup:
    current = relief.steps[step]
    last = step == len(relief.steps) - 1
    rows: list[list[InlineKeyboardButton]] = []
    if current.timer and hold_label is not None:
        rows.append([button(hold_label.format(seconds=_seconds(hold.hold_seconds)),
                            FEATURE, "hold", sid, step)])
    nav = [button("‹ Back", FEATURE, "go", sid, step - 1)] if step > 0 else []
    if not last:
        nav.append(button("Next step ›", FEATURE, "go", sid, step + 1))
    rows.append(nav)
    if last:
        rows.append([button("✅ It's eased", FEATURE, "eased", sid),
                     button("Still cramping", FEATURE, "again", sid)])
    else:
        rows.append([button("✅ It's eased", FEATURE, "eased", sid)])
    rows.append([button("🚨 The pain is unbearable", FEATURE, "sos", sid)])
    return keyboard(*rows)


def render_step(relief: Relief, sid: int, step: int, hold: ReliefTiming,
                note: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """One relief step with its buttons; the first step carries the intro."""
    current = relief.steps[step]
    lines = [_header(relief, step)]
    if note:
        lines.append(esc(note))
    elif step == 0:
        lines.append(esc(relief.intro.text))
    lines += ["", f"<b>{esc(current.title)}</b>", esc(current.text)]
    return (with_disclaimer("\n".join(lines)),
            _step_buttons(relief, sid, step, hold, hold_label="Start {seconds}-second hold"))


def render_hold(relief: Relief, sid: int, step: int, hold: ReliefTiming,
                remaining: float) -> tuple[str, InlineKeyboardMarkup]:
    """The step message while the hold runs (``remaining`` > 0) or once it has ended."""
    lines = [_header(relief, step), ""]
    if remaining > 0:
        lines += [f"⏱ <b>Hold the stretch: {_seconds(remaining)} seconds left</b>",
                  esc(relief.hold_running.text)]
        markup = _step_buttons(relief, sid, step, hold)
    else:
        lines += ["✅ <b>Hold complete.</b>", esc(relief.hold_done.text)]
        markup = _step_buttons(relief, sid, step, hold, hold_label="Hold again ({seconds} s)")
    return with_disclaimer("\n".join(lines)), markup


def render_still(relief: Relief, sid: int) -> tuple[str, InlineKeyboardMarkup]:
    """The 10-minute question. Yes means the cramp is still there."""
    text = f"<b>Still cramping?</b>\n{esc(relief.still.text)}"
    return with_disclaimer(text), keyboard(
        [button("Yes", FEATURE, "still", sid, "yes"), button("No", FEATURE, "still", sid, "no")]
    )


def render_emergency(relief: Relief, sid: int, country: str | None) -> tuple[str, InlineKeyboardMarkup]:
    """RF-E4: the emergency number for the user's country first, then what to do."""
    table = load_emergency_table()
    number = table.number_for(country)
    name = table.name_for(country)
    lines = [f"🚨 <b>Call {esc(number)} now</b> (emergency number)", esc(relief.emergency.text)]
    if name:
        lines.append(f"This is the number for {esc(name)}. Somewhere else? Tap Change country.")
    else:
        lines.append(f"{esc(number)} works in the EU and most of the world. "
                     "Tap Change country to set yours.")
    markup = keyboard([button("Change country", "set", "country")],
                      [button("It has eased now", FEATURE, "eased", sid)])
    return with_disclaimer("\n".join(lines)), markup


def render_eased(relief: Relief, code: str | None, saved: bool) -> tuple[str, InlineKeyboardMarkup]:
    """The end of the flow: aftercare, prevention, and the offer to log the cramp."""
    lines = ["<b>Good, I'm glad it has eased.</b>", "", esc(relief.eased.text), "",
             esc(relief.eased_prevent.text), "", "Would you like to log this cramp in your diary?"]
    if not saved:
        lines.append("<i>You chose not to let me store health data, so this flow was not kept.</i>")
    log_button = (button("Log this cramp", "diary", "log", code) if code
                  else button("Log this cramp", "diary", "log"))
    markup = keyboard(
        [log_button],
        [button("Stretches", "guide", "menu"),
         button("What might cause them?", "causes", "start")],
    )
    return with_disclaimer("\n".join(lines)), markup


# ------------------------------------------------------------------ jobs


def _job_queue(context: CrampContext) -> JobQueue | None:
    """This instance's JobQueue (None if python-telegram-bot was installed without it)."""
    return context.application.job_queue


def _stop(job: Job) -> None:
    """Remove a job once (a second removal would raise)."""
    if not job.removed:
        job.schedule_removal()


def _cancel_jobs(context: CrampContext, name: str) -> None:
    queue = _job_queue(context)
    if queue is None:
        return
    for job in queue.get_jobs_by_name(name):
        _stop(job)


def hold_job_name(sid: int) -> str:
    return f"now-hold:{sid}"


def still_job_name(sid: int) -> str:
    return f"now-still:{sid}"


async def _edit(context: CrampContext, chat_id: int, message_id: int, text: str,
                markup: InlineKeyboardMarkup) -> bool:
    """Edit a message from a job; False if it is gone (deleted, blocked)."""
    try:
        await context.bot.edit_message_text(fit(text), chat_id=chat_id, message_id=message_id,
                                            parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as err:
        if "not modified" in str(err).lower():
            return True
        log.info("hold timer: could not edit the message (%s)", type(err).__name__)
        return False
    except Forbidden:
        return False
    return True


async def hold_tick(context: CrampContext) -> None:
    """A hold-timer tick: update the countdown, or show "Hold complete" at the end."""
    job = context.job
    data = job.data
    hold = timing(context)
    data["remaining"] = round(data["remaining"] - hold.tick_seconds, 3)
    async with context.db.session() as session:
        current = await store.hold_is_current(session, data["sid"], data["seq"], data["step"])
    if not current:  # the user moved on, finished, or started another hold
        _stop(job)
        return
    remaining = max(data["remaining"], 0)
    if remaining <= 0:
        _stop(job)  # the last tick: nothing runs after this edit
    text, markup = render_hold(relief_content(), data["sid"], data["step"], hold, remaining)
    if not await _edit(context, data["chat_id"], data["message_id"], text, markup):
        _stop(job)


async def ask_still_cramping(context: CrampContext) -> None:
    """The 10-minute job: ask "Still cramping?" unless the flow ended or it was asked."""
    data = context.job.data
    async with context.db.session() as session:
        claimed = await store.claim_still_question(session, data["sid"], context.now())
        await session.commit()
    if not claimed:
        return
    text, markup = render_still(relief_content(), data["sid"])
    try:
        await context.bot.send_message(data["chat_id"], fit(text), parse_mode=ParseMode.HTML,
                                       reply_markup=markup)
    except (BadRequest, Forbidden) as err:
        log.info("still-cramping question not delivered (%s)", type(err).__name__)


def schedule_still_question(context: CrampContext, sid: int, chat_id: int) -> None:
    queue = _job_queue(context)
    if queue is None:
        return
    queue.run_once(ask_still_cramping, when=timing(context).still_after,
                   data={"sid": sid, "chat_id": chat_id}, name=still_job_name(sid),
                   chat_id=chat_id)


def schedule_hold(context: CrampContext, *, sid: int, seq: int, step: int, chat_id: int,
                  message_id: int) -> None:
    queue = _job_queue(context)
    if queue is None:
        return
    _cancel_jobs(context, hold_job_name(sid))
    hold = timing(context)
    queue.run_repeating(
        hold_tick, interval=hold.tick_seconds, first=hold.tick_seconds,
        data={"sid": sid, "seq": seq, "step": step, "chat_id": chat_id,
              "message_id": message_id, "remaining": hold.hold_seconds},
        name=hold_job_name(sid), chat_id=chat_id,
    )


# ------------------------------------------------------------------ handlers


async def start(update: Update, context: CrampContext) -> None:
    """Start a new relief flow at the first step and schedule "Still cramping?"."""
    query = update.callback_query
    if query is not None:
        await query.answer()
    user_id = update.effective_user.id
    async with context.db.session() as session:
        row = await store.start(session, user_id, context.now())
        await session.commit()
        sid = int(row.id)
    schedule_still_question(context, sid, update.effective_chat.id)
    text, markup = render_step(relief_content(), sid, 0, timing(context))
    await send(update, context, text, markup)


async def _finish_eased(update: Update, context: CrampContext, row: ReliefSession) -> None:
    now = context.now()
    if row.still_asked_at is not None and row.outcome == OUTCOME_EMERGENCY:
        code: str | None = "gt10"  # "Still cramping?" was answered Yes
    elif row.still_asked_at is not None:
        code = None  # it eased some time before the question: the diary asks how long
    else:
        code = duration_code(now - row.started_at)
    keep = _keep(context.db_user)
    sid = int(row.id)
    async with context.db.session() as session:
        fresh = await store.get(session, sid)
        if fresh is not None:
            await store.finish(session, fresh, OUTCOME_EASED, now, keep=keep)
        await session.commit()
    _cancel_jobs(context, hold_job_name(sid))
    _cancel_jobs(context, still_job_name(sid))
    await show(update, context, *render_eased(relief_content(), code, keep))


async def _emergency(update: Update, context: CrampContext, row: ReliefSession) -> None:
    async with context.db.session() as session:
        fresh = await store.get(session, int(row.id))
        if fresh is not None:
            await store.mark_outcome(session, fresh, OUTCOME_EMERGENCY, context.now())
        await session.commit()
    _cancel_jobs(context, hold_job_name(int(row.id)))
    _cancel_jobs(context, still_job_name(int(row.id)))
    country = context.db_user.country if context.db_user is not None else None
    await show(update, context, *render_emergency(relief_content(), int(row.id), country))


def _step_arg(data: callback_data.CallbackData, index: int, relief: Relief) -> int | None:
    try:
        step = data.int_arg(index)
    except callback_data.CallbackDataError:
        return None
    return step if 0 <= step < len(relief.steps) else None


async def on_press(update: Update, context: CrampContext) -> None:
    """Route relief buttons: steps, the hold, "It's eased", "Still cramping?", emergencies."""
    query = update.callback_query
    pressed = await flow_press(update, context, FEATURE, start, _start_again())
    if pressed is None:
        return
    data, sid = pressed
    relief = relief_content()
    now = context.now()
    async with context.db.session() as session:
        row = await store.get_owned(session, update.effective_user.id, sid)
        if row is None or row.is_finished:
            row = None
        elif (data.verb in ("go", "hold", "again")
              and still_question_due(row.started_at, now, row.still_asked_at,
                                     timing(context).still_after)
              and await store.claim_still_question(session, sid, now)):
            # No job asked yet (e.g. after a restart): ask it now, once.
            await session.commit()
            await query.answer()
            await show(update, context, *render_still(relief, sid))
            return
    if row is None:
        await stale_button(update, context, note="This cramp guide has ended.",
                           restart=_start_again())
        return

    verb = data.verb
    if verb == "go":
        step = _step_arg(data, 1, relief)
        if step is None:
            await stale_button(update, context, restart=_start_again())
            return
        await query.answer()
        async with context.db.session() as session:
            fresh = await store.get(session, sid)
            await store.set_step(session, fresh, step, now)
            await session.commit()
        await show(update, context, *render_step(relief, sid, step, timing(context)))
    elif verb == "hold":
        step = _step_arg(data, 1, relief)
        if step is None or not relief.steps[step].timer:
            await stale_button(update, context, restart=_start_again())
            return
        await query.answer("Hold started")
        async with context.db.session() as session:
            seq = await store.start_hold(session, sid, step, now)
            await session.commit()
        hold = timing(context)
        message = await show(update, context, *render_hold(relief, sid, step, hold, hold.hold_seconds))
        message_id = message.message_id if hasattr(message, "message_id") else query.message.message_id
        schedule_hold(context, sid=sid, seq=seq, step=step, chat_id=update.effective_chat.id,
                      message_id=message_id)
    elif verb == "again":
        await query.answer()
        async with context.db.session() as session:
            fresh = await store.get(session, sid)
            await store.set_step(session, fresh, 0, now)
            await session.commit()
        await show(update, context,
                   *render_step(relief, sid, 0, timing(context), note=relief.not_eased.text))
    elif verb == "eased":
        await query.answer()
        await _finish_eased(update, context, row)
    elif verb == "sos":
        await query.answer()
        await _emergency(update, context, row)
    elif verb == "still" and len(data.args) > 1 and data.args[1] in ("yes", "no"):
        await query.answer()
        if data.args[1] == "yes":
            await _emergency(update, context, row)
        else:
            await _finish_eased(update, context, row)
    else:
        await stale_button(update, context, restart=_start_again())


def handlers() -> list[BaseHandler]:
    load_content()  # a broken content file fails here, at start-up
    return [
        CommandHandler("now", start),
        MessageHandler(menu_filter(MENU_NOW), start),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]
