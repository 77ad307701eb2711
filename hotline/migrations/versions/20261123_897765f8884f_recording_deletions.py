"""recording deletions

Revision ID: 897765f8884f
Revises: e97f9e985757
Create Date: 2026-11-23 19:09:43.456181
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "897765f8884f"
down_revision: str | None = "e97f9e985757"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recording_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_deletions")),
        sa.UniqueConstraint("recording_sid", name=op.f("uq_recording_deletions_recording_sid")),
    )


def downgrade() -> None:
    op.drop_table("recording_deletions")
