"""guidance: relief_sessions ("Cramping now" progress) and causes_sessions (causes explorer)

Revision ID: 0004_guidance
Revises: 0003_triage
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_guidance"
down_revision: str | None = "0003_triage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relief_sessions",
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("hold_seq", sa.Integer(), nullable=False),
        sa.Column("still_asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_relief_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relief_sessions")),
        sqlite_autoincrement=True,  # ids travel in buttons: never reused
    )
    op.create_index(
        op.f("ix_relief_sessions_user_id"), "relief_sessions", ["user_id"], unique=False
    )
    op.create_table(
        "causes_sessions",
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=True),
        sa.Column("medicines", sa.JSON(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_causes_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_causes_sessions")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_causes_sessions_user_id"), "causes_sessions", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_causes_sessions_user_id"), table_name="causes_sessions")
    op.drop_table("causes_sessions")
    op.drop_index(op.f("ix_relief_sessions_user_id"), table_name="relief_sessions")
    op.drop_table("relief_sessions")
