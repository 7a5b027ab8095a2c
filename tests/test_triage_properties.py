"""Property tests over the SHIPPED triage graph (hypothesis), plus an exhaustive walk.

Every answer path ends at an outcome; the outcome is never lower than the highest level
any answer reached (and the graph routes there itself, without the engine's safety net);
the first EMERGENCY answer ends the questions; Back always undoes exactly one answer.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.triage import Engine, Level, Progress, shipped_graph

ENGINE = Engine(shipped_graph())
MAX_QUESTIONS = len(ENGINE.graph.questions)

choices = st.lists(st.integers(min_value=0, max_value=9), min_size=MAX_QUESTIONS,
                   max_size=MAX_QUESTIONS)


def walk(picks: list[int]) -> Progress:
    """Answer each question with option ``pick % options`` until the triage ends."""
    progress = ENGINE.start()
    for pick in picks:
        if ENGINE.finished(progress):
            break
        options = ENGINE.question(progress).options
        progress = ENGINE.answer(progress, options[pick % len(options)].value)
    return progress


def all_paths(progress: Progress | None = None) -> list[Progress]:
    progress = progress or ENGINE.start()
    if ENGINE.finished(progress):
        return [progress]
    return [end for option in ENGINE.question(progress).options
            for end in all_paths(ENGINE.answer(progress, option.value))]


@settings(max_examples=300, deadline=None)
@given(choices)
def test_every_answer_path_ends_at_an_outcome(picks: list[int]) -> None:
    progress = walk(picks)
    assert ENGINE.finished(progress)
    assert progress.step <= MAX_QUESTIONS
    assert ENGINE.outcome(progress).level in Level


@settings(max_examples=300, deadline=None)
@given(choices)
def test_the_outcome_is_never_lower_than_the_highest_level_answered(picks: list[int]) -> None:
    progress = walk(picks)
    highest = max((s.level for s in progress.steps if s.level is not None),
                  default=Level.SELF_CARE)
    outcome = ENGINE.outcome(progress)
    assert outcome.level >= highest
    # The data routes there by itself: the engine's escalation is only a safety net.
    assert ENGINE.graph.outcomes[progress.node].level == outcome.level
    # The "Why?" answers are the ones at the outcome's level (all of them for self-care).
    assert all(s.level in (outcome.level, None) for s in ENGINE.why(progress))


@settings(max_examples=300, deadline=None)
@given(choices)
def test_the_first_emergency_answer_ends_the_questions(picks: list[int]) -> None:
    progress = walk(picks)
    emergency_steps = [i for i, s in enumerate(progress.steps) if s.level is Level.EMERGENCY]
    if emergency_steps:
        assert emergency_steps == [progress.step - 1]
        assert ENGINE.outcome(progress).level is Level.EMERGENCY


@settings(max_examples=200, deadline=None)
@given(choices, st.integers(min_value=0, max_value=MAX_QUESTIONS))
def test_back_undoes_exactly_one_answer_and_replay_restores(picks: list[int], cut: int) -> None:
    progress = walk(picks)
    values = [s.value for s in progress.steps]
    partial = ENGINE.replay(values[: min(cut, len(values))])
    if partial.steps:
        previous = ENGINE.back(partial)
        assert previous == ENGINE.replay(values[: partial.step - 1])
        assert ENGINE.answer(previous, partial.steps[-1].value) == partial
    assert ENGINE.from_path_code(ENGINE.path_code(progress)) == progress


def test_exhaustively_every_path_reaches_the_right_outcome() -> None:
    ends = all_paths()
    assert len(ends) == MAX_QUESTIONS + 1  # a chain: one path per first "Yes", plus all "No"
    for progress in ends:
        highest = ENGINE.level(progress)
        assert ENGINE.graph.outcomes[progress.node].level == highest
    all_no = next(p for p in ends if all(s.value == "no" for s in p.steps))
    assert all_no.step == MAX_QUESTIONS == 11
    assert ENGINE.outcome(all_no).level is Level.SELF_CARE
