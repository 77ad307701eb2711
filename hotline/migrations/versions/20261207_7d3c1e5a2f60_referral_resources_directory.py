"""referral resources: address, hours, green channel, notes (the directory page)

Revision ID: 7d3c1e5a2f60
Revises: 5e1f7c2a9b40
Create Date: 2026-12-07 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d3c1e5a2f60"
down_revision: str | None = "5e1f7c2a9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral_resources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("address", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("hours", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("green_channel", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("notes", sa.String(length=2000), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_referral_resources_kind"), ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referral_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_resources_kind"))
        batch_op.drop_column("notes")
        batch_op.drop_column("green_channel")
        batch_op.drop_column("hours")
        batch_op.drop_column("address")
