"""Two app processes on one PostgreSQL (and Redis for events): no call is ever double-offered.

Each line's number is served by a different instance, counselors sign in to both, and every
instance dispatches, so both race for the same calls and counselors. The proof is in the
stored history: per counselor, no second offer before the first was resolved; per call, one
offer and one connection.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from hotline.calls.models import Call, CallEvent
from hotline.db import Database, make_engine
from hotline.routing.models import PresenceEvent
from hotline.simulate import counselor_bot
from hotline.simulator.console_client import ConsoleClient
from tests.conftest import migrated_postgres_database, require_redis
from tests.factories import PASSWORD, make_line, make_user
from tests.instances import until_all_completed
from tests.servers import ServerThread, bind_free_socket, serve_process
from tests.stack import ACCOUNT_SID, AUTH_TOKEN, SIM_TOKEN

CALLS = 24
COUNSELORS = 6
LINES = ("+8657796525", "+8612356")


@contextmanager
def instance(name: str, database_url: str, redis_url: str, simulator_url: str) -> Iterator[str]:
    env = {
        "HOTLINE_ENV": "test",
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_SIMULATOR_URL": simulator_url,
        "HOTLINE_SIMULATOR_EMBEDDED": "false",
        "HOTLINE_TELEPHONY_MODE": "simulator",
        "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_SECRET_KEY": "shared-secret-key-for-both-instances-000",
        "HOTLINE_REDIS_URL": redis_url,
        "HOTLINE_SYNC_NUMBERS_ON_START": "false",
        "HOTLINE_INSTANCE_NAME": name,
        "HOTLINE_ENGINE_INTERVAL_S": "0.2",
        # Shedding load is tested elsewhere: here a slow machine must not turn calls away.
        "HOTLINE_WEBHOOK_WAIT_S": "10",
    }
    with serve_process(env, name) as (url, _process):
        yield url


def test_two_instances_never_double_offer(request: pytest.FixtureRequest) -> None:
    redis_url = require_redis()
    from hotline.simulator.app import SimulatorConfig, create_simulator_app
    from hotline.simulator.client import SimulatorControl

    with migrated_postgres_database(request) as database_url:
        engine = make_engine(database_url)
        db = Database(engine)
        for number in LINES:
            make_line(db, number=number)
        for i in range(COUNSELORS):
            make_user(db, f"counselor{i}")
        sim_sock = bind_free_socket()
        sim_url = f"http://127.0.0.1:{sim_sock.getsockname()[1]}"
        simulator = ServerThread(
            create_simulator_app(
                SimulatorConfig(
                    account_sid=ACCOUNT_SID,
                    auth_token=AUTH_TOKEN,
                    public_url=sim_url,
                    time_scale=0.0,
                    gather_time_scale=0.0,
                    control_token=SIM_TOKEN,
                )
            ),
            sim_sock,
        ).start()
        control = SimulatorControl(sim_url, SIM_TOKEN)
        stop = threading.Event()
        try:
            with (
                instance("A", database_url, redis_url, sim_url) as url_a,
                instance("B", database_url, redis_url, sim_url) as url_b,
            ):
                for number, url in zip(LINES, (url_a, url_b), strict=True):
                    control.register_number(
                        number,
                        url + "/twilio/voice/incoming",
                        status_callback=url + "/twilio/voice/status",
                    )
                consoles = [
                    ConsoleClient(url_a if i % 2 else url_b, f"counselor{i}", PASSWORD)
                    for i in range(COUNSELORS)
                ]
                bots = [
                    threading.Thread(target=counselor_bot, args=(c, stop), daemon=True)
                    for c in consoles
                ]
                for bot in bots:
                    bot.start()
                for i in range(CALLS):
                    control.place_call(f"+86138{i:08d}", LINES[i % 2], digits="1")
                until_all_completed(engine, CALLS)
                stop.set()
                for bot in bots:
                    bot.join(timeout=5)
                for console in consoles:
                    console.close()
        finally:
            stop.set()
            simulator.stop()

        with Session(create_engine(database_url)) as session:
            presence = session.exec(select(PresenceEvent).order_by(PresenceEvent.id)).all()
            events = session.exec(select(CallEvent).order_by(CallEvent.id)).all()
            calls = session.exec(select(Call)).all()
        engine.dispose()

    # Per counselor: every offer is resolved before the next one.
    by_user: dict[int, list[str]] = defaultdict(list)
    for event in presence:
        by_user[event.user_id].append(event.state)
    for user_id, states in by_user.items():
        for before, after in zip(states, states[1:], strict=False):
            assert not (before == "offered" and after == "offered"), (user_id, states)
    # Per call: offered once, connected once, to one counselor.
    offers: dict[int, list[CallEvent]] = defaultdict(list)
    connected: dict[int, int] = defaultdict(int)
    for event in events:
        if event.state == "offered" and event.detail in {"A", "B"}:
            offers[event.call_id].append(event)
        if event.state == "connected":
            connected[event.call_id] += 1
    history = defaultdict(list)
    for event in events:
        history[event.call_id].append((event.state, event.detail, event.user_id))
    assert all(len(offers[c.id or 0]) == 1 for c in calls), [
        history[c] for c, found in offers.items() if len(found) > 1
    ]
    assert all(connected[c.id or 0] == 1 for c in calls)
    assert all(c.connected_at is not None and c.counselor_id is not None for c in calls)
    # Both instances really were dispatching.
    assert {e.detail for found in offers.values() for e in found} == {"A", "B"}
