"""rota feed links can be renewed; a note's region is encrypted at rest

Revision ID: 5e1f7c2a9b40
Revises: d82ce3fbc6c7
Create Date: 2026-12-06 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1f7c2a9b40"
down_revision: str | None = "d82ce3fbc6c7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rota_feed_keys",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_rota_feed_keys_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_rota_feed_keys")),
    )


def downgrade() -> None:
    op.drop_table("rota_feed_keys")
