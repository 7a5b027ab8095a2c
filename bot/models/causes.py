"""causes_sessions: the causes explorer's progress and, once finished, its result.

``answers`` holds ``bot.content.causes.Answers.to_json()``; ``factors`` and ``medicines`` hold
the names of what the result flagged (read by ``bot.storage.causes.latest_factors`` /
``latest_medicines`` for the doctor summary). Results of users who declined health-data
storage are deleted when the flow ends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow


class CausesSessionBase(SQLModel):
    """Where the user is in the causes explorer, and what they answered."""

    step: str = Field(sa_column=Column(String(16), nullable=False),
                      description='a question key, "meds", "conds" or "done"')
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    factors: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    medicines: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    version: int = Field(default=0, sa_column=Column(Integer, nullable=False),
                         description="bumped at each change: writes are compare-and-set")


class CausesSession(CausesSessionBase, table=True):
    """One run of the causes explorer by one user."""

    __tablename__ = "causes_sessions"
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
