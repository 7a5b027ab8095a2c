"""End to end: the causes explorer (/causes, causes:start)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.content import load_content
from bot.handlers.causes import render_result
from bot.models.causes import CausesSession
from bot.models.user import CONSENT_DECLINED
from bot.standin import UserDriver
from bot.standin.server import html_to_text
from bot.storage import causes as causes_store
from bot.storage import users
from tests.e2e.guidance_support import every_message_is_valid  # noqa: F401 (autouse)
from tests.factories import make_user

pytestmark = pytest.mark.e2e

DISCLAIMER_TEXT = "Information only, not a diagnosis: it does not replace a doctor."
CAUSES = load_content().causes
QUESTIONS = len(CAUSES.questions)
PHARMACIST = "Talk to your doctor or pharmacist; never stop a prescribed medicine on your own."


async def answer_questions(user: UserDriver, answers: dict[str, str] | None = None) -> None:
    """Answer every yes/no question (No unless ``answers`` says otherwise)."""
    answers = answers or {}
    for question in CAUSES.questions:
        last = user.last_with_buttons
        assert last is not None and question.text[:40] in last.text
        await user.press(answers.get(question.key, "No"))


async def stored(app, user_id: int) -> list[CausesSession]:
    async with app.bot_data.services.db.session() as session:
        result = await session.execute(select(CausesSession).where(CausesSession.user_id == user_id))
        return list(result.scalars())


async def test_causes_with_medicines_selected_says_doctor_or_pharmacist(user: UserDriver,
                                                                        app) -> None:
    await make_user(app.bot_data.services.db, user.id)  # results are kept only with consent
    first = (await user.send("/causes")).last
    assert first.first_line == f"What might be causing my cramps? · 1 of {QUESTIONS + 2}"
    assert first.button_labels == ["Yes", "No"]
    assert first.text.rstrip().endswith(DISCLAIMER_TEXT)
    await answer_questions(user, {"exert": "Yes", "toes": "Yes"})

    meds = user.last_with_buttons
    assert "medicines" in meds.text
    assert meds.button_labels[0] == "None of these"
    assert meds.button_labels[-1] == "Done ›"
    ticked = (await user.press("Diuretics")).last
    assert "✅ Diuretics (water tablets)" in ticked.button_labels
    await user.press("Statins")
    untick = (await user.press("✅ Statins")).last
    assert "Statins or other cholesterol medicines" in untick.button_labels
    await user.press("Statins")
    conds = (await user.press("Done ›")).last
    assert "health conditions" in conds.text
    assert conds.button_labels[0] == "None of these"

    result = (await user.press("None of these")).last
    assert result.first_line == "What might be causing my cramps?"
    assert "Recent hard or long exercise" in result.text
    assert "Feet pointing down in bed" in result.text
    assert "Diuretics (water tablets), Statins or other cholesterol medicines" in result.text
    assert PHARMACIST in result.text
    assert "within 48 hours" in result.text
    assert result.text.rstrip().endswith(DISCLAIMER_TEXT)
    _, data = user.find_button("Check my symptoms")
    assert data == "triage:begin"

    async with app.bot_data.services.db.session() as session:
        medicines = await causes_store.latest_medicines(session, user.id)
        factors = await causes_store.latest_factors(session, user.id)
    assert medicines == ["Diuretics (water tablets)", "Statins or other cholesterol medicines"]
    assert factors == ["Recent hard or long exercise", "Feet pointing down in bed"]


async def test_conditions_are_a_reason_to_book_a_doctor(user: UserDriver, app) -> None:
    await make_user(app.bot_data.services.db, user.id)
    await user.send("/causes")
    await answer_questions(user)
    await user.press("None of these")
    await user.press("Diabetes")
    result = (await user.press("Done ›")).last
    assert "Health conditions: Diabetes" in result.text
    assert "Book an appointment with your doctor" in result.text
    assert PHARMACIST not in result.text
    async with app.bot_data.services.db.session() as session:
        assert await causes_store.latest_factors(session, user.id) == ["Diabetes"]
        assert await causes_store.latest_medicines(session, user.id) == []


async def test_nothing_flagged_still_gives_something_useful(user: UserDriver) -> None:
    await user.send("/causes")
    await answer_questions(user)
    await user.press("None of these")
    result = (await user.press("None of these")).last
    assert "no known cause" in result.text
    assert "Check your symptoms if anything changes" in result.text


async def test_back_returns_to_the_previous_question_keeping_answers(user: UserDriver) -> None:
    await user.send("/causes")
    await user.press("Yes")
    second = user.last_with_buttons
    assert second.first_line.endswith(f"2 of {QUESTIONS + 2}")
    back = (await user.press("‹ Back")).last
    assert back.first_line.endswith(f"1 of {QUESTIONS + 2}")
    assert CAUSES.questions[0].text in back.text


async def test_a_double_tap_does_not_skip_a_question(user: UserDriver, standin) -> None:
    first = (await user.send("/causes")).last
    _, yes = user.find_button("Yes")
    await user.press("Yes")
    start = len(standin.calls)
    await user.press_data(yes, first)  # the same Yes again, for question 1
    answers = user.answers_since(start)
    assert answers[0].params.get("text") == "Already answered"
    on_screen = standin.messages[(first.chat_id, first.message_id)]["text"]
    assert on_screen.splitlines()[0].endswith(f"2 of {QUESTIONS + 2}")


async def test_declined_users_results_are_not_stored(user: UserDriver, app) -> None:
    async with app.bot_data.services.db.session() as session:
        await users.upsert_seen(session, user_id=user.id, chat_id=user.id, first_name="Alex",
                                language_code="en", now=app.bot_data.services.clock())
        await users.set_fields(session, user.id, consent=CONSENT_DECLINED)
        await session.commit()
    await user.send("/causes")
    await answer_questions(user, {"preg": "Yes"})
    await user.press("Insulin")
    await user.press("Done ›")
    result = (await user.press("None of these")).last
    assert "Pregnancy" in result.text and PHARMACIST in result.text
    assert "Not saved" in result.text
    assert await stored(app, user.id) == []


async def test_stale_and_foreign_causes_buttons(user: UserDriver, other_user: UserDriver,
                                                standin) -> None:
    first = (await user.send("/causes")).last
    _, yes = user.find_button("Yes")
    sid = yes.split(":")[2]
    theirs = (await other_user.send("/causes")).last
    start = len(standin.calls)
    reply = await other_user.press_data(yes, theirs)
    assert "ended" in other_user.answers_since(start)[0].params["text"]
    assert reply.last.button_labels == ["Start again"]
    for forged in ("causes:a:x:exert:y", f"causes:t:{sid}:exert:bp", f"causes:a:{sid}:exert:q",
                   "causes:bogus", f"causes:back:{sid}:exert"):
        start = len(standin.calls)
        reply = await user.press_data(forged, first)
        assert len(user.answers_since(start)) == 1, forged
        assert reply.last.button_labels in (["Start again"], ["Yes", "No"]), forged


async def test_a_finished_runs_buttons_are_answered_politely(user: UserDriver, standin) -> None:
    await user.send("/causes")
    await answer_questions(user)
    meds = user.last_with_buttons
    await user.press("None of these")
    await user.press("None of these")
    start = len(standin.calls)
    reply = await user.press_data(meds.buttons[-1][-1].callback_data, meds)  # its Done
    assert "ended" in user.answers_since(start)[0].params["text"]
    assert (await user.press("Start again")).last.first_line.endswith(f"1 of {QUESTIONS + 2}")
    assert reply.last.button_labels == ["Start again"]


def test_the_longest_result_fits_a_message_and_is_valid_html() -> None:
    from bot.content.causes import CONDITIONS, MEDICINES, Answers, build_result

    answers = Answers()
    for question in CAUSES.questions:
        answers = answers.answer(question.key, present=True)
    for option in CAUSES.medicine_options:
        answers = answers.toggle(MEDICINES, option.key)
    for option in CAUSES.condition_options:
        answers = answers.toggle(CONDITIONS, option.key)
    text = render_result(build_result(CAUSES, answers), saved=True)
    plain = html_to_text(text)  # raises like Telegram on bad markup
    assert len(text) <= 4096
    assert plain.rstrip().endswith(DISCLAIMER_TEXT)
    assert "…" not in plain, "the longest result was cut"
