"""The triage engine: walk a validated graph one answer at a time. Pure, no I/O, no state.

A ``Progress`` is the node reached plus the answers given so far. The database keeps only the
answers; ``replay`` rebuilds the progress from them, so any instance (or a restarted one) can
take the next step. The level is the highest any answer reached (SELF_CARE when none), and the
outcome shown is never lower than that level, whatever the graph data says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.triage.graph import Graph, Level, Outcome, Question


class EngineError(ValueError):
    """A step the graph does not allow: a stale, forged or out-of-date answer."""


@dataclass(frozen=True)
class Step:
    """One answer given: to which question, what, the level it reached, the RF ids behind it."""

    question: str
    value: str
    level: Level | None
    rf: tuple[str, ...]

    def record(self) -> dict[str, Any]:
        """The stored form: {"question": id, "answer": "yes"/"no"/choice, "rf": [ids]}."""
        return {"question": self.question, "answer": self.value, "rf": list(self.rf)}


@dataclass(frozen=True)
class Progress:
    node: str
    steps: tuple[Step, ...] = ()

    @property
    def step(self) -> int:
        """How many answers have been given (the step a button press refers to)."""
        return len(self.steps)


class Engine:
    """Start, answer, go back, and explain, over one graph."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def start(self) -> Progress:
        return Progress(self.graph.start)

    def finished(self, progress: Progress) -> bool:
        return progress.node in self.graph.outcomes

    def question(self, progress: Progress) -> Question:
        """The question to ask now; EngineError once the triage has finished."""
        question = self.graph.questions.get(progress.node)
        if question is None:
            raise EngineError(f"no question at {progress.node!r}: the triage has finished")
        return question

    def answer(self, progress: Progress, value: str) -> Progress:
        """Take one answer ("yes", "no" or a choice id) and move to the next node."""
        question = self.question(progress)
        option = question.option(value)
        if option is None:
            raise EngineError(f"{value!r} is not an answer to {question.id!r}")
        step = Step(question.id, option.value, option.level, option.rf)
        return Progress(option.next, (*progress.steps, step))

    def back(self, progress: Progress) -> Progress:
        """Undo the last answer; EngineError at the first question."""
        if not progress.steps:
            raise EngineError("already at the first question")
        return Progress(progress.steps[-1].question, progress.steps[:-1])

    def replay(self, values: Iterable[str]) -> Progress:
        """Rebuild a progress from answer values; EngineError if the graph no longer fits."""
        progress = self.start()
        for value in values:
            progress = self.answer(progress, value)
        return progress

    def level(self, progress: Progress) -> Level:
        """The highest level any answer reached so far; SELF_CARE when none."""
        return max((s.level for s in progress.steps if s.level is not None), default=Level.SELF_CARE)

    def outcome(self, progress: Progress) -> Outcome:
        """The outcome of a finished triage, never lower than the highest level answered."""
        if not self.finished(progress):
            raise EngineError("the triage has not finished")
        reached = self.graph.outcomes[progress.node]
        highest = self.level(progress)
        return reached if reached.level >= highest else self.graph.outcome_for(highest)

    def final_level(self, progress: Progress) -> Level:
        return self.outcome(progress).level if self.finished(progress) else self.level(progress)

    def why(self, progress: Progress) -> tuple[Step, ...]:
        """The answers that set the level: those at that level, or all of them if none is."""
        level = self.final_level(progress)
        deciding = tuple(s for s in progress.steps if s.level == level)
        return deciding or progress.steps

    def red_flags(self, progress: Progress) -> list[str]:
        """The RF ids of every answer that raised the level, in the order answered."""
        flags: list[str] = []
        for step in progress.steps:
            if step.level is not None:
                flags.extend(rf for rf in step.rf if rf not in flags)
        return flags

    def records(self, progress: Progress) -> list[dict[str, Any]]:
        return [s.record() for s in progress.steps]

    # A compact form of the answers for callback data: one character per answer.
    @staticmethod
    def code_for(question: Question, value: str) -> str:
        if not question.is_choice:
            return value[:1]
        return str(next(i for i, o in enumerate(question.options) if o.value == value))

    @staticmethod
    def value_for(question: Question, code: str) -> str:
        """The answer value a one-character code stands for; EngineError if none."""
        if question.is_choice:
            if code.isdigit() and int(code) < len(question.options):
                return question.options[int(code)].value
        elif code in ("y", "n"):
            return "yes" if code == "y" else "no"
        raise EngineError(f"{code!r} is not an answer to {question.id!r}")

    def path_code(self, progress: Progress) -> str:
        return "".join(self.code_for(self.graph.questions[s.question], s.value)
                       for s in progress.steps)

    def from_path_code(self, code: str) -> Progress:
        progress = self.start()
        for char in code:
            progress = self.answer(progress, self.value_for(self.question(progress), char))
        return progress
