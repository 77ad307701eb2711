"""core call path

Revision ID: 96a84621c85a
Revises:
Create Date: 2026-11-23 13:08:18.833546
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "96a84621c85a"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lines",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("greetings", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("opening_hours", sa.JSON(), nullable=True),
        sa.Column("max_queue_wait_s", sa.Integer(), nullable=False),
        sa.Column("partner_number", sa.String(length=32), nullable=True),
        sa.Column("overflow_action", sa.String(length=16), nullable=False),
        sa.Column("recording", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lines")),
    )
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lines_number"), ["number"], unique=True)

    op.create_table(
        "users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.Column("line_ids", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_username"), ["username"], unique=True)

    op.create_table(
        "webhook_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_receipts")),
        sa.UniqueConstraint("key", name=op.f("uq_webhook_receipts_key")),
    )
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_receipts_call_sid"), ["call_sid"], unique=False
        )

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("caller_hash", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("in_danger", sa.Boolean(), nullable=False),
        sa.Column("repeat_caller", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queue_deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offered_to_id", sa.Integer(), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offer_count", sa.Integer(), nullable=False),
        sa.Column("counselor_id", sa.Integer(), nullable=True),
        sa.Column("counselor_call_sid", sa.String(length=64), nullable=True),
        sa.Column("conference_sid", sa.String(length=64), nullable=True),
        sa.Column("caller_joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=64), nullable=True),
        sa.Column("voicemail_url", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["counselor_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["lines.id"],
        ),
        sa.ForeignKeyConstraint(
            ["offered_to_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_call_sid"), ["call_sid"], unique=True)
        batch_op.create_index(batch_op.f("ix_calls_caller_hash"), ["caller_hash"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_calls_counselor_call_sid"), ["counselor_call_sid"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_calls_counselor_id"), ["counselor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_line_id"), ["line_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_calls_offer_expires_at"), ["offer_expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_calls_queue_deadline_at"), ["queue_deadline_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_calls_state"), ["state"], unique=False)

    op.create_table(
        "agent_status",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idle_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("missed_offers", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_agent_status_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agent_status_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agent_status")),
    )
    with op.batch_alter_table("agent_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_status_state"), ["state"], unique=False)

    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_events_call_id"), ["call_id"], unique=False)

    op.create_table(
        "presence_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_presence_events_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_presence_events_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presence_events")),
    )
    with op.batch_alter_table("presence_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_presence_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_presence_events_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("presence_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_presence_events_user_id"))
        batch_op.drop_index(batch_op.f("ix_presence_events_at"))

    op.drop_table("presence_events")
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_events_call_id"))

    op.drop_table("call_events")
    with op.batch_alter_table("agent_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_status_state"))

    op.drop_table("agent_status")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_state"))
        batch_op.drop_index(batch_op.f("ix_calls_queue_deadline_at"))
        batch_op.drop_index(batch_op.f("ix_calls_offer_expires_at"))
        batch_op.drop_index(batch_op.f("ix_calls_line_id"))
        batch_op.drop_index(batch_op.f("ix_calls_counselor_id"))
        batch_op.drop_index(batch_op.f("ix_calls_counselor_call_sid"))
        batch_op.drop_index(batch_op.f("ix_calls_caller_hash"))
        batch_op.drop_index(batch_op.f("ix_calls_call_sid"))

    op.drop_table("calls")
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_receipts_call_sid"))

    op.drop_table("webhook_receipts")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_username"))

    op.drop_table("users")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lines_number"))

    op.drop_table("lines")
