"""End to end: "Cramping now" (/now) — steps, the hold timer, "Still cramping?", logging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.handlers.common import MENU_NOW
from bot.handlers.relief import ReliefTiming, hold_job_name, still_job_name
from bot.models.relief import ReliefSession
from bot.models.user import CONSENT_DECLINED
from bot.standin import UserDriver
from bot.standin.driver import BotMessage
from bot.storage import users
from tests.e2e.guidance_support import every_message_is_valid  # noqa: F401 (autouse)
from tests.factories import make_user

pytestmark = pytest.mark.e2e

DISCLAIMER_TEXT = "Information only, not a diagnosis: it does not replace a doctor."


def session_id(user: UserDriver) -> int:
    _, data = user.find_button("✅ It's eased")
    return int(data.split(":")[2])


def use_timing(app, timing: ReliefTiming) -> None:
    app.bot_data.services.extras["relief_timing"] = timing


def pause_jobs(app) -> None:
    """Stop the scheduler from firing jobs on its own: the test runs them with ``job.run``."""
    app.job_queue.scheduler.pause()


async def run_job(app, name: str) -> None:
    jobs = app.job_queue.get_jobs_by_name(name)
    assert len(jobs) == 1, f"expected one job {name!r}, found {len(jobs)}"
    await jobs[0].run(app)


def sent_since(standin, start: int, user: UserDriver, *methods: str) -> list[BotMessage]:
    return [BotMessage(c) for c in standin.calls[start:]
            if c.method in (methods or ("sendMessage", "editMessageText")) and c.error is None
            and int(c.params.get("chat_id", 0)) == user.id]


async def set_user(app, user_id: int, **fields: object) -> None:
    async with app.bot_data.services.db.session() as session:
        await users.set_fields(session, user_id, **fields)
        await session.commit()


async def relief_rows(app, user_id: int) -> list[ReliefSession]:
    async with app.bot_data.services.db.session() as session:
        result = await session.execute(select(ReliefSession).where(ReliefSession.user_id == user_id))
        return list(result.scalars())


async def test_now_walks_through_the_relief_steps_and_offers_to_log(user: UserDriver, app,
                                                                    clock) -> None:
    await make_user(app.bot_data.services.db, user.id)  # finished flows are kept only with consent
    reply = await user.send("/now")
    card = reply.last
    assert card.first_line == "Cramping now · step 1 of 5"
    assert "pull your toes up towards your shin" in card.text
    assert "Don't point your toes" in card.text
    assert "longer than 10 minutes" in card.text
    assert card.text.rstrip().endswith(DISCLAIMER_TEXT)
    assert card.button_labels == ["Start 30-second hold", "Next step ›", "✅ It's eased",
                                  "🚨 The pain is unbearable"]
    titles = []
    for _ in range(4):
        step = (await user.press("Next step ›")).last
        assert step.method == "editMessageText"
        assert step.text.rstrip().endswith(DISCLAIMER_TEXT)
        titles.append(step.text.splitlines()[2])
    assert titles == ["Massage it", "Stand on it", "Warmth or cold", "Afterwards"]
    assert "pillow" in step.text
    assert step.button_labels == ["‹ Back", "✅ It's eased", "Still cramping",
                                  "🚨 The pain is unbearable"]
    assert (await user.press("‹ Back")).last.text.splitlines()[2] == "Warmth or cold"

    clock.advance(minutes=3)
    done = (await user.press("✅ It's eased")).last
    assert done.first_line == "Good, I'm glad it has eased."
    assert "pillow" in done.text and "pharmacist" in done.text
    assert done.text.rstrip().endswith(DISCLAIMER_TEXT)
    _, data = user.find_button("Log this cramp")
    assert data == "diary:log:1to5"
    rows = await relief_rows(app, user.id)
    assert [(r.outcome, r.finished_at is not None) for r in rows] == [("eased", True)]


async def test_the_menu_button_and_now_start_open_the_card(user: UserDriver) -> None:
    assert (await user.send(MENU_NOW)).last.first_line == "Cramping now · step 1 of 5"
    await user.send("/stretch")
    await user.press("Relief during a cramp")
    reply = await user.press("Cramping now")
    assert reply.last.first_line == "Cramping now · step 1 of 5"
    assert reply.last.method == "sendMessage"


async def test_hold_timer_counts_down_through_the_job_queue(user: UserDriver, app,
                                                            standin) -> None:
    use_timing(app, ReliefTiming(hold_seconds=0.3, tick_seconds=0.1))
    await user.send("/now")
    start = len(standin.calls)
    reply = await user.press("Start 0.3-second hold")
    assert "Hold the stretch: 0.3 seconds left" in reply.last.raw_text
    message_id = reply.last.message_id
    call = await standin.wait_for_call(
        lambda c: c.method == "editMessageText" and "Hold complete" in str(c.params.get("text")),
        since=start,
    )
    assert int(call.params["message_id"]) == message_id
    # raw_text: what each call sent (the stand-in's stored message changes with later edits)
    edits = [m.raw_text for m in sent_since(standin, start, user, "editMessageText")]
    assert any("0.2 seconds left" in t or "0.1 seconds left" in t for t in edits), edits
    done = BotMessage(call)
    assert "Relax the muscle" in done.text and done.text.rstrip().endswith(DISCLAIMER_TEXT)
    assert done.button_labels[:2] == ["Hold again (0.3 s)", "Next step ›"]
    assert not app.job_queue.get_jobs_by_name(hold_job_name(session_id(user)))


async def test_hold_ticks_edit_the_message_every_ten_seconds(user: UserDriver, app,
                                                             standin) -> None:
    pause_jobs(app)
    await user.send("/now")
    sid = session_id(user)
    first = (await user.press("Start 30-second hold")).last
    assert "30 seconds left" in first.raw_text
    [job] = app.job_queue.get_jobs_by_name(hold_job_name(sid))
    seen = []
    for _ in range(3):
        start = len(standin.calls)
        await job.run(app)  # each call is one 10-second tick
        seen.append(sent_since(standin, start, user, "editMessageText")[-1].raw_text)
    assert "20 seconds left" in seen[0] and "10 seconds left" in seen[1]
    assert "Hold complete" in seen[2]
    assert job.removed  # the countdown ends itself
    assert first.message_id == sent_since(standin, 0, user, "editMessageText")[-1].message_id


async def test_moving_on_stops_the_countdown(user: UserDriver, app, standin) -> None:
    pause_jobs(app)
    await user.send("/now")
    sid = session_id(user)
    await user.press("Start 30-second hold")
    job = app.job_queue.get_jobs_by_name(hold_job_name(sid))[0]
    await user.press("Next step ›")
    start = len(standin.calls)
    await job.run(app)  # a tick that was already due: it must not overwrite step 2
    assert sent_since(standin, start, user) == []


async def test_still_cramping_yes_shows_the_emergency_number_first(user: UserDriver, app,
                                                                   standin) -> None:
    await user.send("/start")
    await set_user(app, user.id, country="GB")
    await user.send("/now")
    sid = session_id(user)
    start = len(standin.calls)
    await run_job(app, still_job_name(sid))
    question = sent_since(standin, start, user, "sendMessage")[-1]
    assert question.first_line == "Still cramping?"
    assert question.button_labels == ["Yes", "No"]
    emergency = (await user.press("Yes", message=question)).last
    assert emergency.first_line == "🚨 Call 999 now (emergency number)"
    assert "longer than 10 minutes" in emergency.text
    assert emergency.text.rstrip().endswith(DISCLAIMER_TEXT)
    _, change = user.find_button("Change country")
    assert change == "set:country"
    eased = (await user.press("It has eased now")).last
    assert eased.first_line == "Good, I'm glad it has eased."
    assert user.find_button("Log this cramp")[1] == "diary:log:gt10"


async def test_emergency_number_falls_back_to_112(user: UserDriver, app, standin) -> None:
    await user.send("/now")
    start = len(standin.calls)
    await run_job(app, still_job_name(session_id(user)))
    question = sent_since(standin, start, user, "sendMessage")[-1]
    emergency = (await user.press("Yes", message=question)).last
    assert emergency.first_line == "🚨 Call 112 now (emergency number)"


async def test_still_cramping_no_offers_log_this_cramp(user: UserDriver, app, standin) -> None:
    await user.send("/now")
    start = len(standin.calls)
    await run_job(app, still_job_name(session_id(user)))
    question = sent_since(standin, start, user, "sendMessage")[-1]
    done = (await user.press("No", message=question)).last
    assert done.first_line == "Good, I'm glad it has eased."
    assert user.find_button("Log this cramp")[1] == "diary:log"


async def test_a_press_after_ten_minutes_asks_still_cramping_once(user: UserDriver, app, clock,
                                                                  standin) -> None:
    await user.send("/now")
    sid = session_id(user)
    clock.advance(minutes=10, seconds=5)
    reply = await user.press("Next step ›")  # e.g. the job was lost in a restart
    assert reply.last.first_line == "Still cramping?"
    start = len(standin.calls)
    await run_job(app, still_job_name(sid))  # the job fires late: no second question
    assert sent_since(standin, start, user) == []


async def test_eased_cancels_the_pending_question(user: UserDriver, app, standin) -> None:
    await user.send("/now")
    sid = session_id(user)
    job = app.job_queue.get_jobs_by_name(still_job_name(sid))[0]
    await user.press("✅ It's eased")
    start = len(standin.calls)
    await job.run(app)
    assert sent_since(standin, start, user) == []


async def test_unbearable_pain_goes_straight_to_emergency(user: UserDriver) -> None:
    await user.send("/now")
    emergency = (await user.press("🚨 The pain is unbearable")).last
    assert emergency.first_line.startswith("🚨 Call 112 now")
    eased = (await user.press("It has eased now")).last
    assert user.find_button("Log this cramp", eased)[1] == "diary:log:lt1"


async def test_still_cramping_at_the_last_step_starts_over(user: UserDriver) -> None:
    await user.send("/now")
    for _ in range(4):
        await user.press("Next step ›")
    again = (await user.press("Still cramping")).last
    assert again.first_line == "Cramping now · step 1 of 5"
    assert "go through the steps again" in again.text


async def test_buttons_of_an_ended_flow_are_answered_politely(user: UserDriver, standin) -> None:
    await user.send("/now")
    card = user.last_with_buttons
    await user.press("✅ It's eased")
    start = len(standin.calls)
    sid = card.buttons[1][0].callback_data.split(":")[2]
    reply = await user.press_data(f"now:go:{sid}:1", card)
    answers = user.answers_since(start)
    assert len(answers) == 1 and "ended" in answers[0].params["text"]
    assert reply.last.button_labels == ["Start again"]
    assert (await user.press("Start again")).last.first_line == "Cramping now · step 1 of 5"


@pytest.mark.parametrize("data", ["now:go:abc:1", "now:go:1", "now:hold", "now:fly:1",
                                  "now:go:{sid}:9", "now:hold:{sid}:2", "now:still:{sid}:maybe"])
async def test_forged_relief_buttons_get_a_polite_answer(user: UserDriver, standin,
                                                         data: str) -> None:
    card = (await user.send("/now")).last
    data = data.format(sid=session_id(user))
    start = len(standin.calls)
    reply = await user.press_data(data, card)
    assert len(user.answers_since(start)) == 1
    assert reply.last.button_labels == ["Start again"]


async def test_another_users_flow_is_not_theirs(user: UserDriver, other_user: UserDriver,
                                               standin) -> None:
    await user.send("/now")
    sid = session_id(user)
    theirs = (await other_user.send("/now")).last
    start = len(standin.calls)
    reply = await other_user.press_data(f"now:eased:{sid}", theirs)
    answers = other_user.answers_since(start)
    assert len(answers) == 1 and "ended" in answers[0].params["text"]
    assert reply.last.button_labels == ["Start again"]


async def test_works_without_consent_and_keeps_nothing_after_decline(user: UserDriver,
                                                                     app) -> None:
    await user.send("/now")
    await set_user(app, user.id, consent=CONSENT_DECLINED)
    done = (await user.press("✅ It's eased")).last
    assert "not kept" in done.text
    assert user.find_button("Log this cramp")[1].startswith("diary:log")
    assert await relief_rows(app, user.id) == []


async def test_a_new_flow_replaces_the_old_one(user: UserDriver, app) -> None:
    await user.send("/now")
    await user.send("/now")
    rows = await relief_rows(app, user.id)
    assert len(rows) == 1 and rows[0].id == session_id(user)


async def test_durations_follow_the_elapsed_time(user: UserDriver, clock) -> None:
    await user.send("/now")
    clock.advance(minutes=7)
    await user.press("✅ It's eased")
    assert user.find_button("Log this cramp")[1] == "diary:log:5to10"


def test_timing_defaults_are_the_clinical_ones() -> None:
    timing = ReliefTiming()
    assert timing.hold_seconds == 30 and timing.tick_seconds == 10
    assert timing.still_after == timedelta(minutes=10)
