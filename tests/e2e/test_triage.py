"""Check my symptoms, end to end through the real Application and the Bot API stand-in.

Each outcome level, the emergency number per country, Back, Start over, double presses,
stale, foreign and forged buttons, a restart mid-triage, "Why?", typed answers, and
consent (results kept with consent, deleted otherwise).
"""

from __future__ import annotations

import pytest

from bot.db import Database
from bot.handlers.common import DISCLAIMER
from bot.models.user import CONSENT_DECLINED
from bot.standin import BotApiStandIn, UserDriver
from bot.standin.driver import BotMessage, Reply
from bot.storage import triage as store
from tests.conftest import FakeClock, start_application, stop_application
from tests.factories import make_user
from tests.pacing import PacedUser

pytestmark = pytest.mark.e2e

HEADLINES = ("Get emergency help now", "See a doctor within 48 hours",
             "Book an appointment with your doctor", "Self-care at home")
DISCLAIMER_TEXT = "Information only, not a diagnosis: it does not replace a doctor."


class Tapper(PacedUser):
    """A paced user who also notes the first line of every message the bot sends."""

    def __init__(self, user: UserDriver, clock: FakeClock) -> None:
        super().__init__(user, clock)
        self.first_lines: list[str] = []

    def _note(self, reply: Reply) -> Reply:
        self.first_lines += [m.first_line for m in reply]
        return reply

    async def send(self, text: str) -> Reply:
        return self._note(await super().send(text))

    async def press(self, label: str, message: BotMessage | None = None) -> Reply:
        return self._note(await super().press(label, message))

    async def answer(self, *labels: str) -> Reply:
        reply = Reply()
        for label in labels:
            reply = await self.press(label)
        return reply


@pytest.fixture
async def tap(user: UserDriver, clock: FakeClock, db: Database) -> Tapper:
    """A user who has accepted data storage (results are kept only with consent)."""
    await make_user(db, user.id, country=None, timezone=None)
    return Tapper(user, clock)


async def _latest(app, user_id: int):
    async with app.bot_data.services.db.session() as session:
        return await store.latest_result(session, user_id)


def _no_level_line_before_the_outcome(tap: Tapper) -> None:
    *before, _outcome = tap.first_lines
    assert not [line for line in before if line.startswith(HEADLINES)], before


async def test_check_works_before_start_and_asks_the_first_question(tap: Tapper, app) -> None:
    reply = await tap.send("/check")
    question = reply.last
    assert len(reply) == 1 and question.method == "sendMessage"
    assert question.first_line == "Symptom check: question 1 of 11"
    assert "Do you have any of these right now?" in question.text
    assert "Chest pain" in question.text
    assert question.button_labels == ["Yes", "No", "Back", "Start over"]
    assert question.text.endswith(DISCLAIMER_TEXT)
    assert all(b.callback_data.startswith("triage:") and len(b.callback_data.encode()) <= 64
               for row in question.buttons for b in row)


async def test_the_menu_button_starts_a_check(tap: Tapper) -> None:
    reply = await tap.send("Check symptoms")
    assert reply.last.first_line == "Symptom check: question 1 of 11"


@pytest.mark.parametrize(("country", "number"), [("GB", "999"), ("US", "911"), (None, "112")])
async def test_emergency_puts_the_number_for_the_users_country_first(
    tap: Tapper, user: UserDriver, app, db: Database, standin: BotApiStandIn,
    country: str | None, number: str,
) -> None:
    await make_user(db, user.id, country=country)
    question = (await tap.send("/check")).last
    before = len(standin.calls)
    reply = await tap.press("Yes")
    outcome = reply.last
    assert outcome.method == "editMessageText" and outcome.message_id == question.message_id
    lines = outcome.text.splitlines()
    assert lines[0] == f"Get emergency help now: call {number}"
    assert number in lines[1]
    assert f"Call {number} now" in outcome.text
    assert outcome.text.endswith(DISCLAIMER_TEXT)
    assert "Change country" in outcome.button_labels
    assert outcome.buttons[0][0].callback_data == "set:country"
    assert [b.callback_data for row in outcome.buttons for b in row][-1] == "triage:begin"
    assert len(user.answers_since(before)) == 1
    result = await _latest(app, user.id)
    assert result is not None and result.level == "EMERGENCY"
    assert result.red_flags == ["RF-E8", "RF-E10", "RF-E11"]
    assert result.answers == [{"question": "body_danger", "answer": "yes",
                               "rf": ["RF-E8", "RF-E10", "RF-E11"]}]


async def test_urgent_after_no_emergency_signs(tap: Tapper, app, user: UserDriver) -> None:
    await tap.send("/check")
    reply = await tap.answer(*["No"] * 6, "Yes")
    outcome = reply.last
    assert outcome.first_line == "See a doctor within 48 hours"
    assert "Call 112 straight away if" in outcome.text  # safety-netting, with the number
    assert "What might be causing my cramps?" in outcome.button_labels
    assert "Change country" not in outcome.button_labels
    _no_level_line_before_the_outcome(tap)
    result = await _latest(app, user.id)
    assert result.level == "URGENT" and result.red_flags == ["RF-U1", "RF-U2"]
    assert len(result.answers) == 7


async def test_routine_and_why_lists_the_answer_that_set_it(tap: Tapper, app, user: UserDriver,
                                                            standin: BotApiStandIn) -> None:
    await tap.send("/check")
    outcome = (await tap.answer(*["No"] * 8, "Yes")).last
    assert outcome.first_line == "Book an appointment with your doctor"
    assert "Get help sooner if:" in outcome.text
    before = len(standin.calls)
    why = await tap.press("Why?")
    assert len(why) == 1 and why.last.method == "sendMessage"  # the outcome stays visible
    assert len(user.answers_since(before)) == 1
    assert why.last.first_line == "Why I suggested this"
    assert "Yes — Cramps that disturb sleep, keep coming back, or make it hard to walk or stand" \
        in why.last.text
    assert "Chest pain" not in why.last.text
    assert "So my suggestion is: Book an appointment with your doctor." in why.last.text
    assert why.last.text.endswith(DISCLAIMER_TEXT)
    assert (await _latest(app, user.id)).level == "ROUTINE"


async def test_self_care_after_all_no_with_why_and_follow_ups(tap: Tapper, app, user: UserDriver,
                                                             standin: BotApiStandIn) -> None:
    first = (await tap.send("/check")).last
    before = len(standin.calls)
    for number in range(2, 12):
        reply = await tap.press("No")
        assert reply.last.first_line == f"Symptom check: question {number} of 11"
        assert reply.last.message_id == first.message_id  # edited in place
    outcome = (await tap.press("No")).last
    assert len(user.answers_since(before)) == 11  # every press answered
    assert outcome.first_line == "Self-care at home"
    assert outcome.text.index("What to do") < outcome.text.index("Get help if things change")
    data = {b.text: b.callback_data for row in outcome.buttons for b in row}
    assert data["What might be causing my cramps?"] == "causes:start"
    assert data["Calf stretch, step by step"] == "guide:show:calf"
    assert data["Start over"] == "triage:begin"
    _no_level_line_before_the_outcome(tap)
    why = (await tap.press("Why?")).last
    assert "You answered No to all 11 questions" in why.text
    assert why.text.count("• No — ") == 11
    result = await _latest(app, user.id)
    assert result.level == "SELF_CARE" and result.red_flags == [] and len(result.answers) == 11


async def test_emergency_why_repeats_the_number_first(tap: Tapper, user: UserDriver,
                                                      db: Database) -> None:
    await make_user(db, user.id, country="GB")
    await tap.send("/check")
    await tap.answer("No", "No", "No", "Yes")
    why = (await tap.press("Why?")).last
    assert why.first_line == "Call 999 now if you have not already."
    assert "Yes — Numbness, pins and needles, or poor balance when walking" in why.text


async def test_back_and_start_over(tap: Tapper, app, user: UserDriver,
                                   standin: BotApiStandIn) -> None:
    first = (await tap.send("/check")).last
    before = len(standin.calls)
    reply = await tap.press("Back")  # nothing before the first question
    assert reply == [] and user.answers_since(before)[0].params.get("text") == "This is the first question."
    await tap.answer("No", "No")
    back = (await tap.press("Back")).last
    assert back.first_line == "Symptom check: question 2 of 11"
    assert "A cramp that has lasted longer than 10 minutes" in back.text
    over = (await tap.press("Start over")).last
    assert over.first_line == "Symptom check: question 1 of 11"
    assert over.message_id == first.message_id
    outcome = (await tap.answer("No", "Yes")).last
    assert outcome.first_line.startswith("Get emergency help now")
    result = await _latest(app, user.id)
    assert [a["question"] for a in result.answers] == ["body_danger", "cramp_severity"]


async def test_a_double_press_advances_once(tap: Tapper, app, user: UserDriver) -> None:
    question = (await tap.send("/check")).last
    no = next(b.callback_data for row in question.buttons for b in row if b.text == "No")
    first = await user.press_data(no, question)
    second = await user.press_data(no, question)
    assert first.last.first_line == "Symptom check: question 2 of 11"
    assert [m.first_line for m in second] in ([], ["Symptom check: question 2 of 11"])
    async with app.bot_data.services.db.session() as session:
        row = await store.latest_result(session, user.id)
        assert row is None
        sid = int(no.split(":")[2])
        session_row = await store.get(session, sid)
    assert session_row.step == 1 and session_row.node == "cramp_severity"


async def test_the_final_answer_pressed_twice_finishes_once(tap: Tapper, app, user: UserDriver,
                                                            standin: BotApiStandIn) -> None:
    question = (await tap.send("/check")).last
    yes = next(b.callback_data for row in question.buttons for b in row if b.text == "Yes")
    await user.press_data(yes, question)
    before = len(standin.calls)
    again = await user.press_data(yes, question)
    assert again == []  # no second outcome, no error
    assert user.answers_since(before)[0].params.get("text") == "Already answered."


async def test_buttons_of_a_finished_check_say_so_and_offer_start_again(
    tap: Tapper, user: UserDriver, standin: BotApiStandIn,
) -> None:
    question = (await tap.send("/check")).last
    old_no = next(b.callback_data for row in question.buttons for b in row if b.text == "No")
    await tap.press("Yes")
    before = len(standin.calls)
    reply = await user.press_data(old_no, question)
    assert user.answers_since(before)[0].params.get("text") == "This symptom check has finished."
    assert reply.last.button_labels == ["Start again"]
    again = await tap.press("Start again")
    assert again.last.first_line == "Symptom check: question 1 of 11"


@pytest.mark.parametrize("data", ["triage:a:999999:0:y", "triage:nope", "triage:a:x:0:y",
                                  "triage:why:1:zzz", "triage:a:1:0"])
async def test_unknown_or_forged_buttons_get_a_polite_answer(tap: Tapper, user: UserDriver,
                                                             standin: BotApiStandIn,
                                                             data: str) -> None:
    question = (await tap.send("/check")).last
    before = len(standin.calls)
    reply = await user.press_data(data, question)
    assert user.answers_since(before)[0].params.get("text") == "This symptom check is no longer active."
    assert reply.last.button_labels == ["Start again"]


async def test_another_users_press_changes_nothing(tap: Tapper, user: UserDriver,
                                                   other_user: UserDriver, app,
                                                   standin: BotApiStandIn) -> None:
    question = (await tap.send("/check")).last
    yes = next(b.callback_data for row in question.buttons for b in row if b.text == "Yes")
    # Someone else pressing in this chat is refused before any feature sees it...
    before = len(standin.calls)
    assert await other_user.press_data(yes, question) == []
    assert other_user.answers_since(before)
    # ...and a forged press naming this session from their own chat gets the stale answer.
    own = (await other_user.send("/menu")).last
    before = len(standin.calls)
    reply = await other_user.press_data(yes, own)
    assert other_user.answers_since(before)[0].params.get("text") == (
        "This symptom check belongs to someone else.")
    assert reply.last.button_labels == ["Start again"]
    assert await _latest(app, user.id) is None
    still = (await tap.press("No")).last
    assert still.first_line == "Symptom check: question 2 of 11"


async def test_a_restart_mid_triage_carries_on(settings, db: Database, standin: BotApiStandIn,
                                               clock: FakeClock) -> None:
    await make_user(db, 1001, country=None, timezone=None)
    first_app = await start_application(settings, db, standin, clock)
    user = UserDriver(standin, first_app, user_id=1001)
    await user.send("/check")
    clock.advance(seconds=2)
    await user.press("No")
    clock.advance(seconds=2)
    await user.press("No")
    await stop_application(first_app)
    second_app = await start_application(settings, db, standin, clock)
    try:
        user.application = second_app
        clock.advance(seconds=2)
        reply = await user.press("No")
        assert reply.last.first_line == "Symptom check: question 4 of 11"
        clock.advance(seconds=2)
        outcome = (await user.press("Yes")).last
        assert outcome.first_line == "Get emergency help now: call 112"
        async with db.session() as session:
            result = await store.latest_result(session, 1001)
        assert [a["answer"] for a in result.answers] == ["no", "no", "no", "yes"]
    finally:
        await stop_application(second_app)


async def test_declined_consent_shows_the_outcome_but_keeps_nothing(
    tap: Tapper, app, user: UserDriver, db: Database,
) -> None:
    await make_user(db, user.id, consent=CONSENT_DECLINED)
    await tap.send("/check")
    outcome = (await tap.answer(*["No"] * 7, "Yes")).last
    assert outcome.first_line == "See a doctor within 48 hours"
    assert await _latest(app, user.id) is None
    async with db.session() as session:
        sid = int(outcome.buttons[0][0].callback_data.split(":")[2])
        assert await store.get(session, sid) is None
    why = (await tap.press("Why?")).last  # still explained, from the button alone
    assert "Yes — Taking an antipsychotic or any other medicine" in why.text


async def test_typed_yes_or_no_answers_the_question(tap: Tapper, user: UserDriver) -> None:
    await tap.send("/check")
    reply = await tap.send("no")
    assert reply.last.first_line == "Symptom check: question 2 of 11"
    reply = await tap.send("maybe later")
    assert reply[0].first_line == "Please tap Yes or No under the question. Here it is again:"
    assert reply.last.first_line == "Symptom check: question 2 of 11"
    reply = await tap.send("Yes")
    assert reply.last.first_line == "Get emergency help now: call 112"
    after = await tap.send("yes")  # the check is over: no longer waiting for an answer
    assert not after.last.first_line.startswith(HEADLINES)


async def test_every_triage_message_fits_and_carries_the_disclaimer(tap: Tapper) -> None:
    replies = [await tap.send("/check")]
    for _ in range(11):
        replies.append(await tap.press("No"))
    replies.append(await tap.press("Why?"))
    for reply in replies:
        for message in reply:
            assert len(message.text) <= 4096
            assert message.text.endswith(DISCLAIMER_TEXT), message.first_line
    assert DISCLAIMER.startswith("<i>")


async def test_without_a_consent_choice_the_result_is_not_kept(
    user: UserDriver, clock: FakeClock, app
) -> None:
    tapper = Tapper(user, clock)
    await tapper.send("/check")
    outcome = (await tapper.answer("Yes")).last
    assert outcome.first_line.startswith("Get emergency help now")
    assert await _latest(app, user.id) is None
