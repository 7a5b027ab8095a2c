"""reminders: reminder slots (each user's plan) and deliveries (one per slot and local date)

Revision ID: 0005_reminders
Revises: 0004_guidance
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_reminders"
down_revision: str | None = "0004_guidance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_slots",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reminder_slots_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_slots")),
        sa.UniqueConstraint("user_id", "position", name=op.f("uq_reminder_slots_user_id_position")),
    )
    op.create_index(op.f("ix_reminder_slots_user_id"), "reminder_slots", ["user_id"], unique=False)
    op.create_index(
        op.f("ix_reminder_slots_next_due_at"), "reminder_slots", ["next_due_at"], unique=False
    )
    op.create_index(
        op.f("ix_reminder_slots_suspended"), "reminder_slots", ["suspended"], unique=False
    )

    op.create_table(
        "reminder_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("stretch", sa.String(length=8), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=32), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snooze_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snooze_count", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reminder_deliveries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["reminder_slots.id"],
            name=op.f("fk_reminder_deliveries_slot_id_reminder_slots"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_deliveries")),
        sa.UniqueConstraint(
            "user_id", "slot_id", "local_date",
            name=op.f("uq_reminder_deliveries_user_id_slot_id_local_date"),
        ),
    )
    op.create_index(
        op.f("ix_reminder_deliveries_user_id"), "reminder_deliveries", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_reminder_deliveries_slot_id"), "reminder_deliveries", ["slot_id"], unique=False
    )
    op.create_index(
        op.f("ix_reminder_deliveries_due_at"), "reminder_deliveries", ["due_at"], unique=False
    )
    op.create_index(
        op.f("ix_reminder_deliveries_status"), "reminder_deliveries", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_reminder_deliveries_snooze_due_at"), "reminder_deliveries", ["snooze_due_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reminder_deliveries_snooze_due_at"), table_name="reminder_deliveries")
    op.drop_index(op.f("ix_reminder_deliveries_status"), table_name="reminder_deliveries")
    op.drop_index(op.f("ix_reminder_deliveries_due_at"), table_name="reminder_deliveries")
    op.drop_index(op.f("ix_reminder_deliveries_slot_id"), table_name="reminder_deliveries")
    op.drop_index(op.f("ix_reminder_deliveries_user_id"), table_name="reminder_deliveries")
    op.drop_table("reminder_deliveries")
    op.drop_index(op.f("ix_reminder_slots_suspended"), table_name="reminder_slots")
    op.drop_index(op.f("ix_reminder_slots_next_due_at"), table_name="reminder_slots")
    op.drop_index(op.f("ix_reminder_slots_user_id"), table_name="reminder_slots")
    op.drop_table("reminder_slots")
