"""text conversations: a call's channel, conversations and their messages, and how many a
counselor holds at once

Revision ID: e5c1a7d3f9b2
Revises: c7e2f4a9b1d3
Create Date: 2026-12-08 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5c1a7d3f9b2"
down_revision: str | None = "c7e2f4a9b1d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), nullable=False, server_default="voice")
        )
        batch_op.create_index(batch_op.f("ix_calls_channel"), ["channel"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_conversations", sa.Integer(), nullable=True))
    op.create_table(
        "conversations",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("resume_hash", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position_told_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position_told", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_conversations_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("resume_hash", name=op.f("uq_conversations_resume_hash")),
    )
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_id", sa.String(length=96), nullable=True),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("danger_phrase", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_conversation_messages_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_conversation_messages_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_conversation_messages_provider_id")),
    )
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_messages_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_conversation_messages_call_id"), ["call_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("conversation_messages")
    op.drop_table("conversations")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("max_conversations")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_channel"))
        batch_op.drop_column("channel")
