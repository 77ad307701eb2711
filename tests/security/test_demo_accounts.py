"""Demo accounts are marked, kept out of databases with real accounts, and can be disabled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlmodel import select

from hotline.auth import service as auth
from hotline.auth.models import User
from hotline.db import Database, make_engine
from hotline.lines.models import Line
from hotline.migrate import alembic_config
from hotline.seed import (
    DEMO_PASSWORD,
    DEMO_USERNAMES,
    DemoRefused,
    check_may_seed,
    demo_accounts_left,
    remove_demo,
    seed_demo,
)
from tests.factories import make_user

DEMO_FLAG_REVISION = "5b0e2c7d9a41"
NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def test_seeded_accounts_are_marked_and_reseeding_is_idempotent(db: Database) -> None:
    check_may_seed(engine=db.engine, env="development")
    for _ in range(2):
        with db.session() as session:
            seed_demo(session=session, now=NOW)
    with db.session() as session:
        users = session.exec(select(User)).all()
        assert {u.username for u in users} == DEMO_USERNAMES
        assert all(u.demo for u in users)
        assert demo_accounts_left(session=session) == sorted(DEMO_USERNAMES)


def test_seeding_refuses_a_database_with_real_accounts(db: Database) -> None:
    make_user(db, "real_counselor")
    with pytest.raises(DemoRefused, match="real_counselor"):
        check_may_seed(engine=db.engine, env="development")
    with pytest.raises(DemoRefused, match="real_counselor"), db.session() as session:
        seed_demo(session=session, now=NOW)
    with db.session() as session:
        assert [u.username for u in session.exec(select(User))] == ["real_counselor"]
        assert session.exec(select(Line)).all() == []


def test_seeding_refuses_production_even_on_an_empty_database(db: Database) -> None:
    with pytest.raises(DemoRefused, match="production"):
        check_may_seed(engine=db.engine, env="production")


def test_remove_demo_disables_them_and_keeps_real_accounts(db: Database) -> None:
    with db.session() as session:
        seed_demo(session=session, now=NOW)
    real = make_user(db, "real_counselor")
    with db.session() as session:
        assert sorted(remove_demo(session=session, now=NOW)) == sorted(DEMO_USERNAMES)
    with db.session() as session:
        assert demo_accounts_left(session=session) == []
        assert (
            auth.authenticate(session=session, username="crisis1", password=DEMO_PASSWORD) is None
        )
        kept = session.get(User, real.id)
        assert kept is not None and kept.active and not kept.demo


@pytest.mark.real_migrations
def test_the_migration_marks_demo_accounts_seeded_before_it(database_url: str) -> None:
    """A database that ran `hotline demo` earlier: the demo's usernames with the public password
    are marked; the same usernames with another password, and other accounts, are not."""
    config = alembic_config(database_url)
    # Back to just before the migration that added the flag (wherever it ends up in the chain).
    before = ScriptDirectory.from_config(config).get_revision(DEMO_FLAG_REVISION).down_revision
    assert isinstance(before, str)
    command.downgrade(config, before)
    engine = make_engine(database_url)
    users = sa.table(
        "users",
        *(sa.column(name) for name in ("username", "display_name", "role", "password_hash")),
        sa.column("locale"),
        sa.column("endpoint"),
        sa.column("line_ids", sa.JSON),
        sa.column("languages", sa.JSON),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = [
        ("counselor1", DEMO_PASSWORD),
        ("admin", "a-real-admin-password-9"),
        ("alice", DEMO_PASSWORD),
    ]
    with engine.begin() as connection:
        for username, password in rows:
            connection.execute(
                users.insert().values(
                    username=username,
                    display_name=username,
                    role="counselor",
                    password_hash=auth.hash_password(password),
                    locale="en",
                    endpoint="",
                    line_ids=[],
                    languages=["en"],
                    active=True,
                    created_at=NOW,
                )
            )
    command.upgrade(config, "head")
    with Database(engine).session() as session:
        marked = {u.username: u.demo for u in session.exec(select(User))}
    engine.dispose()
    assert marked == {"counselor1": True, "admin": False, "alice": False}
