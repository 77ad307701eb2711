"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and the running stack."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hotline.db import Database, make_engine
from hotline.migrate import upgrade

POSTGRES_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL")
CHROMIUM = os.environ.get("HOTLINE_TEST_CHROMIUM")


def require_postgres() -> str:
    """Skip only when PostgreSQL is not configured; when it is, it must be reachable."""
    if not POSTGRES_URL:
        pytest.skip("HOTLINE_TEST_POSTGRES_URL is not set")
    return POSTGRES_URL


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    admin_url = require_postgres()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"hotline_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database built by running the migrations, once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db')}/hotline.db"
        upgrade(url)
        yield url
        return
    with fresh_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """That database, for tests that use the services without an app."""
    engine = make_engine(database_url)
    yield Database(engine)
    engine.dispose()


@pytest.fixture
def app_only(database_url: str) -> Iterator[object]:
    """The app under uvicorn with a fake clock, no simulator (tests post webhooks directly)."""
    from tests.stack import running_stack

    with running_stack(database_url, with_simulator=False) as stack:
        yield stack


@pytest.fixture
def quiet_app(database_url: str) -> Iterator[object]:
    """The app without its background engine, so only the request under test writes rows."""
    from tests.stack import running_stack

    with running_stack(database_url, with_simulator=False, run_engine=False) as stack:
        yield stack


@pytest.fixture
def stack(database_url: str) -> Iterator[object]:
    """The app and the Twilio simulator, each under uvicorn, with a fake clock."""
    from tests.stack import running_stack

    with running_stack(database_url) as running:
        yield running


def require_redis() -> str:
    """Skip only when Redis is not configured; when it is, it must answer."""
    if not REDIS_URL:
        pytest.skip("HOTLINE_TEST_REDIS_URL is not set")
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    return REDIS_URL


@pytest.fixture(autouse=True, scope="session")
def _data_keys() -> None:
    """Tests that use the database without an app still encrypt with a (derived) test key."""
    from hotline import crypto

    crypto.configure(crypto.keyring_from("test-secret-key-that-is-long-enough-000", "", "test"))
