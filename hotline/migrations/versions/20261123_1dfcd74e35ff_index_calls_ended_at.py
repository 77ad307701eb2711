"""index calls ended_at

Revision ID: 1dfcd74e35ff
Revises: d8f468808c55
Create Date: 2026-11-23 14:29:02.191585
"""

from collections.abc import Sequence

from alembic import op

revision: str = "1dfcd74e35ff"
down_revision: str | None = "d8f468808c55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_ended_at"), ["ended_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_ended_at"))
