"""Twilio's retry to the fallback URL (same CallSid, plus ErrorCode/ErrorUrl) racing the first
request: both get the greeting, and the call is stored once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import col, func, select

from hotline.calls import service as calls
from hotline.calls.models import Call, CallEvent
from hotline.db import Database, make_engine
from tests.calls import LINE, inbound
from tests.conftest import migrated_postgres_database
from tests.factories import make_line
from tests.instances import post_signed, two_instances

ROUNDS = 40
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def wait_for_a_lock_wait(db: Database, twin: threading.Thread) -> None:
    """Until another session of this database waits on a row lock.

    The watcher runs in autocommit: PostgreSQL keeps one snapshot of pg_stat_activity for a
    whole transaction, so polling inside one never sees a twin that blocks after the first
    look (the twin is slow to be scheduled on a loaded machine). The bound is only against a
    hang, and a twin that died stops the wait at once.
    """
    deadline = time.monotonic() + 120
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
        while not watcher.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar():
            assert twin.is_alive(), "the twin request ended without waiting on the first"
            assert time.monotonic() < deadline, "the twin request never waited on the first"
            time.sleep(0.01)


def test_two_requests_for_one_new_call_store_it_once(db: Database) -> None:
    """The second insert waits on the first's unique key, then finds the call it made."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time: the two inserts cannot overlap there")
    line = make_line(db)
    first_flushed = threading.Event()
    found: list[int | None] = []

    def twin() -> None:
        first_flushed.wait(120)
        with db.session() as session:
            found.append(
                calls.start_inbound(
                    session=session, line=line, call_sid="CA1", caller_hash="h", now=NOW
                ).id
            )

    thread = threading.Thread(target=twin)
    thread.start()
    with db.session() as session:
        made = calls.start_inbound(
            session=session, line=line, call_sid="CA1", caller_hash="h", now=NOW
        )
        first_flushed.set()
        wait_for_a_lock_wait(db, thread)
    thread.join(120)
    assert found == [made.id]
    with db.session() as session:
        assert session.exec(select(func.count()).select_from(Call)).one() == 1
        assert session.exec(select(func.count()).select_from(CallEvent)).one() == 2


def send_together(
    barrier: threading.Barrier, client: httpx.Client, base: str, form: dict[str, str]
) -> httpx.Response:
    barrier.wait(10)
    return post_signed(client, base, "/twilio/voice/incoming", form)


def test_the_fallback_request_racing_the_first_on_two_instances(
    request: pytest.FixtureRequest,
) -> None:
    with migrated_postgres_database(request) as database_url:
        engine = make_engine(database_url)
        db = Database(engine)
        make_line(db, number=LINE)
        answers: list[httpx.Response] = []
        with (
            two_instances(database_url) as (url_a, url_b),
            httpx.Client() as client,
            ThreadPoolExecutor(max_workers=2) as pool,
        ):
            for n in range(ROUNDS):
                params = inbound(f"CA{n:032d}", caller=f"+86138{n:08d}")
                fallback = {
                    **params,
                    "ErrorCode": "11200",
                    "ErrorUrl": url_a + "/twilio/voice/incoming",
                }
                barrier = threading.Barrier(2)
                both = [
                    pool.submit(send_together, barrier, client, url_a, params),
                    pool.submit(send_together, barrier, client, url_b, fallback),
                ]
                answers += [future.result() for future in both]
        with db.session() as session:
            stored = session.exec(select(Call.call_sid)).all()
            events = session.exec(
                select(CallEvent.call_id, func.count()).group_by(col(CallEvent.call_id))
            ).all()
        engine.dispose()
    assert [a.status_code for a in answers] == [200] * 2 * ROUNDS
    assert all("<Gather" in a.text for a in answers)
    assert sorted(stored) == sorted(f"CA{n:032d}" for n in range(ROUNDS))
    assert [count for _call, count in events] == [2] * ROUNDS  # ringing and ivr, once each
