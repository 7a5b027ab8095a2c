"""relief_sessions: progress of a "Cramping now" flow, so any instance can serve its buttons.

One row per flow. The hold-timer countdown itself runs in the JobQueue of the instance that
started it (a transient nicety: a restart drops an in-flight countdown, never the flow).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow

OUTCOME_EASED = "eased"
OUTCOME_EMERGENCY = "emergency"
OUTCOME_REPLACED = "replaced"


class ReliefSessionBase(SQLModel):
    """Where the user is in the relief card."""

    step: int = Field(default=0, sa_column=Column(Integer, nullable=False),
                      description="index of the current relief step")
    hold_seq: int = Field(default=0, sa_column=Column(Integer, nullable=False),
                          description="bumped at each hold start; a countdown stops when stale")
    still_asked_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True),
        description='when "Still cramping?" was asked (asked once per flow)',
    )
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    outcome: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))


class ReliefSession(ReliefSessionBase, table=True):
    """One "Cramping now" flow of one user."""

    __tablename__ = "relief_sessions"
    # Ids travel in buttons: never reuse one on SQLite after a delete.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    user_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    )
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None
