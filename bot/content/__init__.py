"""The bot's medical text, loaded from ``content.toml`` and validated. Pure: no Telegram, no ORM.

Every item that carries medical text cites the clinical ids it rests on (``ids = [...]``);
``docs/clinical-sources.md`` lists the ids that exist. ``load_content()`` checks the file's
shape (required items, unique keys, cited ids well-formed, no dosages) and, given
``known_ids``, that every cited id exists. A broken file fails at start-up with a
``ContentError`` that names the item.

The helpers ``cited_ids``, ``uncited_texts`` and ``parse_known_ids`` work on any TOML data,
so the tests can check every content file (``bot/content``, ``bot/triage``) the same way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).parent / "content.toml"
CLINICAL_SOURCES = Path(__file__).resolve().parents[2] / "docs" / "clinical-sources.md"

# Keys whose value is medical text: a table holding one of them must cite ``ids``.
MEDICAL_TEXT_KEYS = frozenset({"text", "steps", "why", "advice", "label"})
# Keys that cite clinical ids anywhere in a content or triage file.
CITATION_KEYS = frozenset({"ids", "rf", "cites"})
ID_PATTERN = re.compile(r"^[A-Z]+(?:-[A-Z0-9]+)*$")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,9}$")
# A dosage ("400 mg", "2 tablets", "500mcg"): never allowed in medical text.
DOSAGE_PATTERN = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|g|ml|iu|units?|tablets?|capsules?|drops?)\b", re.I
)
MAX_ITEM_CHARS = 600

REQUIRED_STRETCHES = ("calf", "ham", "quad")
REQUIRED_PAGES = ("relief", "prevent", "bed", "about", "evidence")


class ContentError(ValueError):
    """The content file is malformed; the message names the offending item."""


@dataclass(frozen=True)
class TextItem:
    """One piece of medical text and the clinical ids it rests on."""

    ids: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Stretch:
    """A stretch shown step by step."""

    key: str
    title: str
    ids: tuple[str, ...]
    text: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    """A guidance page: a titled list of text items."""

    key: str
    title: str
    items: tuple[TextItem, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i for item in self.items for i in item.ids))


@dataclass(frozen=True)
class ReliefStep:
    """One step of the "Cramping now" card."""

    key: str
    title: str
    ids: tuple[str, ...]
    text: str
    timer: bool = False


@dataclass(frozen=True)
class Relief:
    """Everything the "Cramping now" flow says."""

    intro: TextItem
    steps: tuple[ReliefStep, ...]
    hold_running: TextItem
    hold_done: TextItem
    not_eased: TextItem
    still: TextItem
    emergency: TextItem
    eased: TextItem
    eased_prevent: TextItem

    def step_index(self, key: str) -> int:
        for index, step in enumerate(self.steps):
            if step.key == key:
                return index
        raise KeyError(key)


@dataclass(frozen=True)
class Question:
    """A yes/no question of the causes explorer; Yes flags ``factor``."""

    key: str
    factor: str
    ids: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Factor:
    """A possible contributing factor: why it matters and what to do about it."""

    key: str
    name: str
    ids: tuple[str, ...]
    why: str
    advice: str


@dataclass(frozen=True)
class Option:
    """One entry of a multi-select list (a medicine or a condition)."""

    key: str
    label: str
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Advice:
    """Why a group of answers matters and what to do (medicines, conditions)."""

    ids: tuple[str, ...]
    why: str
    advice: str


@dataclass(frozen=True)
class Causes:
    """Everything the causes explorer asks and says."""

    intro: TextItem
    questions: tuple[Question, ...]
    medicine_prompt: TextItem
    condition_prompt: TextItem
    factors: Mapping[str, Factor]
    medicines: Advice
    conditions: Advice
    nothing: TextItem
    safety: TextItem
    medicine_options: tuple[Option, ...]
    condition_options: tuple[Option, ...]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def medicine(self, key: str) -> Option | None:
        return next((o for o in self.medicine_options if o.key == key), None)

    def condition(self, key: str) -> Option | None:
        return next((o for o in self.condition_options if o.key == key), None)


@dataclass(frozen=True)
class Content:
    """The whole content file, typed."""

    routine: TextItem
    stretches: Mapping[str, Stretch]
    pages: Mapping[str, Page]
    relief: Relief
    causes: Causes

    def stretch(self, key: str) -> Stretch | None:
        return self.stretches.get(key)

    def page(self, key: str) -> Page | None:
        return self.pages.get(key)


# ------------------------------------------------------------------ generic checks


def cited_ids(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (location, id) cited under an ``ids``, ``rf`` or ``cites`` key anywhere in TOML data."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if key in CITATION_KEYS:
                values = [value] if isinstance(value, str) else value
                if isinstance(values, list):
                    for item in values:
                        yield where, str(item)
                continue
            yield from cited_ids(value, where)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from cited_ids(value, f"{path}[{index}]")


def _is_text(value: Any) -> bool:
    """A string or a list of strings (not a list of tables)."""
    return isinstance(value, str) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
    )


def uncited_texts(data: Any, path: str = "") -> list[str]:
    """Locations of tables that carry medical text but cite no ids."""
    missing: list[str] = []
    if isinstance(data, Mapping):
        if any(_is_text(data[key]) for key in MEDICAL_TEXT_KEYS & set(data)):
            ids = data.get("ids")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
                missing.append(path or "<root>")
        for key, value in data.items():
            missing.extend(uncited_texts(value, f"{path}.{key}" if path else str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            missing.extend(uncited_texts(value, f"{path}[{index}]"))
    return missing


def parse_known_ids(markdown: str) -> set[str]:
    """The ids listed in docs/clinical-sources.md (lines such as "- `RF-E4` summary")."""
    return set(re.findall(r"^- `([A-Z][A-Z0-9-]*)`", markdown, flags=re.M))


def load_known_ids(path: Path = CLINICAL_SOURCES) -> set[str]:
    return parse_known_ids(path.read_text(encoding="utf-8"))


def _texts(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (location, string) under a medical text key."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if key in MEDICAL_TEXT_KEYS and _is_text(value):
                for text in [value] if isinstance(value, str) else value:
                    yield where, str(text)
            else:
                yield from _texts(value, where)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _texts(value, f"{path}[{index}]")


def check_raw(data: Mapping[str, Any], known_ids: Iterable[str] | None = None) -> None:
    """Fail on uncited text, malformed or unknown ids, dosages and over-long items."""
    missing = uncited_texts(data)
    if missing:
        raise ContentError(f"medical text without ids at: {', '.join(missing)}")
    known = set(known_ids) if known_ids is not None else None
    for where, cited in cited_ids(data):
        if not ID_PATTERN.match(cited):
            raise ContentError(f"{where}: malformed clinical id {cited!r}")
        if known is not None and cited not in known:
            raise ContentError(f"{where}: cites {cited!r}, which docs/clinical-sources.md does not define")
    for where, text in _texts(data):
        if not text.strip():
            raise ContentError(f"{where}: empty text")
        if len(text) > MAX_ITEM_CHARS:
            raise ContentError(f"{where}: {len(text)} characters, over {MAX_ITEM_CHARS}")
        if DOSAGE_PATTERN.search(text):
            raise ContentError(f"{where}: looks like a dosage, which the bot never gives")
        if "<" in text or ">" in text:
            raise ContentError(f"{where}: plain text only (no HTML)")


# ------------------------------------------------------------------ typed building


def _get(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ContentError(f"{where}: missing {key!r}")
    return table[key]


def _str(table: Mapping[str, Any], key: str, where: str) -> str:
    value = _get(table, key, where)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}.{key}: expected non-empty text")
    return value.strip()


def _ids(table: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(table["ids"])


def _item(table: Any, where: str) -> TextItem:
    if not isinstance(table, Mapping):
        raise ContentError(f"{where}: expected a table")
    return TextItem(_ids(table), _str(table, "text", where))


def _key(table: Mapping[str, Any], where: str, seen: set[str]) -> str:
    key = _str(table, "key", where)
    if not KEY_PATTERN.match(key):
        raise ContentError(f"{where}: key {key!r} must be a short lowercase word")
    if key in seen:
        raise ContentError(f"{where}: duplicate key {key!r}")
    seen.add(key)
    return key


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = _get(data, key, where)
    if not isinstance(value, list) or not value:
        raise ContentError(f"{where}.{key}: expected a non-empty list of tables")
    return value


def _stretches(raw: Mapping[str, Any]) -> dict[str, Stretch]:
    seen: set[str] = set()
    stretches: dict[str, Stretch] = {}
    for index, table in enumerate(_list(raw, "stretches", "content")):
        where = f"stretches[{index}]"
        key = _key(table, where, seen)
        steps = _get(table, "steps", where)
        if not isinstance(steps, list) or len(steps) < 2:
            raise ContentError(f"{where}: a stretch needs at least two steps")
        stretches[key] = Stretch(key, _str(table, "title", where), _ids(table),
                                 _str(table, "text", where), tuple(str(s).strip() for s in steps))
    for key in REQUIRED_STRETCHES:
        if key not in stretches:
            raise ContentError(f"stretches: the {key!r} stretch is required")
    return stretches


def _pages(raw: Mapping[str, Any]) -> dict[str, Page]:
    seen: set[str] = set()
    pages: dict[str, Page] = {}
    for index, table in enumerate(_list(raw, "pages", "content")):
        where = f"pages[{index}]"
        key = _key(table, where, seen)
        items = tuple(_item(item, f"{where}.items[{n}]")
                      for n, item in enumerate(_list(table, "items", where)))
        pages[key] = Page(key, _str(table, "title", where), items)
    for key in REQUIRED_PAGES:
        if key not in pages:
            raise ContentError(f"pages: the {key!r} page is required")
    return pages


def _relief(raw: Mapping[str, Any]) -> Relief:
    table = _get(raw, "relief", "content")
    seen: set[str] = set()
    steps = []
    for index, step in enumerate(_list(table, "steps", "relief")):
        where = f"relief.steps[{index}]"
        steps.append(ReliefStep(_key(step, where, seen), _str(step, "title", where), _ids(step),
                                _str(step, "text", where), bool(step.get("timer", False))))
    if sum(step.timer for step in steps) != 1:
        raise ContentError("relief.steps: exactly one step must have the hold timer")
    items = {name: _item(_get(table, name, "relief"), f"relief.{name}")
             for name in ("intro", "hold_running", "hold_done", "not_eased", "still",
                          "emergency", "eased", "eased_prevent")}
    return Relief(steps=tuple(steps), **items)


def _options(table: Mapping[str, Any], name: str) -> tuple[Option, ...]:
    seen: set[str] = {"none"}
    return tuple(
        Option(_key(option, f"causes.{name}[{i}]", seen), _str(option, "label", f"causes.{name}[{i}]"),
               _ids(option))
        for i, option in enumerate(_list(table, name, "causes"))
    )


def _causes(raw: Mapping[str, Any]) -> Causes:
    table = _get(raw, "causes", "content")
    factors_raw = _get(table, "factors", "causes")
    factors: dict[str, Factor] = {}
    for key, factor in factors_raw.items():
        where = f"causes.factors.{key}"
        if not KEY_PATTERN.match(key):
            raise ContentError(f"{where}: key must be a short lowercase word")
        factors[key] = Factor(key, _str(factor, "name", where), _ids(factor),
                              _str(factor, "why", where), _str(factor, "advice", where))
    seen: set[str] = {"meds", "conds", "done"}
    questions = []
    for index, question in enumerate(_list(table, "questions", "causes")):
        where = f"causes.questions[{index}]"
        key = _key(question, where, seen)
        factor = _str(question, "factor", where)
        if factor not in factors:
            raise ContentError(f"{where}: unknown factor {factor!r}")
        questions.append(Question(key, factor, _ids(question), _str(question, "text", where)))
    unused = set(factors) - {q.factor for q in questions}
    if unused:
        raise ContentError(f"causes.factors: no question flags {sorted(unused)}")

    def advice(name: str) -> Advice:
        part = _get(table, name, "causes")
        return Advice(_ids(part), _str(part, "why", f"causes.{name}"),
                      _str(part, "advice", f"causes.{name}"))

    return Causes(
        intro=_item(_get(table, "intro", "causes"), "causes.intro"),
        questions=tuple(questions),
        medicine_prompt=_item(_get(table, "medicine_prompt", "causes"), "causes.medicine_prompt"),
        condition_prompt=_item(_get(table, "condition_prompt", "causes"), "causes.condition_prompt"),
        factors=factors,
        medicines=advice("medicines"),
        conditions=advice("conditions"),
        nothing=_item(_get(table, "nothing", "causes"), "causes.nothing"),
        safety=_item(_get(table, "safety", "causes"), "causes.safety"),
        medicine_options=_options(table, "medicine_options"),
        condition_options=_options(table, "condition_options"),
    )


def parse_content(raw: Mapping[str, Any], known_ids: Iterable[str] | None = None) -> Content:
    """Validate raw TOML data and build the typed content."""
    check_raw(raw, known_ids)
    try:
        return Content(
            routine=_item(_get(raw, "routine", "content"), "routine"),
            stretches=_stretches(raw),
            pages=_pages(raw),
            relief=_relief(raw),
            causes=_causes(raw),
        )
    except (KeyError, TypeError, AttributeError) as err:
        raise ContentError(f"malformed content: {err!r}") from err


@cache
def load_content(path: Path = DATA_FILE) -> Content:
    """Load and validate the content file once (cached)."""
    with path.open("rb") as handle:
        try:
            raw = tomllib.load(handle)
        except tomllib.TOMLDecodeError as err:
            raise ContentError(f"{path.name}: {err}") from err
    return parse_content(raw)
