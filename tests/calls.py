"""Drive calls into a given state through signed webhooks and the routing service."""

from __future__ import annotations

from hotline.auth import service as auth
from hotline.auth.models import User
from hotline.calls import service as calls
from hotline.calls.models import Call, CallState
from hotline.db import Database
from hotline.routing import service as routing
from hotline.routing.models import AgentState
from tests.factories import make_user
from tests.stack import Stack

CALLER = "+8613812345678"
LINE = "+8657796525"


def inbound(
    call_sid: str = "CA" + "a" * 32, to: str = LINE, caller: str = CALLER
) -> dict[str, str]:
    return {
        "AccountSid": "AC" + "1" * 32,
        "CallSid": call_sid,
        "From": caller,
        "To": to,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def get_user(db: Database, username: str) -> User | None:
    with db.session() as session:
        return auth.get_by_username(session=session, username=username)


def connected_call(
    stack: Stack,
    call_sid: str,
    username: str,
    *,
    counselor_first: bool = False,
    caller: str = CALLER,
) -> tuple[int, int]:
    """Drive one call to connected through webhooks and the routing service."""
    stack.webhook("/twilio/voice/incoming", inbound(call_sid, caller=caller))
    stack.webhook("/twilio/voice/gather", {**inbound(call_sid, caller=caller), "Digits": "1"})
    user = get_user(stack.db, username) or make_user(stack.db, username)
    assert user.id is not None
    with stack.db.session() as session:
        routing.set_presence(
            session=session,
            user=user,
            state=AgentState.available,
            reason=None,
            now=stack.clock.now(),
        )
    stack.dispatcher.tick()
    with stack.db.session() as session:
        call = calls.get_by_sid(session=session, call_sid=call_sid)
        assert call is not None and call.state == CallState.offered
        assert call.id is not None
        routing.accept(
            session=session, user=user, call_id=call.id, now=stack.clock.now(), connect_timeout_s=45
        )
        call_id = call.id
    conference = {"ConferenceSid": "CF" + call_sid[2:], "FriendlyName": call_sid}
    caller_in = {
        **conference,
        "StatusCallbackEvent": "participant-join",
        "CallSid": call_sid,
        "SequenceNumber": "1",
    }
    counselor_in = {
        **conference,
        "StatusCallbackEvent": "participant-join",
        "CallSid": "CA" + "f" * 32,
        "ParticipantLabel": f"counselor:{user.id}",
        "SequenceNumber": "2",
    }
    # The counselor's phone may be in before the caller: connected only once both are.
    first, second = (counselor_in, caller_in) if counselor_first else (caller_in, counselor_in)
    assert stack.webhook("/twilio/conference/status", first).status_code == 200
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.offered
    assert stack.webhook("/twilio/conference/status", second).status_code == 200
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.connected
    return call_id, user.id
