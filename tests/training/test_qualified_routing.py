"""A line's required qualifications gate the offer: against a real database, the clock set by
hand. A counselor holding the qualification is offered the call; one whose qualification has
expired is skipped; with nobody qualified the call waits, then overflows as any other."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hotline.calls.models import Call, CallState
from hotline.clock import FakeClock
from hotline.db import Database
from hotline.routing import service as routing
from hotline.routing.qualifications import may_take, valid_on
from tests.factories import make_line, make_user
from tests.routing.test_dispatch import available, dispatch, offered_to, queue_call
from tests.training.drive import admin, grant, qualification, require

T0 = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def test_the_rule() -> None:
    assert may_take([], [])
    assert may_take([1], [1, 2])
    assert not may_take([1, 3], [1, 2])
    assert valid_on(None, T0)
    assert valid_on(date(2026, 12, 7), T0)  # valid through its last day
    assert not valid_on(date(2026, 12, 6), T0)


def test_an_expired_counselor_is_skipped_and_a_qualified_one_offered(
    db: Database, clock: FakeClock
) -> None:
    line = make_line(db)
    boss = admin(db)
    crisis = qualification(db, boss, clock.now())
    require(db, boss, clock.now(), line.id or 0, [crisis])
    expired = make_user(db, "expired")
    qualified = make_user(db, "qualified")
    grant(db, boss, clock.now(), expired, crisis, date(2026, 12, 6))
    grant(db, boss, clock.now(), qualified, crisis, date(2027, 12, 6))
    available(db, clock, expired)  # longest idle: offered first, were it not for the expiry
    clock.advance(60)
    available(db, clock, qualified)
    call_id = queue_call(db, clock, line, "CA1")
    assert dispatch(db, clock) == 1
    assert offered_to(db, call_id) == qualified.id


def test_a_line_without_requirements_is_offered_to_anyone(db: Database, clock: FakeClock) -> None:
    line = make_line(db)
    other = make_line(db, number="+8612356")
    boss = admin(db)
    require(db, boss, clock.now(), other.id or 0, [qualification(db, boss, clock.now())])
    plain = make_user(db, "plain")
    available(db, clock, plain)
    call_id = queue_call(db, clock, line, "CA1")
    assert dispatch(db, clock) == 1
    assert offered_to(db, call_id) == plain.id


def test_with_nobody_qualified_the_call_waits_then_overflows(
    db: Database, clock: FakeClock
) -> None:
    line = make_line(db, max_queue_wait_s=60)
    boss = admin(db)
    crisis = qualification(db, boss, clock.now())
    require(db, boss, clock.now(), line.id or 0, [crisis])
    lapsed = make_user(db, "lapsed")
    grant(db, boss, clock.now(), lapsed, crisis, date(2026, 12, 31))
    # The qualification ended yesterday.
    clock.advance((datetime(2027, 1, 1, 0, 0, 1, tzinfo=UTC) - clock.now()).total_seconds())
    available(db, clock, lapsed)
    call_id = queue_call(db, clock, line, "CA1")
    assert dispatch(db, clock) == 0
    assert offered_to(db, call_id) is None
    clock.advance(60)
    with db.session() as session:
        assert routing.overflow_due(session=session, now=clock.now()).overflow == ["CA1"]
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.overflow


def test_renewal_lets_them_be_offered_again(db: Database, clock: FakeClock) -> None:
    line = make_line(db)
    boss = admin(db)
    crisis = qualification(db, boss, clock.now())
    require(db, boss, clock.now(), line.id or 0, [crisis])
    alice = make_user(db, "alice")
    grant(db, boss, clock.now(), alice, crisis, date(2026, 1, 1))
    available(db, clock, alice)
    call_id = queue_call(db, clock, line, "CA1")
    assert dispatch(db, clock) == 0
    grant(db, boss, clock.now(), alice, crisis, date(2027, 1, 1))
    assert dispatch(db, clock) == 1
    assert offered_to(db, call_id) == alice.id
