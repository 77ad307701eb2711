"""Alembic environment: the URL comes from the caller's config or from hotline settings."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString

import hotline.models  # noqa: F401 - registers every table on the metadata
from hotline.config import get_settings
from hotline.crypto import EncryptedText
from hotline.db import make_engine, metadata
from hotline.models_base import StrEnumType, UTCDateTime

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def _render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write the app's column types as the plain types they store, so a migration never imports
    application code that may change after it was written."""
    if kind != "type":
        return False
    if isinstance(obj, AutoString | StrEnumType):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, EncryptedText):
        return "sa.Text()"
    return False


def _configure(connection: Connection | None = None) -> None:
    context.configure(
        connection=connection,
        url=None if connection is not None else _url(),
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite alters tables by copying them
        render_item=_render_item,
    )


def run_migrations_offline() -> None:
    _configure()
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
