"""Routing rules against a real database with an injected clock (no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from hotline.auth.models import User
from hotline.calls import service as calls
from hotline.calls.models import Call, CallState
from hotline.clock import FakeClock
from hotline.db import Database
from hotline.lines.models import Line
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus, PresenceEvent
from tests.factories import make_line, make_user

OFFER_S = 20


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))


def available(db: Database, clock: FakeClock, user: User) -> None:
    with db.session() as session:
        routing.set_presence(
            session=session, user=user, state=AgentState.available, reason=None, now=clock.now()
        )


def queue_call(
    db: Database,
    clock: FakeClock,
    line: Line,
    sid: str,
    *,
    lang: str = "zh_CN",
    danger: bool = False,
) -> int:
    with db.session() as session:
        call = calls.start_inbound(
            session=session, line=line, call_sid=sid, caller_hash=sid.lower(), now=clock.now()
        )
        assert calls.enqueue(
            session=session,
            call=call,
            language=lang,
            in_danger=danger,
            max_wait_s=line.max_queue_wait_s,
            now=clock.now(),
        )
        assert call.id is not None
        return call.id


def dispatch(db: Database, clock: FakeClock) -> int:
    made = 0
    while True:
        with db.session() as session:
            if not routing.offer_next(session=session, now=clock.now(), offer_timeout_s=OFFER_S):
                return made
        made += 1


def expire(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        routing.expire_offers(session=session, now=clock.now(), missed_before_away=2)


def offered_to(db: Database, call_id: int) -> int | None:
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        return call.offered_to_id if call.state == CallState.offered else None


def agent(db: Database, user: User) -> AgentStatus:
    with db.session() as session:
        status = session.get(AgentStatus, user.id)
        assert status is not None
        return status


def test_longest_idle_counselor_gets_the_call(db: Database, clock: FakeClock) -> None:
    line = make_line(db)
    first, second = make_user(db, "first"), make_user(db, "second")
    available(db, clock, first)
    clock.advance(60)
    available(db, clock, second)
    call_id = queue_call(db, clock, line, "CA1")
    assert dispatch(db, clock) == 1
    assert offered_to(db, call_id) == first.id
    assert agent(db, first).state == AgentState.offered
    assert agent(db, second).state == AgentState.available


def test_in_danger_callers_are_offered_first(db: Database, clock: FakeClock) -> None:
    line = make_line(db)
    only = make_user(db, "only")
    early = queue_call(db, clock, line, "CA-early")
    clock.advance(30)
    urgent = queue_call(db, clock, line, "CA-urgent", danger=True)
    available(db, clock, only)
    assert dispatch(db, clock) == 1
    assert offered_to(db, urgent) == only.id
    assert offered_to(db, early) is None


def test_one_offer_per_counselor_and_one_counselor_per_call(db: Database, clock: FakeClock) -> None:
    line = make_line(db)
    users = [make_user(db, f"c{i}") for i in range(2)]
    for user in users:
        available(db, clock, user)
    call_ids = [queue_call(db, clock, line, f"CA{i}") for i in range(3)]
    assert dispatch(db, clock) == 2
    holders = [offered_to(db, call_id) for call_id in call_ids]
    assert sorted(h for h in holders if h) == sorted(u.id for u in users if u.id)
    assert holders[2] is None  # the third caller waits; nobody holds two offers
    assert dispatch(db, clock) == 0


def test_skills_line_and_language_decide_who_is_offered(db: Database, clock: FakeClock) -> None:
    line = make_line(db)
    other_line = make_line(db, number="+8612320", languages=["zh_CN"])
    mandarin_only = make_user(db, "mandarin", languages=["zh_CN"])
    wrong_line = make_user(db, "otherline", languages=["en"], line_ids=[other_line.id or 0])
    available(db, clock, mandarin_only)
    available(db, clock, wrong_line)
    english = queue_call(db, clock, line, "CA-en", lang="en")
    assert dispatch(db, clock) == 0
    english_speaker = make_user(db, "english", languages=["en"], line_ids=[line.id or 0])
    available(db, clock, english_speaker)
    assert dispatch(db, clock) == 1
    assert offered_to(db, english) == english_speaker.id


def test_unanswered_offer_moves_to_the_next_counselor_and_misses_set_away(
    db: Database, clock: FakeClock
) -> None:
    line = make_line(db)
    slow, other = make_user(db, "slow"), make_user(db, "other")
    available(db, clock, slow)
    clock.advance(1)
    available(db, clock, other)
    call_id = queue_call(db, clock, line, "CA1")
    dispatch(db, clock)
    assert offered_to(db, call_id) == slow.id
    clock.advance(OFFER_S - 1)
    expire(db, clock)
    assert offered_to(db, call_id) == slow.id  # not yet due
    clock.advance(2)
    expire(db, clock)
    dispatch(db, clock)
    assert offered_to(db, call_id) == other.id
    assert agent(db, slow).state == AgentState.available
    assert agent(db, slow).missed_offers == 1
    # The other counselor misses it too; with nobody else free it comes back to `slow`, who
    # misses a second time and is set away.
    clock.advance(OFFER_S + 1)
    expire(db, clock)
    dispatch(db, clock)
    assert offered_to(db, call_id) == slow.id
    clock.advance(OFFER_S + 1)
    expire(db, clock)
    assert agent(db, slow).state == AgentState.away
    assert agent(db, slow).reason == "missed_offers"
    with db.session() as session:
        history = [
            e.state
            for e in session.exec(
                select(PresenceEvent)
                .where(PresenceEvent.user_id == slow.id)
                .order_by(PresenceEvent.id)
            )
        ]
    assert history == ["available", "offered", "available", "offered", "away"]


def test_accept_decline_and_wrap_up_cycle(db: Database, clock: FakeClock) -> None:
    line = make_line(db)
    user = make_user(db, "u")
    available(db, clock, user)
    call_id = queue_call(db, clock, line, "CA1")
    dispatch(db, clock)
    with db.session() as session:
        routing.decline(session=session, user=user, call_id=call_id, now=clock.now())
    assert agent(db, user).state == AgentState.available
    dispatch(db, clock)
    with db.session() as session:
        routing.accept(
            session=session, user=user, call_id=call_id, now=clock.now(), connect_timeout_s=45
        )
    with db.session() as session, pytest.raises(routing.RoutingError):
        routing.set_presence(
            session=session, user=user, state=AgentState.offline, reason=None, now=clock.now()
        )
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        routing.counselor_joined(
            session=session,
            call=call,
            user_id=user.id or 0,
            leg_sid="CAleg",
            conference_sid="CF1",
            now=clock.now(),
        )
        assert call.state == CallState.offered  # the caller is not in the conference yet
        routing.caller_joined(session=session, call=call, conference_sid="CF1", now=clock.now())
        assert call.state == CallState.connected
    clock.advance(300)
    with db.session() as session:
        effects = routing.hang_up(session=session, user=user, call_id=call_id, now=clock.now())
    assert effects.end_conference == ["CA1"]
    assert agent(db, user).state == AgentState.wrap_up
    with db.session() as session:
        routing.finish_wrap_up(session=session, user=user, call_id=call_id, now=clock.now())
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.completed
        assert call.connected_at is not None and call.ended_at is not None
        assert call.ended_at - call.connected_at == timedelta(seconds=300)
    assert agent(db, user).state == AgentState.available


def test_a_late_accept_after_the_caller_left_is_refused(db: Database, clock: FakeClock) -> None:
    line = make_line(db)
    user = make_user(db, "u")
    available(db, clock, user)
    call_id = queue_call(db, clock, line, "CA1")
    dispatch(db, clock)
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        routing.caller_left(session=session, call=call, now=clock.now(), reason="caller_completed")
    assert agent(db, user).state == AgentState.available
    with db.session() as session, pytest.raises(routing.RoutingError):
        routing.accept(
            session=session, user=user, call_id=call_id, now=clock.now(), connect_timeout_s=45
        )


def test_callers_past_the_maximum_wait_overflow(db: Database, clock: FakeClock) -> None:
    line = make_line(db, max_queue_wait_s=60)
    call_id = queue_call(db, clock, line, "CA1")
    clock.advance(59)
    with db.session() as session:
        assert routing.overflow_due(session=session, now=clock.now()).overflow == []
    clock.advance(1)
    with db.session() as session:
        assert routing.overflow_due(session=session, now=clock.now()).overflow == ["CA1"]
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.overflow
    # If the network cannot move the caller, they go back to the queue, not into a void.
    with db.session() as session:
        routing.overflow_failed(session=session, call_sid="CA1", now=clock.now(), retry_s=30)
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.queued
