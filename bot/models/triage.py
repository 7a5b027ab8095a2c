"""The triage_sessions table: one symptom check per row, in progress or finished.

Progress lives here, not in process memory: ``node`` and ``answers`` are the engine's state,
``step`` (the number of answers) guards against double presses and racing instances (an
update only applies if the step it saw is still current). A finished row (``finished_at``
and ``level`` set) is the triage result the diary and the doctor summary read; for users
who declined data storage the row is deleted when the outcome is shown.
The composite index (user_id, finished_at) serves the owner filter and date ranges.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow

LEVELS = ("EMERGENCY", "URGENT", "ROUTINE", "SELF_CARE")


class TriageSessionBase(SQLModel):
    """The state of one symptom check."""

    node: str = Field(
        sa_column=Column(String(32), nullable=False), description="the graph node reached"
    )
    step: int = Field(
        default=0, sa_column=Column(Integer, nullable=False), description="answers given so far"
    )
    answers: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description='[{"question": id, "answer": "yes"/"no"/choice, "rf": [ids]}]',
    )
    red_flags: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="RF ids of the answers that raised the level",
    )
    level: str | None = Field(
        default=None,
        sa_column=Column(String(16), nullable=True),
        description="EMERGENCY, URGENT, ROUTINE or SELF_CARE once finished",
    )
    graph_version: str = Field(default="", sa_column=Column(String(16), nullable=False))


class TriageSession(TriageSessionBase, table=True):
    """A symptom check owned by one user; finished rows are the triage results."""

    __tablename__ = "triage_sessions"
    __table_args__ = (
        Index("ix_triage_sessions_user_id_finished_at", "user_id", "finished_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    user_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


# The finished session is the result other features read (diary, doctor summary).
TriageResult = TriageSession
