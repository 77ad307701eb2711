"""Where a counselor's calls ring, per shift: their phone, or the browser when they chose it.
Routing rings `client:<identity>` for the browser, takes a counselor with no number only then,
and the choice resets when they go offline or their console has gone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hotline.auth.models import User
from hotline.callcontrol import transfers
from hotline.clock import FakeClock
from hotline.db import Database
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus, PhoneMode
from hotline.telephony.endpoints import dialable
from tests.factories import make_line, make_user
from tests.routing.test_dispatch import available, dispatch, offered_to, queue_call


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))


def without_phone(db: Database, username: str) -> User:
    user = make_user(db, username)
    with db.session() as session:
        stored = session.get(User, user.id)
        assert stored is not None
        stored.endpoint = ""  # a volunteer who gave no number
        session.add(stored)
    user.endpoint = ""
    return user


def choose(db: Database, clock: FakeClock, user: User, mode: PhoneMode) -> None:
    with db.session() as session:
        routing.set_phone_mode(session=session, user=user, mode=mode, now=clock.now())


def status_of(db: Database, user: User) -> AgentStatus:
    with db.session() as session:
        status = session.get(AgentStatus, user.id)
        assert status is not None
        session.expunge(status)
        return status


def ring_at(db: Database, user: User) -> str:
    with db.session() as session:
        stored = session.get(User, user.id)
        assert stored is not None
        return routing.endpoint_for(session=session, user=stored)


def test_no_number_takes_calls_only_with_the_browser(db: Database, clock: FakeClock) -> None:
    line = make_line(db)
    nobody = without_phone(db, "nophone")
    with pytest.raises(routing.RoutingError) as refused:
        available(db, clock, nobody)
    assert refused.value.code == "no_phone"
    with db.session() as session:  # nothing was written (the refusal rolled back)
        status = session.get(AgentStatus, nobody.id)
        assert status is None or status.state == AgentState.offline

    choose(db, clock, nobody, PhoneMode.browser)
    available(db, clock, nobody)
    assert ring_at(db, nobody) == f"client:user-{nobody.id}" and dialable(ring_at(db, nobody))
    call_id = queue_call(db, clock, line, "CA" + "1" * 32)
    assert dispatch(db, clock) == 1 and offered_to(db, call_id) == nobody.id

    # Back to "my phone" while available: there is none, so it is refused and nothing changes.
    with db.session() as session:
        routing.decline(session=session, user=nobody, call_id=call_id, now=clock.now())
    with pytest.raises(routing.RoutingError) as refused:
        choose(db, clock, nobody, PhoneMode.phone)
    assert refused.value.code == "no_phone"
    assert status_of(db, nobody).phone_mode == PhoneMode.browser


def test_a_counselor_with_neither_is_never_offered(db: Database, clock: FakeClock) -> None:
    """Available from before (their number was removed, the phone mode is "phone"): skipped."""
    line = make_line(db)
    stale = without_phone(db, "stale")
    choose(db, clock, stale, PhoneMode.browser)
    available(db, clock, stale)
    with db.session() as session:  # as if the choice had been reset under them
        status = session.get(AgentStatus, stale.id)
        assert status is not None
        status.phone_mode = PhoneMode.phone
        session.add(status)
    call_id = queue_call(db, clock, line, "CA" + "2" * 32)
    assert dispatch(db, clock) == 0 and offered_to(db, call_id) is None
    ready = make_user(db, "ready")
    available(db, clock, ready)
    assert dispatch(db, clock) == 1 and offered_to(db, call_id) == ready.id


def test_with_a_number_the_browser_replaces_it_for_the_shift(
    db: Database, clock: FakeClock
) -> None:
    alice = make_user(db, "alice")
    assert ring_at(db, alice) == alice.endpoint
    choose(db, clock, alice, PhoneMode.browser)
    assert ring_at(db, alice) == f"client:user-{alice.id}"
    choose(db, clock, alice, PhoneMode.phone)
    assert ring_at(db, alice) == alice.endpoint


def test_not_while_an_offer_or_a_call_is_theirs(db: Database, clock: FakeClock) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    available(db, clock, alice)
    call_id = queue_call(db, clock, line, "CA" + "3" * 32)
    assert dispatch(db, clock) == 1
    with pytest.raises(routing.RoutingError) as refused:
        choose(db, clock, alice, PhoneMode.browser)
    assert refused.value.code == "phone_mode_busy"
    with db.session() as session:
        routing.accept(
            session=session, user=alice, call_id=call_id, now=clock.now(), connect_timeout_s=45
        )
    with pytest.raises(routing.RoutingError):
        choose(db, clock, alice, PhoneMode.browser)
    assert status_of(db, alice).phone_mode == PhoneMode.phone


def test_the_choice_resets_when_they_go_offline(db: Database, clock: FakeClock) -> None:
    alice = make_user(db, "alice")
    choose(db, clock, alice, PhoneMode.browser)
    available(db, clock, alice)
    with db.session() as session:
        routing.set_presence(
            session=session, user=alice, state=AgentState.offline, reason=None, now=clock.now()
        )
    assert status_of(db, alice).phone_mode == PhoneMode.phone


def test_the_choice_resets_when_their_console_has_gone(db: Database, clock: FakeClock) -> None:
    nobody = without_phone(db, "nophone")
    with db.session() as session:
        routing.console_opened(
            session=session, user_id=nobody.id or 0, socket_id="s1", instance="i", now=clock.now()
        )
    choose(db, clock, nobody, PhoneMode.browser)
    available(db, clock, nobody)
    with db.session() as session:
        routing.console_closed(
            session=session, user_id=nobody.id or 0, socket_id="s1", now=clock.now()
        )
    clock.advance(31)
    with db.session() as session:
        assert routing.set_away_consoles_gone(session=session, now=clock.now(), grace_s=30) == 1
    status = status_of(db, nobody)
    assert status.state == AgentState.away and status.phone_mode == PhoneMode.phone
    # Back in a console, they choose the browser again before taking calls.
    with pytest.raises(routing.RoutingError):
        available(db, clock, nobody)


def test_a_colleague_on_the_browser_phone_can_be_asked_to_take_a_transfer(
    db: Database, clock: FakeClock
) -> None:
    """Transfers ring where routing would: a colleague with no number is listed (and rung at
    their browser) only while they have chosen the browser."""
    make_line(db)
    asking = make_user(db, "alice")
    colleague = without_phone(db, "nophone")

    choose(db, clock, colleague, PhoneMode.browser)
    available(db, clock, colleague)
    with db.session() as session:
        found = transfers.colleagues(session=session, user=asking, now=clock.now())
    assert [c["user_id"] for c in found] == [colleague.id]
