"""The flood guard's sliding window, as a pure object (no Telegram, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flood import FloodGuard, Verdict


def test_twenty_in_ten_seconds_pass_the_twenty_first_warns_then_drops() -> None:
    guard = FloodGuard(max_updates=20, window=10, pause=30)
    verdicts = [guard.check(1, 100 + i * 0.1) for i in range(20)]
    assert verdicts == [Verdict.ALLOW] * 20
    assert guard.check(1, 102.0) is Verdict.WARN
    assert guard.check(1, 103.0) is Verdict.DROP
    assert guard.check(1, 131.9) is Verdict.DROP
    assert guard.check(1, 132.1) is Verdict.ALLOW  # the pause (30 s from 102) is over


def test_the_window_slides() -> None:
    guard = FloodGuard(max_updates=3, window=10, pause=30)
    assert [guard.check(1, t) for t in (0, 1, 2)] == [Verdict.ALLOW] * 3
    assert guard.check(1, 10.5) is Verdict.ALLOW  # 0 has left the window
    assert guard.check(1, 11.5) is Verdict.ALLOW  # 1 has left too
    assert guard.check(1, 11.6) is Verdict.WARN   # 2, 10.5, 11.5, 11.6: four in 10 s


def test_users_are_independent() -> None:
    guard = FloodGuard(max_updates=2, window=10, pause=30)
    assert [guard.check(1, 0), guard.check(1, 0), guard.check(1, 0)] == [
        Verdict.ALLOW, Verdict.ALLOW, Verdict.WARN]
    assert guard.check(2, 0) is Verdict.ALLOW


def test_memory_is_bounded() -> None:
    guard = FloodGuard(max_updates=5, window=10, pause=30, max_users=100)
    for user_id in range(1000):
        guard.check(user_id, 0)
    assert guard.tracked_users() <= 100


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="max_updates"):
        FloodGuard(max_updates=0)


@settings(max_examples=200, deadline=None)
@given(gaps=st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), max_size=80))
def test_never_more_than_the_limit_allowed_in_any_window(gaps: list[float]) -> None:
    guard = FloodGuard(max_updates=5, window=10, pause=30)
    now, allowed = 0.0, []
    for gap in gaps:
        now += gap
        if guard.check(7, now) is Verdict.ALLOW:
            allowed.append(now)
    for i, start in enumerate(allowed):
        in_window = [t for t in allowed[i:] if t < start + 10]
        assert len(in_window) <= 5
