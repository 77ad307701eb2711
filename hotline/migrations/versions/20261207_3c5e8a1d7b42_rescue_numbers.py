"""emergency linkage: the caller's number kept for a high or imminent escalation, and which
emergency service a rescue step called

Revision ID: 3c5e8a1d7b42
Revises: 2b7e4c1a9d30
Create Date: 2026-12-07 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c5e8a1d7b42"
down_revision: str | None = "2b7e4c1a9d30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rescue_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("erase_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_rescue_numbers_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rescue_numbers")),
        sa.UniqueConstraint("call_id", name=op.f("uq_rescue_numbers_call_id")),
    )
    with op.batch_alter_table("rescue_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rescue_numbers_erase_at"), ["erase_at"], unique=False)
    with op.batch_alter_table("rescue_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rescue_steps", schema=None) as batch_op:
        batch_op.drop_column("service")
    with op.batch_alter_table("rescue_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rescue_numbers_erase_at"))
    op.drop_table("rescue_numbers")
