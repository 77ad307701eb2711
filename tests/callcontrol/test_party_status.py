"""The added parties' status callback as Twilio sends it: signed, idempotent, and a late or
out-of-order callback never moves a party back (no simulator: the webhooks are posted here)."""

from __future__ import annotations

from sqlmodel import select

from hotline.auth.models import User
from hotline.callcontrol import service as control
from hotline.callcontrol.models import CallParty, PartyStatus
from hotline.calls.models import CallEvent
from tests.calls import connected_call
from tests.factories import make_line
from tests.stack import Stack

LEG = "CA" + "7" * 32


def status(stack: Stack, party_id: int, call_status: str, leg: str = LEG) -> int:
    path = f"/twilio/party/status?party_id={party_id}"
    params = {"CallSid": leg, "CallStatus": call_status, "AccountSid": "AC" + "1" * 32}
    return stack.webhook(path, params).status_code


def party(stack: Stack, party_id: int) -> CallParty:
    with stack.db.session() as session:
        found = session.get(CallParty, party_id)
        assert found is not None
        session.expunge(found)
        return found


def test_callbacks_move_a_party_forward_only(quiet_app: Stack) -> None:
    make_line(quiet_app.db)
    call_id, user_id = connected_call(quiet_app, "CA" + "5" * 32, "alice")
    with quiet_app.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        added = control.add_party(
            session=session,
            user=user,
            call_id=call_id,
            kind="emergency",
            number="110",
            resource_id=None,
            now=quiet_app.clock.now(),
        )
        party_id = added.id
    assert party_id is not None
    assert status(quiet_app, party_id, "ringing") == 200
    assert party(quiet_app, party_id).status == PartyStatus.ringing
    assert status(quiet_app, party_id, "in-progress") == 200
    assert party(quiet_app, party_id).status == PartyStatus.connected
    # A late "ringing", the same "in-progress" again, another leg's news: nothing moves.
    assert status(quiet_app, party_id, "ringing") == 200
    assert status(quiet_app, party_id, "in-progress") == 200
    assert status(quiet_app, party_id, "completed", leg="CA" + "8" * 32) == 200
    assert party(quiet_app, party_id).status == PartyStatus.connected
    assert status(quiet_app, party_id, "completed") == 200
    ended = party(quiet_app, party_id)
    assert ended.status == PartyStatus.left and ended.leg_sid == LEG
    assert status(quiet_app, party_id, "busy") == 200  # after the end: nothing
    assert party(quiet_app, party_id).status == PartyStatus.left
    # Unsigned, or without a party: refused before anything changes.
    path = f"/twilio/party/status?party_id={party_id}"
    assert (
        quiet_app.webhook(
            path, {"CallSid": LEG, "CallStatus": "ringing"}, signature="x"
        ).status_code
        == 403
    )
    assert status(quiet_app, 0, "ringing") == 400
    with quiet_app.db.session() as session:
        states = session.exec(
            select(CallEvent.state).where(CallEvent.call_id == call_id).order_by(CallEvent.id)
        ).all()
    assert [s for s in states if s.startswith("party_")] == [
        "party_added",
        "party_connected",
        "party_left",
    ]
