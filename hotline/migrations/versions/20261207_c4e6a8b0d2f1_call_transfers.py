"""call transfers: a live call handed to a colleague (warm or cold) or to the partner line

Revision ID: c4e6a8b0d2f1
Revises: ab3d5f7a9c10
Create Date: 2026-12-07 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e6a8b0d2f1"
down_revision: str | None = "ab3d5f7a9c10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=False),
        sa.Column("to_user_id", sa.Integer(), nullable=True),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("colleague_was", sa.String(length=16), nullable=True),
        sa.Column("held_caller", sa.Boolean(), nullable=False),
        sa.Column("leg_sid", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.Column("note_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"]),
        sa.ForeignKeyConstraint(["from_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["to_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["party_id"], ["call_parties.id"]),
        sa.ForeignKeyConstraint(["ended_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_transfers_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_transfers_to_user_id"), ["to_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_call_transfers_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_transfers_leg_sid"), ["leg_sid"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_transfers_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("call_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_transfers_expires_at"))
        batch_op.drop_index(batch_op.f("ix_call_transfers_leg_sid"))
        batch_op.drop_index(batch_op.f("ix_call_transfers_status"))
        batch_op.drop_index(batch_op.f("ix_call_transfers_to_user_id"))
        batch_op.drop_index(batch_op.f("ix_call_transfers_call_id"))
    op.drop_table("call_transfers")
