"""The text and buttons of a reminder, built from ``messages.toml``.

Returns plain data (HTML text and rows of ``(label, callback data)``), so the dispatcher,
the handlers and the benchmark render reminders the same way without Telegram objects.
"""

from __future__ import annotations

import html
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import callback_data

MESSAGES_FILE = Path(__file__).with_name("messages.toml")
FEATURE = "rem"
KIND_STRETCH = "stretch"
KIND_BEDTIME = "bedtime"
KINDS = (KIND_STRETCH, KIND_BEDTIME)

LABEL_HOW = "Show me how"
LABEL_DONE = "Done ✅"
LABEL_SNOOZE = "Snooze 15 min"
LABEL_LOG = "Log a cramp"
LABEL_PAUSE = "Pause"

Button = tuple[str, str]


@dataclass(frozen=True)
class Rendered:
    """A reminder ready to send: HTML text and inline button rows."""

    text: str
    rows: tuple[tuple[Button, ...], ...]


@lru_cache(maxsize=1)
def content() -> dict[str, Any]:
    """The parsed ``messages.toml`` (read once)."""
    with MESSAGES_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    for key in ("calf", "ham", "quad"):
        if key not in data["stretches"]:
            raise ValueError(f"messages.toml has no stretch {key!r}")
    return data


def stretch_title(key: str) -> str:
    return str(content()["stretches"][key]["title"])


def _esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def action_rows(kind: str, stretch: str, delivery_id: int, *, active: bool = True
                ) -> tuple[tuple[Button, ...], ...]:
    """The buttons under a reminder; after Done or Snooze only the non-actions remain."""
    how = (LABEL_HOW, callback_data.encode("guide", "show", stretch))
    log = (LABEL_LOG, callback_data.encode("diary", "log"))
    if not active:
        return ((how, log),)
    return (
        (how, (LABEL_DONE, callback_data.encode(FEATURE, "done", delivery_id))),
        ((LABEL_SNOOZE, callback_data.encode(FEATURE, "snooze", delivery_id)), log),
        ((LABEL_PAUSE, callback_data.encode(FEATURE, "pause")),),
    )


def reminder_text(kind: str, stretch: str, footer: str = "", status: str = "") -> str:
    """The reminder's HTML text (a stretch reminder or the bedtime prompt)."""
    data = content()
    item = data["stretches"][stretch]
    if kind == KIND_BEDTIME:
        bedtime = data["bedtime"]
        lines = [
            f"🌙 <b>{_esc(bedtime['title'])}</b>",
            _esc(bedtime["intro"]),
            "",
            f"1. {_esc(bedtime['last_stretch'])} <b>{_esc(item['title'])}</b>. "
            f"{_esc(item['text'])} {_esc(data['hold']['text'])}",
            f"2. {_esc(bedtime['toes'])} {_esc(bedtime['blankets'])}",
        ]
    elif kind == KIND_STRETCH:
        lines = [
            f"🧘 <b>{_esc(item['title'])}</b>",
            _esc(data["stretch_intro"]["text"]),
            "",
            _esc(item["text"]),
            _esc(data["hold"]["text"]),
        ]
    else:
        raise ValueError(f"unknown reminder kind {kind!r}")
    if status:
        lines += ["", status]
    if footer:
        lines += ["", footer]
    return "\n".join(lines)


def render(kind: str, stretch: str, delivery_id: int, *, footer: str = "", status: str = "",
           active: bool = True) -> Rendered:
    """Text and buttons of one reminder delivery."""
    return Rendered(reminder_text(kind, stretch, footer, status),
                    action_rows(kind, stretch, delivery_id, active=active))
