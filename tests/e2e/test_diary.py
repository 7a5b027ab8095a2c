"""The cramp diary end to end through the real Application and the Bot API stand-in."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader

from bot import callback_data
from bot.models.user import CONSENT_DECLINED
from bot.standin import BotApiStandIn, UserDriver
from bot.storage import episodes, users
from tests.conftest import FakeClock
from tests.factories import make_user

pytestmark = pytest.mark.e2e

# 03:12 on Tuesday 10 March 2026 in London (GMT).
THREE_AM = datetime(2026, 3, 10, 3, 12, tzinfo=UTC)


async def rows(app, user_id: int) -> list:
    async with app.bot_data.services.db.session() as session:
        return await episodes.list_for_owner(session, user_id, limit=100)


@pytest.fixture
async def ready(app, user: UserDriver, clock: FakeClock, db) -> UserDriver:
    """A user who accepted data storage, lives in London and is in the UK."""
    await make_user(db, user.id, timezone="Europe/London", country="GB")
    clock.set(THREE_AM)
    return user


async def test_one_tap_at_3am_saves_at_once_then_details_each_save(ready: UserDriver, app,
                                                                   clock: FakeClock) -> None:
    reply = await ready.send("Log a cramp")
    assert len(reply) == 1
    assert reply.last.first_line == "✅ Logged a cramp at 03:12 today."
    assert "Where was it?" in reply.last.text
    assert reply.last.button_labels[:5] == ["Calf", "Foot", "Front of thigh", "Back of thigh",
                                            "Other"]
    assert {"Skip ›", "Done ✓"} <= set(reply.last.button_labels)
    [saved] = await rows(app, ready.id)
    assert saved.started_at == THREE_AM and saved.source == "button"
    assert saved.night_of.isoformat() == "2026-03-09"  # 03:12 belongs to Monday night
    assert saved.location is None

    clock.advance(seconds=20)
    reply = await ready.press("Calf")
    assert reply.last.method == "editMessageText"
    assert "Which leg?" in reply.last.text
    assert (await rows(app, ready.id))[0].location == "calf"  # saved on the tap
    await ready.press("Left")
    reply = await ready.press("7")
    assert "How long did it last?" in reply.last.text
    assert "left calf · 7/10" in reply.last.text
    await ready.press("1–5 min")
    reply = await ready.press("Woke me from sleep")
    assert "What did you try?" in reply.last.text
    await ready.press("Stretching")
    reply = await ready.press("Massage")
    assert "✓ Stretching" in reply.last.button_labels and "✓ Massage" in reply.last.button_labels
    assert (await rows(app, ready.id))[0].helped == ["stretch", "massage"]
    reply = await ready.press("Next")
    assert "How much did it help?" in reply.last.text
    reply = await ready.press("A lot")
    assert "Saved: a cramp at 03:12 today" in reply.last.text
    assert ("left calf · 7/10 · 1–5 min · woke me from sleep · stretching, massage — helped a lot"
            in reply.last.text)
    assert "Show the stretch for it" in reply.last.button_labels
    [episode] = await rows(app, ready.id)
    assert (episode.location, episode.side, episode.severity, episode.duration, episode.context,
            episode.helped, episode.helped_rating) == (
        "calf", "left", 7, "1to5", "sleep", ["stretch", "massage"], 3)
    assert episode.started_at == THREE_AM  # details never move the time


async def test_every_detail_can_be_skipped(ready: UserDriver, app) -> None:
    await ready.send("/cramp")
    for question in ("How bad", "How long", "When did it happen", "What did you try"):
        reply = await ready.press("Skip")
        assert question in reply.last.text
    reply = await ready.press("Next")
    assert "Saved: a cramp at 03:12 today" in reply.last.text
    [episode] = await rows(app, ready.id)
    assert episode.source == "command" and episode.severity is None and episode.helped is None


async def test_over_ten_minutes_shows_the_emergency_advice_first(ready: UserDriver) -> None:
    await ready.send("/log")
    await ready.press("Skip")  # where
    await ready.press("Skip")  # how bad
    reply = await ready.press("Over 10 min")
    assert reply.last.first_line.startswith("🚨 A cramp lasting longer than 10 minutes")
    assert "call 999 now" in reply.last.first_line
    assert reply.last.text.rstrip().endswith("does not replace a doctor.")


@pytest.mark.parametrize(("country", "number"), [("US", "911"), (None, "112")])
async def test_severity_ten_uses_the_users_emergency_number(app, user: UserDriver, db,
                                                            clock: FakeClock, country, number) -> None:
    await make_user(db, user.id, country=country)
    clock.set(THREE_AM)
    reply = await user.send("/cramp calf 10")
    assert reply.last.first_line.startswith("🚨")
    assert f"call {number} now" in reply.last.first_line
    assert "✅ Logged a cramp at 03:12 today." in reply.last.text


async def test_reminder_button_logs_with_a_prefilled_duration(ready: UserDriver, app) -> None:
    menu = await ready.send("/menu")
    reply = await ready.press_data(callback_data.encode("diary", "log", "gt10", "rem"), menu.last)
    assert reply[0].first_line.startswith("🚨")
    assert "✅ Logged a cramp at 03:12 today." in reply[0].text
    [episode] = await rows(app, ready.id)
    assert episode.duration == "gt10" and episode.source == "reminder"


async def test_a_double_tap_does_not_log_twice(ready: UserDriver, app, clock: FakeClock) -> None:
    await ready.send("Log a cramp")
    clock.advance(seconds=5)
    reply = await ready.send("Log a cramp")
    assert reply.last.first_line.startswith("✅ Already logged: a cramp at 03:12 today.")
    assert len(await rows(app, ready.id)) == 1
    clock.advance(minutes=5)
    await ready.send("Log a cramp")
    assert len(await rows(app, ready.id)) == 2


async def test_typed_shortcuts_say_what_was_understood_and_ignored(ready: UserDriver, app) -> None:
    reply = await ready.send("/cramp yesterday 23:30 foot 7 blah 5m")
    text = reply.last.text
    assert reply.last.first_line == "✅ Logged a cramp at 23:30 yesterday (Mon 9 Mar)."
    assert "Understood: time 23:30 yesterday (Mon 9 Mar) · foot · severity 7/10 · 1–5 min" in text
    assert "Ignored: “blah”" in text
    assert "Which leg?" in text  # the first question still open
    [episode] = await rows(app, ready.id)
    assert episode.started_at == datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    assert (episode.location, episode.severity, episode.duration) == ("foot", 7, "1to5")

    reply = await ready.send("/cramp 10 mins ago right thigh severity 8")
    assert reply.last.first_line == "✅ Logged a cramp at 03:02 today."
    assert "Which part of the thigh?" in reply.last.text
    assert reply.last.button_labels[:2] == ["Front of thigh", "Back of thigh"]
    reply = await ready.press("Back of thigh")
    newest = (await rows(app, ready.id))[0]
    assert (newest.location, newest.side, newest.severity) == ("back_thigh", "right", 8)


async def test_without_a_time_zone_times_are_utc_and_the_bot_says_so(app, user: UserDriver, db,
                                                                     clock: FakeClock) -> None:
    await make_user(db, user.id, timezone=None)
    clock.set(THREE_AM)
    reply = await user.send("/cramp")
    assert reply.last.first_line == "✅ Logged a cramp at 03:12 today."
    assert "Times are in UTC" in reply.last.text and "/timezone" in reply.last.text
    assert "Set my time zone" in reply.last.button_labels


async def test_consent_first_then_the_original_log_is_saved(app, user: UserDriver,
                                                            clock: FakeClock) -> None:
    clock.set(THREE_AM)
    reply = await user.send("/cramp left calf 7 zzz")
    assert reply.last.button_labels == ["Accept", "Decline"]
    assert "Understood:" in reply.last.text and "Ignored: “zzz”" in reply.last.text
    assert await rows(app, user.id) == []  # nothing stored before consent
    clock.advance(minutes=2)
    reply = await user.press("Accept")
    logged = reply.last
    assert logged.first_line == "✅ Logged a cramp at 03:12 today."  # the time it was asked
    assert "Understood: calf · left side · severity 7/10" in logged.text
    [episode] = await rows(app, user.id)
    assert episode.started_at == THREE_AM
    assert (episode.location, episode.side, episode.severity) == ("calf", "left", 7)
    async with app.bot_data.services.db.session() as session:
        assert (await users.get(session, user.id)).awaiting is None


async def test_a_second_accept_does_not_log_twice(app, user: UserDriver,
                                                  clock: FakeClock) -> None:
    clock.set(THREE_AM)
    consent = await user.send("Log a cramp")
    clock.advance(seconds=30)
    await user.press("Accept", consent.last)
    reply = await user.press_data("privacy:accept:cramp", consent.last)
    assert reply.last.first_line.startswith("✅ Already logged: a cramp at 03:12 today.")
    [episode] = await rows(app, user.id)
    assert episode.started_at == THREE_AM


async def test_consent_given_elsewhere_still_saves_the_waiting_cramp(app, user: UserDriver,
                                                                      clock: FakeClock) -> None:
    clock.set(THREE_AM)
    older = await user.send("/privacy")  # a consent prompt that resumes nothing
    await user.send("/cramp foot 5")  # waits for consent
    clock.advance(minutes=1)
    await user.press("Accept", older.last)
    assert await rows(app, user.id) == []
    reply = await user.send("thanks")
    assert reply[0].first_line == "✅ Logged a cramp at 03:12 today."
    [episode] = await rows(app, user.id)
    assert (episode.location, episode.severity) == ("foot", 5)


async def test_declining_stores_nothing(app, user: UserDriver, db, clock: FakeClock) -> None:
    await make_user(db, user.id, consent=CONSENT_DECLINED)
    clock.set(THREE_AM)
    reply = await user.send("Log a cramp")
    assert "can't save this" in reply.last.text
    await user.press("Decline")
    assert await rows(app, user.id) == []
    reply = await user.send("hello there")
    assert "Accept" not in reply.button_labels  # the pending log does not trap free text


async def test_diary_pages_edits_and_deletes(ready: UserDriver, app, clock: FakeClock) -> None:
    for hours in range(10):
        clock.set(THREE_AM - timedelta(hours=6 * (9 - hours)))
        await ready.send(f"/cramp calf {hours + 1}")
    clock.set(THREE_AM)
    reply = await ready.send("My diary")
    page = reply.last
    assert page.first_line == "📔 Your diary: 10 cramps (page 1 of 2)"
    assert "1. Tue 10 Mar 03:12 · calf · 10/10" in page.text  # newest first
    assert "Older ›" in page.button_labels
    reply = await ready.press("Older ›")
    assert "9. " in reply.last.text and "‹ Newer" in reply.last.button_labels
    reply = await ready.press("‹ Newer")
    reply = await ready.press("1. Tue 10 Mar 03:12")
    assert reply.last.first_line == "Cramp at 03:12 today"
    assert "How bad: 10/10" in reply.last.text

    reply = await ready.press("How bad")
    assert "Now: 10/10" in reply.last.text
    reply = await ready.press("4")
    assert "Saved: how bad." in reply.last.text and "How bad: 4/10" in reply.last.text

    reply = await ready.press("Time")
    assert "When did this cramp start?" in reply.last.text
    reply = await ready.send("no idea")
    assert "couldn't read a time" in reply.last.text
    reply = await ready.send("yesterday 22:05")
    assert "Saved: time 22:05 yesterday (Mon 9 Mar)." in reply.last.text
    edited = next(e for e in await rows(app, ready.id) if e.severity == 4)
    assert edited.started_at == datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
    assert edited.night_of.isoformat() == "2026-03-09"

    reply = await ready.press("Delete")
    assert "This can't be undone." in reply.last.text
    reply = await ready.press("No, keep it")
    assert len(await rows(app, ready.id)) == 10
    await ready.press("Delete")
    reply = await ready.press("Yes, delete it")
    assert reply.last.first_line == "🗑 Deleted."
    assert "9 cramps" in reply.last.text
    assert all(e.id != edited.id for e in await rows(app, ready.id))


async def test_another_users_forged_button_gets_a_polite_refusal_and_no_data(
    ready: UserDriver, other_user: UserDriver, app, standin: BotApiStandIn, db
) -> None:
    await ready.send("/cramp left calf 8 secretword")
    [episode] = await rows(app, ready.id)
    await make_user(db, other_user.id)
    own = await other_user.send("/diary")
    for verb, args in [("open", (episode.id,)), ("del", (episode.id, 0)),
                       ("delok", (episode.id, 0)), ("set", (episode.id, "sev", 1, "e")),
                       ("time", (episode.id,)), ("step", (episode.id, "where")),
                       ("done", (episode.id,)), ("skip", (episode.id, "sev"))]:
        start = len(standin.calls)
        reply = await other_user.press_data(callback_data.encode("diary", verb, *args), own.last)
        [answer] = other_user.answers_since(start)
        assert answer.params.get("text") == "That cramp isn't in your diary (it may have been deleted)."
        assert reply.button_labels == ["My diary"]  # a way on, and nothing of the owner's
        for word in ("calf", "8/10", "left", "secretword", "03:12"):
            assert word not in reply.text
    [still] = await rows(app, ready.id)
    assert (still.severity, still.location) == (8, "calf")


async def test_malformed_diary_buttons_are_answered_politely(ready: UserDriver,
                                                             standin: BotApiStandIn) -> None:
    reply = await ready.send("/cramp")
    for data in ("diary:set:1:sev:99:w", "diary:open:abc", "diary:nope", "diary:set:1:zz:1:w"):
        start = len(standin.calls)
        await ready.press_data(data, reply.last)
        answers = ready.answers_since(start)
        assert answers, data
        assert standin.calls_to("answerCallbackQuery", since=start)[0].error is None


async def test_stats_sends_text_then_a_chart_while_showing_upload_photo(
    ready: UserDriver, app, standin: BotApiStandIn, clock: FakeClock
) -> None:
    for days in range(5):
        clock.set(THREE_AM - timedelta(days=days))
        await ready.send("/cramp left calf 6 5m night")
    clock.set(THREE_AM + timedelta(hours=5))
    start = len(standin.calls)
    reply = await ready.send("/stats")
    text, photo = reply[0], reply[-1]
    assert text.first_line == "📊 Your cramps: last 30 days (9 Feb – 10 Mar)"
    assert "Cramps: 5 in 30 days (1.2 a week)" in text.text
    assert "Nights with cramps: 5 of 30" in text.text
    assert "Where: calf 5" in text.text
    assert text.button_labels[:3] == ["7 days", "• 30 days", "90 days"]
    actions = standin.calls_to("sendChatAction", since=start)
    assert [c.params["action"] for c in actions] == ["upload_photo"]
    assert actions[0].at <= photo.call.at
    image = Image.open(io.BytesIO(photo.photo))
    assert image.format == "PNG" and image.size == (800, 640)

    reply = await ready.press("7 days")
    assert reply[0].method == "editMessageText"
    assert "last 7 days" in reply[0].first_line and reply[-1].method == "sendPhoto"


async def test_export_sends_a_csv_and_a_one_page_pdf(ready: UserDriver, app,
                                                     clock: FakeClock) -> None:
    await ready.send("/cramp left calf 7 5m night")
    await ready.press("Stretching")
    await ready.press("Next")
    await ready.press("Quite a bit")
    clock.advance(days=1)
    await ready.send("/cramp 2h ago foot 4")
    reply = await ready.send("/export")
    csv_doc, pdf_doc = [m for m in reply if m.method == "sendDocument"]
    name, content = csv_doc.document
    assert name == "cramp-diary-2026-03-11.csv"
    table = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r["location"] for r in table] == ["calf", "foot"]
    assert table[0]["what_helped"] == "stretching"
    assert table[0]["how_much_it_helped"] == "quite a bit"
    name, content = pdf_doc.document
    assert name == "cramp-summary-2026-03-11.pdf"
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Period: 12 Dec 2025 – 11 Mar 2026 (90 days)" in text
    assert "2 in 90 days" in text and "Information only, not a diagnosis" in text


async def test_empty_diary_and_empty_export_explain_what_to_do(ready: UserDriver) -> None:
    reply = await ready.send("/diary")
    assert reply.last.first_line == "📔 Your diary is empty."
    reply = await ready.send("/export")
    assert "nothing to export yet" in reply.last.text
    assert not [m for m in reply if m.method == "sendDocument"]


async def test_stats_and_summary_show_triage_medicines_and_adherence(
    ready: UserDriver, app, clock: FakeClock
) -> None:
    """The cross-feature sections, read through the other features' storage functions."""
    from bot.models.reminders import ReminderDelivery
    from bot.storage import causes, reminders, triage

    await ready.send("/cramp calf 6 night")
    db = app.bot_data.services.db
    finished = THREE_AM - timedelta(days=2)
    async with db.session() as session:
        row = await triage.start(session, ready.id, node="body_danger", graph_version="1",
                                 now=finished)
        answers = [{"question": "body_danger", "answer": "no", "rf": []},
                   {"question": "sleep", "answer": "yes", "rf": ["RF-R1"]}]
        await triage.finish(session, row.id, expected_step=0, node="routine", answers=answers,
                            red_flags=["RF-R1"], level="ROUTINE", now=finished)
        run = await causes.start(session, ready.id, "meds", finished)
        await causes.finish(session, run, step="done", answers={}, factors=["CAUSE-M"],
                            medicines=["statins"], now=finished, keep=True)
        [slot, *_rest] = await reminders.create_default_plan(session, ready.id, "Europe/London",
                                                             finished)
        for day, done in ((1, True), (2, False)):
            due = THREE_AM - timedelta(days=day)
            session.add(ReminderDelivery(
                user_id=ready.id, slot_id=slot.id, kind=reminders.KIND_STRETCH,
                stretch="calf", local_date=due.date(), due_at=due, send_at=due,
                status=reminders.STATUS_SENT, sent_at=due, done_at=due if done else None))
        await session.commit()

    reply = await ready.send("/stats")
    text = reply[0].text
    assert "Last symptom check: 8 Mar 2026 — book a doctor's appointment" in text
    assert "Stretch reminders done: 1 of 2 (50%)" in text
    assert text.rstrip().endswith("does not replace a doctor.")

    reply = await ready.send("/export")
    pdf = [m for m in reply if m.method == "sendDocument"][1]
    content = " ".join(PdfReader(io.BytesIO(pdf.document[1])).pages[0].extract_text().split())
    assert "08 Mar 2026 ROUTINE (book a doctor's appointment)" in content
    assert "Answer: yes → RF-R1 cramps disturb sleep" in content
    assert "statins" in content
    assert "Stretch reminders marked done: 1 of 2." in content


async def test_stats_still_answers_when_the_chat_action_is_refused(user, standin, db) -> None:
    """"Sending a photo…" is a nicety: a Bot API server refusing it must not cost the reply."""
    from tests.factories import make_user

    await make_user(db, user.id)
    await user.send("/cramp")
    standin.inject_fault("sendChatAction", 400, "Bad Request: not supported")
    reply = await user.send("/stats")
    assert any(m.method == "sendPhoto" for m in reply)
