"""The migrations build exactly the tables the models describe, and run down and up again."""

from __future__ import annotations

from alembic import command

from hotline.migrate import alembic_config


def test_models_and_migrations_agree_and_downgrade_works(database_url: str) -> None:
    config = alembic_config(database_url)
    command.check(config)  # raises if autogenerate would write anything
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    command.check(config)
