"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and the running stack."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from hotline.db import Database, make_engine
from hotline.migrate import upgrade
from tests.pgpool import PostgresPool

POSTGRES_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL")
CHROMIUM = os.environ.get("HOTLINE_TEST_CHROMIUM")


def require_postgres() -> str:
    """Skip only when PostgreSQL is not configured; when it is, it must be reachable."""
    if not POSTGRES_URL:
        pytest.skip("HOTLINE_TEST_POSTGRES_URL is not set")
    return POSTGRES_URL


def _admin_engine(admin_url: str) -> Engine:
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


def _drop_postgres_database(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def fresh_postgres_database(template: str | None = None) -> Iterator[str]:
    """A new, uniquely named database, dropped afterwards; empty, or a copy of `template`."""
    admin_url = require_postgres()
    admin = _admin_engine(admin_url)
    name = f"hotline_test_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_postgres_database(admin, name)
        admin.dispose()


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    """A database migrated once per run; each test's database is a copy of it.

    CREATE DATABASE ... TEMPLATE needs no other session on the template: `upgrade()` disposes
    its engine, and nothing else ever connects to it.
    """
    with fresh_postgres_database() as url:
        upgrade(url)
        name = make_url(url).database
        assert name is not None
        yield name


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per run, its WAL folded in so the file alone is complete."""
    path = tmp_path_factory.mktemp("template") / "hotline.db"
    upgrade(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def _postgres_pool(_postgres_template: str) -> Iterator[PostgresPool]:
    """This process's copies of the template, each put back as it was after a test (tests/
    pgpool.py), and dropped at the end of the run."""
    admin_url = require_postgres()
    admin = _admin_engine(admin_url)

    def create(name: str, template: str) -> None:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    pool = PostgresPool(
        admin_url, _postgres_template, create, partial(_drop_postgres_database, admin)
    )
    try:
        yield pool
    finally:
        pool.close()
        admin.dispose()


@contextmanager
def migrated_postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL database at head, as fresh as a new copy of the run's template: a copy made
    once, then put back as it was after each test (tests/pgpool.py)."""
    require_postgres()
    pool: PostgresPool = request.getfixturevalue("_postgres_pool")
    name = pool.take()
    try:
        yield pool.url(name)
    finally:
        pool.give_back(name)


def migrated_sqlite_url(request: pytest.FixtureRequest, directory: Path) -> str:
    """A fresh SQLite database at head in `directory`, copied from the run's template."""
    path = directory / "hotline.db"
    shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database at head, once per backend: a copy of a template migrated once per run.

    Tests marked `real_migrations` (they step through the migrations themselves) get an empty
    database migrated in front of them instead.
    """
    real = request.node.get_closest_marker("real_migrations") is not None
    if request.param == "sqlite":
        directory = tmp_path_factory.mktemp("db")
        if not real:
            yield migrated_sqlite_url(request, directory)
            return
        url = f"sqlite:///{directory}/hotline.db"
        upgrade(url)
        yield url
        return
    if not real:
        with migrated_postgres_database(request) as url:
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
def _one_hash_of_the_test_password() -> Iterator[None]:
    """`make_user` gives everyone the same password, and argon2 takes ~0.1 s a hash (seconds on
    a loaded machine): hash that one password once per run (a real argon2 hash, its salt shared
    by those users). Any other password is hashed as in production."""
    from hotline.auth import service as auth
    from tests.factories import PASSWORD

    real = auth.hash_password
    cached: list[str] = []

    def hash_password(password: str) -> str:
        if password != PASSWORD:
            return real(password)
        if not cached:
            cached.append(real(password))
        return cached[0]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "hash_password", hash_password)
        yield


@pytest.fixture(autouse=True, scope="session")
def _data_keys() -> None:
    """Tests that use the database without an app still encrypt with a (derived) test key."""
    from hotline import crypto

    crypto.configure(crypto.keyring_from("test-secret-key-that-is-long-enough-000", "", "test"))


@pytest.fixture(autouse=True)
def _let_finished_apps_go() -> Iterator[None]:
    """FastAPI keeps, module-wide, facts about every route's endpoint in caches of 4,096 entries
    each, and each endpoint holds its app's database and engine (with its compiled statements).
    In a run that builds an app per test, they kept dozens of finished apps alive: millions of
    objects that each full garbage collection walked, stopping every thread of the worker for
    seconds, so that requests timed out on a loaded CI machine. Emptied after each test."""
    yield
    import fastapi.dependencies.models as dependant_caches

    for name in dir(dependant_caches):
        cached = getattr(dependant_caches, name)
        if callable(getattr(cached, "cache_clear", None)):
            cached.cache_clear()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported (the libraries, the app's modules, the tests) lives as long as
    the run: moved out of the garbage collector's sight, a full collection no longer walks it
    on every pass (each one stops every thread of the worker, servers included)."""
    import gc

    gc.collect()
    gc.freeze()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Close the run's shared Chromium, if a test started it (see tests/browser.py)."""
    import sys

    browser = sys.modules.get("tests.browser")
    if browser is not None:
        browser.shutdown()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test unit, server, browser or postgres from what it reaches (tests/markers.py)."""
    from tests import markers

    markers.apply(items)
