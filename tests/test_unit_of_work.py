"""The request's unit of work (hotline/db.py): one session per request, committed before the
response goes out, rolled back on any error, and never a second session inside it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import text

from hotline import errors
from hotline.auth.models import User
from hotline.db import Database, NestedSessionError, SessionDep, make_engine
from hotline.errors import DomainError
from hotline.i18n import N_
from tests.factories import make_user
from tests.servers import ServerThread

TABLE = "uow_probe"


class ProbeError(DomainError):
    status = 422
    messages = {"refused": N_("Required.")}


def _probe_app(database: Database) -> FastAPI:
    app = FastAPI()
    app.state.db = database
    errors.install(app)

    @app.post("/write/{value}")
    def write(value: int, session: SessionDep) -> dict[str, int]:
        session.execute(text(f"INSERT INTO {TABLE} (value) VALUES (:v)"), {"v": value})
        return {"value": value}

    @app.post("/refuse/{value}")
    def refuse(value: int, session: SessionDep) -> None:
        session.execute(text(f"INSERT INTO {TABLE} (value) VALUES (:v)"), {"v": value})
        raise ProbeError("refused")

    @app.post("/refuse-as/{user_id}")
    def refuse_as(user_id: int, request: Request, session: SessionDep) -> None:
        # As the user dependencies do when they run after the session was opened.
        request.state.user = session.get(User, user_id)
        raise ProbeError("refused")

    @app.post("/nested")
    def nested(session: SessionDep) -> dict[str, str]:
        session.execute(text(f"INSERT INTO {TABLE} (value) VALUES (99)"))
        try:
            with database.session():
                pass
        except NestedSessionError:
            return {"nested": "refused"}
        return {"nested": "allowed"}

    return app


@pytest.fixture
def probe(database_url: str) -> Iterator[tuple[str, Database]]:
    database = Database(make_engine(database_url))
    with database.session() as session:
        session.execute(text(f"CREATE TABLE {TABLE} (value INTEGER NOT NULL)"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = ServerThread(_probe_app(database), sock).start()
    try:
        yield server.url, database
    finally:
        server.stop()
        database.engine.dispose()


def _values(database: Database) -> list[int]:
    with database.session() as session:
        return [row[0] for row in session.execute(text(f"SELECT value FROM {TABLE}"))]


def test_a_write_is_committed_before_the_answer(probe: tuple[str, Database]) -> None:
    url, database = probe
    assert httpx.post(f"{url}/write/7", timeout=10).json() == {"value": 7}
    # Read at once from another connection: the commit happened before the response.
    assert _values(database) == [7]


def test_a_domain_error_rolls_back_and_answers_in_the_readers_language(
    probe: tuple[str, Database],
) -> None:
    url, database = probe
    response = httpx.post(f"{url}/refuse/8", headers={"accept-language": "zh-CN"}, timeout=10)
    assert response.status_code == 422
    assert response.json() == {"code": "refused", "detail": "必填。"}
    assert _values(database) == []


def test_a_user_read_in_the_rolled_back_session_still_gives_the_answer_its_language(
    probe: tuple[str, Database],
) -> None:
    url, database = probe
    user = make_user(database, "ana")
    with database.session() as session:
        stored = session.get(User, user.id)
        assert stored is not None
        stored.locale = "en"
    response = httpx.post(f"{url}/refuse-as/{user.id}", timeout=10)
    assert response.status_code == 422  # not a 500 from reading an expired user
    assert response.json() == {"code": "refused", "detail": "Required."}


def test_a_session_inside_the_request_is_refused_at_once(probe: tuple[str, Database]) -> None:
    url, database = probe
    started = time.monotonic()
    assert httpx.post(f"{url}/nested", timeout=10).json() == {"nested": "refused"}
    # On SQLite a nested session used to wait 30 s for its own caller's lock.
    assert time.monotonic() - started < 10
    assert _values(database) == [99]


def test_a_session_inside_a_session_is_refused(db: Database) -> None:
    with db.session():
        with pytest.raises(NestedSessionError):
            with db.session():
                pass
    with db.session():  # and the outer one left nothing behind
        pass
