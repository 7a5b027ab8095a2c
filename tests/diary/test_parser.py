"""The typed-shortcut parser: examples, then properties (never raises; valid parts are kept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.diary.parser import MAX_AGE, parse

LONDON = ZoneInfo("Europe/London")
ZONES = [ZoneInfo(name) for name in (
    "UTC", "Europe/London", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham",
    "Australia/Lord_Howe", "America/St_Johns",
)]
# 03:12 in London on a Tuesday.
NOW = datetime(2026, 3, 10, 3, 12, tzinfo=UTC)


def local(result_time: datetime | None, tz: ZoneInfo = LONDON) -> str | None:
    return None if result_time is None else result_time.astimezone(tz).strftime("%a %d %H:%M")


# ------------------------------------------------------------------------------ examples
def test_the_issue_examples() -> None:
    first = parse("left calf 7 5m night", now=NOW, tz=LONDON)
    assert first.details == {"side": "left", "location": "calf", "severity": 7,
                              "duration": "1to5", "context": "sleep"}
    assert first.started_at is None and first.ignored == []

    second = parse("yesterday 23:30 foot", now=NOW, tz=LONDON)
    assert local(second.started_at) == "Mon 09 23:30"
    assert second.details == {"location": "foot"}

    third = parse("2h ago", now=NOW, tz=LONDON)
    assert third.started_at == NOW - timedelta(hours=2)

    fourth = parse("10 mins ago right thigh severity 8", now=NOW, tz=LONDON)
    assert fourth.started_at == NOW - timedelta(minutes=10)
    assert fourth.details == {"side": "right", "severity": 8}
    assert fourth.thigh is True  # front or back is asked with buttons


@pytest.mark.parametrize(("text", "expected"), [
    ("23:30", "Mon 09 23:30"),            # a clock time alone: its most recent past
    ("01:00", "Tue 10 01:00"),
    ("11pm", "Mon 09 23:00"),
    ("11:30 pm", "Mon 09 23:30"),
    ("at 3", "Tue 10 03:00"),
    ("at 3 am", "Tue 10 03:00"),
    ("midnight", "Tue 10 00:00"),
    ("monday 22:15", "Mon 09 22:15"),
    ("tuesday 23:00", "Tue 03 23:00"),   # today's 23:00 is ahead: last week's Tuesday
    ("1h30m ago", "Tue 10 01:42"),
    ("half an hour ago", "Tue 10 02:42"),
    ("an hour ago", "Tue 10 02:12"),
    ("23.30 yesterday", "Mon 09 23:30"),
])
def test_time_forms(text: str, expected: str) -> None:
    result = parse(text, now=NOW, tz=LONDON)
    assert local(result.started_at) == expected, result
    assert result.ignored == []
    assert result.understood[0][0] == "time"


@pytest.mark.parametrize(("text", "code"), [
    ("30s", "lt1"), ("under 1 min", "lt1"), ("<1m", "lt1"), ("1 min", "1to5"),
    ("for a minute", "1to5"), ("5m", "1to5"), ("1-5m", "1to5"), ("5to10", "5to10"),
    ("6 minutes", "5to10"), ("10 min", "5to10"), ("over 10 min", "gt10"),
    ("more than 10 minutes", "gt10"), ("12m", "gt10"), ("gt10", "gt10"), ("1h", "gt10"),
])
def test_durations(text: str, code: str) -> None:
    result = parse(text, now=NOW, tz=LONDON)
    assert result.duration == code
    assert result.started_at is None  # a duration is not a time


@pytest.mark.parametrize(("text", "field", "value"), [
    ("hamstring", "location", "back_thigh"), ("back of my thigh", "location", "back_thigh"),
    ("front of the thigh", "location", "front_thigh"), ("quads", "location", "front_thigh"),
    ("toes", "location", "foot"), ("calves", "location", "calf"), ("shin", "location", "other"),
    ("both", "side", "both"), ("r calf", "side", "right"),
    ("7/10", "severity", 7), ("sev 9", "severity", 9), ("pain 10", "severity", 10),
    ("woke me up", "context", "sleep"), ("last night", "context", "sleep"),
    ("resting", "context", "rest"), ("running", "context", "exercise"),
    ("after exercise", "context", "after"), ("post-workout", "context", "after"),
])
def test_details(text: str, field: str, value: object) -> None:
    result = parse(text, now=NOW, tz=LONDON)
    assert getattr(result, field) == value
    assert result.ignored == []


def test_invalid_parts_are_reported_and_cost_nothing() -> None:
    result = parse("blah 11 calf foot 23:30 yesterday 7/10 over 10 min zzz after running",
                   now=NOW, tz=LONDON)
    assert result.details == {"location": "calf", "severity": 7, "duration": "gt10",
                              "context": "after"}
    assert local(result.started_at) == "Mon 09 23:30"
    assert result.ignored == ["blah", "11 (severity is 1 to 10)", "foot (where given twice)",
                              "zzz"]


def test_future_and_too_old_times_are_ignored_not_guessed() -> None:
    future = parse("today 23:30 calf", now=NOW, tz=LONDON)
    assert future.started_at is None and future.location == "calf"
    assert future.ignored == ["today 23:30 (that time is in the future)"]
    old = parse("400h ago 6", now=NOW, tz=LONDON)
    assert old.started_at is None and old.severity == 6
    assert old.ignored == ["400h ago (too long ago)"]


def test_the_first_time_wins() -> None:
    result = parse("2h ago 23:30", now=NOW, tz=LONDON)
    assert result.started_at == NOW - timedelta(hours=2)
    assert result.ignored == ["23:30 (time given twice)"]


def test_fillers_are_neither_understood_nor_ignored() -> None:
    result = parse("I had a very bad cramp in my left leg", now=NOW, tz=LONDON)
    assert result.details == {"side": "left"}
    assert result.ignored == []


def test_a_time_in_a_dst_gap_does_not_raise() -> None:
    # 01:30 on 29 March 2026 does not exist in London (clocks go forward at 01:00).
    now = datetime(2026, 3, 29, 3, 0, tzinfo=UTC)
    result = parse("01:30", now=now, tz=LONDON)
    assert result.started_at is not None and result.started_at <= now


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse("calf", now=datetime(2026, 3, 10))


# ------------------------------------------------------------------------------ properties
nows = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31),
                    timezones=st.just(UTC))
zones = st.sampled_from(ZONES)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300), now=nows, tz=zones)
def test_random_text_never_raises(text: str, now: datetime, tz: ZoneInfo) -> None:
    result = parse(text, now=now, tz=tz)
    if result.started_at is not None:
        assert result.started_at <= now
        assert now - result.started_at <= MAX_AGE + timedelta(days=1)
    assert result.severity is None or 1 <= result.severity <= 10


word_soup = st.lists(
    st.sampled_from(["calf", "left", "7", "5m", "ago", "2h", "at", "yesterday", "23:30", "over",
                     "10", "min", "after", "run", "thigh", "back", "of", "front", "pm", "sev",
                     "/10", "-", "1-5", "monday", "night", "11", "0", "99:99", "25:00", "am"]),
    max_size=12,
).map(" ".join)


@settings(max_examples=400)
@given(text=word_soup, now=nows, tz=zones)
def test_near_miss_word_soup_never_raises(text: str, now: datetime, tz: ZoneInfo) -> None:
    result = parse(text, now=now, tz=tz)
    assert result.started_at is None or result.started_at <= now


# Valid ways to say each field, with the value they must give.
LOCATION_TOKENS = [("calf", "calf"), ("foot", "foot"), ("hamstring", "back_thigh"),
                   ("front of thigh", "front_thigh"), ("back thigh", "back_thigh"),
                   ("quads", "front_thigh"), ("toes", "foot"), ("other", "other")]
SIDE_TOKENS = [("left", "left"), ("right", "right"), ("both", "both")]
SEVERITY_TOKENS = [(str(n), n) for n in range(1, 11)] + [(f"{n}/10", n) for n in (1, 5, 10)] + [
    (f"severity {n}", n) for n in (2, 8)] + [(f"sev{n}", n) for n in (3, 9)]
DURATION_TOKENS = [("30s", "lt1"), ("5m", "1to5"), ("3 min", "1to5"), ("8mins", "5to10"),
                   ("over 10 min", "gt10"), ("gt10", "gt10"), ("for 2 minutes", "1to5"),
                   ("lt1", "lt1"), ("5-10m", "5to10")]
CONTEXT_TOKENS = [("night", "sleep"), ("woke me up", "sleep"), ("resting", "rest"),
                  ("during exercise", "exercise"), ("gym", "exercise"),
                  ("after exercise", "after"), ("after running", "after")]
# Junk that can never be read as a field: letters outside every vocabulary word.
junk = st.text(alphabet="qxzjvkw", min_size=2, max_size=7)


@st.composite
def time_token(draw: st.DrawFn) -> tuple[str, object]:
    kind = draw(st.sampled_from(["ago", "clock", "yesterday"]))
    if kind == "ago":
        amount = draw(st.integers(1, 300))
        unit, minutes = draw(st.sampled_from([("m", 1), (" mins", 1), ("h", 60), (" hours", 60)]))
        if amount * minutes > 13 * 24 * 60:
            amount = 2
        return f"{amount}{unit} ago", ("ago", amount * minutes)
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    if kind == "clock":
        return f"{hour:02d}:{minute:02d}", ("clock", hour, minute)
    return f"yesterday {hour}:{minute:02d}", ("yesterday", hour, minute)


@st.composite
def shortcut(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """Some valid parts (at most one per field) in any order, with junk between them."""
    pools = {"location": LOCATION_TOKENS, "side": SIDE_TOKENS, "severity": SEVERITY_TOKENS,
             "duration": DURATION_TOKENS, "context": CONTEXT_TOKENS}
    chosen = draw(st.lists(st.sampled_from([*pools, "time"]), unique=True, min_size=1))
    parts: list[tuple[str, str, object]] = []
    for name in chosen:
        words, value = draw(time_token()) if name == "time" else draw(st.sampled_from(pools[name]))
        parts.append((name, words, value))
    parts = draw(st.permutations(parts))
    pieces: list[str] = []
    for _name, words, _value in parts:
        pieces += draw(st.lists(junk, max_size=2))
        pieces.append(words)
    pieces += draw(st.lists(junk, max_size=2))
    return " ".join(pieces), {name: value for name, _w, value in parts}


def expected_time(spec: tuple, now: datetime, tz: ZoneInfo) -> datetime:
    if spec[0] == "ago":
        return now - timedelta(minutes=spec[1])
    local_now = now.astimezone(tz)
    day = local_now.date() - timedelta(days=1 if spec[0] == "yesterday" else 0)
    candidate = datetime(day.year, day.month, day.day, spec[1], spec[2], tzinfo=tz)
    if spec[0] == "clock" and candidate.astimezone(UTC) > now:
        day -= timedelta(days=1)
        candidate = datetime(day.year, day.month, day.day, spec[1], spec[2], tzinfo=tz)
    return candidate.astimezone(UTC)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(case=shortcut(), now=nows, tz=zones)
def test_every_valid_part_is_kept_whatever_surrounds_it(
    case: tuple[str, dict[str, object]], now: datetime, tz: ZoneInfo
) -> None:
    text, expected = case
    result = parse(text, now=now, tz=tz)
    for name, value in expected.items():
        if name == "time":
            if value[0] == "yesterday":
                want = expected_time(value, now, tz)
                if want > now:  # only when a DST jump makes "yesterday" ahead of now
                    continue
                assert result.started_at == want, (text, result)
            else:
                assert result.started_at == expected_time(value, now, tz), (text, result)
        else:
            assert getattr(result, name) == value, (text, name, result)
    understood = {name for name, _words in result.understood}
    assert set(expected) <= understood | ({"time"} if "time" in expected else set())
    # Only the junk is ignored: every word left over is one of ours.
    for leftover in result.ignored:
        assert set(leftover) <= set("qxzjvkw"), (text, result.ignored)
