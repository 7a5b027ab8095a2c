"""diary: the episodes table (one row per logged cramp)

Revision ID: 0002_diary
Revises: 0001_users
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_diary"
down_revision: str | None = "0001_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "episodes",
        sa.Column("location", sa.String(length=16), nullable=True),
        sa.Column("side", sa.String(length=8), nullable=True),
        sa.Column("severity", sa.SmallInteger(), nullable=True),
        sa.Column("duration", sa.String(length=8), nullable=True),
        sa.Column("context", sa.String(length=16), nullable=True),
        sa.Column("helped", sa.JSON(), nullable=True),
        sa.Column("helped_rating", sa.SmallInteger(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("night_of", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "severity BETWEEN 1 AND 10", name=op.f("ck_episodes_severity_range")
        ),
        sa.CheckConstraint(
            "helped_rating BETWEEN 0 AND 3", name=op.f("ck_episodes_helped_rating_range")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_episodes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_episodes_user_id_started_at", "episodes", ["user_id", "started_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_episodes_user_id_started_at", table_name="episodes")
    op.drop_table("episodes")
