"""The diary's fixed vocabulary: codes stored in the database and their labels. Pure.

Codes are short and stable (they travel in callback data and the database); labels are
what the user and the doctor read.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

LOCATIONS: dict[str, str] = {
    "calf": "calf",
    "front_thigh": "front of thigh",
    "back_thigh": "back of thigh",
    "foot": "foot",
    "other": "other",
}
SIDES: dict[str, str] = {"left": "left", "right": "right", "both": "both"}
DURATIONS: dict[str, str] = {
    "lt1": "under 1 min",
    "1to5": "1–5 min",
    "5to10": "5–10 min",
    "gt10": "over 10 min",
}
# Minutes used to estimate an average from the ranges (over 10 min counts as 12).
DURATION_MINUTES: dict[str, float] = {"lt1": 0.5, "1to5": 3.0, "5to10": 7.5, "gt10": 12.0}
CONTEXTS: dict[str, str] = {
    "sleep": "woke me from sleep",
    "rest": "resting",
    "exercise": "during exercise",
    "after": "after exercise",
}
REMEDIES: dict[str, str] = {
    "stretch": "stretching",
    "massage": "massage",
    "walk": "walking or standing",
    "heat": "heat",
    "cold": "cold",
    "nothing": "nothing",
}
# How much what the user tried helped, in their own words.
RATINGS: dict[int, str] = {0: "not at all", 1: "a little", 2: "quite a bit", 3: "a lot"}
SOURCES: dict[str, str] = {"command": "typed", "button": "button", "reminder": "reminder"}

SEVERITY_MIN, SEVERITY_MAX = 1, 10
RATING_MIN, RATING_MAX = 0, 3

# A "diary night" runs from noon to noon: a cramp before NIGHT_SPLIT_HOUR local time
# belongs to the night that began the evening before (02:00 on Tuesday -> Monday's night).
NIGHT_SPLIT_HOUR = 12
# Night-time for "nights with cramps": 20:00 to 07:59 local, or woken from sleep.
NIGHT_START_HOUR, NIGHT_END_HOUR = 20, 8


def night_of(local: datetime) -> date:
    """The evening date of the night a local time belongs to (02:00 -> the day before)."""
    if local.hour < NIGHT_SPLIT_HOUR:
        return local.date() - timedelta(days=1)
    return local.date()


def is_night_time(local: datetime, context: str | None = None) -> bool:
    """True for a cramp at night (20:00–07:59 local) or one that woke the user."""
    return context == "sleep" or local.hour >= NIGHT_START_HOUR or local.hour < NIGHT_END_HOUR


def duration_code(minutes: float) -> str | None:
    """The duration range for a length in minutes (5 -> '1to5', 10 -> '5to10')."""
    if minutes <= 0:
        return None
    if minutes < 1:
        return "lt1"
    if minutes <= 5:
        return "1to5"
    if minutes <= 10:
        return "5to10"
    return "gt10"


def where_label(location: str | None, side: str | None) -> str:
    """'left calf', 'both feet'-style text; '' when nothing is known."""
    place = LOCATIONS.get(location or "", "")
    if side == "both" and place:
        return f"{place} (both legs)"
    if side in SIDES and place:
        return f"{side} {place}"
    if side in SIDES:
        return f"{side} leg"
    return place


def is_alarming(severity: int | None, duration: str | None) -> bool:
    """True when the RF-E4 emergency advice applies: over 10 minutes or unbearable (10/10)."""
    return duration == "gt10" or severity == SEVERITY_MAX
