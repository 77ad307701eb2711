"""Twilio webhooks over real HTTP: signatures, malformed input, retries, callback order."""

from __future__ import annotations

import itertools
import random

import httpx
from sqlmodel import select

from hotline.calls import service as calls
from hotline.calls.models import Call, CallEvent, CallState
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus
from hotline.telephony.models import WebhookReceipt
from tests.calls import CALLER, connected_call, inbound
from tests.factories import make_line, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack, running_stack


def count(stack: Stack, model: type) -> int:
    with stack.db.session() as session:
        return len(session.exec(select(model)).all())


def test_unsigned_and_forged_webhooks_are_refused_and_write_nothing(app_only: Stack) -> None:
    make_line(app_only.db)
    unsigned = httpx.post(app_only.url + "/twilio/voice/incoming", data=inbound(), timeout=10)
    forged = app_only.webhook("/twilio/voice/incoming", inbound(), signature="Zm9yZ2VkIQ==")
    # Signed for other parameters than the ones sent: a replay with a changed body.
    params = inbound()
    tampered_sig = app_only.sign("/twilio/voice/incoming", {**params, "From": "+8600000000"})
    tampered = app_only.webhook("/twilio/voice/incoming", params, signature=tampered_sig)
    assert [unsigned.status_code, forged.status_code, tampered.status_code] == [403, 403, 403]
    assert count(app_only, Call) == 0
    assert count(app_only, WebhookReceipt) == 0


def test_malformed_webhooks_get_400_and_write_nothing(app_only: Stack) -> None:
    make_line(app_only.db)
    missing = {k: v for k, v in inbound().items() if k != "CallSid"}
    assert app_only.webhook("/twilio/voice/incoming", missing).status_code == 400
    as_json = httpx.post(
        app_only.url + "/twilio/voice/incoming",
        json=inbound(),
        headers={"X-Twilio-Signature": "x"},
        timeout=10,
    )
    assert as_json.status_code == 400
    assert count(app_only, Call) == 0
    assert count(app_only, WebhookReceipt) == 0


def test_incoming_call_gets_greeting_and_menu_and_stores_no_number(app_only: Stack) -> None:
    make_line(app_only.db)
    response = app_only.webhook("/twilio/voice/incoming", inbound())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    body = response.text
    assert "<Gather" in body and 'numDigits="1"' in body
    assert "/twilio/voice/gather" in body
    assert "press 9" in body or "按9" in body or "请按 9" in body
    with app_only.db.session() as session:
        call = session.exec(select(Call)).one()
        assert call.state == CallState.ivr
        assert CALLER not in call.model_dump_json()
        assert CALLER.lstrip("+") not in call.caller_hash


def test_unknown_number_hears_not_in_service(app_only: Stack) -> None:
    response = app_only.webhook("/twilio/voice/incoming", inbound(to="+860000"))
    assert response.status_code == 200 and "<Hangup" in response.text
    assert count(app_only, Call) == 0


def test_retried_webhooks_answer_the_same_and_record_once(app_only: Stack) -> None:
    make_line(app_only.db)
    first = app_only.webhook("/twilio/voice/incoming", inbound())
    again = app_only.webhook("/twilio/voice/incoming", inbound())
    gather = {**inbound(), "Digits": "9"}
    queued = app_only.webhook("/twilio/voice/gather", gather)
    queued_again = app_only.webhook("/twilio/voice/gather", gather)
    assert first.text == again.text
    assert queued.text == queued_again.text and "<Conference" in queued.text
    with app_only.db.session() as session:
        call = session.exec(select(Call)).one()
        assert call.state == CallState.queued and call.in_danger
        states = [e.state for e in session.exec(select(CallEvent).order_by(CallEvent.id))]
    assert states == ["ringing", "ivr", "queued"]
    assert count(app_only, WebhookReceipt) == 2


def test_signature_is_checked_against_the_public_url_behind_a_proxy(database_url: str) -> None:
    with running_stack(
        database_url, with_simulator=False, public_base_url="https://hotline.example.org"
    ) as stack:
        make_line(stack.db)
        params = inbound()
        from twilio.request_validator import RequestValidator

        from tests.stack import AUTH_TOKEN

        validator = RequestValidator(AUTH_TOKEN)
        public_sig = validator.compute_signature(
            "https://hotline.example.org/twilio/voice/incoming", params
        )
        inside_sig = validator.compute_signature(stack.url + "/twilio/voice/incoming", params)
        assert (
            stack.webhook("/twilio/voice/incoming", params, signature=inside_sig).status_code == 403
        )
        assert (
            stack.webhook("/twilio/voice/incoming", params, signature=public_sig).status_code == 200
        )


def test_end_of_call_callbacks_in_any_order_end_in_wrap_up_and_never_regress(
    app_only: Stack,
) -> None:
    make_line(app_only.db)
    orders = list(itertools.permutations(range(4)))
    random.Random(7).shuffle(orders)
    for n, order in enumerate(orders[:8]):
        call_sid = f"CA{n:032d}"
        call_id, user_id = connected_call(
            app_only, call_sid, f"counselor{n}", counselor_first=n % 2 == 0
        )
        conference = {"ConferenceSid": "CF" + call_sid[2:], "FriendlyName": call_sid}
        callbacks = [
            ("/twilio/voice/status", {**inbound(call_sid), "CallStatus": "completed"}),
            (
                "/twilio/conference/status",
                {
                    **conference,
                    "StatusCallbackEvent": "participant-leave",
                    "CallSid": call_sid,
                    "SequenceNumber": "3",
                },
            ),
            (
                "/twilio/conference/status",
                {**conference, "StatusCallbackEvent": "conference-end", "SequenceNumber": "5"},
            ),
            (
                "/twilio/conference/status",
                {
                    **conference,
                    "StatusCallbackEvent": "participant-leave",
                    "CallSid": "CA" + "f" * 32,
                    "ParticipantLabel": f"counselor:{user_id}",
                    "SequenceNumber": "4",
                },
            ),
        ]
        for index in order:
            path, params = callbacks[index]
            assert app_only.webhook(path, params).status_code == 200
        with app_only.db.session() as session:
            call = session.get(Call, call_id)
            agent = session.get(AgentStatus, user_id)
            assert call is not None and agent is not None
            settled = call.state
            events = len(calls.history(session=session, call_id=call_id))
            # Connected before the end: counted as answered whatever the order.
            assert call.connected_at is not None
            assert settled in {CallState.wrap_up, CallState.abandoned}, order
            assert agent.state == AgentState.wrap_up, order
        # Every callback again, in reverse: nothing moves.
        for index in reversed(order):
            path, params = callbacks[index]
            app_only.webhook(path, {**params, "Timestamp": "retry"})
        with app_only.db.session() as session:
            call = session.get(Call, call_id)
            assert call is not None and call.state == settled
            assert len(calls.history(session=session, call_id=call_id)) == events


def test_a_counselor_joining_after_the_caller_left_changes_nothing(app_only: Stack) -> None:
    make_line(app_only.db)
    call_sid = "CA" + "b" * 32
    app_only.webhook("/twilio/voice/incoming", inbound(call_sid))
    app_only.webhook("/twilio/voice/gather", {**inbound(call_sid), "Digits": "1"})
    app_only.webhook("/twilio/voice/status", {**inbound(call_sid), "CallStatus": "completed"})
    user = make_user(app_only.db, "late")
    join = {
        "ConferenceSid": "CF" + "b" * 32,
        "FriendlyName": call_sid,
        "StatusCallbackEvent": "participant-join",
        "CallSid": "CA" + "c" * 32,
        "Label": f"counselor:{user.id}",
    }
    assert app_only.webhook("/twilio/conference/status", join).status_code == 200
    with app_only.db.session() as session:
        call = calls.get_by_sid(session=session, call_sid=call_sid)
        assert call is not None and call.state == CallState.abandoned
        assert call.counselor_id is None


def test_a_caller_entering_a_conference_after_the_call_ended_is_not_left_alone(
    app_only: Stack,
) -> None:
    make_line(app_only.db)
    call_sid = "CA" + "d" * 32
    call_id, _user_id = connected_call(app_only, call_sid, "counselor")
    with app_only.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        routing.caller_left(
            session=session, call=call, now=app_only.clock.now(), reason="conference_ended"
        )
        assert call.state == CallState.wrap_up
        # The caller shows up in a (new) conference of that name: they must be sent on.
        effects = routing.caller_joined(
            session=session, call=call, conference_sid="CFnew", now=app_only.clock.now()
        )
    assert effects.goodbye == [call_sid]


def test_a_late_join_callback_does_not_undo_the_overflow(quiet_app: Stack) -> None:
    """The caller's participant-join can reach us after the maximum wait sent them on (it did
    under load in CI): answering it with a goodbye would hang up a caller on their way to the
    partner line. No background engine: the test sends the caller on itself, and a worker's
    overflow job would otherwise race it to the same call."""
    make_line(quiet_app.db, max_queue_wait_s=30, partner_number="+8612356")
    call_sid = "CA" + "e" * 32
    quiet_app.webhook("/twilio/voice/incoming", inbound(call_sid))
    quiet_app.webhook("/twilio/voice/gather", {**inbound(call_sid), "Digits": "1"})
    quiet_app.clock.advance(31)
    with quiet_app.db.session() as session:
        effects = routing.overflow_due(session=session, now=quiet_app.clock.now())
    assert effects.overflow == [call_sid]
    join = {
        "ConferenceSid": "CF" + "e" * 32,
        "FriendlyName": call_sid,
        "StatusCallbackEvent": "participant-join",
        "CallSid": call_sid,
    }
    with quiet_app.db.session() as session:
        call = calls.get_by_sid(session=session, call_sid=call_sid)
        assert call is not None and call.state == CallState.overflow
        now = quiet_app.clock.now()
        late = routing.caller_joined(
            session=session, call=call, conference_sid=join["ConferenceSid"], now=now
        )
    assert late.goodbye == [] and late.hang_up == []
    assert quiet_app.webhook("/twilio/conference/status", join).status_code == 200
    with quiet_app.db.session() as session:
        call = calls.get_by_sid(session=session, call_sid=call_sid)
        assert call is not None and call.state == CallState.overflow


def test_a_counselor_whose_phone_drops_sends_the_caller_to_the_front_of_the_queue(
    app_only: Stack,
) -> None:
    make_line(app_only.db)
    call_sid = "CA" + "7" * 32
    call_id, user_id = connected_call(app_only, call_sid, "dropper")
    waiting = "CA" + "e" * 32
    app_only.webhook("/twilio/voice/incoming", inbound(waiting, caller="+8613000000009"))
    app_only.webhook(
        "/twilio/voice/gather", {**inbound(waiting, caller="+8613000000009"), "Digits": "9"}
    )  # in danger, but waiting
    leave = {
        "ConferenceSid": "CF" + call_sid[2:],
        "FriendlyName": call_sid,
        "StatusCallbackEvent": "participant-leave",
        "CallSid": "CA" + "f" * 32,
        "ParticipantLabel": f"counselor:{user_id}",
        "SequenceNumber": "9",
    }
    assert app_only.webhook("/twilio/conference/status", leave).status_code == 200
    with app_only.db.session() as session:
        dropped = session.get(Call, call_id)
        other = calls.get_by_sid(session=session, call_sid=waiting)
        agent = session.get(AgentStatus, user_id)
        assert dropped is not None and other is not None and agent is not None
        assert dropped.state == CallState.queued and dropped.counselor_id is None
        assert dropped.priority > other.priority  # back ahead of everyone, in danger included
        assert agent.state == AgentState.wrap_up


# Caller IDs that identify nobody: Twilio's spellings of a withheld number, none at all, and
# browser clients (an identity, not a phone number).
WITHHELD_IDS = (
    "anonymous",
    "Anonymous",
    "Restricted",
    "+266696687",
    "+86282452253",
    "",
    None,  # no From parameter at all
    "client:alice",
    "client:counselor7",
)


def test_a_withheld_caller_id_is_never_a_repeat_caller_nor_anyones_history(
    app_only: Stack,
) -> None:
    make_line(app_only.db)
    for n, caller in enumerate(WITHHELD_IDS):
        params = inbound(f"CA{n:032d}")
        if caller is None:
            del params["From"]
        else:
            params["From"] = caller
        answer = app_only.webhook("/twilio/voice/incoming", params)
        assert answer.status_code == 200 and "<Gather" in answer.text, caller
    # A caller with a number calling twice is recognised, as before.
    for sid in ("CA" + "e" * 32, "CA" + "d" * 32):
        app_only.webhook("/twilio/voice/incoming", inbound(sid, caller=CALLER))
    with app_only.db.session() as session:
        stored = {c.call_sid: c for c in session.exec(select(Call))}
    withheld = [stored[f"CA{n:032d}"] for n in range(len(WITHHELD_IDS))]
    assert [c.repeat_caller for c in withheld] == [False] * len(WITHHELD_IDS)
    assert len({c.caller_hash for c in withheld}) == 1  # stored as they always were: one class
    assert stored["CA" + "d" * 32].repeat_caller is True

    # Nor does a withheld caller's counselor see the other withheld callers as their history.
    hidden_id, _ = connected_call(app_only, "CA" + "b" * 32, "alice", caller="anonymous")
    with app_only.db.session() as session:
        hidden = session.get(Call, hidden_id)
        assert hidden is not None and hidden.repeat_caller is False
    alice = NoteClient(app_only, "alice")
    history = alice.get(f"/api/calls/{hidden_id}/history")
    assert history.status_code == 200 and history.json() == {"data": [], "count": 0}
    known_id, _ = connected_call(app_only, "CA" + "c" * 32, "bob", caller=CALLER)
    bob = NoteClient(app_only, "bob")
    assert bob.get(f"/api/calls/{known_id}/history").json()["count"] == 2
    alice.console.close()
    bob.console.close()
