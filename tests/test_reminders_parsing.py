"""Typed times and time zones, and the offline location lookup (pure functions)."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import callback_data
from bot.reminders import messages, parsing

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:30", time(21, 30)), ("9pm", time(21, 0)), ("9 PM", time(21, 0)),
        ("9:15 am", time(9, 15)), ("9:15am", time(9, 15)), ("2130", time(21, 30)),
        ("930", time(9, 30)), ("21h30", time(21, 30)), ("21h", time(21, 0)),
        ("7", time(7, 0)), ("07:05", time(7, 5)), ("9.30", time(9, 30)),
        ("noon", time(12, 0)), ("midnight", time(0, 0)), ("12am", time(0, 0)),
        ("12pm", time(12, 0)), ("12:30 a.m.", time(0, 30)), (" 22:00 ", time(22, 0)),
    ],
)
def test_parse_time_accepts_common_ways_of_writing_a_time(text: str, expected: time) -> None:
    assert parsing.parse_time(text) == expected


@pytest.mark.parametrize(
    "text", ["", "24:00", "25:00", "9:60", "13pm", "0am", "99", "tomorrow", "9:5", "12345",
             "-1", "21:30:00"],
)
def test_parse_time_refuses_what_is_not_a_time(text: str) -> None:
    assert parsing.parse_time(text) is None


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Berlin", "Europe/Berlin"), ("berlin", "Europe/Berlin"),
        ("Europe/Berlin", "Europe/Berlin"), ("europe / berlin", "Europe/Berlin"),
        ("New York", "America/New_York"), ("new_york", "America/New_York"),
        ("NYC", "America/New_York"), ("Kolkata", "Asia/Kolkata"), ("Mumbai", "Asia/Kolkata"),
        ("Lord Howe", "Australia/Lord_Howe"), ("Sydney", "Australia/Sydney"),
        ("Munich", "Europe/Berlin"), ("EST", "America/New_York"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("UTC", "UTC"), ("gmt", "UTC"),
        # Whole-hour offsets: POSIX Etc zones invert the sign.
        ("UTC+2", "Etc/GMT-2"), ("GMT-5", "Etc/GMT+5"), ("UTC -3", "Etc/GMT+3"),
        ("+14", "Etc/GMT-14"), ("-12:00", "Etc/GMT+12"),
        # Other offsets: a real zone that keeps them all year.
        ("+05:30", "Asia/Kolkata"), ("UTC+5:45", "Asia/Kathmandu"), ("+0930", "Australia/Darwin"),
    ],
)
def test_parse_zone_understands_cities_names_and_offsets(text: str, zone: str) -> None:
    guess = parsing.parse_zone(text)
    assert guess.name == zone
    ZoneInfo(guess.name)  # every answer is usable by zoneinfo


def test_whole_hour_offsets_really_have_that_offset() -> None:
    now = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert parsing.utc_offset_label(parsing.parse_zone("UTC+2").name, now) == "UTC+02:00"
    assert parsing.utc_offset_label(parsing.parse_zone("GMT-5").name, now) == "UTC-05:00"
    assert parsing.display_zone(parsing.parse_zone("UTC+2").name) == "UTC+2"
    assert parsing.display_zone(parsing.parse_zone("GMT-5").name) == "UTC-5"
    assert parsing.display_zone("America/New_York") == "America/New York"


def test_unknown_zones_are_refused_with_a_suggestion_when_close() -> None:
    guess = parsing.parse_zone("Berlinn")
    assert guess.name is None and guess.error == "unknown"
    assert guess.suggestion == "Europe/Berlin"
    assert parsing.parse_zone("blah blah").suggestion is None
    assert parsing.parse_zone("UTC+15").error == "offset"
    assert parsing.parse_zone("-03:30").error == "offset-no-zone"  # St John's has DST
    assert parsing.parse_zone("").error == "empty"
    assert parsing.parse_zone("x" * 100).error == "empty"


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (52.52, 13.405, "Europe/Berlin"), (51.5072, -0.1276, "Europe/London"),
        (40.7128, -74.006, "America/New_York"), (-33.8688, 151.2093, "Australia/Sydney"),
        (19.076, 72.8777, "Asia/Kolkata"), (-31.5553, 159.0821, "Australia/Lord_Howe"),
    ],
)
def test_zone_at_finds_the_zone_of_a_location_offline(latitude: float, longitude: float,
                                                       zone: str) -> None:
    assert parsing.zone_at(latitude, longitude) == zone


def test_zone_at_refuses_impossible_coordinates() -> None:
    assert parsing.zone_at(95.0, 0.0) is None
    assert parsing.zone_at(0.0, 200.0) is None


# ------------------------------------------------------------------ messages.toml
def _clinical_ids() -> set[str]:
    text = (ROOT / "docs" / "clinical-sources.md").read_text()
    return set(re.findall(r"^- `([A-Z0-9-]+)`", text, re.MULTILINE))


def _tables_with_text(node: object, path: str = "") -> list[tuple[str, dict]]:
    found = []
    if isinstance(node, dict):
        if any(key in node for key in ("text", "toes", "intro")):
            found.append((path, node))
        for key, value in node.items():
            found += _tables_with_text(value, f"{path}.{key}".strip("."))
    return found


def test_every_reminder_text_cites_known_clinical_ids() -> None:
    known = _clinical_ids()
    tables = _tables_with_text(messages.content())
    assert len(tables) >= 7
    for path, table in tables:
        assert table.get("ids"), f"{path} has no ids"
        unknown = set(table["ids"]) - known
        assert not unknown, f"{path} cites unknown ids {unknown}"


def test_bedtime_prompt_carries_prev2_and_a_last_stretch() -> None:
    text = messages.reminder_text(messages.KIND_BEDTIME, "calf")
    assert "PREV-2" in messages.content()["bedtime"]["ids"]
    assert "toes" in text and "prop your feet up" in text
    assert "hang over the end of the bed" in text and "heavy blankets" in text
    assert "Calf stretch" in text and "30 to 45 seconds" in text


@pytest.mark.parametrize("stretch", ["calf", "ham", "quad"])
@pytest.mark.parametrize("kind", messages.KINDS)
def test_every_reminder_fits_telegram_and_has_valid_buttons(kind: str, stretch: str) -> None:
    rendered = messages.render(kind, stretch, 2_147_483_647, footer="<i>footer</i>")
    assert len(rendered.text) <= 4096
    labels = [label for row in rendered.rows for label, _ in row]
    assert labels == ["Show me how", "Done ✅", "Snooze 15 min", "Log a cramp", "Pause"]
    data = {label: value for row in rendered.rows for label, value in row}
    assert data["Show me how"] == f"guide:show:{stretch}"
    assert data["Log a cramp"] == "diary:log"
    assert data["Done ✅"] == "rem:done:2147483647"
    for value in data.values():
        callback_data.decode(value)  # valid and under 64 bytes
    after = messages.render(kind, stretch, 1, active=False)
    assert [label for row in after.rows for label, _ in row] == ["Show me how", "Log a cramp"]


@pytest.mark.parametrize("path", ["bot/reminders/timemath.py", "bot/reminders/parsing.py"])
def test_reminder_core_has_no_telegram_or_orm_import(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] in ("telegram", "sqlalchemy", "sqlmodel")}
    assert not {n for n in names if n.startswith(("bot.handlers", "bot.storage", "bot.models"))}
