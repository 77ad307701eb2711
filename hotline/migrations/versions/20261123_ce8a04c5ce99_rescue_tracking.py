"""rescue tracking

Revision ID: ce8a04c5ce99
Revises: 8464b2a8846b
Create Date: 2026-11-23 14:48:45.883058
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ce8a04c5ce99"
down_revision: str | None = "8464b2a8846b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rescue_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_rescue_steps_escalation_id_escalations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_rescue_steps_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rescue_steps")),
    )
    with op.batch_alter_table("rescue_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rescue_steps_escalation_id"), ["escalation_id"], unique=False
        )

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rescue_status", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("rescue_status")

    with op.batch_alter_table("rescue_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rescue_steps_escalation_id"))

    op.drop_table("rescue_steps")
