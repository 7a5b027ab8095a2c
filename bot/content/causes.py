"""The causes explorer's pure logic: the order of steps, the answers, the personal result.

No Telegram, no ORM: the handler stores ``Answers.to_json()`` in the session row and renders
``CausesResult``. Every statement in a result comes from the content file with its ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.content import Advice, Causes, Factor, Option, TextItem

MEDICINES = "meds"
CONDITIONS = "conds"
DONE = "done"
LISTS = (MEDICINES, CONDITIONS)

# Level words shared with the triage feature.
URGENT = "URGENT"
ROUTINE = "ROUTINE"


def flow_steps(causes: Causes) -> tuple[str, ...]:
    """Every step in order: the yes/no questions, then medicines, then conditions."""
    return (*(q.key for q in causes.questions), MEDICINES, CONDITIONS)


def next_step(causes: Causes, step: str) -> str:
    """The step after ``step``; ``DONE`` after the last one."""
    steps = flow_steps(causes)
    if step not in steps:
        raise ValueError(f"unknown step {step!r}")
    index = steps.index(step)
    return steps[index + 1] if index + 1 < len(steps) else DONE


def previous_step(causes: Causes, step: str) -> str | None:
    """The step before ``step``; None on the first one."""
    steps = flow_steps(causes)
    if step not in steps:
        raise ValueError(f"unknown step {step!r}")
    index = steps.index(step)
    return steps[index - 1] if index > 0 else None


def options_for(causes: Causes, list_name: str) -> tuple[Option, ...]:
    if list_name == MEDICINES:
        return causes.medicine_options
    if list_name == CONDITIONS:
        return causes.condition_options
    raise ValueError(f"unknown list {list_name!r}")


@dataclass(frozen=True)
class Answers:
    """What the user has answered so far; immutable, changed by returning a new value."""

    yes: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()
    picked: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {MEDICINES: (), CONDITIONS: ()}
    )

    def answer(self, question: str, present: bool) -> Answers:
        """Record Yes (``present``) or No for ``question``."""
        yes = self.yes - {question}
        no = self.no - {question}
        return Answers(yes | {question} if present else yes, no if present else no | {question},
                       self.picked)

    def toggle(self, list_name: str, key: str) -> Answers:
        """Tick or untick ``key`` in a multi-select list."""
        current = self.picked.get(list_name, ())
        chosen = tuple(k for k in current if k != key) if key in current else (*current, key)
        return Answers(self.yes, self.no, {**self.picked, list_name: chosen})

    def clear(self, list_name: str) -> Answers:
        """"None of these": untick everything in a list."""
        return Answers(self.yes, self.no, {**self.picked, list_name: ()})

    def selected(self, list_name: str) -> tuple[str, ...]:
        return self.picked.get(list_name, ())

    def to_json(self) -> dict[str, Any]:
        return {
            "yes": sorted(self.yes),
            "no": sorted(self.no),
            MEDICINES: list(self.selected(MEDICINES)),
            CONDITIONS: list(self.selected(CONDITIONS)),
        }

    @classmethod
    def from_json(cls, data: Any) -> Answers:
        """Rebuild from stored JSON; anything malformed is dropped, never raised."""
        if not isinstance(data, Mapping):
            return cls()

        def strings(name: str) -> list[str]:
            value = data.get(name)
            return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

        return cls(
            frozenset(strings("yes")),
            frozenset(strings("no")) - frozenset(strings("yes")),
            {MEDICINES: tuple(dict.fromkeys(strings(MEDICINES))),
             CONDITIONS: tuple(dict.fromkeys(strings(CONDITIONS)))},
        )


@dataclass(frozen=True)
class CausesResult:
    """The personal list of possible contributing factors and what to do about each."""

    factors: tuple[Factor, ...]
    medicines: tuple[Option, ...]
    conditions: tuple[Option, ...]
    medicine_advice: Advice | None
    condition_advice: Advice | None
    nothing: TextItem | None
    safety: TextItem
    see_doctor: str | None

    @property
    def is_empty(self) -> bool:
        return not (self.factors or self.medicines or self.conditions)

    def factor_names(self) -> list[str]:
        """Names of the flagged factors: lifestyle and other factors, then conditions."""
        return [f.name for f in self.factors] + [c.label for c in self.conditions]

    def medicine_names(self) -> list[str]:
        return [m.label for m in self.medicines]

    @property
    def ids(self) -> tuple[str, ...]:
        """Every clinical id the result rests on."""
        parts: list[tuple[str, ...]] = [f.ids for f in self.factors]
        parts += [o.ids for o in (*self.medicines, *self.conditions)]
        parts += [a.ids for a in (self.medicine_advice, self.condition_advice, self.nothing) if a]
        parts.append(self.safety.ids)
        return tuple(dict.fromkeys(i for group in parts for i in group))


INVALID = "invalid"  # not a press this flow could have made: forged or from old content
ALREADY = "already"  # a button of an earlier step (double tap, older message)
MOVE = "move"  # go to ``step`` with ``answers``
FINISH = "finish"  # show the result for ``answers``


@dataclass(frozen=True)
class Transition:
    """What a button press does to the flow."""

    kind: str
    step: str | None = None
    answers: Answers | None = None


def _onward(causes: Causes, step: str, answers: Answers) -> Transition:
    following = next_step(causes, step)
    return Transition(FINISH, DONE, answers) if following == DONE else Transition(MOVE, following, answers)


def decide(causes: Causes, current: str, answers: Answers, verb: str,
           args: tuple[str, ...]) -> Transition:
    """Apply a press (``verb`` with ``args`` = (step, extra…)) to the flow at step ``current``."""
    steps = flow_steps(causes)
    if current not in steps or not args or args[0] not in steps:
        return Transition(INVALID)
    if args[0] != current:
        return Transition(ALREADY)
    extra = args[1] if len(args) > 1 else None
    if verb == "a" and causes.question(current) is not None and extra in ("y", "n"):
        return _onward(causes, current, answers.answer(current, extra == "y"))
    if current in LISTS:
        keys = {o.key for o in options_for(causes, current)}
        if verb == "t" and extra in keys:
            return Transition(MOVE, current, answers.toggle(current, extra))
        if verb == "none":
            return _onward(causes, current, answers.clear(current))
        if verb == "done":
            return _onward(causes, current, answers)
    if verb == "back":
        previous = previous_step(causes, current)
        if previous is not None:
            return Transition(MOVE, previous, answers)
    return Transition(INVALID)


def build_result(causes: Causes, answers: Answers) -> CausesResult:
    """Turn answers into the factors to show, in question order; unknown keys are ignored."""
    factors: dict[str, Factor] = {}
    for question in causes.questions:
        if question.key in answers.yes and question.factor not in factors:
            factors[question.factor] = causes.factors[question.factor]
    medicines = tuple(o for o in causes.medicine_options if o.key in answers.selected(MEDICINES))
    conditions = tuple(o for o in causes.condition_options if o.key in answers.selected(CONDITIONS))
    # A medicine alongside cramps: see a doctor within 48 hours (RF-U3); a condition: book
    # an appointment (RF-R2). The higher level wins.
    see_doctor = URGENT if medicines else ROUTINE if conditions else None
    empty = not (factors or medicines or conditions)
    return CausesResult(
        factors=tuple(factors.values()),
        medicines=medicines,
        conditions=conditions,
        medicine_advice=causes.medicines if medicines else None,
        condition_advice=causes.conditions if conditions else None,
        nothing=causes.nothing if empty else None,
        safety=causes.safety,
        see_doctor=see_doctor,
    )
