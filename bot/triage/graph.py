"""The triage question graph: data in ``graph.toml``, loaded and validated here. Pure (stdlib).

A graph has questions (yes/no, or multiple choice with "None of these" first) and outcomes
(one per triage level). Loading fails loudly with a ``GraphError`` naming the node for:
unknown ids, answers leading to unknown nodes, unreachable nodes, cycles, outcomes without
a level, a "No" that raises the level (Yes always means the sign is present), an EMERGENCY
answer that does not end the questions, and an answer that could lead to an outcome below
its own level. ``shipped_graph()`` is loaded when the handlers are built, so a broken graph
stops start-up.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from pathlib import Path
from typing import Any

GRAPH_FILE = Path(__file__).with_name("graph.toml")
NONE_OF_THESE = "None of these"
MAX_CHOICES = 10  # a choice travels in callback data as one digit

_NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_RF_ID = re.compile(r"^RF-[EUR]\d{1,2}$")
_CLINICAL_ID = re.compile(r"^[A-Z]+(-[A-Z0-9]+)*$")
_TOP_KEYS = {"version", "start", "questions", "outcomes"}
_QUESTION_KEYS = {"ask", "signs", "short", "rf", "cites", "yes", "no", "choices"}
_OUTCOME_KEYS = {"level", "headline", "safety_title", "todo", "safety"}


class Level(IntEnum):
    """Triage levels, least urgent first: comparisons mean "more urgent than"."""

    SELF_CARE = 0
    ROUTINE = 1
    URGENT = 2
    EMERGENCY = 3


class GraphError(ValueError):
    """The graph data is wrong; ``node`` names where (None for the file as a whole)."""

    def __init__(self, node: str | None, problem: str) -> None:
        self.node = node
        self.problem = problem
        where = f"node {node!r}: " if node else ""
        super().__init__(f"triage graph: {where}{problem}")


@dataclass(frozen=True)
class Option:
    """One answer to a question: where it leads and the level it reaches (None: no sign)."""

    value: str  # "yes", "no", or a choice id
    label: str  # the button text
    next: str
    level: Level | None
    rf: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    id: str
    ask: str
    signs: tuple[str, ...]
    short: str  # a few words for the "Why?" screen, the diary and the diagram
    rf: tuple[str, ...]
    cites: tuple[str, ...]
    options: tuple[Option, ...]
    is_choice: bool

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Item:
    """One line of an outcome screen and the clinical ids it rests on."""

    text: str
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    id: str
    level: Level
    headline: str  # the first line: the level in plain words
    todo: tuple[Item, ...]
    safety_title: str
    safety: tuple[Item, ...]  # what would make it more urgent


@dataclass(frozen=True)
class Graph:
    version: str
    start: str
    questions: dict[str, Question]
    outcomes: dict[str, Outcome]

    def edges(self) -> Iterator[tuple[Question, Option]]:
        for question in self.questions.values():
            for option in question.options:
                yield question, option

    def outcome_for(self, level: Level) -> Outcome:
        for outcome in self.outcomes.values():
            if outcome.level == level:
                return outcome
        raise GraphError(None, f"no outcome for level {level.name}")

    def question_order(self) -> list[str]:
        """Question ids in the order they are first met walking from the start."""
        order: list[str] = []
        queue = [self.start]
        while queue:
            node = queue.pop(0)
            if node in self.questions and node not in order:
                order.append(node)
                queue.extend(o.next for o in self.questions[node].options)
        return order

    def longest_path(self, node: str | None = None) -> int:
        """The most questions any walk from ``node`` (default: the start) can ask."""
        node = node or self.start
        if node not in self.questions:
            return 0
        return 1 + max(self.longest_path(o.next) for o in self.questions[node].options)

    def rf_ids(self) -> set[str]:
        return {rf for q in self.questions.values() for rf in q.rf}

    def clinical_ids(self) -> set[str]:
        """Every clinical id the graph cites, in questions, answers and outcomes."""
        ids = {i for q in self.questions.values() for i in (*q.rf, *q.cites)}
        ids |= {i for _, o in self.edges() for i in o.rf}
        ids |= {i for out in self.outcomes.values() for item in (*out.todo, *out.safety)
                for i in item.ids}
        return ids


# ----------------------------------------------------------------------------- parsing

def _text(raw: dict[str, Any], key: str, node: str, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise GraphError(node, f"'{key}' must be a non-empty text")
    return value.strip()


def _ids(raw: dict[str, Any], key: str, node: str, pattern: re.Pattern[str], *,
         required: bool) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GraphError(node, f"'{key}' must be a list of ids")
    if required and not value:
        raise GraphError(node, f"'{key}' must list the clinical ids it rests on")
    bad = [v for v in value if not pattern.match(v)]
    if bad:
        raise GraphError(node, f"unknown id format in '{key}': {bad}")
    return tuple(value)


def _level(value: object, node: str) -> Level | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in Level.__members__:
        raise GraphError(node, f"unknown level {value!r} (use one of {', '.join(Level.__members__)})")
    return Level[value]


def _unknown_keys(raw: dict[str, Any], allowed: set[str], node: str | None) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        raise GraphError(node, f"unknown keys {extra}")


def _option(raw: object, node: str, value: str, label: str, rf: tuple[str, ...]) -> Option:
    if not isinstance(raw, dict):
        raise GraphError(node, f"answer {value!r} must be a table with 'next'")
    _unknown_keys(raw, {"next", "level", "rf", "id", "label"}, node)
    target = raw.get("next")
    if not isinstance(target, str) or not target:
        raise GraphError(node, f"answer {value!r} has no 'next' node")
    own_rf = _ids(raw, "rf", node, _RF_ID, required=False)
    return Option(value, label, target, _level(raw.get("level"), node), own_rf or rf)


def _question(node: str, raw: object) -> Question:
    if not isinstance(raw, dict):
        raise GraphError(node, "a question must be a table")
    _unknown_keys(raw, _QUESTION_KEYS, node)
    signs = raw.get("signs", [])
    if not isinstance(signs, list) or not all(isinstance(s, str) and s.strip() for s in signs):
        raise GraphError(node, "'signs' must be a list of texts")
    rf = _ids(raw, "rf", node, _RF_ID, required=True)
    has_yes_no = "yes" in raw or "no" in raw
    if has_yes_no == ("choices" in raw):
        raise GraphError(node, "a question needs either 'yes' and 'no', or 'choices'")
    options: tuple[Option, ...]
    if has_yes_no:
        if "yes" not in raw or "no" not in raw:
            raise GraphError(node, "a yes/no question needs both 'yes' and 'no'")
        options = (_option(raw["yes"], node, "yes", "Yes", rf), _option(raw["no"], node, "no", "No", ()))
        if options[1].level is not None:
            raise GraphError(node, "'No' must not raise the level: 'Yes' always means the sign is present")
    else:
        options = _choices(node, raw["choices"], rf)
    return Question(
        id=node, ask=_text(raw, "ask", node), signs=tuple(s.strip() for s in signs),
        short=_text(raw, "short", node), rf=rf,
        cites=_ids(raw, "cites", node, _CLINICAL_ID, required=False),
        options=options, is_choice=not has_yes_no,
    )


def _choices(node: str, raw: object, rf: tuple[str, ...]) -> tuple[Option, ...]:
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_CHOICES:
        raise GraphError(node, f"'choices' must list 2 to {MAX_CHOICES} answers")
    options: list[Option] = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise GraphError(node, "each choice must be a table")
        choice_id = entry.get("id")
        if not isinstance(choice_id, str) or not _NODE_ID.match(choice_id):
            raise GraphError(node, f"choice id {choice_id!r} must be lower_snake_case")
        label = _text(entry, "label", node)
        options.append(_option(entry, node, choice_id, label, rf if entry.get("level") else ()))
    if options[0].label != NONE_OF_THESE or options[0].level is not None:
        raise GraphError(node, f"the first choice must be {NONE_OF_THESE!r}, with no level")
    if len({o.value for o in options}) != len(options):
        raise GraphError(node, "choice ids must be unique")
    return tuple(options)


def _items(raw: dict[str, Any], key: str, node: str) -> tuple[Item, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        raise GraphError(node, f"'{key}' must list at least one line")
    items = []
    for entry in value:
        if not isinstance(entry, dict):
            raise GraphError(node, f"each line of '{key}' must be a table with 'text' and 'ids'")
        _unknown_keys(entry, {"text", "ids"}, node)
        items.append(Item(_text(entry, "text", node),
                          _ids(entry, "ids", node, _CLINICAL_ID, required=True)))
    return tuple(items)


def _outcome(node: str, raw: object) -> Outcome:
    if not isinstance(raw, dict):
        raise GraphError(node, "an outcome must be a table")
    _unknown_keys(raw, _OUTCOME_KEYS, node)
    level = _level(raw.get("level"), node)
    if level is None:
        raise GraphError(node, "outcome without a level")
    return Outcome(
        id=node, level=level, headline=_text(raw, "headline", node), todo=_items(raw, "todo", node),
        safety_title=_text(raw, "safety_title", node, required=False) or "Get help sooner if",
        safety=_items(raw, "safety", node),
    )


def parse_graph(raw: dict[str, Any]) -> Graph:
    """Build and validate a graph from parsed TOML; raises GraphError."""
    _unknown_keys(raw, _TOP_KEYS, None)
    questions_raw, outcomes_raw = raw.get("questions"), raw.get("outcomes")
    if not isinstance(questions_raw, dict) or not questions_raw:
        raise GraphError(None, "no [questions]")
    if not isinstance(outcomes_raw, dict) or not outcomes_raw:
        raise GraphError(None, "no [outcomes]")
    for node in (*questions_raw, *outcomes_raw):
        if not _NODE_ID.match(node):
            raise GraphError(node, "node ids must be lower_snake_case, at most 32 characters")
    both = sorted(set(questions_raw) & set(outcomes_raw))
    if both:
        raise GraphError(both[0], "is both a question and an outcome")
    graph = Graph(
        version=str(raw.get("version", "")) or "0",
        start=str(raw.get("start", "")),
        questions={node: _question(node, body) for node, body in questions_raw.items()},
        outcomes={node: _outcome(node, body) for node, body in outcomes_raw.items()},
    )
    _check_structure(graph)
    return graph


def _check_structure(graph: Graph) -> None:
    if graph.start not in graph.questions:
        raise GraphError(graph.start or None, "the start must be a question")
    headlines = tuple(o.headline.lower() for o in graph.outcomes.values())
    for question in graph.questions.values():
        if question.ask.lower().startswith(headlines):
            raise GraphError(question.id, "a question must not begin like an outcome")
    for question, option in graph.edges():
        if option.next not in graph.questions and option.next not in graph.outcomes:
            raise GraphError(question.id, f"answer {option.value!r} leads to unknown node {option.next!r}")
        if option.level is Level.EMERGENCY and option.next not in graph.outcomes:
            raise GraphError(question.id, f"answer {option.value!r} is an emergency: it must end the questions")
    _check_cycles(graph)
    seen: set[str] = set()
    stack = [graph.start]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            if node in graph.questions:
                stack.extend(o.next for o in graph.questions[node].options)
    unreachable = sorted((set(graph.questions) | set(graph.outcomes)) - seen)
    if unreachable:
        raise GraphError(unreachable[0], "unreachable from the start")
    lowest: dict[str, Level] = {}
    for question, option in graph.edges():
        floor = _lowest_outcome(graph, option.next, lowest)
        if option.level is not None and floor < option.level:
            raise GraphError(
                question.id,
                f"answer {option.value!r} reaches {option.level.name} but can end at a "
                f"{floor.name} outcome",
            )


def _check_cycles(graph: Graph) -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2 or node not in graph.questions:
            return
        if state.get(node) == 1:
            loop = [*path[path.index(node):], node]
            raise GraphError(node, f"cycle: {' -> '.join(loop)}")
        state[node] = 1
        for option in graph.questions[node].options:
            visit(option.next, [*path, node])
        state[node] = 2

    for node in graph.questions:
        visit(node, [])


def _lowest_outcome(graph: Graph, node: str, memo: dict[str, Level]) -> Level:
    if node in graph.outcomes:
        return graph.outcomes[node].level
    if node not in memo:
        memo[node] = min(_lowest_outcome(graph, o.next, memo) for o in graph.questions[node].options)
    return memo[node]


def loads_graph(text: str) -> Graph:
    """Parse and validate a graph from TOML text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise GraphError(None, f"not valid TOML: {err}") from None
    return parse_graph(raw)


def load_graph(path: Path = GRAPH_FILE) -> Graph:
    """Load and validate the graph file at ``path``."""
    try:
        return loads_graph(path.read_text(encoding="utf-8"))
    except GraphError as err:
        raise GraphError(err.node, f"{err.problem} (in {path.name})") from None


@cache
def shipped_graph() -> Graph:
    """The graph the bot runs, loaded and validated once."""
    return load_graph(GRAPH_FILE)
