"""staff record: each person's profession and full- or part-time, for the national report

Revision ID: ab3d5f7a9c10
Revises: 3c5e8a1d7b42
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ab3d5f7a9c10"
down_revision: str | None = "3c5e8a1d7b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profession", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("employment", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("employment")
        batch_op.drop_column("profession")
