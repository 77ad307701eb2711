"""filed reports: the archive of reports, chained, signed and append-only

Revision ID: 9e1a2b3c4d5f
Revises: 7c3d9e1f2a55
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e1a2b3c4d5f"
down_revision: str | None = "7c3d9e1f2a55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "filed_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("line_key", sa.Integer(), nullable=False),
        sa.Column("line_name", sa.String(length=200), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_by", sa.String(length=200), nullable=True),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("prev_digest", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filed_reports")),
        sa.UniqueConstraint("period", "line_key", name=op.f("uq_filed_reports_period")),
    )
    with op.batch_alter_table("filed_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_filed_reports_seq"), ["seq"], unique=True)
        batch_op.create_index(batch_op.f("ix_filed_reports_digest"), ["digest"], unique=True)
        batch_op.create_index(batch_op.f("ix_filed_reports_kind"), ["kind"], unique=False)
    _append_only()


def downgrade() -> None:
    _drop_append_only()
    with op.batch_alter_table("filed_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_filed_reports_kind"))
        batch_op.drop_index(batch_op.f("ix_filed_reports_digest"))
        batch_op.drop_index(batch_op.f("ix_filed_reports_seq"))
    op.drop_table("filed_reports")


def _append_only() -> None:
    """Filed reports are kept as filed: the database itself refuses updates and deletes."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION filed_reports_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'filed_reports is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER filed_reports_append_only BEFORE UPDATE OR DELETE ON filed_reports "
            "FOR EACH ROW EXECUTE FUNCTION filed_reports_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER filed_reports_no_{event.lower()} BEFORE {event} ON filed_reports "
            "BEGIN SELECT RAISE(ABORT, 'filed_reports is append-only'); END"
        )


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER filed_reports_append_only ON filed_reports")
        op.execute("DROP FUNCTION filed_reports_append_only()")
        return
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER filed_reports_no_{event}")
