"""Two `hotline serve` processes on PostgreSQL: the caller presses 1 and hangs up at once, while
an instance's dispatcher offers the call. No counselor is ever left offered a call that is over,
and none needs the dispatcher's safety net to be freed: the hang-up itself withdraws the offer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import select

from hotline.calls import service as calls
from hotline.calls.models import TERMINAL_STATES, CallState
from hotline.db import Database, make_engine
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus, PresenceEvent
from tests.calls import LINE, inbound
from tests.conftest import migrated_postgres_database
from tests.factories import make_line, make_user
from tests.instances import post_signed, two_instances

ROUNDS = 30
# Whether an offer lands before the hang-up is up to the two processes' timing; rounds go on
# (bounded) until at least one did, so the race is known to have been run.
MAX_ROUNDS = 150


def settled(db: Database, call_sid: str, user_id: int) -> bool:
    """The call is over and its counselor is no longer held by it."""
    with db.session() as session:
        call = calls.get_by_sid(session=session, call_sid=call_sid)
        status = session.get(AgentStatus, user_id)
        assert status is not None
        return (
            call is not None
            and call.state in TERMINAL_STATES
            and status.state not in (AgentState.offered, AgentState.on_call)
        )


@pytest.mark.timeout(600)
def test_a_hang_up_right_after_the_menu_never_strands_the_counselor(
    request: pytest.FixtureRequest,
) -> None:
    with migrated_postgres_database(request) as database_url:
        engine = make_engine(database_url)
        db = Database(engine)
        make_line(db, number=LINE)
        user = make_user(db, "counselor")
        assert user.id is not None
        stuck: list[str] = []
        offered = 0
        with (
            two_instances(database_url) as (url_a, url_b),
            httpx.Client() as client,
            ThreadPoolExecutor(max_workers=2) as pool,
        ):
            for n in range(MAX_ROUNDS):
                call_sid = f"CA{n:032d}"
                params = inbound(call_sid, caller=f"+86138{n:08d}")
                with db.session() as session:
                    routing.set_presence(
                        session=session,
                        user=user,
                        state=AgentState.available,
                        reason=None,
                        now=datetime.now(UTC),
                    )
                assert post_signed(client, url_a, "/twilio/voice/incoming", params).is_success
                gather = {**params, "Digits": "1"}
                hang_up = {**params, "CallStatus": "completed", "SequenceNumber": "1"}
                if n % 2:  # the two at the same moment
                    barrier = threading.Barrier(2)
                    both = [
                        pool.submit(send, barrier, client, url_a, "/twilio/voice/gather", gather),
                        pool.submit(send, barrier, client, url_b, "/twilio/voice/status", hang_up),
                    ]
                    assert all(future.result().is_success for future in both)
                else:  # the hang-up as soon as the menu's answer is back
                    assert post_signed(client, url_a, "/twilio/voice/gather", gather).is_success
                    assert post_signed(client, url_b, "/twilio/voice/status", hang_up).is_success
                deadline = time.monotonic() + 5
                while not settled(db, call_sid, user.id):  # bounded wait for both instances
                    if time.monotonic() > deadline:
                        stuck.append(call_sid)
                        break
                    time.sleep(0.05)
                with db.session() as session:
                    call = calls.get_by_sid(session=session, call_sid=call_sid)
                    assert call is not None
                    offered += call.offer_count > 0 and call.state == CallState.abandoned
                if stuck or (n + 1 >= ROUNDS and offered):
                    break
        with db.session() as session:
            rescued = session.exec(
                select(PresenceEvent).where(PresenceEvent.reason == routing.STRANDED)
            ).all()
        engine.dispose()
    assert stuck == []
    assert rescued == []
    assert offered > 0  # the race was really run: some offers were made and withdrawn


def send(
    barrier: threading.Barrier,
    client: httpx.Client,
    base: str,
    path: str,
    form: dict[str, str],
) -> httpx.Response:
    barrier.wait(10)
    return post_signed(client, base, path, form)
