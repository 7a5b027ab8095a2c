"""Read what users type for reminders: a time of day and a time zone; and find a zone
from a shared location.

Pure functions (no Telegram, no ORM). Zones are always returned as IANA names that
``zoneinfo.ZoneInfo`` accepts, because every feature reads ``users.timezone`` with it:

* a city: the last part of any IANA name ("Berlin", "new york", "Kolkata") or a small
  table of common aliases ("NYC", "Mumbai", "Munich", "EST");
* an IANA name ("Europe/Berlin", case and spaces forgiven);
* a UTC offset ("UTC+2", "GMT-5", "+05:30"): whole hours map to ``Etc/GMT∓N`` (no
  daylight saving, as typed); other offsets map to a real zone that keeps that offset all
  year (+05:30 → Asia/Kolkata), or are refused with a hint to type a city instead.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

TIME_EXAMPLES = "21:30, 9pm or 7:15 am"
ZONE_EXAMPLES = "Berlin, Europe/Berlin or UTC+2"

_TIME_24 = re.compile(r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*h?$")
_TIME_COMPACT = re.compile(r"^(\d{3,4})$")
_TIME_12 = re.compile(r"^(\d{1,2})(?:\s*[:.]\s*(\d{2}))?\s*([ap])\.?\s*m?\.?$")
_WORDS = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}


def parse_time(text: str) -> time | None:
    """A wall time from "21:30", "9pm", "9:15 am", "2130", "21h30", "7" or "noon"; else None."""
    cleaned = text.strip().lower().replace("\u2009", " ")
    if cleaned in _WORDS:
        return _WORDS[cleaned]
    match = _TIME_12.match(cleaned)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        hour = hour % 12 + (12 if match.group(3) == "p" else 0)
        return time(hour, minute)
    match = _TIME_COMPACT.match(cleaned)
    if match:
        digits = match.group(1)
        hour, minute = int(digits[:-2]), int(digits[-2:])
        return time(hour, minute) if hour <= 23 and minute <= 59 else None
    match = _TIME_24.match(cleaned)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        return time(hour, minute) if hour <= 23 and minute <= 59 else None
    return None


def format_time(at: time) -> str:
    """24-hour ``HH:MM``."""
    return f"{at.hour:02d}:{at.minute:02d}"


# Cities and abbreviations people type that are not the last part of an IANA name.
ALIASES: dict[str, str] = {
    "nyc": "America/New_York", "new york city": "America/New_York",
    "washington": "America/New_York", "washington dc": "America/New_York",
    "boston": "America/New_York", "miami": "America/New_York", "atlanta": "America/New_York",
    "philadelphia": "America/New_York", "montreal": "America/Toronto",
    "ottawa": "America/Toronto", "houston": "America/Chicago", "dallas": "America/Chicago",
    "austin": "America/Chicago", "minneapolis": "America/Chicago",
    "san francisco": "America/Los_Angeles", "sf": "America/Los_Angeles",
    "la": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles", "portland": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles", "salt lake city": "America/Denver",
    "calgary": "America/Edmonton", "rio": "America/Sao_Paulo",
    "rio de janeiro": "America/Sao_Paulo", "st johns": "America/St_Johns",
    "manchester": "Europe/London", "birmingham": "Europe/London",
    "edinburgh": "Europe/London", "glasgow": "Europe/London", "cardiff": "Europe/London",
    "uk": "Europe/London", "england": "Europe/London", "britain": "Europe/London",
    "scotland": "Europe/London", "wales": "Europe/London", "ireland": "Europe/Dublin",
    "munich": "Europe/Berlin", "hamburg": "Europe/Berlin", "frankfurt": "Europe/Berlin",
    "cologne": "Europe/Berlin", "germany": "Europe/Berlin", "france": "Europe/Paris",
    "lyon": "Europe/Paris", "marseille": "Europe/Paris", "spain": "Europe/Madrid",
    "barcelona": "Europe/Madrid", "seville": "Europe/Madrid", "italy": "Europe/Rome",
    "milan": "Europe/Rome", "naples": "Europe/Rome", "florence": "Europe/Rome",
    "venice": "Europe/Rome", "geneva": "Europe/Zurich", "basel": "Europe/Zurich",
    "netherlands": "Europe/Amsterdam", "rotterdam": "Europe/Amsterdam",
    "portugal": "Europe/Lisbon", "porto": "Europe/Lisbon", "poland": "Europe/Warsaw",
    "krakow": "Europe/Warsaw", "greece": "Europe/Athens", "kiev": "Europe/Kyiv",
    "ukraine": "Europe/Kyiv", "st petersburg": "Europe/Moscow",
    "saint petersburg": "Europe/Moscow", "tel aviv": "Asia/Jerusalem",
    "israel": "Asia/Jerusalem", "mumbai": "Asia/Kolkata", "bombay": "Asia/Kolkata",
    "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata", "chennai": "Asia/Kolkata", "hyderabad": "Asia/Kolkata",
    "india": "Asia/Kolkata", "lahore": "Asia/Karachi", "islamabad": "Asia/Karachi",
    "beijing": "Asia/Shanghai", "china": "Asia/Shanghai", "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai", "osaka": "Asia/Tokyo", "kyoto": "Asia/Tokyo",
    "japan": "Asia/Tokyo", "korea": "Asia/Seoul", "busan": "Asia/Seoul",
    "hanoi": "Asia/Bangkok", "abu dhabi": "Asia/Dubai", "uae": "Asia/Dubai",
    "canberra": "Australia/Sydney", "wellington": "Pacific/Auckland",
    "new zealand": "Pacific/Auckland", "nz": "Pacific/Auckland",
    "johannesburg": "Africa/Johannesburg", "cape town": "Africa/Johannesburg",
    "south africa": "Africa/Johannesburg", "nairobi": "Africa/Nairobi",
    # Abbreviations: the place people usually mean, which follows its daylight saving.
    "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York",
    "eastern": "America/New_York", "cst": "America/Chicago", "cdt": "America/Chicago",
    "ct": "America/Chicago", "central": "America/Chicago", "mst": "America/Denver",
    "mdt": "America/Denver", "mt": "America/Denver", "mountain": "America/Denver",
    "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "bst": "Europe/London", "cet": "Europe/Paris",
    "cest": "Europe/Paris", "eet": "Europe/Athens", "eest": "Europe/Athens",
    "ist": "Asia/Kolkata", "jst": "Asia/Tokyo", "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney", "nzst": "Pacific/Auckland",
}
# Representative zones for offsets that are not whole hours, when several zones keep them.
_PREFERRED_FOR_OFFSET: dict[int, str] = {
    330: "Asia/Kolkata", 345: "Asia/Kathmandu", 270: "Asia/Kabul", 210: "Asia/Tehran",
    390: "Asia/Yangon", 570: "Australia/Darwin", 525: "Australia/Eucla",
    -570: "Pacific/Marquesas",
}
_UTC_WORDS = {"utc", "gmt", "z", "zulu", "universal", "utc+0", "gmt+0", "utc0", "gmt0"}
_OFFSET = re.compile(
    r"^(?:utc|gmt)?\s*([+\-\u2212])\s*(\d{1,2})(?:\s*[:.]?\s*(\d{2}))?(?:\s*h)?$"
)
# IANA groups people do not type and that would shadow real cities.
_SKIP_PREFIXES = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")


def _key(text: str) -> str:
    return re.sub(r"[\s_]+", " ", text.strip().lower().replace("-", " "))


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, str]]:
    """(full names, last components) → canonical IANA name, built once."""
    full: dict[str, str] = {}
    cities: dict[str, str] = {}
    names = sorted(available_timezones())
    for name in names:
        full[_key(name)] = name
    # Prefer continent/city names over legacy aliases when two share a last component.
    for name in sorted(names, key=lambda n: (n.startswith(_SKIP_PREFIXES) or "/" not in n, n)):
        if name.startswith(_SKIP_PREFIXES) or "/" not in name:
            continue
        cities.setdefault(_key(name.rsplit("/", 1)[1]), name)
    return full, cities


@dataclass(frozen=True)
class ZoneGuess:
    """A parsed zone (``name``), or why not (``error``) and maybe a ``suggestion``."""

    name: str | None = None
    error: str | None = None
    suggestion: str | None = None


def _fixed_offset_zone(minutes: int) -> str | None:
    if minutes % 60 == 0 and -12 * 60 <= minutes <= 14 * 60:
        hours = minutes // 60
        return "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"  # POSIX: the sign is inverted
    preferred = _PREFERRED_FOR_OFFSET.get(minutes)
    if preferred is not None:
        return preferred
    return None


def parse_zone(text: str) -> ZoneGuess:
    """An IANA zone from a city, an IANA name or a UTC offset typed by the user."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 64:
        return ZoneGuess(error="empty")
    key = _key(cleaned)
    if key.replace(" ", "") in _UTC_WORDS:
        return ZoneGuess(name="UTC")
    match = _OFFSET.match(cleaned.lower().replace(" ", ""))
    if match:
        sign = -1 if match.group(1) in "-\u2212" else 1
        hours, minutes = int(match.group(2)), int(match.group(3) or 0)
        if minutes >= 60 or hours > 14:
            return ZoneGuess(error="offset")
        name = _fixed_offset_zone(sign * (hours * 60 + minutes))
        if name is None:
            return ZoneGuess(error="offset-no-zone")
        return ZoneGuess(name=name)
    if key in ALIASES:
        return ZoneGuess(name=ALIASES[key])
    full, cities = _index()
    slashed = re.sub(r"\s*/\s*", "/", key)
    if slashed in full:
        return ZoneGuess(name=full[slashed])
    if key in cities:
        return ZoneGuess(name=cities[key])
    choices = list(ALIASES) + list(cities)
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.8)
    suggestion = None
    if close:
        suggestion = ALIASES.get(close[0]) or cities.get(close[0])
    return ZoneGuess(error="unknown", suggestion=suggestion)


def display_zone(name: str) -> str:
    """A zone name as people read it: "Europe/Berlin" → "Europe/Berlin", "Etc/GMT-2" → "UTC+2"."""
    if name in ("UTC", "Etc/UTC", "Etc/GMT"):
        return "UTC"
    match = re.fullmatch(r"Etc/GMT([+-])(\d{1,2})", name)
    if match:
        sign = "-" if match.group(1) == "+" else "+"
        return f"UTC{sign}{int(match.group(2))}"
    return name.replace("_", " ")


def is_valid_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True


def utc_offset_label(name: str, now: datetime) -> str:
    """"UTC+05:30"-style label for a zone at ``now``."""
    offset = now.astimezone(ZoneInfo(name)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# --------------------------------------------------------------------------- location
_FINDER_LOCK = threading.Lock()
_finder: Any = None


def _timezone_finder() -> Any:
    """The one ``TimezoneFinder`` of this process, built on first use (it is slowish)."""
    global _finder
    with _FINDER_LOCK:
        if _finder is None:
            from timezonefinder import TimezoneFinder

            _finder = TimezoneFinder()
        return _finder


def zone_at(latitude: float, longitude: float) -> str | None:
    """The IANA zone at a point, offline; None if the point is invalid or unknown.

    Blocking (a file lookup): call it from a thread in async code.
    """
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    name = _timezone_finder().timezone_at(lat=latitude, lng=longitude)
    return name if is_valid_zone(name) else None


def now_in(name: str, now: datetime) -> datetime:
    """``now`` in the zone ``name`` (for "your local time is …")."""
    return now.astimezone(ZoneInfo(name)) if now.tzinfo else now.replace(tzinfo=UTC)
