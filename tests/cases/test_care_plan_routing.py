"""A care plan's preferred counselor is offered their caller first when free; the rule itself
is pure (hotline/routing/care_plan.py)."""

from __future__ import annotations

from typing import Any

from hotline.auth.models import User
from hotline.calls import service as calls
from hotline.cases.models import Case
from hotline.privacy import caller_hash
from hotline.routing import service as routing
from hotline.routing.care_plan import preferred_first
from hotline.routing.models import AgentState
from tests.calls import inbound
from tests.factories import make_line, make_user
from tests.stack import Stack

CALLER = "+8613700000099"


def test_the_preferred_counselor_moves_first_and_nobody_else_moves() -> None:
    rows: list[Any] = [("s", User(id=i, username=f"u{i}", display_name="x")) for i in (1, 2, 3)]
    assert [u.id for _s, u in preferred_first(rows, 3)] == [3, 1, 2]
    assert [u.id for _s, u in preferred_first(rows, None)] == [1, 2, 3]
    assert [u.id for _s, u in preferred_first(rows, 9)] == [1, 2, 3]  # not free: as usual


def test_a_care_plan_offers_the_preferred_counselor_first(app_only: Stack) -> None:
    make_line(app_only.db)
    bob = make_user(app_only.db, "bob")
    alice = make_user(app_only.db, "alice")
    for user in (bob, alice):  # bob is free the longer: without a plan he would be offered it
        with app_only.db.session() as session:
            routing.set_presence(
                session=session,
                user=user,
                state=AgentState.available,
                reason=None,
                now=app_only.clock.now(),
            )
        app_only.clock.advance(60)
    now = app_only.clock.now()
    with app_only.db.session() as session:
        session.add(
            Case(
                caller_hash=caller_hash(app_only.settings.secret_key, CALLER),
                line_id=1,
                opened_at=now,
                updated_at=now,
                frequent_caller=True,
                care_plan_minutes=20,
                preferred_counselor_id=alice.id,
            )
        )
    sid = "CA" + "9" * 32
    app_only.webhook("/twilio/voice/incoming", inbound(sid, caller=CALLER))
    app_only.webhook("/twilio/voice/gather", {**inbound(sid, caller=CALLER), "Digits": "1"})
    app_only.dispatcher.tick()
    with app_only.db.session() as session:
        call = calls.get_by_sid(session=session, call_sid=sid)
        assert call is not None and call.offered_to_id == alice.id
