"""A repeat caller with an open high-risk history goes ahead in the queue (after a caller in
danger now): what counts as that history, against a real database with times set by hand, and
the queue order through the real webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from hotline.auth.models import Role
from hotline.calls.models import Call
from hotline.db import Database
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation
from hotline.followups import service as followups
from hotline.followups.models import CallbackOutcome, FollowUp
from hotline.privacy import caller_hash
from hotline.routing import priority
from hotline.routing.models import AgentState
from hotline.telephony.prompts import DANGER_KEY
from tests.calls import CALLER, inbound
from tests.factories import make_line, make_user
from tests.followups.drive import answered_call, note_fields, submitted_follow_up
from tests.review.drive import presence, write_note
from tests.stack import Stack

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)
DAY = timedelta(days=1)
CALLER_HASH = "h1"  # every call the drive helpers make comes from this caller


def history(db: Database, now: datetime, caller: str = CALLER_HASH) -> bool:
    with db.session() as session:
        return priority.has_open_high_risk_history(session=session, caller_hash=caller, now=now)


def resolve_escalation_of(db: Database, call_id: int, at: datetime) -> None:
    boss = make_user(db, f"boss{call_id}", role=Role.supervisor)
    with db.session() as session:
        found = session.exec(select(Escalation).where(Escalation.call_id == call_id)).one()
        escalations.resolve(
            session=session, escalation_id=found.id or 0, user=boss, outcome="safe_plan", now=at
        )


def test_a_note_at_high_risk_counts_for_30_days(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    calm = answered_call(db, line, alice, T0 - 2 * DAY)
    write_note(db, alice, calm, T0 - 2 * DAY, submit=True, **note_fields(db, level="none"))
    assert not history(db, T0)
    high = answered_call(db, line, alice, T0)
    write_note(db, alice, high, T0 + H, submit=True, **note_fields(db, level="high", wanted=False))
    resolve_escalation_of(db, high, T0 + 2 * H)  # the note's screener paged the crisis team
    assert history(db, T0 + 29 * DAY)
    assert not history(db, T0 + 29 * DAY, caller="somebody-else")
    assert not history(db, T0 + 31 * DAY)


def test_a_priority_follow_up_still_owed_counts_until_it_is_made(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    later = T0 + 40 * DAY  # the notes are too old to count by themselves
    submitted_follow_up(db, line, alice, T0, level="moderate")  # owed, but not a priority
    assert not history(db, later)
    owed = submitted_follow_up(db, line, alice, T0 + H, level="high", within="7d")
    with db.session() as session:
        high_call = session.get(FollowUp, owed.id).call_id  # type: ignore[union-attr]
    resolve_escalation_of(db, high_call, T0 + 2 * H)
    assert history(db, later)
    with db.session() as session:
        followups.log_attempt(
            session=session,
            follow_up_id=owed.id or 0,
            user=alice,
            outcome=CallbackOutcome.reached,
            note="",
            now=later,
        )
    assert not history(db, later)


def test_an_escalation_still_open_counts_until_resolved(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    call_id = answered_call(db, line, alice, T0)
    later = T0 + 40 * DAY
    with db.session() as session:  # the counselor pages the team at moderate risk
        call = session.get(Call, call_id)
        assert call is not None
        escalations.trigger(
            session=session, call=call, level="moderate", reason=None, user_id=alice.id, now=T0
        )
    assert history(db, later)
    resolve_escalation_of(db, call_id, later)
    assert not history(db, later)


def dial(stack: Stack, sid: str, caller: str, digits: str = "1") -> int:
    """A caller rings the line and chooses in the menu, through the signed webhooks."""
    stack.webhook("/twilio/voice/incoming", inbound(sid, caller=caller))
    stack.webhook("/twilio/voice/gather", {**inbound(sid, caller=caller), "Digits": digits})
    with stack.db.session() as session:
        call = session.exec(select(Call).where(Call.call_sid == sid)).one()
        assert call.id is not None
        return call.id


def offered(stack: Stack, name: str) -> int | None:
    """`name` becomes available; the dispatcher offers them a call: which one."""
    user = make_user(stack.db, name)
    presence(stack.db, user, AgentState.available, stack.clock.now())
    stack.dispatcher.tick()
    with stack.db.session() as session:
        call = session.exec(select(Call).where(Call.offered_to_id == user.id)).first()
        return call.id if call is not None else None


def test_such_a_caller_is_offered_before_earlier_callers_but_after_one_in_danger(
    quiet_app: Stack,
) -> None:
    stack = quiet_app
    line = make_line(stack.db)
    alice = make_user(stack.db, "alice")
    now = stack.clock.now()
    earlier = answered_call(stack.db, line, alice, now - 2 * DAY)
    write_note(
        stack.db,
        alice,
        earlier,
        now - 2 * DAY,
        submit=True,
        **note_fields(stack.db, level="high", wanted=False),
    )
    presence(stack.db, alice, AgentState.offline, now)  # her shift is over
    with stack.db.session() as session:  # that call came from the number about to ring again
        found = session.get(Call, earlier)
        assert found is not None
        found.caller_hash = caller_hash(stack.settings.secret_key, CALLER)

    first = dial(stack, "CA" + "1" * 32, "+8613800000001")
    stack.clock.advance(30)
    again = dial(stack, "CA" + "2" * 32, CALLER)
    stack.clock.advance(30)
    withheld = dial(stack, "CA" + "3" * 32, "anonymous")
    stack.clock.advance(30)
    danger = dial(stack, "CA" + "4" * 32, "+8613800000002", digits=DANGER_KEY)

    with stack.db.session() as session:
        flagged = {c.id: c.high_risk_history for c in session.exec(select(Call))}
    assert flagged[again] and not flagged[first] and not flagged[withheld]
    assert [offered(stack, f"c{n}") for n in range(4)] == [danger, again, first, withheld]
