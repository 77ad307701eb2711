"""conversation messages keep when a delivery job claimed them (a lease: an instance that died
mid-send no longer leaves the message, and the conversation's next ones, waiting for ever)

Revision ID: c3e8f1a5d7b2
Revises: a9d4c2e7b5f1
Create Date: 2026-12-11 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3e8f1a5d7b2"
down_revision: str | None = "a9d4c2e7b5f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.drop_column("sending_at")
