"""Reminder tables: one row per reminder slot, one row per delivery.

``reminder_slots`` holds each user's plan (three stretch slots and a bedtime slot) with the
slot's next due time in UTC; the dispatcher claims rows whose ``next_due_at`` has passed.
``reminder_deliveries`` records every reminder the dispatcher decided to send, under a
unique key (user, slot, local date), before it is sent: the key makes a second send for
the same slot and day impossible, and the row carries adherence (``done_at``) and snoozes.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow

# Delivery states. pending: claimed, not yet handed to Telegram (another instance may take
# it over after the lease); sending: the send call started (never retried after a crash);
# sent / failed / blocked (403) / skipped (later than the grace window).
STATUS_PENDING = "pending"
STATUS_SENDING = "sending"
STATUS_SENT = "sent"
STATUS_FAILED = "failed"
STATUS_BLOCKED = "blocked"
STATUS_SKIPPED = "skipped"


class ReminderSlotBase(SQLModel):
    """One daily reminder of a user's plan."""

    kind: str = Field(sa_column=Column(String(16), nullable=False))  # stretch | bedtime
    position: int = Field(sa_column=Column(SmallInteger, nullable=False))
    local_time: time = Field(sa_column=Column(Time(), nullable=False))
    enabled: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))


class ReminderSlot(ReminderSlotBase, table=True):
    """A reminder slot; ``next_due_at`` is NULL while it is off, paused or suspended."""

    __tablename__ = "reminder_slots"
    __table_args__ = (UniqueConstraint("user_id", "position"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    next_due_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True)
    )
    paused_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    # Stopped by the dispatcher because the user blocked the bot or withdrew consent;
    # revived (next_due_at recomputed) once the user is active and consenting again.
    suspended: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, index=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ReminderDelivery(SQLModel, table=True):
    """One reminder sent (or skipped) for a slot on a local date."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (UniqueConstraint("user_id", "slot_id", "local_date"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    slot_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("reminder_slots.id", ondelete="CASCADE"), nullable=False,
            index=True,
        )
    )
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    stretch: str = Field(sa_column=Column(String(8), nullable=False))
    local_date: date = Field(sa_column=Column(Date(), nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    # When this send is due: due_at, or the end of a snooze.
    send_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    claim_token: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    snooze_due_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True)
    )
    snooze_count: int = Field(default=0, sa_column=Column(SmallInteger, nullable=False))
