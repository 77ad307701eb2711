"""training: courses, sessions and attendance, qualifications with expiry, the qualifications a
line requires, the yearly ethics and confidentiality sign-off

Revision ID: 7a1b2c3d4e5f
Revises: 6f1a2b3c4d5e
Create Date: 2026-12-07 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a1b2c3d4e5f"
down_revision: str | None = "6f1a2b3c4d5e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qualifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualifications")),
        sa.UniqueConstraint("name", name=op.f("uq_qualifications_name")),
    )
    op.create_table(
        "ethics_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ethics_signoffs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ethics_signoffs")),
        sa.UniqueConstraint("user_id", "year", name=op.f("uq_ethics_signoffs_user_id")),
    )
    with op.batch_alter_table("ethics_signoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ethics_signoffs_user_id"), ["user_id"], unique=False)

    op.create_table(
        "training_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("grants_qualification_id", sa.Integer(), nullable=True),
        sa.Column("grants_days", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grants_qualification_id"],
            ["qualifications.id"],
            name=op.f("fk_training_courses_grants_qualification_id_qualifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_courses")),
        sa.UniqueConstraint("name", name=op.f("uq_training_courses_name")),
    )
    op.create_table(
        "line_qualifications",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("qualification_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_line_qualifications_line_id_lines")
        ),
        sa.ForeignKeyConstraint(
            ["qualification_id"],
            ["qualifications.id"],
            name=op.f("fk_line_qualifications_qualification_id_qualifications"),
        ),
        sa.PrimaryKeyConstraint("line_id", "qualification_id", name=op.f("pk_line_qualifications")),
    )
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("trainer", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_courses.id"],
            name=op.f("fk_training_sessions_course_id_training_courses"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_training_sessions_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_sessions_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_training_sessions_held_on"), ["held_on"], unique=False)

    op.create_table(
        "person_qualifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("qualification_id", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["qualification_id"],
            ["qualifications.id"],
            name=op.f("fk_person_qualifications_qualification_id_qualifications"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_person_qualifications_session_id_training_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_person_qualifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_qualifications")),
        sa.UniqueConstraint(
            "user_id", "qualification_id", name=op.f("uq_person_qualifications_user_id")
        ),
    )
    with op.batch_alter_table("person_qualifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_qualifications_qualification_id"),
            ["qualification_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_person_qualifications_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "training_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("credited_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_training_attendance_session_id_training_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_training_attendance_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_attendance")),
        sa.UniqueConstraint(
            "session_id", "user_id", name=op.f("uq_training_attendance_session_id")
        ),
    )
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_attendance_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_attendance_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_attendance_user_id"))
        batch_op.drop_index(batch_op.f("ix_training_attendance_session_id"))

    op.drop_table("training_attendance")
    with op.batch_alter_table("person_qualifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_qualifications_user_id"))
        batch_op.drop_index(batch_op.f("ix_person_qualifications_qualification_id"))

    op.drop_table("person_qualifications")
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_sessions_held_on"))
        batch_op.drop_index(batch_op.f("ix_training_sessions_course_id"))

    op.drop_table("training_sessions")
    op.drop_table("line_qualifications")
    op.drop_table("training_courses")
    with op.batch_alter_table("ethics_signoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ethics_signoffs_user_id"))

    op.drop_table("ethics_signoffs")
    op.drop_table("qualifications")
