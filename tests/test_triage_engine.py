"""The triage engine on tiny inline graphs: start, answer, back, replay, level, outcome, why."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.triage import Engine, EngineError, Level
from bot.triage.graph import loads_graph

E_OUT = """
[outcomes.emergency]
level = "EMERGENCY"
headline = "Get emergency help now"
todo = [{ text = "Call {number}.", ids = ["RF-E"] }]
safety = [{ text = "Call again if worse.", ids = ["RF-E2"] }]
"""
U_OUT = """
[outcomes.urgent]
level = "URGENT"
headline = "See a doctor within 48 hours"
todo = [{ text = "See a doctor.", ids = ["RF-U"] }]
safety = [{ text = "Call {number} if worse.", ids = ["RF-E2"] }]
"""
R_OUT = """
[outcomes.routine]
level = "ROUTINE"
headline = "Book an appointment with your doctor"
todo = [{ text = "Book.", ids = ["RF-R"] }]
safety = [{ text = "Sooner if worse.", ids = ["RF-U1"] }]
"""
S_OUT = """
[outcomes.fine]
level = "SELF_CARE"
headline = "Self-care at home"
todo = [{ text = "Stretch.", ids = ["PREV-1"] }]
safety = [{ text = "Come back if it changes.", ids = ["RF-R3"] }]
"""

# E -> U -> R chain, the shape the shipped graph has.
CHAIN = """
start = "chest"
[questions.chest]
ask = "Chest pain?"
short = "Chest pain"
rf = ["RF-E8"]
yes = { next = "emergency", level = "EMERGENCY" }
no = { next = "rest_pain" }

[questions.rest_pain]
ask = "Pain that eases with rest?"
short = "Pain easing with rest"
rf = ["RF-U1"]
yes = { next = "urgent", level = "URGENT" }
no = { next = "sleep" }

[questions.sleep]
ask = "Cramps disturb your sleep?"
short = "Sleep disturbed"
rf = ["RF-R1"]
yes = { next = "routine", level = "ROUTINE" }
no = { next = "fine" }
""" + E_OUT + U_OUT + R_OUT + S_OUT

# A URGENT "yes" that keeps asking: the next questions can't lower the level.
KEEPS_ASKING = """
start = "rest_pain"
[questions.rest_pain]
ask = "Pain that eases with rest?"
short = "Pain easing with rest"
rf = ["RF-U1"]
yes = { next = "sleep_after_urgent", level = "URGENT" }
no = { next = "sleep" }

[questions.sleep_after_urgent]
ask = "Cramps disturb your sleep?"
short = "Sleep disturbed"
rf = ["RF-R1"]
yes = { next = "urgent", level = "ROUTINE" }
no = { next = "urgent" }

[questions.sleep]
ask = "Cramps disturb your sleep?"
short = "Sleep disturbed"
rf = ["RF-R1"]
yes = { next = "routine", level = "ROUTINE" }
no = { next = "fine" }
""" + U_OUT + R_OUT + S_OUT

CHOICE = """
start = "which"
[questions.which]
ask = "Which of these fits?"
short = "Which fits"
rf = ["RF-U1", "RF-R1"]
choices = [
  { id = "none", label = "None of these", next = "fine" },
  { id = "walk", label = "Pain when I walk", next = "urgent", level = "URGENT", rf = ["RF-U1"] },
  { id = "sleep", label = "Wakes me up", next = "routine", level = "ROUTINE", rf = ["RF-R1"] },
]
""" + U_OUT + R_OUT + S_OUT


@pytest.fixture
def chain() -> Engine:
    return Engine(loads_graph(CHAIN))


def test_start_is_the_first_question(chain: Engine) -> None:
    progress = chain.start()
    assert progress.node == "chest" and progress.step == 0
    assert chain.question(progress).ask == "Chest pain?"
    assert not chain.finished(progress)
    assert chain.level(progress) is Level.SELF_CARE


def test_all_no_ends_in_self_care_and_why_lists_every_answer(chain: Engine) -> None:
    progress = chain.replay(["no", "no", "no"])
    assert chain.finished(progress)
    assert chain.outcome(progress).id == "fine"
    assert chain.outcome(progress).level is Level.SELF_CARE
    assert [s.question for s in chain.why(progress)] == ["chest", "rest_pain", "sleep"]
    assert chain.red_flags(progress) == []


def test_first_emergency_yes_ends_at_once(chain: Engine) -> None:
    progress = chain.answer(chain.start(), "yes")
    assert chain.finished(progress)
    assert progress.step == 1
    assert chain.outcome(progress).level is Level.EMERGENCY
    assert chain.red_flags(progress) == ["RF-E8"]
    assert chain.records(progress) == [{"question": "chest", "answer": "yes", "rf": ["RF-E8"]}]


def test_urgent_yes_why_names_only_the_deciding_answer(chain: Engine) -> None:
    progress = chain.replay(["no", "yes"])
    assert chain.outcome(progress).headline == "See a doctor within 48 hours"
    why = chain.why(progress)
    assert [(s.question, s.value) for s in why] == [("rest_pain", "yes")]


def test_back_undoes_the_last_answer(chain: Engine) -> None:
    progress = chain.replay(["no", "no"])
    back = chain.back(progress)
    assert back.node == "rest_pain" and back.step == 1
    assert chain.back(back) == chain.start()
    with pytest.raises(EngineError, match="first question"):
        chain.back(chain.start())


def test_unknown_answer_and_answering_a_finished_triage_fail_loudly(chain: Engine) -> None:
    with pytest.raises(EngineError, match="'maybe' is not an answer to 'chest'"):
        chain.answer(chain.start(), "maybe")
    finished = chain.replay(["yes"])
    with pytest.raises(EngineError, match="finished"):
        chain.answer(finished, "no")
    with pytest.raises(EngineError, match="not finished"):
        chain.outcome(chain.start())


def test_level_is_the_highest_reached_even_when_later_answers_are_lower() -> None:
    eng = Engine(loads_graph(KEEPS_ASKING))
    progress = eng.replay(["yes", "yes"])  # URGENT, then a ROUTINE sign
    assert eng.level(progress) is Level.URGENT
    assert eng.outcome(progress).level is Level.URGENT
    assert [s.question for s in eng.why(progress)] == ["rest_pain"]
    assert eng.red_flags(progress) == ["RF-U1", "RF-R1"]


def test_choice_question_codes_and_levels() -> None:
    eng = Engine(loads_graph(CHOICE))
    question = eng.question(eng.start())
    assert question.options[0].label == "None of these"
    assert Engine.code_for(question, "sleep") == "2"
    assert Engine.value_for(question, "1") == "walk"
    with pytest.raises(EngineError):
        Engine.value_for(question, "7")
    progress = eng.from_path_code("1")
    assert eng.outcome(progress).level is Level.URGENT
    assert eng.records(progress) == [{"question": "which", "answer": "walk", "rf": ["RF-U1"]}]
    assert eng.outcome(eng.from_path_code("0")).level is Level.SELF_CARE


def test_path_code_round_trips(chain: Engine) -> None:
    progress = chain.replay(["no", "no", "yes"])
    assert chain.path_code(progress) == "nny"
    assert chain.from_path_code("nny") == progress
    with pytest.raises(EngineError):
        chain.from_path_code("nx")


def test_replay_rejects_answers_the_graph_no_longer_has(chain: Engine) -> None:
    with pytest.raises(EngineError):
        chain.replay(["no", "no", "no", "no"])  # one answer too many: already finished


def test_the_outcome_never_drops_below_the_level_even_if_the_data_were_wrong(chain: Engine) -> None:
    # Loading refuses such a graph; build one by hand to check the engine's own safety net.
    graph = chain.graph
    rest_pain = graph.questions["rest_pain"]
    wrong_yes = replace(rest_pain.options[0], next="fine")  # URGENT sign -> SELF_CARE outcome
    questions = {**graph.questions,
                 "rest_pain": replace(rest_pain, options=(wrong_yes, rest_pain.options[1]))}
    eng = Engine(replace(graph, questions=questions))
    progress = eng.replay(["no", "yes"])
    assert progress.node == "fine"
    assert eng.outcome(progress).level is Level.URGENT
    assert eng.outcome(progress).id == "urgent"
