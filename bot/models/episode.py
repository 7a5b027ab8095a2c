"""The episodes table: one row per logged cramp (the cramp diary).

``started_at`` is when the cramp began (UTC); ``night_of`` is the local evening date of the
night it belongs to (a 02:00 cramp counts to the night before), computed in the user's zone
when it is saved or its time is changed. Details are optional and filled in one at a time.
The composite index (user_id, started_at) serves the owner filter, paging and date ranges.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow


class EpisodeBase(SQLModel):
    """What the user tells about one cramp; every detail is optional."""

    location: str | None = Field(
        default=None, sa_column=Column(String(16), nullable=True),
        description="calf, front_thigh, back_thigh, foot or other (bot.diary.vocab)",
    )
    side: str | None = Field(default=None, sa_column=Column(String(8), nullable=True))
    severity: int | None = Field(
        default=None, sa_column=Column(SmallInteger, nullable=True), description="1-10"
    )
    duration: str | None = Field(
        default=None, sa_column=Column(String(8), nullable=True),
        description="lt1, 1to5, 5to10 or gt10",
    )
    context: str | None = Field(
        default=None, sa_column=Column(String(16), nullable=True),
        description="sleep, rest, exercise or after",
    )
    helped: list[str] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True),
        description="what the user tried: stretch, massage, walk, heat, cold, nothing",
    )
    helped_rating: int | None = Field(
        default=None, sa_column=Column(SmallInteger, nullable=True),
        description="how much it helped: 0 not at all .. 3 a lot",
    )


class Episode(EpisodeBase, table=True):
    """A logged cramp, owned by one user."""

    __tablename__ = "episodes"
    __table_args__ = (
        Index("ix_episodes_user_id_started_at", "user_id", "started_at"),
        CheckConstraint("severity BETWEEN 1 AND 10", name="severity_range"),
        CheckConstraint("helped_rating BETWEEN 0 AND 3", name="helped_rating_range"),
        # Ids travel in buttons: SQLite must never reuse a deleted episode's id.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        )
    )
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    logged_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    night_of: date = Field(sa_column=Column(Date, nullable=False))
    source: str = Field(
        default="command", sa_column=Column(String(16), nullable=False),
        description="command, button or reminder",
    )
