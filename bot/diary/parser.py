"""Typed cramp shortcuts: ``/cramp left calf 7 5m night``, ``/cramp yesterday 23:30 foot``. Pure.

``parse(text, now=..., tz=...)`` reads one message and returns what it understood (time,
where, side, severity, duration, context) and what it ignored. Each part stands alone: an
unknown or invalid part is reported and never costs the valid ones. When a field is given
twice the first wins and the second is reported as ignored. Time is injected (``now``, an
aware datetime, and the user's zone), so results are reproducible.

Time forms: ``now``; ``2h ago``, ``10 mins ago``, ``1h30m ago``, ``an hour ago``;
``23:30``, ``23.30``, ``11pm``, ``11:30 pm``, ``at 3``, ``midnight``; with a day:
``today``, ``yesterday``, a weekday (``monday``). A clock time alone means its most recent
past occurrence; a time in the future or more than ``MAX_AGE`` ago is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.diary.vocab import SEVERITY_MAX, SEVERITY_MIN, duration_code

MAX_AGE = timedelta(days=14)
MAX_INPUT = 1000

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ALIASES = {name[:3]: i for i, name in enumerate(WEEKDAYS)} | {
    name: i for i, name in enumerate(WEEKDAYS)
} | {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}

_SECONDS = ("s", "sec", "secs", "second", "seconds")
_MINUTES = ("m", "min", "mins", "minute", "minutes")
_HOURS = ("h", "hr", "hrs", "hour", "hours")
_UNIT_MINUTES = {**dict.fromkeys(_SECONDS, 1 / 60), **dict.fromkeys(_MINUTES, 1.0),
                 **dict.fromkeys(_HOURS, 60.0)}
_UNIT = "|".join(sorted(_UNIT_MINUTES, key=len, reverse=True))
_AMOUNT_UNIT = re.compile(rf"^(\d{{1,4}}(?:\.\d+)?)({_UNIT})$")
_HOURS_MINUTES = re.compile(r"^(\d{1,2})h(\d{1,2})(?:m|min|mins)?$")
_NUMBER = re.compile(r"^\d{1,4}(?:\.\d+)?$")
_INT = re.compile(r"^\d{1,3}$")
_CLOCK = re.compile(r"^(\d{1,2})[:.](\d{2})(am|pm|a\.m\.|p\.m\.)?$")
_CLOCK_AMPM = re.compile(r"^(\d{1,2})(am|pm|a\.m\.|p\.m\.)$")
_OUT_OF_TEN = re.compile(r"^(\d{1,3})/10$")
_SEV_FUSED = re.compile(r"^(?:sev|severity|pain)[:=]?(\d{1,3})$")
_RANGE = re.compile(r"^(\d{1,2})(?:-|–|to)(\d{1,2})(?:m|min|mins|minutes)?$")

_DURATION_CODES = {"lt1": "lt1", "1to5": "1to5", "5to10": "5to10", "gt10": "gt10",
                   "<1m": "lt1", "<1min": "lt1", ">10m": "gt10", ">10min": "gt10",
                   "10+m": "gt10", "10+min": "gt10", "10+mins": "gt10"}
_LOCATION_WORDS = {
    "calf": "calf", "calves": "calf", "calfs": "calf", "calf's": "calf",
    "foot": "foot", "feet": "foot", "toe": "foot", "toes": "foot", "sole": "foot",
    "arch": "foot", "instep": "foot",
    "quad": "front_thigh", "quads": "front_thigh", "quadriceps": "front_thigh",
    "hamstring": "back_thigh", "hamstrings": "back_thigh", "ham": "back_thigh",
    "hams": "back_thigh",
    "other": "other", "shin": "other", "shins": "other", "knee": "other",
    "ankle": "other", "hip": "other",
}
_SIDE_WORDS = {"left": "left", "right": "right", "both": "both", "l": "left", "r": "right"}
_CONTEXT_WORDS = {
    "night": "sleep", "nighttime": "sleep", "overnight": "sleep", "sleep": "sleep",
    "sleeping": "sleep", "asleep": "sleep", "woke": "sleep", "woken": "sleep",
    "waking": "sleep", "bed": "sleep",
    "rest": "rest", "resting": "rest", "sitting": "rest", "lying": "rest", "relaxing": "rest",
    "exercise": "exercise", "exercising": "exercise", "running": "exercise", "run": "exercise",
    "workout": "exercise", "gym": "exercise", "sport": "exercise", "training": "exercise",
    "swimming": "exercise", "cycling": "exercise",
    "post-exercise": "after", "postexercise": "after", "post-workout": "after",
    "post-run": "after",
}
_EXERCISE_WORDS = {w for w, c in _CONTEXT_WORDS.items() if c == "exercise"}
# Words that carry no information here: skipped without being reported as ignored.
_FILLERS = frozenset({
    "a", "an", "the", "my", "me", "up", "of", "in", "on", "at", "for", "and", "with", "leg",
    "legs", "cramp", "cramps", "cramped", "cramping", "was", "it", "i", "had", "got", "have",
    "very", "bad", "during", "while", "just", "this", "that", "pain", "severity", "sev",
    "about", "around", "approx", "roughly", "it's", "last",
})
_SEVERITY_WORDS = ("sev", "severity", "pain", "level")
_STRIP = ".,;!?()[]{}\"'“”‘’"


@dataclass
class ParsedLog:
    """What a typed shortcut said. ``started_at`` is aware UTC, or None for "now"."""

    started_at: datetime | None = None
    time_text: str | None = None
    location: str | None = None
    thigh: bool = False  # "thigh" without front or back: ask which
    side: str | None = None
    severity: int | None = None
    duration: str | None = None
    context: str | None = None
    understood: list[tuple[str, str]] = field(default_factory=list)  # (field, words)
    ignored: list[str] = field(default_factory=list)

    @property
    def details(self) -> dict[str, object]:
        """The episode fields this shortcut fills (no time)."""
        values = {"location": self.location, "side": self.side, "severity": self.severity,
                  "duration": self.duration, "context": self.context}
        return {k: v for k, v in values.items() if v is not None}

    @property
    def fields(self) -> set[str]:
        return {name for name, _ in self.understood}


@dataclass
class _Time:
    relative: timedelta | None = None
    relative_text: str = ""
    day: date | None = None
    day_text: str = ""
    clock: time | None = None
    clock_text: str = ""
    now_text: str = ""
    weekday: bool = False
    first: str | None = None  # which kind came first: "relative", "now" or "absolute"
    position: int | None = None


def _clean(token: str) -> str:
    return token.strip(_STRIP).lower()


def _to_int(text: str) -> int | None:
    return int(text) if _INT.match(text) else None


def _ampm_hour(hour: int, suffix: str | None) -> int | None:
    if suffix is None:
        return hour if 0 <= hour <= 23 else None
    if not 1 <= hour <= 12:
        return None
    pm = suffix.startswith("p")
    return (hour % 12) + (12 if pm else 0)


class _Reader:
    """One pass over the tokens; each recogniser consumes the tokens it understood."""

    def __init__(self, text: str, now: datetime, tz: ZoneInfo) -> None:
        self.raw = text[:MAX_INPUT].replace("\u00a0", " ").split()
        self.words = [_clean(t) for t in self.raw]
        self.now = now.astimezone(UTC)
        self.tz = tz
        self.local_now = self.now.astimezone(tz)
        self.result = ParsedLog()
        self.time = _Time()
        self.i = 0

    # -- helpers ---------------------------------------------------------------------------
    def word(self, offset: int = 0) -> str:
        index = self.i + offset
        return self.words[index] if 0 <= index < len(self.words) else ""

    def text(self, count: int) -> str:
        return " ".join(self.raw[self.i : self.i + count])

    def understand(self, name: str, count: int) -> None:
        self.result.understood.append((name, self.text(count)))
        self.i += count

    def ignore(self, count: int = 1, why: str = "") -> None:
        words = self.text(count)
        self.result.ignored.append(f"{words} ({why})" if why else words)
        self.i += count

    def already(self, name: str) -> bool:
        return name in self.result.fields

    def offer(self, name: str, count: int, attr: str, value: object) -> None:
        """Record ``value`` for field ``name`` unless another value came first (then ignore)."""
        if self.already(name):
            if getattr(self.result, attr) == value:
                self.i += count  # the same thing said twice ("woke me up last night")
            else:
                self.ignore(count, f"{_FIELD_WORDS[name]} given twice")
            return
        setattr(self.result, attr, value)
        self.understand(name, count)

    # -- the pass ----------------------------------------------------------------------------
    def run(self) -> ParsedLog:
        while self.i < len(self.words):
            if not self.words[self.i]:
                self.i += 1  # punctuation only
                continue
            if not (self.read_time() or self.read_duration() or self.read_severity()
                    or self.read_location() or self.read_side() or self.read_context()):
                if self.words[self.i] in _FILLERS:
                    self.i += 1
                else:
                    self.ignore()
        self.resolve_time()
        return self.result

    # -- time ------------------------------------------------------------------------------
    def mark_time(self, kind: str) -> None:
        if self.time.position is None:
            self.time.position = len(self.result.understood)
            self.time.first = kind

    def read_time(self) -> bool:
        w = self.word()
        # "2h ago", "10 mins ago", "1h30m ago", "an hour ago", "half an hour ago"
        relative = self.relative_span()
        if relative is not None:
            delta, count = relative
            words = self.text(count)
            if self.time.relative is not None:
                self.ignore(count, "time given twice")
            elif delta <= timedelta(0) or delta > MAX_AGE:
                self.ignore(count, "too long ago" if delta > MAX_AGE else "not a time")
            else:
                self.mark_time("relative")
                self.time.relative, self.time.relative_text = delta, words
                self.i += count
            return True
        if w == "now" or (w == "just" and self.word(1) == "now"):
            count = 2 if w == "just" else 1
            if self.time.now_text:
                self.ignore(count, "time given twice")
            else:
                self.mark_time("now")
                self.time.now_text = self.text(count)
                self.i += count
            return True
        day = self.day_word()
        if day is not None:
            if self.time.day is not None:
                self.ignore(1, "day given twice")
            else:
                self.mark_time("absolute")
                self.time.day, self.time.day_text = day, self.raw[self.i]
                self.time.weekday = self.word() in _WEEKDAY_ALIASES
                self.i += 1
            return True
        if w == "last" and self.word(1) == "night":
            return False  # "night" is read as the context; "last" is a filler
        clock = self.clock_span()
        if clock is not None:
            value, count = clock
            if self.time.clock is not None:
                self.ignore(count, "time given twice")
            else:
                self.mark_time("absolute")
                self.time.clock, self.time.clock_text = value, self.text(count)
                self.i += count
            return True
        return False

    def relative_span(self) -> tuple[timedelta, int] | None:
        w0, w1, w2, w3 = self.word(), self.word(1), self.word(2), self.word(3)
        if w0 == "half" and w1 in ("an", "a") and w2 in _HOURS and w3 == "ago":
            return timedelta(minutes=30), 4
        if w0 in ("an", "a") and w1 in _UNIT_MINUTES and w2 == "ago":
            return timedelta(minutes=_UNIT_MINUTES[w1]), 3
        minutes, count = self.amount(0)
        if minutes is not None and self.word(count) == "ago":
            return timedelta(minutes=minutes), count + 1
        return None

    def amount(self, offset: int) -> tuple[float | None, int]:
        """A length of time at ``offset``: '5m', '1h30m', '5 min' -> (minutes, tokens)."""
        w0, w1 = self.word(offset), self.word(offset + 1)
        fused = _AMOUNT_UNIT.match(w0)
        if fused:
            return float(fused.group(1)) * _UNIT_MINUTES[fused.group(2)], 1
        hm = _HOURS_MINUTES.match(w0)
        if hm:
            return int(hm.group(1)) * 60 + int(hm.group(2)), 1
        if _NUMBER.match(w0) and w1 in _UNIT_MINUTES:
            return float(w0) * _UNIT_MINUTES[w1], 2
        return None, 0

    def day_word(self) -> date | None:
        w = self.word()
        today = self.local_now.date()
        if w == "today":
            return today
        if w == "yesterday":
            return today - timedelta(days=1)
        if w in _WEEKDAY_ALIASES:
            back = (today.weekday() - _WEEKDAY_ALIASES[w]) % 7
            return today - timedelta(days=back)
        return None

    def clock_span(self) -> tuple[time, int] | None:
        w0, w1 = self.word(), self.word(1)
        suffix_next = w1 if w1 in ("am", "pm", "a.m", "p.m", "a.m.", "p.m.") else None
        if w0 in ("midnight",):
            return time(0, 0), 1
        if w0 in ("noon", "midday"):
            return time(12, 0), 1
        match = _CLOCK.match(w0)
        if match:
            suffix = match.group(3) or suffix_next
            hour = _ampm_hour(int(match.group(1)), suffix)
            minute = int(match.group(2))
            if hour is None or minute > 59:
                return None
            return time(hour, minute), 2 if suffix_next and not match.group(3) else 1
        match = _CLOCK_AMPM.match(w0)
        if match:
            hour = _ampm_hour(int(match.group(1)), match.group(2))
            return (time(hour, 0), 1) if hour is not None else None
        if w0 == "at":
            value = _to_int(w1)
            if value is not None:
                suffix = self.word(2) if self.word(2) in ("am", "pm") else None
                hour = _ampm_hour(value, suffix)
                if hour is not None:
                    return time(hour, 0), 3 if suffix else 2
            match = _CLOCK.match(w1) or _CLOCK_AMPM.match(w1)
            if match:
                self.i += 1  # "at 23:30": read the clock from the next token
                span = self.clock_span()
                self.i -= 1
                if span is not None:
                    return span[0], span[1] + 1
        if _INT.match(w0) and suffix_next:
            hour = _ampm_hour(int(w0), suffix_next)
            return (time(hour, 0), 2) if hour is not None else None
        return None

    def resolve_time(self) -> None:
        """Turn the time words into one instant; the kind given first wins."""
        t = self.time
        result = self.result
        if t.first is None or t.position is None:
            return
        absolute = " ".join(x for x in (t.day_text, t.clock_text) if x)
        texts = {"relative": t.relative_text, "now": t.now_text, "absolute": absolute}
        for kind, words in texts.items():
            if kind != t.first and words:
                result.ignored.append(f"{words} (time given twice)")
        words = texts[t.first]
        if t.first == "relative" and t.relative is not None:
            result.started_at = self.now - t.relative
        elif t.first == "absolute":
            started = self.combine(t.day, t.clock, weekday=t.weekday)
            if started is None:
                result.ignored.append(f"{words} (that time is in the future)")
                return
            if self.now - started > MAX_AGE:
                result.ignored.append(f"{words} (too long ago)")
                return
            result.started_at = started
        result.time_text = words
        result.understood.insert(t.position, ("time", words))

    def combine(self, day: date | None, clock: time | None, *,
                weekday: bool = False) -> datetime | None:
        """The UTC instant for a local day and/or clock time; None if it is in the future."""
        if clock is None:
            clock = self.local_now.time().replace(second=0, microsecond=0)
        candidate_day = day or self.local_now.date()
        local = datetime.combine(candidate_day, clock, tzinfo=self.tz)
        instant = local.astimezone(UTC)
        if instant > self.now:
            if day is not None and weekday:
                # "monday 23:30" said on a Monday afternoon: last week's Monday.
                local = datetime.combine(day - timedelta(days=7), clock, tzinfo=self.tz)
                return local.astimezone(UTC)
            if day is not None:
                return None
            # A clock time alone: its most recent past occurrence (23:30 at 09:00 = yesterday).
            local = datetime.combine(candidate_day - timedelta(days=1), clock, tzinfo=self.tz)
            instant = local.astimezone(UTC)
        return instant

    # -- duration ----------------------------------------------------------------------------
    def read_duration(self) -> bool:
        w = self.word()
        if w in _DURATION_CODES:
            code: str | None = _DURATION_CODES[w]
            self.offer("duration", 1, "duration", code)
            return True
        lead = 0
        nudge = 0.0
        if w in ("over", "under") or (w in ("more", "less") and self.word(1) == "than"):
            lead = 1 if w in ("over", "under") else 2
            nudge = 0.01 if w in ("over", "more") else -0.01
        elif w == "for":
            lead = 1
        range_match = _RANGE.match(self.word(lead))
        if range_match and self.word(lead + 1) != "ago":
            low, high = int(range_match.group(1)), int(range_match.group(2))
            code = {(1, 5): "1to5", (5, 10): "5to10", (0, 1): "lt1"}.get((low, high))
            if code is None:
                return False
            self.offer("duration", lead + 1, "duration", code)
            return True
        minutes, count = self.amount(lead)
        if minutes is None or self.word(lead + count) == "ago":
            if lead and self.word(lead) in ("a", "an") and self.word(lead + 1) in _UNIT_MINUTES:
                minutes, count = _UNIT_MINUTES[self.word(lead + 1)], 2
            else:
                return False
        code = duration_code(minutes * (1 + nudge) if nudge > 0 else minutes + nudge)
        if code is None:
            self.ignore(lead + count, "not a duration")
            return True
        self.offer("duration", lead + count, "duration", code)
        return True

    # -- severity ----------------------------------------------------------------------------
    def read_severity(self) -> bool:
        w = self.word()
        count = 1
        value: int | None = None
        fused = _OUT_OF_TEN.match(w) or _SEV_FUSED.match(w)
        if fused:
            value = int(fused.group(1))
        elif w in _SEVERITY_WORDS and _to_int(self.word(1).removesuffix("/10")) is not None:
            value, count = _to_int(self.word(1).removesuffix("/10")), 2
        elif _INT.match(w):
            value = int(w)
        else:
            return False
        if value is None or not SEVERITY_MIN <= value <= SEVERITY_MAX:
            self.ignore(count, f"severity is {SEVERITY_MIN} to {SEVERITY_MAX}")
            return True
        severity = value
        self.offer("severity", count, "severity", severity)
        return True

    # -- where -------------------------------------------------------------------------------
    def read_location(self) -> bool:
        w = self.word()
        if w in _LOCATION_WORDS:
            code = _LOCATION_WORDS[w]
            self.offer("location", 1, "location", code)
            return True
        if w in ("front", "back"):
            # "front thigh", "back of thigh", "front of the thigh", "back of my thighs"
            j = 1
            while self.word(j) in ("of", "the", "my") and j < 4:
                j += 1
            if self.word(j) in ("thigh", "thighs"):
                code = "front_thigh" if w == "front" else "back_thigh"
                self.offer("location", j + 1, "location", code)
                return True
            return False
        if w in ("thigh", "thighs"):
            if self.word(1) in ("front", "back"):
                code = "front_thigh" if self.word(1) == "front" else "back_thigh"
                self.offer("location", 2, "location", code)
            else:
                self.offer("location", 1, "thigh", True)
            return True
        return False

    def read_side(self) -> bool:
        w = self.word()
        if w in ("left", "right", "both") or (w in ("l", "r") and self.word(1) in _LOCATION_WORDS):
            side = _SIDE_WORDS[w]
            self.offer("side", 1, "side", side)
            return True
        return False

    def read_context(self) -> bool:
        w, w1 = self.word(), self.word(1)
        if w == "after" and w1 in _EXERCISE_WORDS:
            self.offer("context", 2, "context", "after")
            return True
        if w in ("woke", "woken") and w1 in ("me", "up"):
            count = 3 if self.word(2) == "up" else 2
            self.offer("context", count, "context", "sleep")
            return True
        if w in _CONTEXT_WORDS:
            code = _CONTEXT_WORDS[w]
            self.offer("context", 1, "context", code)
            return True
        return False


_FIELD_WORDS = {"location": "where", "side": "side", "severity": "severity",
                "duration": "duration", "context": "when", "time": "time"}


def parse(text: str, *, now: datetime, tz: ZoneInfo | None = None) -> ParsedLog:
    """Read a typed shortcut; never raises. ``now`` must be aware; ``tz`` defaults to UTC."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return _Reader(text or "", now, tz or ZoneInfo("UTC")).run()
