"""statistics: caller area, difficult calls, indexes

Existing rows get defaults: calls are of unknown area, notes not difficult, lines without local
prefixes. The indexes serve the statistics' period filters (calls.created_at,
escalations.created_at).

Revision ID: bc03535e5517
Revises: 8464b2a8846b
Create Date: 2026-11-23 14:49:15.810814
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bc03535e5517"
down_revision: str | None = "0dd626f11005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_notes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("difficult", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("caller_area", sa.String(length=16), nullable=False, server_default="unknown")
        )
        batch_op.create_index(batch_op.f("ix_calls_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalations_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("local_prefixes", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("local_prefixes")

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_created_at"))

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_created_at"))
        batch_op.drop_column("caller_area")

    with op.batch_alter_table("call_notes", schema=None) as batch_op:
        batch_op.drop_column("difficult")
