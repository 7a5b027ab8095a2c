"""End to end: the guidance library (/stretch, the Stretches button, guide:* buttons)."""

from __future__ import annotations

import pytest

from bot.handlers.common import DISCLAIMER, MENU_STRETCHES
from bot.standin import UserDriver
from bot.standin.driver import BotMessage
from tests.e2e.guidance_support import every_message_is_valid  # noqa: F401 (autouse)

pytestmark = pytest.mark.e2e

DISCLAIMER_TEXT = "Information only, not a diagnosis: it does not replace a doctor."
MENU = ["Calf stretch", "Hamstring stretch", "Quadriceps stretch", "Relief during a cramp",
        "Prevention", "Bedtime advice", "About leg cramps", "What the evidence says"]


def assert_medical(message: BotMessage) -> None:
    assert message.text.rstrip().endswith(DISCLAIMER_TEXT)
    assert len(message.text) <= 4096 and len(message.raw_text) <= 4096
    assert DISCLAIMER in message.raw_text


async def test_stretch_command_shows_the_menu(user: UserDriver) -> None:
    reply = await user.send("/stretch")
    assert reply.last.first_line == "Stretches and advice"
    assert reply.last.button_labels == MENU
    assert_medical(reply.last)


async def test_menu_button_shows_the_same_menu(user: UserDriver) -> None:
    reply = await user.send(MENU_STRETCHES)
    assert reply.last.button_labels == MENU


async def test_calf_stretch_step_by_step_next_and_back(user: UserDriver) -> None:
    await user.send("/stretch")
    reply = await user.press("Calf stretch")
    first = reply.last
    assert first.method == "editMessageText"
    assert first.first_line == "Calf stretch · step 1 of 4"
    assert "arm's length" in first.text
    assert first.button_labels == ["Next ›", "‹ All topics"]
    assert_medical(first)

    second = (await user.press("Next ›")).last
    assert second.first_line == "Calf stretch · step 2 of 4"
    assert "feet flat" in second.text
    assert second.button_labels[:2] == ["‹ Back", "Next ›"]

    back = (await user.press("‹ Back")).last
    assert back.first_line == "Calf stretch · step 1 of 4"

    for expected in ("step 2 of 4", "step 3 of 4", "step 4 of 4"):
        step = (await user.press("Next ›")).last
        assert step.first_line.endswith(expected)
        assert_medical(step)
    assert "30 to 45 seconds" in step.text

    summary = (await user.press("Next ›")).last
    assert summary.first_line == "Calf stretch · how long and how often"
    assert "about 5 minutes" in summary.text and "before bed" in summary.text
    assert "Hamstring stretch" in summary.button_labels
    assert "Remind me to stretch" in summary.button_labels
    assert_medical(summary)
    # Back from the summary returns to the last step.
    assert (await user.press("‹ Back")).last.first_line == "Calf stretch · step 4 of 4"


async def test_guide_show_quad_opens_the_stretch_directly(user: UserDriver) -> None:
    menu = (await user.send("/stretch")).last
    reply = await user.press_data("guide:show:quad", menu)
    assert reply.last.first_line == "Quadriceps stretch · step 1 of 5"
    assert "left side" in reply.last.text
    answers = user.answers_since(0)
    assert answers, "the press was not answered"
    # From another screen (a reminder, a triage outcome) the stretch arrives as a new
    # message, so that screen keeps its own buttons.
    assert reply.last.method == "sendMessage"
    stored = user.standin.messages[(menu.chat_id, menu.message_id)]
    assert stored["reply_markup"] == menu.markup


@pytest.mark.parametrize(
    ("label", "title", "phrase"),
    [
        ("Relief during a cramp", "Relief during a cramp", "pull your toes up towards your shin"),
        ("Prevention", "Prevention", "at least three times a day"),
        ("Bedtime advice", "Bedtime advice", "hang over the end of the bed"),
        ("About leg cramps", "About leg cramps", "usually harmless"),
        ("What the evidence says", "What the evidence says", "Magnesium"),
    ],
)
async def test_each_page_ends_with_the_disclaimer(user: UserDriver, label: str, title: str,
                                                  phrase: str) -> None:
    await user.send("/stretch")
    page = (await user.press(label)).last
    assert page.first_line == title
    assert phrase in page.text
    assert_medical(page)
    assert "‹ All topics" in page.button_labels
    menu = (await user.press("‹ All topics")).last
    assert menu.button_labels == MENU


async def test_bedtime_advice_is_prev_2(user: UserDriver) -> None:
    await user.send("/stretch")
    page = (await user.press("Bedtime advice")).last
    assert "toes from pointing down" in page.text
    assert "Lying on your back: prop your feet up" in page.text
    assert "heavy blankets" in page.text


async def test_relief_page_links_to_cramping_now(user: UserDriver) -> None:
    await user.send("/stretch")
    page = (await user.press("Relief during a cramp")).last
    _, data = user.find_button("Cramping now")
    assert data == "now:start"
    assert "10 minutes" in page.text


@pytest.mark.parametrize("data", ["guide:show:toe", "guide:step:calf:99", "guide:step:calf:x",
                                  "guide:page:nope", "guide:zap", "guide:show"])
async def test_stale_or_forged_guide_buttons_get_a_polite_answer(user: UserDriver, standin,
                                                                 data: str) -> None:
    menu = (await user.send("/stretch")).last
    start = len(standin.calls)
    reply = await user.press_data(data, menu)
    answers = user.answers_since(start)
    assert len(answers) == 1 and "no longer active" in answers[0].params.get("text", "")
    assert reply.last.button_labels == ["Stretches and advice"]
