"""supervision (督导): sessions with attendees, calls discussed and actions agreed; debrief
requests; each line's QA sampling rule

Revision ID: 6f1a2b3c4d5e
Revises: 4d1c7a2e9b30
Create Date: 2026-12-07 05:37:46
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6f1a2b3c4d5e"
down_revision: str | None = "4d1c7a2e9b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervision_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("themes", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_supervision_sessions_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_id"],
            ["users.id"],
            name=op.f("fk_supervision_sessions_supervisor_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_sessions")),
    )
    with op.batch_alter_table("supervision_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_sessions_held_at"), ["held_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supervision_sessions_supervisor_id"), ["supervisor_id"], unique=False
        )

    op.create_table(
        "qa_sampling_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.Column("every_high_risk", sa.Boolean(), nullable=False),
        sa.Column("review_within_days", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=32), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_qa_sampling_rules_line_id_lines")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_qa_sampling_rules_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_sampling_rules")),
        sa.UniqueConstraint("line_id", name=op.f("uq_qa_sampling_rules_line_id")),
    )
    op.create_table(
        "supervision_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_supervision_actions_done_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_supervision_actions_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_sessions.id"],
            name=op.f("fk_supervision_actions_session_id_supervision_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_actions")),
    )
    with op.batch_alter_table("supervision_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_actions_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supervision_actions_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "supervision_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("counselor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counselor_id"], ["users.id"], name=op.f("fk_supervision_attendees_counselor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_sessions.id"],
            name=op.f("fk_supervision_attendees_session_id_supervision_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_attendees")),
        sa.UniqueConstraint(
            "session_id", "counselor_id", name=op.f("uq_supervision_attendees_session_id")
        ),
    )
    with op.batch_alter_table("supervision_attendees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_attendees_counselor_id"), ["counselor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supervision_attendees_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "debrief_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counselor_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_debrief_requests_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["counselor_id"], ["users.id"], name=op.f("fk_debrief_requests_counselor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_sessions.id"],
            name=op.f("fk_debrief_requests_session_id_supervision_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debrief_requests")),
    )
    with op.batch_alter_table("debrief_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_debrief_requests_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_debrief_requests_counselor_id"), ["counselor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_debrief_requests_status"), ["status"], unique=False)

    op.create_table(
        "supervision_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_supervision_calls_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_sessions.id"],
            name=op.f("fk_supervision_calls_session_id_supervision_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_calls")),
        sa.UniqueConstraint("session_id", "call_id", name=op.f("uq_supervision_calls_session_id")),
    )
    with op.batch_alter_table("supervision_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_calls_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_supervision_calls_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("supervision_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_calls_session_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_calls_call_id"))

    op.drop_table("supervision_calls")
    with op.batch_alter_table("debrief_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_debrief_requests_status"))
        batch_op.drop_index(batch_op.f("ix_debrief_requests_counselor_id"))
        batch_op.drop_index(batch_op.f("ix_debrief_requests_call_id"))

    op.drop_table("debrief_requests")
    with op.batch_alter_table("supervision_attendees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_attendees_session_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_attendees_counselor_id"))

    op.drop_table("supervision_attendees")
    with op.batch_alter_table("supervision_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_actions_session_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_actions_owner_id"))

    op.drop_table("supervision_actions")
    op.drop_table("qa_sampling_rules")
    with op.batch_alter_table("supervision_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_sessions_supervisor_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_sessions_held_at"))

    op.drop_table("supervision_sessions")
