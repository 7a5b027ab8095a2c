"""Per-user flood guard: a sliding window of update times, kept in this process's memory.

More than ``max_updates`` updates within ``window`` seconds: the user gets one polite
"slow down" message and their updates are dropped for ``pause`` seconds.

It is per instance, on purpose: with N replicas behind one webhook a user's updates spread
over the replicas, so the effective limit is up to N times higher. That is fine for its job
(keep one runaway client from monopolising an instance); it holds no flow state, only
timestamps, and forgetting them on restart is harmless. Pure: no Telegram, no database.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from enum import Enum


class Verdict(Enum):
    """What to do with one update."""

    ALLOW = "allow"
    WARN = "warn"  # the limit was just crossed: say "slow down" once, drop the update
    DROP = "drop"  # paused: drop silently


class FloodGuard:
    """Sliding-window rate limit per user id, memory bounded by ``max_users``."""

    def __init__(self, max_updates: int = 20, window: float = 10.0, pause: float = 30.0,
                 max_users: int = 100_000) -> None:
        if max_updates < 1 or window <= 0 or pause < 0 or max_users < 1:
            raise ValueError("max_updates >= 1, window > 0, pause >= 0, max_users >= 1")
        self.max_updates = max_updates
        self.window = window
        self.pause = pause
        self.max_users = max_users
        self._hits: OrderedDict[int, deque[float]] = OrderedDict()
        self._paused_until: dict[int, float] = {}

    def check(self, user_id: int, now: float) -> Verdict:
        """Record an update from ``user_id`` at ``now`` (seconds) and judge it."""
        until = self._paused_until.get(user_id)
        if until is not None:
            if now < until:
                return Verdict.DROP
            del self._paused_until[user_id]
        hits = self._hits.pop(user_id, None) or deque()
        hits.append(now)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) > self.max_updates:
            self._paused_until[user_id] = now + self.pause
            return Verdict.WARN
        self._hits[user_id] = hits  # most recently seen last
        while len(self._hits) > self.max_users:
            self._hits.popitem(last=False)
        if len(self._paused_until) > self.max_users:
            self._paused_until = {u: t for u, t in self._paused_until.items() if t > now}
        return Verdict.ALLOW

    def tracked_users(self) -> int:
        return len(self._hits) + len(self._paused_until)
