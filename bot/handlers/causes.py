"""The causes explorer (/causes, ``causes:start``): "What might be causing my cramps?".

Yes/No questions (CAUSE-Q and friends), then medicines and conditions picked from
multi-select lists ("None of these" first, ✅ toggles, Done), then a personal list of
possible contributing factors and what to do about each. Progress lives in
``causes_sessions`` (the step and the answers as JSON), so any instance can serve the next
press. The result is kept for the diary summary only when the user has accepted health-data
storage. The logic is pure (``bot.content.causes``); this module parses and renders.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callback_data
from bot.app import CrampContext
from bot.content import Causes, load_content
from bot.content.causes import (
    ALREADY,
    DONE,
    FINISH,
    INVALID,
    MEDICINES,
    Answers,
    CausesResult,
    Transition,
    build_result,
    decide,
    flow_steps,
    options_for,
    previous_step,
)
from bot.handlers.common import (
    button,
    esc,
    flow_press,
    keyboard,
    send,
    show,
    stale_button,
    with_disclaimer,
)
from bot.models.causes import CausesSession
from bot.storage import causes as store

FEATURE = "causes"
TITLE = "What might be causing my cramps?"
CHECKED = "✅ "

COMMANDS = [
    ("causes", "What might be causing my cramps?"),
]


def causes_content() -> Causes:
    return load_content().causes


def _start_again() -> InlineKeyboardButton:
    return button("Start again", FEATURE, "start")


# ------------------------------------------------------------------ rendering


def _header(causes: Causes, step: str) -> str:
    steps = flow_steps(causes)
    return f"<b>{TITLE}</b> · {steps.index(step) + 1} of {len(steps)}"


def _back_row(causes: Causes, sid: int, step: str) -> list[InlineKeyboardButton]:
    return [button("‹ Back", FEATURE, "back", sid, step)] if previous_step(causes, step) else []


def render_step(causes: Causes, sid: int, step: str, answers: Answers,
                note: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """A yes/no question or a multi-select list, with its buttons."""
    lines = [_header(causes, step)]
    if note:
        lines.append(f"<i>{esc(note)}</i>")
    if step == flow_steps(causes)[0]:
        lines.append(esc(causes.intro.text))
    question = causes.question(step)
    if question is not None:
        lines += ["", esc(question.text)]
        markup = keyboard(
            [button("Yes", FEATURE, "a", sid, step, "y"), button("No", FEATURE, "a", sid, step, "n")],
            _back_row(causes, sid, step),
        )
        return with_disclaimer("\n".join(lines)), markup
    prompt = causes.medicine_prompt if step == MEDICINES else causes.condition_prompt
    chosen = answers.selected(step)
    lines += ["", esc(prompt.text)]
    if chosen:
        lines.append(f"<i>Ticked: {len(chosen)}</i>")
    rows = [[button("None of these", FEATURE, "none", sid, step)]]
    rows += [[button((CHECKED if option.key in chosen else "") + option.label,
                     FEATURE, "t", sid, step, option.key)]
             for option in options_for(causes, step)]
    rows.append([*_back_row(causes, sid, step), button("Done ›", FEATURE, "done", sid, step)])
    return with_disclaimer("\n".join(lines)), keyboard(*rows)


def render_result(result: CausesResult, *, saved: bool) -> str:
    """The personal list of possible contributing factors and what to do about each."""
    lines = [f"<b>{TITLE}</b>", ""]
    if result.is_empty and result.nothing is not None:
        lines.append(esc(result.nothing.text))
    else:
        lines.append("From your answers, these may play a part:")
    for number, factor in enumerate(result.factors, start=1):
        lines += ["", f"<b>{number}. {esc(factor.name)}</b>", esc(factor.why),
                  f"<b>What you can do:</b> {esc(factor.advice)}"]
    if result.medicines and result.medicine_advice is not None:
        names = ", ".join(esc(m.label) for m in result.medicines)
        lines += ["", f"<b>Medicines:</b> {names}", esc(result.medicine_advice.why),
                  f"<b>{esc(result.medicine_advice.advice)}</b>"]
    if result.conditions and result.condition_advice is not None:
        names = ", ".join(esc(c.label) for c in result.conditions)
        lines += ["", f"<b>Health conditions:</b> {names}", esc(result.condition_advice.why),
                  f"<b>What you can do:</b> {esc(result.condition_advice.advice)}"]
    lines += ["", esc(result.safety.text)]
    if saved:
        lines.append("<i>I've kept this result for your diary summary (see /privacy).</i>")
    else:
        lines.append("<i>Not saved: you chose not to let me store health data.</i>")
    return with_disclaimer("\n".join(lines))


def result_markup() -> InlineKeyboardMarkup:
    """Where to go from the result: a symptom check first."""
    return keyboard(
        [button("Check my symptoms", "triage", "begin")],
        [button("Stretches", "guide", "menu"), button("Bedtime advice", "guide", "page", "bed")],
        [button("Start over", FEATURE, "start")],
    )


# ------------------------------------------------------------------ handlers


async def start(update: Update, context: CrampContext) -> None:
    """Start a new run at the first question."""
    query = update.callback_query
    if query is not None:
        await query.answer()
    causes = causes_content()
    first = flow_steps(causes)[0]
    consented = context.db_user is not None and context.db_user.has_consented
    async with context.db.session() as session:
        row = await store.start(session, update.effective_user.id, first, context.now(),
                                keep_history=consented)
        await session.commit()
        sid = int(row.id)
    await send(update, context, *render_step(causes, sid, first, Answers()))


MAX_ATTEMPTS = 3


async def _commit(context: CrampContext, row: CausesSession, move: Transition,
                  result: CausesResult | None, keep: bool) -> bool:
    """Write the transition (compare-and-set); False if another press changed the run first."""
    async with context.db.session() as session:
        answers = move.answers.to_json() if move.answers is not None else {}
        if move.kind == FINISH and result is not None:
            written = await store.finish(session, row, step=DONE, answers=answers,
                                         factors=result.factor_names(),
                                         medicines=result.medicine_names(),
                                         now=context.now(), keep=keep)
        else:
            written = await store.save_progress(session, row, str(move.step), answers,
                                                context.now())
        await session.commit()
    return written


async def on_press(update: Update, context: CrampContext) -> None:
    """Route causes buttons: answers, toggles, None of these, Done, Back."""
    query = update.callback_query
    pressed = await flow_press(update, context, FEATURE, start, _start_again())
    if pressed is None:
        return
    data, sid = pressed
    causes = causes_content()
    keep = context.db_user is not None and context.db_user.has_consented
    for _attempt in range(MAX_ATTEMPTS):
        async with context.db.session() as session:
            row = await store.get_owned(session, update.effective_user.id, sid)
        if row is None or row.is_finished:
            await stale_button(update, context, note="These questions have ended.",
                               restart=_start_again())
            return
        answers = Answers.from_json(row.answers)
        move = decide(causes, row.step, answers, data.verb, data.args[1:])
        if move.kind == INVALID:
            await stale_button(update, context, restart=_start_again())
            return
        if move.kind == ALREADY:
            # An earlier step's button (double tap, older message): show where we are.
            await query.answer("Already answered")
            await show(update, context, *render_step(causes, sid, row.step, answers))
            return
        result = build_result(causes, move.answers) if move.kind == FINISH else None
        if await _commit(context, row, move, result, keep):
            await query.answer()
            if result is not None:
                await show(update, context, render_result(result, saved=keep), result_markup())
            else:
                await show(update, context, *render_step(causes, sid, str(move.step), move.answers))
            return
        # Another press changed the run meanwhile: read it again and re-apply this one.
    await query.answer("Please tap again")


def handlers() -> list[BaseHandler]:
    load_content()  # a broken content file fails here, at start-up
    return [
        CommandHandler("causes", start),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]

