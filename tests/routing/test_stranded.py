"""No counselor is ever left held by an offer or a call that is no longer theirs."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from hotline.calls import service as calls
from hotline.calls.models import Call, CallState
from hotline.clock import FakeClock
from hotline.db import Database
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus, PresenceEvent
from tests.factories import make_line, make_user
from tests.routing.test_dispatch import OFFER_S, available, queue_call


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))


def agent(db: Database, user_id: int) -> AgentStatus:
    with db.session() as session:
        status = session.get(AgentStatus, user_id)
        assert status is not None
        return status


def test_an_offer_made_while_the_caller_hangs_up_is_withdrawn(
    db: Database, clock: FakeClock
) -> None:
    """The status callback read the call (queued), then another instance offered it, then the
    callback ended it: the counselor offered in between must be set free."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time: this interleaving cannot happen there")
    line = make_line(db)
    user = make_user(db, "u")
    assert user.id is not None
    available(db, clock, user)
    queue_call(db, clock, line, "CA1")
    with db.session() as callback:
        call = calls.get_by_sid(session=callback, call_sid="CA1")
        assert call is not None and call.state == CallState.queued
        assert in_another_thread(lambda: offer_next(db, clock))  # another instance's offer
        routing.caller_left(session=callback, call=call, now=clock.now(), reason="caller_hangup")
    with db.session() as session:
        ended = calls.get_by_sid(session=session, call_sid="CA1")
        assert ended is not None and ended.state == CallState.abandoned
    assert agent(db, user.id).state == AgentState.available


def offer_next(db: Database, clock: FakeClock) -> bool:
    with db.session() as other_instance:
        return routing.offer_next(session=other_instance, now=clock.now(), offer_timeout_s=20)


def in_another_thread(work: Callable[[], bool]) -> bool:
    """Another instance's transaction while this one is open: a session of its own, in a thread
    of its own (a session opened inside another in one thread is refused)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result(timeout=60)


def strand(db: Database, call_id: int) -> None:
    """End the call behind the routing's back, as a lost update would leave it."""
    with db.session() as session:
        session.execute(
            update(Call).where(col(Call.id) == call_id).values(state=CallState.abandoned.value)
        )


def test_the_dispatcher_frees_a_counselor_held_by_a_call_that_is_over(
    db: Database, clock: FakeClock
) -> None:
    line = make_line(db)
    stuck, holding = make_user(db, "stuck"), make_user(db, "holding")
    assert stuck.id is not None and holding.id is not None
    available(db, clock, stuck)
    stranded_call = queue_call(db, clock, line, "CA1")
    with db.session() as session:
        assert routing.offer_next(session=session, now=clock.now(), offer_timeout_s=OFFER_S)
    strand(db, stranded_call)
    clock.advance(1)
    available(db, clock, holding)
    queue_call(db, clock, line, "CA2")
    with db.session() as session:
        assert routing.offer_next(session=session, now=clock.now(), offer_timeout_s=OFFER_S)
    with db.session() as session:
        assert routing.free_stranded(session=session, now=clock.now()) == 1
    assert agent(db, stuck.id).state == AgentState.available
    # A counselor whose offer is live is left alone.
    assert agent(db, holding.id).state == AgentState.offered
    with db.session() as session:
        assert routing.free_stranded(session=session, now=clock.now()) == 0
        reasons = session.exec(
            select(PresenceEvent.reason).where(PresenceEvent.user_id == stuck.id)
        ).all()
    assert reasons[-1] == routing.STRANDED


def test_a_counselor_whose_connected_call_ended_unseen_goes_to_wrap_up(
    db: Database, clock: FakeClock
) -> None:
    """Held on_call by a call that ended theirs: wrap-up, so they can still write the note."""
    line = make_line(db)
    user = make_user(db, "u")
    assert user.id is not None
    available(db, clock, user)
    call_id = queue_call(db, clock, line, "CA1")
    with db.session() as session:
        assert routing.offer_next(session=session, now=clock.now(), offer_timeout_s=OFFER_S)
        routing.accept(
            session=session, user=user, call_id=call_id, now=clock.now(), connect_timeout_s=45
        )
    with db.session() as session:
        session.execute(
            update(Call)
            .where(col(Call.id) == call_id)
            .values(state=CallState.wrap_up.value, counselor_id=user.id)
        )
    with db.session() as session:
        assert routing.free_stranded(session=session, now=clock.now()) == 1
    status = agent(db, user.id)
    assert status.state == AgentState.wrap_up and status.call_id == call_id
