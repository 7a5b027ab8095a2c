"""The diary's medical text, from ``bot/content/diary.toml`` (each item cites its ids). Pure."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "content" / "diary.toml"


@dataclass(frozen=True)
class DiaryAdvice:
    """The RF-E4 emergency advice and the red-flag labels for the doctor's summary."""

    long_cramp: str  # with "{number}" for the emergency number
    long_cramp_ids: tuple[str, ...]
    red_flags: dict[str, str]

    def long_cramp_text(self, number: str) -> str:
        """The RF-E4 advice with the user's emergency number filled in."""
        return self.long_cramp.replace("{number}", number)

    def red_flag_label(self, rf_id: str) -> str:
        return self.red_flags.get(rf_id, rf_id)


@cache
def load_advice(path: Path = DATA_FILE) -> DiaryAdvice:
    """Load the diary content once; a missing item fails loudly at start-up."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    long_cramp = raw["long_cramp"]
    if "{number}" not in long_cramp["text"] or not long_cramp.get("ids"):
        raise ValueError("diary.toml: long_cramp needs ids and a {number} placeholder")
    flags = {key: item["label"] for key, item in raw["red_flags"].items()}
    return DiaryAdvice(long_cramp["text"], tuple(long_cramp["ids"]), flags)
