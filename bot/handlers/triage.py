"""Check my symptoms (triage): /check and the menu button run the question graph.

A thin adapter: decode the press, load the session from the database, let the pure engine
(``bot.triage``) take the step, store it with a compare-and-set on the step (a double press
or a second instance cannot advance it twice), then show the next question or the outcome,
edited in place. Progress lives only in the database, so a restart changes nothing.
Works for everyone, before /start or consent; results are kept for the diary only when the
user has accepted data storage (otherwise the session is deleted once the outcome is shown).

Callback data: ``triage:begin`` (a new check, as a new message), ``triage:a:<sid>:<step>:<code>``
(an answer: y, n or a choice index), ``triage:back:<sid>:<step>``, ``triage:over:<sid>:<step>``
(start over in place) and ``triage:why:<sid>:<path>`` (the answers, one code each).
"""

from __future__ import annotations

import logging
from functools import cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler

from bot import callback_data
from bot.app import CrampContext
from bot.callback_data import CallbackData, CallbackDataError
from bot.emergency import load_emergency_table
from bot.handlers.common import (
    MENU_CHECK,
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
from bot.models.triage import TriageSession
from bot.storage import triage as store
from bot.storage import users
from bot.triage import Engine, EngineError, Level, Progress, shipped_graph

log = logging.getLogger(__name__)

FEATURE = "triage"
COMMANDS = [("check", "Check my symptoms: how urgent is it?")]

STALE = "This symptom check is no longer active."
FOREIGN = "This symptom check belongs to someone else."
FINISHED = "This symptom check has finished."
OUTDATED = "This symptom check was started with an older set of questions."
ALREADY = "Already answered."
FIRST = "This is the first question."
YES_WORDS = {"yes", "y", "yeah", "yep", "yes please"}
NO_WORDS = {"no", "n", "nope", "nah", "no thanks"}


@cache
def engine() -> Engine:
    """The engine over the shipped graph (loaded and validated once)."""
    return Engine(shipped_graph())


def _start_again() -> InlineKeyboardButton:
    return button("Start again", FEATURE, "begin")


def _user_id(update: Update) -> int:
    return update.effective_user.id  # type: ignore[union-attr]


def _number(context: CrampContext) -> str:
    user = context.db_user
    return load_emergency_table().number_for(user.country if user else None)


# ------------------------------------------------------------------------------ screens

def question_screen(eng: Engine, sid: int, progress: Progress, number: str
                    ) -> tuple[str, InlineKeyboardMarkup]:
    """One question: its signs, Yes/No (or the choices) and Back / Start over."""
    question = eng.question(progress)
    number_of = progress.step + eng.graph.longest_path(progress.node)
    lines = [f"Symptom check: question {progress.step + 1} of {number_of}", ""]
    if progress.step == 0:
        lines += [
            "I'll ask a few quick questions about how you feel now. "
            f"If you feel very unwell, don't wait for the questions: call <b>{number}</b>.",
            "",
        ]
    lines.append(f"<b>{esc(question.ask)}</b>")
    lines += [f"• {esc(sign)}" for sign in question.signs]
    if question.signs and not question.is_choice:
        lines += ["", "Tap <b>Yes</b> if you have any of them."]
    step = progress.step
    answers = [button(o.label, FEATURE, "a", sid, step, Engine.code_for(question, o.value))
               for o in question.options]
    rows = [answers] if not question.is_choice else [[b] for b in answers]
    rows.append([button("Back", FEATURE, "back", sid, step),
                 button("Start over", FEATURE, "over", sid, step)])
    return with_disclaimer("\n".join(lines)), keyboard(*rows)


def outcome_screen(eng: Engine, sid: int, progress: Progress, country: str | None
                   ) -> tuple[str, InlineKeyboardMarkup]:
    """The outcome: the level first (with the emergency number), what to do, safety-netting."""
    outcome = eng.outcome(progress)
    table = load_emergency_table()
    number = table.number_for(country)

    def fill(text: str) -> str:
        return esc(text).replace("{number}", f"<b>{number}</b>")

    emergency = outcome.level is Level.EMERGENCY
    if emergency:
        name = table.name_for(country)
        lines = [
            f"<b>{esc(outcome.headline)}: call {number}</b>",
            f"{number} is the emergency number in your country ({esc(name)})." if name else
            f"{number} works in the EU and most of the world. Tap Change country to set yours.",
        ]
    else:
        lines = [f"<b>{esc(outcome.headline)}</b>"]
    lines += ["", "<b>What to do</b>", *[f"• {fill(item.text)}" for item in outcome.todo]]
    lines += ["", f"<b>{fill(outcome.safety_title)}:</b>",
              *[f"• {fill(item.text)}" for item in outcome.safety]]
    lines += ["", "Tap <b>Why?</b> to see which answers led here."]
    if not emergency:
        lines.append("If anything changes, run /check again.")
    why = button("Why?", FEATURE, "why", sid, eng.path_code(progress) or "-")
    start_over = button("Start over", FEATURE, "begin")
    if emergency:
        rows = [[button("Change country", "set", "country")], [why], [start_over]]
    else:
        rows = [[why], [button("What might be causing my cramps?", "causes", "start")]]
        if outcome.level is Level.SELF_CARE:
            rows.append([button("Calf stretch, step by step", "guide", "show", "calf")])
        rows.append([start_over])
    return with_disclaimer("\n".join(lines)), keyboard(*rows)


def why_screen(eng: Engine, progress: Progress, number: str) -> str:
    """The answers that set the level, and the level they set."""
    outcome = eng.outcome(progress)
    if outcome.level is Level.EMERGENCY:
        lines = [f"<b>Call {number} now if you have not already.</b>", ""]
    else:
        lines = ["<b>Why I suggested this</b>", ""]
    deciding = eng.why(progress)
    if all(step.level is None for step in deciding):
        lines.append(f"You answered <b>No</b> to all {len(deciding)} questions about warning signs:")
    else:
        lines.append("This answer set how urgent it is:" if len(deciding) == 1
                     else "These answers set how urgent it is:")
    for step in deciding:
        question = eng.graph.questions[step.question]
        option = question.option(step.value)
        label = option.label if option else step.value
        lines.append(f"• <b>{esc(label)}</b> — {esc(question.short)}")
    lines += ["", f"So my suggestion is: <b>{esc(outcome.headline)}</b>."]
    return with_disclaimer("\n".join(lines))


# ------------------------------------------------------------------------------ use cases

async def begin(update: Update, context: CrampContext, *, edit: bool = False) -> None:
    """Open a new session and show the first question (as a new message unless ``edit``)."""
    eng = engine()
    progress = eng.start()
    user_id = _user_id(update)
    async with context.db.session() as session:
        row = await store.start(session, user_id, node=progress.node,
                                graph_version=eng.graph.version, now=context.now())
        sid = row.id
        assert sid is not None
        await users.set_fields(session, user_id, awaiting=f"{FEATURE}:{sid}")
        await session.commit()
    if context.db_user is not None:
        context.db_user.awaiting = f"{FEATURE}:{sid}"
    text, markup = question_screen(eng, sid, progress, _number(context))
    if edit:
        await show(update, context, text, markup)
    else:
        await send(update, context, text, markup)


async def check(update: Update, context: CrampContext) -> None:
    """Start a symptom check (/check or the menu button)."""
    await begin(update, context)


def _restore(eng: Engine, row: TriageSession) -> Progress | None:
    """Rebuild the engine's progress from the stored answers; None if the graph changed."""
    try:
        progress = eng.replay(str(a.get("answer", "")) for a in row.answers)
    except (EngineError, AttributeError):
        return None
    if progress.node != row.node or row.graph_version != eng.graph.version:
        return None
    return progress


async def _refuse(update: Update, context: CrampContext, note: str) -> None:
    await stale_button(update, context, restart=_start_again(), note=note)


async def take_step(update: Update, context: CrampContext, sid: int, step: int, action: str,
                    code: str = "") -> None:
    """Answer, go back or start over on session ``sid`` as seen at ``step``, then show it."""
    eng = engine()
    query = update.callback_query
    user = context.db_user
    async with context.db.session() as session:
        row = await store.get(session, sid)
    if row is None:
        await _refuse(update, context, STALE)
        return
    if row.user_id != _user_id(update):
        await _refuse(update, context, FOREIGN)
        return
    progress = _restore(eng, row)
    if progress is None:
        await _refuse(update, context, OUTDATED)
        return
    if row.finished:
        repeat = action == "a" and step == row.step - 1 and eng.path_code(progress)[-1:] == code
        if repeat and query is not None:
            await query.answer(ALREADY)  # a double press of the final answer
        else:
            await _refuse(update, context, FINISHED)
        return
    if step != row.step:  # pressed twice, or on an older copy: show where we are
        await _answer(update, ALREADY)
        text, markup = question_screen(eng, sid, progress, _number(context))
        await show(update, context, text, markup)
        return
    if action == "over":
        await _answer(update)
        await begin(update, context, edit=True)
        return
    if action == "back" and progress.step == 0:
        await _answer(update, FIRST)
        return
    try:
        if action == "back":
            moved = eng.back(progress)
        else:
            moved = eng.answer(progress, Engine.value_for(eng.question(progress), code))
    except EngineError:
        await _refuse(update, context, STALE)
        return
    finished = eng.finished(moved)
    async with context.db.session() as session:
        if finished:
            # Health data is kept only with consent; the session itself was flow progress.
            keep = user is not None and user.has_consented
            applied = await store.finish(
                session, sid, expected_step=step, node=moved.node, answers=eng.records(moved),
                red_flags=eng.red_flags(moved), level=eng.outcome(moved).level.name,
                now=context.now(), keep=keep,
            )
            if applied and user is not None and user.awaiting == f"{FEATURE}:{sid}":
                await users.set_fields(session, user.id, awaiting=None)
                user.awaiting = None
        else:
            applied = await store.advance(session, sid, expected_step=step, node=moved.node,
                                          answers=eng.records(moved), now=context.now())
        await session.commit()
    if not applied:  # another press (or instance) got there first: never advance twice
        await _answer(update, ALREADY)
        return
    await _answer(update)
    if finished:
        text, markup = outcome_screen(eng, sid, moved, user.country if user else None)
    else:
        text, markup = question_screen(eng, sid, moved, _number(context))
    await show(update, context, text, markup)


async def _answer(update: Update, note: str | None = None) -> None:
    """Answer the button press, if this update is one."""
    if update.callback_query is not None:
        await update.callback_query.answer(note)


async def why(update: Update, context: CrampContext, data: CallbackData) -> None:
    """Explain which answers set the level, as a new message under the outcome."""
    eng = engine()
    try:
        sid = data.int_arg(0)
        path = data.arg(1)
        progress = eng.from_path_code("" if path == "-" else path)
    except (CallbackDataError, EngineError):
        await _refuse(update, context, STALE)
        return
    if not eng.finished(progress):
        await _refuse(update, context, STALE)
        return
    async with context.db.session() as session:
        row = await store.get(session, sid)
    # Results of users who declined storage are deleted: the button itself carries the path.
    if row is not None:
        if row.user_id != _user_id(update):
            await _refuse(update, context, FOREIGN)
            return
        stored = _restore(eng, row)
        if not row.finished or stored is None or stored.steps != progress.steps:
            await _refuse(update, context, STALE)
            return
    await update.callback_query.answer()  # type: ignore[union-attr]
    await send(update, context, why_screen(eng, progress, _number(context)))


async def on_press(update: Update, context: CrampContext) -> None:
    """Route a triage button: begin, answer, back, start over or why."""
    query = update.callback_query
    data = parse_callback(query, FEATURE)
    if data is None:
        await _refuse(update, context, STALE)
        return
    if data.verb == "begin":
        await query.answer()
        await begin(update, context)
        return
    if data.verb == "why":
        await why(update, context, data)
        return
    try:
        sid, step = data.int_arg(0), data.int_arg(1)
        code = data.arg(2) if data.verb == "a" else ""
    except CallbackDataError:
        sid, step, code = -1, -1, ""
    if data.verb not in ("a", "back", "over") or sid < 0:
        await _refuse(update, context, STALE)
        return
    await take_step(update, context, sid, step, data.verb, code)


async def on_text(update: Update, context: CrampContext, text: str) -> None:
    """Take a typed "yes" or "no" as the answer to the current question."""
    user = context.db_user
    awaiting = (user.awaiting if user else None) or ""
    sid_text = awaiting.partition(":")[2]
    word = text.strip().lower().rstrip(".!")
    eng = engine()
    async with context.db.session() as session:
        row = await store.get(session, int(sid_text)) if sid_text.isdigit() else None
        if row is None or row.finished or row.user_id != _user_id(update):
            await users.set_fields(session, _user_id(update), awaiting=None)
            await session.commit()
            row = None
    progress = _restore(eng, row) if row is not None else None
    if row is None or progress is None or eng.finished(progress):
        await send(update, context, "I didn't quite catch that. Type /check to check your "
                   "symptoms, or choose an option from the menu.")
        return
    question = eng.question(progress)
    if not question.is_choice and (word in YES_WORDS or word in NO_WORDS):
        await take_step(update, context, int(sid_text), row.step, "a",
                        "y" if word in YES_WORDS else "n")
        return
    hint = "Yes or No" if not question.is_choice else "one of the answers"
    await send(update, context, f"Please tap {hint} under the question. Here it is again:")
    text_, markup = question_screen(eng, int(sid_text), progress, _number(context))
    await send(update, context, text_, markup)


def handlers() -> list[BaseHandler]:
    engine()  # load and validate the graph now: a broken graph stops start-up
    return [
        CommandHandler("check", check),
        MessageHandler(menu_filter(MENU_CHECK), check),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]


TEXT_INPUTS = {FEATURE: on_text}
