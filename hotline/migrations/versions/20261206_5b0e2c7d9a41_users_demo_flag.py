"""users: mark the accounts that the demo seeded

Revision ID: 5b0e2c7d9a41
Revises: 61ce08212d84
Create Date: 2026-12-06 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

revision: str = "5b0e2c7d9a41"
down_revision: str | None = "61ce08212d84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What `hotline demo` created until now (hotline/seed.py, frozen here).
DEMO_USERNAMES = ("counselor1", "counselor2", "counselor3", "crisis1", "supervisor1", "admin")
DEMO_PASSWORD = "hotline-demo-pass"  # noqa: S105 - public, which is the point


def _has_demo_password(password_hash: str) -> bool:
    try:
        return PasswordHasher().verify(password_hash, DEMO_PASSWORD)
    except (VerificationError, InvalidHashError):
        return False


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # A demo account seeded before this column existed still has the public password: mark it,
    # so a production database that ever ran `hotline demo` refuses to start until it is removed.
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("username", sa.String),
        sa.column("password_hash", sa.String),
        sa.column("demo", sa.Boolean),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.password_hash).where(users.c.username.in_(DEMO_USERNAMES))
    ).all()
    demo_ids = [row.id for row in rows if _has_demo_password(row.password_hash)]
    if demo_ids:
        connection.execute(users.update().where(users.c.id.in_(demo_ids)).values(demo=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("demo")
