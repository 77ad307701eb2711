"""A PostgreSQL copy put back for the next test shows exactly what a new copy of the template
shows (tests/pgpool.py); one whose schema a test changed is dropped instead."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from hotline.db import Database, make_engine
from tests.conftest import fresh_postgres_database, require_postgres
from tests.factories import make_user
from tests.pgpool import PostgresPool


def _state(url: str) -> dict[str, Any]:
    """Every table's rows (sorted) and every sequence's position."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            ).scalars()
            state: dict[str, Any] = {
                table: sorted(map(str, connection.execute(text(f'SELECT * FROM "{table}"'))))
                for table in tables
            }
            state["sequences"] = connection.execute(
                text("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
            ).all()
            return state
    finally:
        engine.dispose()


def _dirty(url: str) -> Any:
    """What a test leaves: rows of its own, a row the migrations wrote deleted, sequences moved,
    and a session still open in a transaction."""
    database = Database(make_engine(url))
    make_user(database, "left-behind")
    with database.session() as session:
        session.execute(
            text(
                "DELETE FROM issue_categories WHERE id NOT IN "
                "(SELECT parent_id FROM issue_categories WHERE parent_id IS NOT NULL)"
            )
        )
    lingering = database.engine.connect()
    lingering.execute(text("SELECT count(*) FROM users"))  # holds its transaction open
    return database, lingering


def test_a_copy_put_back_shows_nothing_of_the_test_before(_postgres_pool: PostgresPool) -> None:
    pool = _postgres_pool
    name = pool.take()
    url = pool.url(name)
    database, lingering = _dirty(url)
    assert _state(url)["users"]
    pool.give_back(name)
    with suppress(DBAPIError):  # its session was ended
        lingering.close()
    database.engine.dispose()
    assert pool.take() == name  # reused, not made again
    try:
        with fresh_postgres_database(template=pool.template) as new:
            assert _state(url) == _state(new)
    finally:
        pool.give_back(name)


def test_a_copy_whose_schema_a_test_changed_is_dropped(_postgres_pool: PostgresPool) -> None:
    require_postgres()  # (the pool needs it too; this marks the test `postgres`, not `unit`)
    pool = _postgres_pool
    name = pool.take()
    engine = create_engine(pool.url(name))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE left_behind (value INTEGER)"))
    engine.dispose()
    pool.give_back(name)
    other = pool.take()
    pool.give_back(other)
    assert other != name
    admin = create_engine(pool.admin_url)
    try:
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
        assert found == 0
    finally:
        admin.dispose()
