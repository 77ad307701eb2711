"""rota feed links can be renewed; a note's region is encrypted at rest

Revision ID: 5e1f7c2a9b40
Revises: 5b0e2c7d9a41
Create Date: 2026-12-06 20:30:00
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from hotline import crypto

revision: str = "5e1f7c2a9b40"
down_revision: str | None = "5b0e2c7d9a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rota_feed_keys",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_rota_feed_keys_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_rota_feed_keys")),
    )
    _move_regions(_into_sensitive)


def downgrade() -> None:
    _move_regions(_into_profile)
    op.drop_table("rota_feed_keys")


# A note's region is free text: it moves from the plain profile JSON into the encrypted
# `sensitive` JSON (hotline.notes.service reads either, so this may run while instances serve).
NOTES = sa.table(
    "call_notes",
    sa.column("id", sa.Integer),
    sa.column("profile", sa.JSON),
    sa.column("sensitive", sa.Text),
)
BATCH = 500
Move = Callable[[dict[str, Any], dict[str, Any]], bool]


def _keyring() -> crypto.Keyring:
    try:
        return crypto.current_keyring()
    except RuntimeError:  # `hotline db upgrade`: the keys come from the settings
        from hotline.config import get_settings

        settings = get_settings()
        return crypto.keyring_from(settings.secret_key, settings.data_keys, settings.env)


def _into_sensitive(profile: dict[str, Any], sensitive: dict[str, Any]) -> bool:
    if not profile.get("region"):
        return False
    sensitive["region"] = profile.pop("region")
    return True


def _into_profile(profile: dict[str, Any], sensitive: dict[str, Any]) -> bool:
    if not sensitive.get("region"):
        return False
    profile["region"] = sensitive.pop("region")
    return True


def _move_regions(move: Move) -> None:
    bind = op.get_bind()
    keyring: crypto.Keyring | None = None
    last = 0
    while rows := bind.execute(
        sa.select(NOTES.c.id, NOTES.c.profile, NOTES.c.sensitive)
        .where(NOTES.c.id > last)
        .order_by(NOTES.c.id)
        .limit(BATCH)
    ).all():
        last = rows[-1].id
        for row in rows:
            profile = dict(row.profile or {})
            if not (profile.get("region") if move is _into_sensitive else row.sensitive):
                continue  # nothing to move: no decryption (most notes)
            keyring = keyring or _keyring()
            sensitive = json.loads(keyring.decrypt(row.sensitive)) if row.sensitive else {}
            if not move(profile, sensitive):
                continue
            bind.execute(
                NOTES.update()
                .where(NOTES.c.id == row.id)
                .values(
                    profile=profile,
                    sensitive=keyring.encrypt(json.dumps(sensitive, ensure_ascii=False)),
                )
            )
