"""The "Cramping now" flow's pure rules: when to ask "Still cramping?", the duration code.

No Telegram, no ORM. Duration codes are the diary's contract (``diary:log:<code>``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

STILL_AFTER = timedelta(minutes=10)  # RF-E4: a cramp longer than 10 minutes is an emergency
DURATION_CODES = ("lt1", "1to5", "5to10", "gt10")


def duration_code(elapsed: timedelta) -> str:
    """The diary's duration code for a cramp that lasted ``elapsed``."""
    if elapsed < timedelta(minutes=1):
        return "lt1"
    if elapsed < timedelta(minutes=5):
        return "1to5"
    if elapsed <= timedelta(minutes=10):
        return "5to10"
    return "gt10"


def still_question_due(started_at: datetime, now: datetime, asked_at: datetime | None,
                       after: timedelta = STILL_AFTER) -> bool:
    """True when "Still cramping?" should be asked now: time is up and it was not asked."""
    return asked_at is None and now - started_at >= after
