"""The users table: one row per Telegram user who has talked to the bot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, String
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow

CONSENT_ACCEPTED = "accepted"
CONSENT_DECLINED = "declined"


class UserBase(SQLModel):
    """What we know about a user from Telegram and from their settings."""

    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    first_name: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    language_code: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    timezone: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True), description="IANA zone name"
    )
    country: str | None = Field(
        default=None,
        sa_column=Column(String(2), nullable=True),
        description="ISO 3166-1 alpha-2 code, chooses the emergency number",
    )


class User(UserBase, table=True):
    """A Telegram user. ``id`` is the Telegram user id."""

    __tablename__ = "users"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_seen_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    is_active: bool = Field(default=True, nullable=False)
    # Which feature waits for this user's next free-text message, e.g. "reminders:time:3".
    # Kept in the database so any instance (or a restarted one) can route the reply.
    awaiting: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # Health-data consent: None (not asked yet), "accepted" or "declined".
    consent: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    consent_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )

    @property
    def has_consented(self) -> bool:
        return self.consent == CONSENT_ACCEPTED
