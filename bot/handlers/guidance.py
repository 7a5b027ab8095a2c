"""Guidance library (/stretch, the Stretches button): stretches step by step and advice pages.

Stateless: the stretch and step travel in the callback data (``guide:step:calf:2``), so any
instance can serve any press. All medical text comes from ``bot/content/content.toml``.
``guide:show:calf|ham|quad`` opens a stretch directly (reminders use it).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler

from bot import callback_data
from bot.app import CrampContext
from bot.content import Content, Page, Stretch, load_content
from bot.handlers.common import (
    MENU_STRETCHES,
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

FEATURE = "guide"

COMMANDS = [
    ("stretch", "Stretches, relief, prevention and bedtime advice"),
]

MENU_TITLE = "Stretches and advice"

# Pages in menu order, after the stretches.
PAGE_ORDER = ("relief", "prevent", "bed", "about", "evidence")


def content() -> Content:
    return load_content()


def menu_button(label: str = "‹ All topics") -> InlineKeyboardButton:
    return button(label, FEATURE, "menu")


def render_menu(data: Content) -> tuple[str, InlineKeyboardMarkup]:
    """The topic list."""
    rows = [[button(s.title, FEATURE, "open", s.key)] for s in data.stretches.values()]
    rows += [[button(data.pages[key].title, FEATURE, "page", key)]
             for key in PAGE_ORDER if key in data.pages]
    text = (f"<b>{MENU_TITLE}</b>\n"
            "Stretches step by step, help during a cramp, and ways to prevent the next one. "
            "Choose a topic:")
    return with_disclaimer(text), keyboard(*rows)


def render_stretch(data: Content, stretch: Stretch, step: int) -> tuple[str, InlineKeyboardMarkup]:
    """Step ``step`` (0-based) of a stretch; one past the last step is the how-often summary."""
    total = len(stretch.steps)
    if step < total:
        lines = [f"<b>{esc(stretch.title)}</b> · step {step + 1} of {total}"]
        if step == 0:
            lines.append(f"<i>{esc(stretch.text)}</i>")
        lines += ["", f"<b>{step + 1}.</b> {esc(stretch.steps[step])}"]
        if step > 0:
            done = " ".join(f"{n + 1}. {esc(text)}" for n, text in enumerate(stretch.steps[:step]))
            lines += ["", f"<i>So far: {done}</i>"]
        nav = [button("‹ Back", FEATURE, "step", stretch.key, step - 1)] if step > 0 else []
        nav.append(button("Next ›", FEATURE, "step", stretch.key, step + 1))
        return with_disclaimer("\n".join(lines)), keyboard(nav, [menu_button()])
    lines = [f"<b>{esc(stretch.title)}</b> · how long and how often", "",
             esc(data.routine.text), "", "<b>All steps</b>"]
    lines += [f"{n + 1}. {esc(text)}" for n, text in enumerate(stretch.steps)]
    others = [button(s.title, FEATURE, "open", s.key)
              for s in data.stretches.values() if s.key != stretch.key]
    markup = keyboard(
        [button("‹ Back", FEATURE, "step", stretch.key, total - 1),
         button("Start again", FEATURE, "open", stretch.key)],
        others,
        [button("Remind me to stretch", "rem", "plan")],
        [menu_button()],
    )
    return with_disclaimer("\n".join(lines)), markup


# Cross-feature buttons shown under a page (contract callback data).
def _page_extras(key: str) -> list[list[InlineKeyboardButton]]:
    if key == "relief":
        return [[button("Cramping now: guide me", "now", "start")]]
    if key == "bed":
        return [[button("Calf stretch", FEATURE, "open", "calf")]]
    if key in ("about", "prevent"):
        return [[button("Check my symptoms", "triage", "begin")],
                [button("What might be causing my cramps?", "causes", "start")]]
    return []


def render_page(page: Page) -> tuple[str, InlineKeyboardMarkup]:
    """An advice page: a titled list of points."""
    lines = [f"<b>{esc(page.title)}</b>", ""]
    lines += [f"• {esc(item.text)}" for item in page.items]
    return with_disclaimer("\n".join(lines)), keyboard(*_page_extras(page.key), [menu_button()])


async def stretch_menu(update: Update, context: CrampContext) -> None:
    """Show the guidance topics."""
    text, markup = render_menu(content())
    await show(update, context, text, markup)


async def on_press(update: Update, context: CrampContext) -> None:
    """Route guidance buttons: the menu, a stretch step, a page."""
    query = update.callback_query
    data = parse_callback(query, FEATURE)
    restart = menu_button("Stretches and advice")
    if data is None:
        await stale_button(update, context, restart=restart)
        return
    library = content()
    rendered: tuple[str, InlineKeyboardMarkup] | None = None
    if data.verb == "menu":
        rendered = render_menu(library)
    elif data.verb in ("show", "open", "step") and data.args:
        stretch = library.stretch(data.args[0])
        step = 0
        if data.verb == "step":
            step = int(data.args[1]) if len(data.args) > 1 and data.args[1].isdigit() else -1
        if stretch is not None and 0 <= step <= len(stretch.steps):
            rendered = render_stretch(library, stretch, step)
    elif data.verb == "page" and data.args:
        page = library.page(data.args[0])
        if page is not None:
            rendered = render_page(page)
    if rendered is None:
        await stale_button(update, context, restart=restart)
        return
    await query.answer()
    if data.verb == "show":
        # The entry point other features use (a reminder, a triage outcome): answer with a new
        # message so the screen it came from keeps its own buttons (Done, Snooze, Why?).
        await send(update, context, *rendered)
    else:
        await show(update, context, *rendered)


def handlers() -> list[BaseHandler]:
    load_content()  # a broken content file fails here, at start-up
    return [
        CommandHandler("stretch", stretch_menu),
        MessageHandler(menu_filter(MENU_STRETCHES), stretch_menu),
        CallbackQueryHandler(on_press, pattern=callback_data.pattern(FEATURE)),
    ]
