"""triage: the triage_sessions table (symptom checks in progress and finished results)

Revision ID: 0003_triage
Revises: 0002_diary
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_triage"
down_revision: str | None = "0002_diary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triage_sessions",
        sa.Column("node", sa.String(length=32), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("red_flags", sa.JSON(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("graph_version", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_triage_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_sessions")),
    )
    op.create_index(
        "ix_triage_sessions_user_id_finished_at", "triage_sessions", ["user_id", "finished_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_triage_sessions_user_id_finished_at", table_name="triage_sessions")
    op.drop_table("triage_sessions")
