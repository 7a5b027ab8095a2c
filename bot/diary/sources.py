"""What the diary's statistics and export read from other features, each one optional.

Symptom-check results (``bot.storage.triage``), medicines flagged in the causes explorer
(``bot.storage.causes``) and stretch-reminder adherence (``bot.storage.reminders``) belong
to other features. They are imported lazily: if a module or function is missing, or its
query fails, the answer is None and the diary leaves that section out. Question labels
for the flagged answers come from the triage graph when it is available.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from bot.db import Database
from bot.diary.stats import Stats, TriageRecord, compute, period_bounds

log = logging.getLogger(__name__)


def optional_function(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` if both exist, else None (the other feature is not built yet)."""
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if callable(found) else None


def missing_sources() -> list[str]:
    """The cross-feature functions the diary looks for but cannot find (for the lead)."""
    wanted = [
        ("bot.storage.triage", "latest_result"),
        ("bot.storage.triage", "results_between"),
        ("bot.storage.causes", "latest_medicines"),
        ("bot.storage.reminders", "stretch_adherence_by_day"),
    ]
    return [f"{m}.{n}" for m, n in wanted if optional_function(m, n) is None]


async def _call(db: Database, module: str, name: str, *args: Any) -> Any:
    function = optional_function(module, name)
    if function is None:
        return None
    try:
        async with db.session() as session:
            return await function(session, *args)
    except (SQLAlchemyError, TypeError, AttributeError, ValueError) as err:
        log.warning("diary: %s.%s unavailable (%s)", module, name, type(err).__name__)
        return None


def _question_labels() -> dict[str, str]:
    graph_module = optional_function("bot.triage.graph", "shipped_graph")
    if graph_module is None:
        return {}
    try:
        graph = graph_module()
        return {qid: getattr(q, "short", None) or getattr(q, "ask", qid)
                for qid, q in graph.questions.items()}
    except Exception:  # a broken or changed graph must not break the diary's export
        log.warning("diary: triage question labels unavailable")
        return {}


def triage_record(row: Any, labels: dict[str, str] | None = None) -> TriageRecord | None:
    """A TriageResult row as the diary's plain record; None if it lacks the contract fields."""
    finished = getattr(row, "finished_at", None)
    level = getattr(row, "level", None)
    if not isinstance(finished, datetime) or not level:
        return None
    labels = labels if labels is not None else _question_labels()
    flagged: list[tuple[str, str, tuple[str, ...]]] = []
    for answer in getattr(row, "answers", None) or []:
        if not isinstance(answer, dict):
            continue
        rf = tuple(str(x) for x in answer.get("rf") or ())
        if rf and str(answer.get("answer", "")).lower() != "no":
            question = str(answer.get("question", "?"))
            flagged.append((labels.get(question, question), str(answer.get("answer", "")), rf))
    flags = tuple(str(x) for x in (getattr(row, "red_flags", None) or ()))
    return TriageRecord(finished, str(level), flags, tuple(flagged))


async def last_triage(db: Database, user_id: int) -> TriageRecord | None:
    row = await _call(db, "bot.storage.triage", "latest_result", user_id)
    return triage_record(row) if row is not None else None


async def triage_between(db: Database, user_id: int, start: datetime,
                         end: datetime) -> list[TriageRecord] | None:
    """Results in the period, newest first; None when the triage storage is unavailable."""
    rows = await _call(db, "bot.storage.triage", "results_between", user_id, start, end)
    if rows is None:
        return None
    labels = _question_labels()
    records = [r for r in (triage_record(row, labels) for row in rows) if r is not None]
    return sorted(records, key=lambda r: r.finished_at, reverse=True)


async def medicines(db: Database, user_id: int) -> list[str] | None:
    found = await _call(db, "bot.storage.causes", "latest_medicines", user_id)
    return [str(m) for m in found] if found is not None else None


async def adherence(db: Database, user_id: int, start: datetime, end: datetime,
                    tz: ZoneInfo) -> dict[date, tuple[int, int]] | None:
    found = await _call(db, "bot.storage.reminders", "stretch_adherence_by_day",
                        user_id, start, end, tz)
    if found is None:
        return None
    return {day: (int(pair[0]), int(pair[1])) for day, pair in dict(found).items()}


async def gather_stats(db: Database, user_id: int, *, days: int, now: datetime,
                       tz: ZoneInfo) -> Stats:
    """Read the period's episodes and the optional cross-feature data, and compute."""
    from bot.storage import episodes

    start, end, _first, _last = period_bounds(days, now, tz)
    async with db.session() as session:
        records = await episodes.records_between(session, user_id, start, end)
    return compute(
        records, days=days, now=now, tz=tz,
        adherence=await adherence(db, user_id, start, end, tz),
        last_triage=await last_triage(db, user_id),
    )
