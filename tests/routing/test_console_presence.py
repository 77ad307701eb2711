"""Presence follows the console: a counselor whose console sockets have all been closed for
`console_grace_s` is set away, so no caller is offered to a closed browser. The console sockets
are real (the app under uvicorn, on one instance or two sharing the database); the clock is
the injected fake one, moved by the test, and the job runs through the dispatcher's tick."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlmodel import col, func, select

from hotline.app import create_app
from hotline.auth.models import User
from hotline.calls.models import Call, CallState
from hotline.clock import FakeClock
from hotline.db import Database
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus, ConsoleSocket, PresenceEvent
from hotline.simulator.console_client import ConsoleClient
from tests.calls import connected_call, inbound
from tests.factories import PASSWORD, make_line, make_user
from tests.servers import ServerThread, bind_free_socket
from tests.stack import Stack, make_settings

GRACE_S = 30  # the default of console_grace_s


def wait_until(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    """Wait (real time) for the server to finish closing a socket; the fake clock stays put."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def sockets_open(db: Database, user: User) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).where(ConsoleSocket.user_id == user.id)).one()


def status_of(db: Database, user: User) -> tuple[str, str | None]:
    with db.session() as session:
        status = session.get(AgentStatus, user.id)
        assert status is not None
        return status.state.value, status.reason


def reasons_logged(db: Database, user: User) -> list[str | None]:
    with db.session() as session:
        return list(
            session.exec(
                select(PresenceEvent.reason)
                .where(PresenceEvent.user_id == user.id)
                .order_by(col(PresenceEvent.id))
            ).all()
        )


def available_console(stack: Stack, user: User) -> ConsoleClient:
    console = ConsoleClient(stack.url, user.username, PASSWORD)
    console.send("set_state", state="available", reason=None)
    console.state("available")
    return console


def close_socket(stack: Stack, console: ConsoleClient, user: User, left: int = 0) -> None:
    console.ws.close()
    wait_until(lambda: sockets_open(stack.db, user) == left)


def test_a_console_gone_past_the_grace_is_set_away_with_the_reason(quiet_app: Stack) -> None:
    user = make_user(quiet_app.db, "alice")
    console = available_console(quiet_app, user)
    assert sockets_open(quiet_app.db, user) == 1
    close_socket(quiet_app, console, user)

    quiet_app.clock.advance(GRACE_S - 1)
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("available", None)

    quiet_app.clock.advance(2)
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("away", routing.CONSOLE_GONE)
    assert reasons_logged(quiet_app.db, user)[-1] == routing.CONSOLE_GONE

    # Opening the console again shows why, and going available works as before.
    console.ws = console.connect()
    console.last = None
    assert console.state("away")["agent"]["reason"] == routing.CONSOLE_GONE
    console.send("set_state", state="available", reason=None)
    console.state("available")
    quiet_app.clock.advance(GRACE_S * 10)  # the console is open: no grace period runs
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("available", None)
    console.close()


def test_reconnecting_within_the_grace_keeps_them_available(quiet_app: Stack) -> None:
    user = make_user(quiet_app.db, "alice")
    console = available_console(quiet_app, user)
    close_socket(quiet_app, console, user)
    quiet_app.clock.advance(GRACE_S - 5)
    console.ws = console.connect()  # a network blip: the page reconnects
    wait_until(lambda: sockets_open(quiet_app.db, user) == 1)
    quiet_app.clock.advance(GRACE_S * 2)
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("available", None)

    # The grace period starts again from the latest close, not the first.
    close_socket(quiet_app, console, user)
    quiet_app.clock.advance(GRACE_S - 1)
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("available", None)
    quiet_app.clock.advance(2)
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("away", routing.CONSOLE_GONE)
    console.close()


def test_a_call_goes_on_and_they_are_set_away_only_once_free(quiet_app: Stack) -> None:
    make_line(quiet_app.db)
    user = make_user(quiet_app.db, "alice")
    console = available_console(quiet_app, user)
    call_id, _ = connected_call(quiet_app, "CA" + "1" * 32, "alice")
    close_socket(quiet_app, console, user)
    quiet_app.clock.advance(GRACE_S * 10)
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("on_call", None)

    with quiet_app.db.session() as session:
        routing.hang_up(session=session, user=user, call_id=call_id, now=quiet_app.clock.now())
    quiet_app.clock.advance(GRACE_S * 10)
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("wrap_up", None)

    with quiet_app.db.session() as session:  # e.g. the note submitted from another page
        routing.finish_wrap_up(
            session=session, user=user, call_id=call_id, now=quiet_app.clock.now()
        )
    quiet_app.dispatcher.tick()  # free again, and their console closed long ago
    assert status_of(quiet_app.db, user) == ("away", routing.CONSOLE_GONE)
    console.close()


def test_an_offer_to_a_gone_console_runs_out_on_its_own_timeout(quiet_app: Stack) -> None:
    make_line(quiet_app.db)
    user = make_user(quiet_app.db, "alice")
    console = available_console(quiet_app, user)
    quiet_app.webhook("/twilio/voice/incoming", inbound())
    quiet_app.webhook("/twilio/voice/gather", {**inbound(), "Digits": "1"})
    quiet_app.dispatcher.tick()
    console.offer()
    close_socket(quiet_app, console, user)
    timeout_s = quiet_app.settings.offer_timeout_s
    assert timeout_s < GRACE_S
    quiet_app.clock.advance(timeout_s - 1)
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("offered", None)
    # Past both: the offer runs out on its own timeout first (the caller goes back to the
    # queue), then, free again with no console, they are set away and offered nothing more.
    quiet_app.clock.advance(GRACE_S - timeout_s + 2)
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("away", routing.CONSOLE_GONE)
    with quiet_app.db.session() as session:
        call = session.exec(select(Call)).one()
        assert call.state == CallState.queued and call.offer_count == 1
    console.close()


def test_a_break_is_left_as_it_is(quiet_app: Stack) -> None:
    user = make_user(quiet_app.db, "alice")
    console = available_console(quiet_app, user)
    console.send("set_state", state="break", reason="rest")
    console.state("break")
    close_socket(quiet_app, console, user)
    quiet_app.clock.advance(GRACE_S * 10)
    quiet_app.dispatcher.tick()
    assert status_of(quiet_app.db, user) == ("break", "rest")
    assert routing.CONSOLE_GONE not in reasons_logged(quiet_app.db, user)
    console.close()


@contextmanager
def second_instance(stack: Stack) -> Iterator[str]:
    """Instance B: another app on the same database and the same fake clock."""
    sock = bind_free_socket()
    settings = make_settings(
        stack.settings.database_url,
        sock.getsockname()[1],
        None,
        instance_name="B",
        run_engine=False,  # only the test ticks, on A
    )
    server = ServerThread(create_app(settings, clock=stack.clock), sock).start()
    try:
        yield server.url
    finally:
        server.stop()


def b_is_alive(stack: Stack) -> None:
    """What B's own engine does on every tick (B runs none here: only the test ticks, on A)."""
    with stack.db.session() as session:
        routing.console_heartbeat(session=session, instance="B", now=stack.clock.now(), every_s=0)


def test_a_socket_open_on_another_instance_keeps_them_available(quiet_app: Stack) -> None:
    user = make_user(quiet_app.db, "alice")
    on_a = available_console(quiet_app, user)
    with second_instance(quiet_app) as url_b:
        on_b = ConsoleClient(url_b, user.username, PASSWORD)
        on_b.state("available")
        assert sockets_open(quiet_app.db, user) == 2
        with quiet_app.db.session() as session:
            instances = session.exec(
                select(ConsoleSocket.instance).where(ConsoleSocket.user_id == user.id)
            ).all()
        assert sorted(instances) == sorted([quiet_app.settings.instance_name, "B"])

        close_socket(quiet_app, on_a, user, left=1)
        quiet_app.clock.advance(GRACE_S * 10)
        b_is_alive(quiet_app)
        quiet_app.dispatcher.tick()
        assert status_of(quiet_app.db, user) == ("available", None)

        # The last one, on B, closes: A's job sets them away once the grace has passed.
        close_socket(quiet_app, on_b, user)
        quiet_app.clock.advance(GRACE_S + 1)
        quiet_app.dispatcher.tick()
        assert status_of(quiet_app.db, user) == ("away", routing.CONSOLE_GONE)
        on_b.close()
    on_a.close()


def test_the_job_sets_away_only_those_past_the_grace(db: Database) -> None:
    """The service alone: several counselors, one run, compare-and-set on the due rows."""
    clock = FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    users = [make_user(db, name) for name in ("gone", "recent", "never")]
    with db.session() as session:
        for user in users:
            routing.set_presence(
                session=session,
                user=user,
                state=AgentState.available,
                reason=None,
                now=clock.now(),
            )
    for user, socket_id in zip(users[:2], ("s1", "s2"), strict=True):
        assert user.id is not None
        with db.session() as session:
            routing.console_opened(
                session=session,
                user_id=user.id,
                socket_id=socket_id,
                instance="A",
                now=clock.now(),
            )
    with db.session() as session:
        routing.console_closed(
            session=session, user_id=users[0].id or 0, socket_id="s1", now=clock.now()
        )
    clock.advance(GRACE_S - 10)
    with db.session() as session:
        routing.console_closed(
            session=session, user_id=users[1].id or 0, socket_id="s2", now=clock.now()
        )
    clock.advance(10)
    with db.session() as session:
        assert (
            routing.set_away_consoles_gone(session=session, now=clock.now(), grace_s=GRACE_S) == 1
        )
    with db.session() as session:  # run again: nothing more is due
        assert (
            routing.set_away_consoles_gone(session=session, now=clock.now(), grace_s=GRACE_S) == 0
        )
    # A counselor who never opened a console (a phone-only setup, a test) is left as they are.
    assert [status_of(db, user) for user in users] == [
        ("away", routing.CONSOLE_GONE),
        ("available", None),
        ("available", None),
    ]


def test_the_sockets_of_a_dead_instance_are_closed_by_another(quiet_app: Stack) -> None:
    """Instance B crashed with a console open: its row stays behind. A's tick closes it from
    when B last saw it, and the counselor is set away instead of being offered calls."""
    user = make_user(quiet_app.db, "alice")
    here = make_user(quiet_app.db, "bob")
    on_a = available_console(quiet_app, here)
    assert user.id is not None
    with quiet_app.db.session() as session:
        routing.set_presence(
            session=session,
            user=user,
            state=AgentState.available,
            reason=None,
            now=quiet_app.clock.now(),
        )
        routing.console_opened(
            session=session,
            user_id=user.id,
            socket_id="on-b",
            instance="B",
            now=quiet_app.clock.now(),
        )
    quiet_app.clock.advance(GRACE_S - 1)  # B may only be slow: nothing happens yet
    quiet_app.dispatcher.tick()
    assert sockets_open(quiet_app.db, user) == 1
    assert status_of(quiet_app.db, user) == ("available", None)

    quiet_app.clock.advance(2)
    quiet_app.dispatcher.tick()
    assert sockets_open(quiet_app.db, user) == 0
    assert status_of(quiet_app.db, user) == ("away", routing.CONSOLE_GONE)
    # A's own console, open all along, is alive: its counselor stays available.
    assert sockets_open(quiet_app.db, here) == 1
    assert status_of(quiet_app.db, here) == ("available", None)
    on_a.close()


def test_a_heartbeat_keeps_a_slow_instance_sockets(db: Database) -> None:
    """The service alone: a socket seen again is not closed; one not seen for the grace is,
    once, and its counselor's grace is counted from when it was last seen."""
    clock = FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    user = make_user(db, "alice")
    assert user.id is not None
    with db.session() as session:
        routing.console_opened(
            session=session, user_id=user.id, socket_id="s1", instance="B", now=clock.now()
        )
    clock.advance(GRACE_S - 1)
    with db.session() as session:
        assert (
            routing.console_heartbeat(
                session=session, instance="B", now=clock.now(), every_s=GRACE_S / 3
            )
            == 1
        )
        assert (
            routing.console_heartbeat(
                session=session, instance="B", now=clock.now(), every_s=GRACE_S / 3
            )
            == 0
        )  # just seen: no write
    last_seen = clock.now()
    clock.advance(GRACE_S - 1)
    with db.session() as session:
        assert routing.close_dead_sockets(session=session, now=clock.now(), stale_s=GRACE_S) == 0
    clock.advance(2)
    with db.session() as session:
        assert routing.close_dead_sockets(session=session, now=clock.now(), stale_s=GRACE_S) == 1
    with db.session() as session:
        assert routing.close_dead_sockets(session=session, now=clock.now(), stale_s=GRACE_S) == 0
        status = session.get(AgentStatus, user.id)
        assert status is not None and status.console_closed_at == last_seen
