"""Engine and sessions: the unit of work.

A route takes `SessionDep` (one session per request, committed after the handler); a job, the CLI
or a websocket command opens `Database.session()`. Services take the session they are given and
never open one; opening one inside another raises `NestedSessionError` at once. See
docs/architecture.md, "Unit of work".
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine
from starlette.requests import HTTPConnection

from hotline import threads

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

    def open_session(self) -> Session:
        """Start a unit of work; `close_session` ends it. Prefer `session()`, or `SessionDep` in
        a route: these two are for the request's unit of work, which opens and closes in
        different threads."""
        writer = self._sqlite_writer
        if writer is not None and not writer.acquire(timeout=SQLITE_LOCK_TIMEOUT_S):
            raise TimeoutError("the SQLite database stayed locked")
        try:
            return Session(self.engine, expire_on_commit=False, info={"bus": self.bus})
        except BaseException:
            if writer is not None:
                writer.release()
            raise

    def close_session(self, session: Session, error: BaseException | None) -> None:
        """Commit (no error) or roll back, then give the connection and the SQLite lock back."""
        try:
            if error is None:
                try:
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
            else:
                session.rollback()
        finally:
            session.close()
            if self._sqlite_writer is not None:
                self._sqlite_writer.release()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on error. Never inside another one."""
        holder = _open_here.get()
        if holder is REQUEST or holder == threading.get_ident():
            raise NestedSessionError(
                "a session is already open here; pass it down instead of opening another"
            )
        token = _open_here.set(threading.get_ident())
        try:
            session = self.open_session()
            try:
                yield session
            except BaseException as error:
                self.close_session(session, error)
                raise
            self.close_session(session, None)
        finally:
            _open_here.reset(token)


class NestedSessionError(RuntimeError):
    """A session opened while this request, job or thread already holds one. On SQLite it would
    wait 30 s for the lock its own caller holds; everywhere it would split one change into two
    transactions. Services take the session they are given."""


# Who holds the open unit of work in this context: a thread (by id) or the request (`REQUEST`).
REQUEST = -1
_open_here: ContextVar[int | None] = ContextVar("hotline_open_session", default=None)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: one session, committed after the handler returns (before the
    response is sent) and rolled back if it raises. While it is open, the handler (and anything
    it calls, in any thread) cannot open another session."""
    database: Database = request.app.state.db
    session = await threads.run(threads.OPENING, database.open_session)
    token = _open_here.set(REQUEST)
    request.state.db_session = session
    try:
        yield session
    except BaseException as error:
        # The rollback expires what the session loaded; the signed-in user must stay readable
        # for the error's answer (its language, the page header), so it leaves the session first.
        user = getattr(request.state, "user", None)
        if user is not None and user in session:
            session.expunge(user)
        await threads.run(threads.CLOSING, database.close_session, session, error)
        raise
    else:
        await threads.run(threads.CLOSING, database.close_session, session, None)
    finally:
        request.state.db_session = None
        _open_here.reset(token)


@contextmanager
def request_session(conn: HTTPConnection) -> Iterator[Session]:
    """The request's unit of work if it is open, else a session of its own (the user lookup runs
    before or after the route's session is opened, and must work either way)."""
    session = getattr(conn.state, "db_session", None)
    if session is not None:
        yield session
        return
    database: Database = conn.app.state.db
    with database.session() as own:
        yield own


# scope="function": the commit happens before the response goes out, so a client that got
# 200 can read what it wrote, and a failed commit is an error, not a lost write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
