"""Pure core of the guidance features: the content loader, the relief rules, the causes result."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content import DATA_FILE, ContentError, load_content, load_known_ids, parse_content
from bot.content.causes import (
    ALREADY,
    CONDITIONS,
    DONE,
    FINISH,
    INVALID,
    MEDICINES,
    MOVE,
    ROUTINE,
    URGENT,
    Answers,
    build_result,
    decide,
    flow_steps,
    next_step,
    previous_step,
)
from bot.content.relief import duration_code, still_question_due


def raw_content() -> dict:
    with DATA_FILE.open("rb") as handle:
        return tomllib.load(handle)


CONTENT = load_content()
KNOWN_IDS = load_known_ids()
CAUSES = CONTENT.causes
QUESTION_KEYS = [q.key for q in CAUSES.questions]
MEDICINE_KEYS = [o.key for o in CAUSES.medicine_options]
CONDITION_KEYS = [o.key for o in CAUSES.condition_options]

# ----------------------------------------------------------------- the loader


def test_shipped_content_loads_against_the_known_ids() -> None:
    content = parse_content(raw_content(), known_ids=load_known_ids())
    assert list(content.stretches) == ["calf", "ham", "quad"]
    assert set(content.pages) == {"relief", "prevent", "bed", "about", "evidence"}
    assert [s.key for s in content.relief.steps] == ["stretch", "massage", "stand", "warm", "after"]
    assert [s.key for s in content.relief.steps if s.timer] == ["stretch"]


def test_stretch_text_carries_the_routine() -> None:
    routine = CONTENT.routine.text
    assert "30 to 45 seconds" in routine and "5 minutes" in routine and "before bed" in routine
    assert "STRETCH" in CONTENT.routine.ids
    for stretch in CONTENT.stretches.values():
        assert f"STRETCH-{stretch.key.upper()}" in stretch.ids
        assert any("30 to 45 seconds" in step for step in stretch.steps)


def test_relief_and_bedtime_say_what_the_clinical_file_says() -> None:
    stretch = CONTENT.relief.steps[0]
    assert "toes" in stretch.text and "shin" in stretch.text and "Don't point" in stretch.text
    bed = " ".join(item.text for item in CONTENT.pages["bed"].items)
    assert "on your back" in bed.lower() and "over the end of the bed" in bed
    assert "heavy blankets" in bed
    evidence = CONTENT.pages["evidence"]
    assert "RELIEF-7" in evidence.ids
    assert all("RELIEF-" in " ".join(i.ids) for i in CONTENT.pages["relief"].items[:6])


def test_medicine_advice_always_says_doctor_or_pharmacist_and_never_stop() -> None:
    advice = CAUSES.medicines.advice
    assert "doctor or pharmacist" in advice
    assert "never stop a prescribed medicine on your own" in advice


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("stretches", 0, "ids"), [], "without ids"),
        (("stretches", 0, "key"), "Calf Stretch", "short lowercase word"),
        (("stretches", 1, "key"), "calf", "duplicate key"),
        (("relief", "steps", 1, "timer"), True, "exactly one step"),
        (("causes", "questions", 0, "factor"), "nope", "unknown factor"),
        (("pages", 0, "items", 0, "text"), "Take 2 tablets every night.", "dosage"),
        (("routine", "ids"), ["NOT-AN-ID"], "does not define"),
    ],
)
def test_loader_rejects_broken_content(path: tuple, value: object, message: str) -> None:
    raw = copy.deepcopy(raw_content())
    target = raw
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ContentError, match=message):
        parse_content(raw, known_ids=load_known_ids())


def test_loader_requires_each_stretch_the_reminders_link_to() -> None:
    raw = copy.deepcopy(raw_content())
    raw["stretches"] = [s for s in raw["stretches"] if s["key"] != "quad"]
    with pytest.raises(ContentError, match="'quad' stretch is required"):
        parse_content(raw)


def test_loader_rejects_a_factor_no_question_flags() -> None:
    raw = copy.deepcopy(raw_content())
    raw["causes"]["factors"]["extra"] = {"name": "x", "ids": ["CAUSE-L"], "why": "w", "advice": "a"}
    with pytest.raises(ContentError, match="no question flags"):
        parse_content(raw)


# ----------------------------------------------------------------- relief rules


@pytest.mark.parametrize(
    ("seconds", "code"),
    [(0, "lt1"), (59, "lt1"), (60, "1to5"), (299, "1to5"), (300, "5to10"), (600, "5to10"),
     (601, "gt10"), (3600, "gt10")],
)
def test_duration_code(seconds: int, code: str) -> None:
    assert duration_code(timedelta(seconds=seconds)) == code


def test_still_question_is_due_once_after_ten_minutes() -> None:
    start = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    assert not still_question_due(start, start + timedelta(minutes=9, seconds=59), None)
    assert still_question_due(start, start + timedelta(minutes=10), None)
    assert not still_question_due(start, start + timedelta(minutes=11), start + timedelta(minutes=10))


# ----------------------------------------------------------------- causes logic


def test_steps_run_questions_then_medicines_then_conditions() -> None:
    steps = flow_steps(CAUSES)
    assert steps == (*QUESTION_KEYS, MEDICINES, CONDITIONS)
    assert next_step(CAUSES, CONDITIONS) == DONE
    assert previous_step(CAUSES, steps[0]) is None
    assert previous_step(CAUSES, MEDICINES) == QUESTION_KEYS[-1]
    with pytest.raises(ValueError, match="unknown step"):
        next_step(CAUSES, "bogus")


def test_decide_walks_the_flow_and_refuses_what_it_could_not_have_sent() -> None:
    first, second = QUESTION_KEYS[0], QUESTION_KEYS[1]
    move = decide(CAUSES, first, Answers(), "a", (first, "y"))
    assert (move.kind, move.step) == (MOVE, second) and first in move.answers.yes
    assert decide(CAUSES, second, move.answers, "a", (first, "n")).kind == ALREADY
    assert decide(CAUSES, second, Answers(), "back", (second,)).step == first
    assert decide(CAUSES, first, Answers(), "back", (first,)).kind == INVALID
    assert decide(CAUSES, first, Answers(), "a", (first, "maybe")).kind == INVALID
    assert decide(CAUSES, first, Answers(), "t", (first, "bp")).kind == INVALID
    assert decide(CAUSES, first, Answers(), "a", ("nope", "y")).kind == INVALID
    assert decide(CAUSES, first, Answers(), "a", ()).kind == INVALID
    assert decide(CAUSES, "renamed", Answers(), "a", ("renamed", "y")).kind == INVALID


def test_decide_on_the_lists() -> None:
    toggled = decide(CAUSES, MEDICINES, Answers(), "t", (MEDICINES, "bp"))
    assert (toggled.kind, toggled.step) == (MOVE, MEDICINES)
    assert toggled.answers.selected(MEDICINES) == ("bp",)
    assert decide(CAUSES, MEDICINES, Answers(), "t", (MEDICINES, "diab")).kind == INVALID
    done = decide(CAUSES, MEDICINES, toggled.answers, "done", (MEDICINES,))
    assert (done.kind, done.step) == (MOVE, CONDITIONS) and done.answers == toggled.answers
    none = decide(CAUSES, MEDICINES, toggled.answers, "none", (MEDICINES,))
    assert none.answers.selected(MEDICINES) == ()
    finish = decide(CAUSES, CONDITIONS, Answers(), "done", (CONDITIONS,))
    assert (finish.kind, finish.step) == (FINISH, DONE)


def test_nothing_flagged_gives_the_no_known_cause_note() -> None:
    result = build_result(CAUSES, Answers().answer("exert", present=False))
    assert result.is_empty and result.nothing is not None
    assert result.factors == () and result.see_doctor is None
    assert result.factor_names() == [] and result.medicine_names() == []


def test_yes_answers_flag_their_factors_in_question_order() -> None:
    answers = Answers().answer("toes", present=True).answer("exert", present=True)
    result = build_result(CAUSES, answers)
    assert [f.key for f in result.factors] == ["exert", "toes"]
    assert "PREV-2" in result.factors[1].ids
    assert result.nothing is None


def test_medicines_mean_see_a_doctor_within_48_hours_and_the_pharmacist_line() -> None:
    answers = Answers().toggle(MEDICINES, "statin").toggle(MEDICINES, "diur")
    result = build_result(CAUSES, answers)
    assert result.medicine_names() == ["Diuretics (water tablets)", "Statins or other cholesterol medicines"]
    assert result.see_doctor == URGENT
    assert result.medicine_advice is not None
    assert "never stop a prescribed medicine" in result.medicine_advice.advice
    assert "RF-U3" in result.ids


def test_conditions_mean_book_a_doctor_and_count_as_factors() -> None:
    result = build_result(CAUSES, Answers().toggle(CONDITIONS, "diab"))
    assert result.see_doctor == ROUTINE
    assert result.factor_names() == ["Diabetes"]
    assert "RF-R2" in result.ids


def test_toggle_twice_unticks_and_clear_empties() -> None:
    answers = Answers().toggle(MEDICINES, "bp").toggle(MEDICINES, "insulin").toggle(MEDICINES, "bp")
    assert answers.selected(MEDICINES) == ("insulin",)
    assert answers.clear(MEDICINES).selected(MEDICINES) == ()


def test_answers_survive_json_and_bad_json_is_dropped() -> None:
    answers = Answers().answer("exert", present=True).answer("preg", present=False)
    answers = answers.toggle(CONDITIONS, "oa")
    assert Answers.from_json(answers.to_json()) == answers
    assert Answers.from_json({"yes": "exert", MEDICINES: [1, "bp"], "no": None}) == Answers(
        frozenset(), frozenset(), {MEDICINES: ("bp",), CONDITIONS: ()}
    )
    assert Answers.from_json("garbage") == Answers()


def test_unknown_keys_in_stored_answers_are_ignored() -> None:
    answers = Answers.from_json({"yes": ["gone"], MEDICINES: ["removed", "bp"], CONDITIONS: []})
    result = build_result(CAUSES, answers)
    assert result.factors == () and result.medicine_names() == ["Blood pressure medicines"]


@given(
    yes=st.sets(st.sampled_from(QUESTION_KEYS)),
    meds=st.lists(st.sampled_from(MEDICINE_KEYS), unique=True),
    conds=st.lists(st.sampled_from(CONDITION_KEYS), unique=True),
)
def test_result_properties(yes: set[str], meds: list[str], conds: list[str]) -> None:
    answers = Answers()
    for key in QUESTION_KEYS:
        answers = answers.answer(key, present=key in yes)
    for key in meds:
        answers = answers.toggle(MEDICINES, key)
    for key in conds:
        answers = answers.toggle(CONDITIONS, key)
    result = build_result(CAUSES, answers)
    # Every yes is reflected, once; medicines always bring the doctor/pharmacist line.
    assert {f.key for f in result.factors} == {CAUSES.question(k).factor for k in yes}
    assert (result.medicine_advice is not None) == bool(meds)
    assert result.see_doctor == (URGENT if meds else ROUTINE if conds else None)
    assert result.is_empty == (not yes and not meds and not conds)
    assert len(result.medicine_names()) == len(meds)
    assert set(result.ids) <= KNOWN_IDS


def test_the_content_package_stays_pure() -> None:
    import ast
    from pathlib import Path

    forbidden = ("telegram", "sqlmodel", "sqlalchemy", "bot.handlers", "bot.storage", "bot.models",
                 "bot.app", "bot.db")
    for path in sorted((Path(__file__).resolve().parent.parent / "bot" / "content").glob("*.py")):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {n for n in names if n.startswith(forbidden)}, path.name
