"""call control: the counselor's mute and the caller's hold, and parties added to a live call

Revision ID: 4d1c7a2e9b30
Revises: 9e1a2b3c4d5f
Create Date: 2026-12-07 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4d1c7a2e9b30"
down_revision: str | None = "9e1a2b3c4d5f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_controls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("counselor_muted", sa.Boolean(), nullable=False),
        sa.Column("caller_on_hold", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"]),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_id"),
    )
    op.create_table(
        "call_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("leg_sid", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"]),
        sa.ForeignKeyConstraint(["added_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["removed_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["resource_id"], ["referral_resources.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_parties_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_parties_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_parties_leg_sid"), ["leg_sid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_parties_leg_sid"))
        batch_op.drop_index(batch_op.f("ix_call_parties_status"))
        batch_op.drop_index(batch_op.f("ix_call_parties_call_id"))
    op.drop_table("call_parties")
    op.drop_table("call_controls")
