"""The migrations build exactly the tables the models describe, and run down and up again."""

from __future__ import annotations

import pytest
from alembic import command

from hotline.migrate import alembic_config

# Builds its database by running every migration on an empty one, not from the test template.
pytestmark = pytest.mark.real_migrations


def test_models_and_migrations_agree_and_downgrade_works(database_url: str) -> None:
    config = alembic_config(database_url)
    command.check(config)  # raises if autogenerate would write anything
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    command.check(config)
