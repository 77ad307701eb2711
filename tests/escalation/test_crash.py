"""A server process killed outright (SIGKILL, as a crash or an OOM kill does) in the middle of
sending a crisis team page: the page is not lost. The next process takes it over once the dead
sender's lease has run out and sends it, once, through the real twilio library to the simulator.

The first process pages a phone network that takes the connection and never answers, so the
kill lands while the page is certainly in flight. Waiting out the 60 s lease is the one thing
faked: the page's `sending_at` is moved back by hand, as the injected clock would."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlmodel import col, select

from hotline.db import Database
from hotline.escalation.models import EscalationLog, Page, PageStatus
from hotline.escalation.service import PAGE_LEASE
from hotline.simulator.app import SimulatorConfig, create_simulator_app
from hotline.simulator.client import SimulatorControl
from tests.escalation.test_engine import setup_call, trigger
from tests.servers import ServerThread, bind_free_socket, serve_process
from tests.stack import ACCOUNT_SID, AUTH_TOKEN, SIM_TOKEN

SMS_ONLY = [{"targets": [{"kind": "crisis_on_call"}], "channels": ["sms"], "wait_minutes": 30}]


def env(database_url: str, provider_url: str, **extra: str) -> dict[str, str]:
    return {
        "HOTLINE_ENV": "test",
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_SIMULATOR_URL": provider_url,
        "HOTLINE_SIMULATOR_EMBEDDED": "false",
        "HOTLINE_TELEPHONY_MODE": "simulator",
        "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        # The tests' key, so both processes read what the test process encrypted.
        "HOTLINE_SECRET_KEY": "test-secret-key-that-is-long-enough-000",
        "HOTLINE_SYNC_NUMBERS_ON_START": "false",
        "HOTLINE_ENGINE_INTERVAL_S": "0.2",
        # Shedding load is tested elsewhere: here a slow machine must not turn calls away.
        "HOTLINE_WEBHOOK_WAIT_S": "10",
        **extra,
    }


def until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Bounded wait for another process to get somewhere (not for time to pass)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def page_status(db: Database) -> PageStatus | None:
    with db.session() as session:
        page = session.exec(select(Page)).first()
        return page.status if page is not None else None


def test_a_page_in_flight_when_the_server_is_killed_is_sent_by_the_next(
    db: Database, database_url: str
) -> None:
    call, crisis, _supervisor = setup_call(db, steps=SMS_ONLY)
    escalation_id = trigger(db, call, datetime.now(UTC))  # the servers run on the real clock

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        # Its sends wait longer than this test will let it live.
        first_env = env(database_url, silent_url, HOTLINE_TWILIO_TIMEOUT_S="50")
        with serve_process(first_env, "first") as (_url, first):
            until(lambda: page_status(db) == PageStatus.sending, "the first server's send")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=15)
    assert page_status(db) == PageStatus.sending  # claimed by a sender that is gone

    with db.session() as session:  # the dead sender's lease runs out
        page = session.exec(select(Page)).one()
        assert page.sending_at is not None
        page.sending_at -= 2 * PAGE_LEASE

    sim_sock = bind_free_socket()
    sim_url = f"http://127.0.0.1:{sim_sock.getsockname()[1]}"
    simulator = ServerThread(
        create_simulator_app(
            SimulatorConfig(
                account_sid=ACCOUNT_SID,
                auth_token=AUTH_TOKEN,
                public_url=sim_url,
                control_token=SIM_TOKEN,
            )
        ),
        sim_sock,
    ).start()
    try:
        with serve_process(env(database_url, sim_url), "second"):
            until(lambda: page_status(db) == PageStatus.sent, "the second server's send")
            messages = SimulatorControl(sim_url, SIM_TOKEN).list_messages()
    finally:
        simulator.stop()

    assert [m["to"] for m in messages] == [crisis.endpoint]  # sent, and once
    # The killed send may have reached the provider: the person is told this one is a repeat.
    assert messages[0]["body"].startswith("Repeat of page ")
    with db.session() as session:
        page = session.exec(select(Page)).one()
        kinds = [
            entry.kind
            for entry in session.exec(
                select(EscalationLog)
                .where(EscalationLog.escalation_id == escalation_id)
                .order_by(col(EscalationLog.id))
            )
        ]
    assert page.attempts == 2  # the killed send, and the one that went out
    assert kinds.count("page_sent") == 1
