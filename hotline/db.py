"""Engine and sessions. `Database.session()` is the one place that commits or rolls back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

# Stable constraint names, so Alembic can alter and drop them on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata
SQLITE_LOCK_TIMEOUT_S = 30
CONNECT_TIMEOUT_S = 5


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's text (a duplicate key, a value too long) would otherwise
    # carry the statement's values (a caller_hash, encrypted notes) into tracebacks and logs.
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        _make_sqlite_serializable(engine)
        return engine
    # connect_timeout: a database that stopped answering fails a request in seconds (which then
    # gets the fallback answer), not after the system's TCP timeout of minutes.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        hide_parameters=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )


def _make_sqlite_serializable(engine: Engine) -> None:
    """SQLite: WAL, and every transaction takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes fails with "database is locked" when
    another writer got in between; taking the lock first makes compare-and-set updates safe.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Publisher(Protocol):
    def publish(self, topic: str, data: dict[str, Any] | None = None) -> None: ...


class Database:
    """The engine plus the bus that after-commit events go to."""

    def __init__(self, engine: Engine, bus: Publisher | None = None) -> None:
        self.engine = engine
        self.bus = bus
        # SQLite has one writer at a time; left to itself it makes waiters sleep-poll, which
        # gives a long latency tail. Queueing on a lock in the process instead keeps it short.
        # (A plain Lock, not an RLock: a FastAPI dependency may exit on another thread.)
        self._sqlite_writer = threading.Lock() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on error."""
        writer = self._sqlite_writer
        if writer is not None and not writer.acquire(timeout=SQLITE_LOCK_TIMEOUT_S):
            raise TimeoutError("the SQLite database stayed locked")
        try:
            with Session(self.engine, expire_on_commit=False, info={"bus": self.bus}) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            if writer is not None:
                writer.release()


def get_session(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.db
    with database.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
