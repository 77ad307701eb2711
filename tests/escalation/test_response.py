"""After the acknowledgement: the responder joins, takes over or calls back, and for imminent
risk the rescue by emergency services is tracked step by step. Over real HTTP and webhooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import select

from hotline.auth.models import Role, User
from hotline.calls.models import Call, CallState
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation, EscalationLog, EscalationStatus, Page
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus
from tests.calls import connected_call, get_user
from tests.factories import make_line, make_rota, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack

COUNSELOR_LEG = "CA" + "f" * 32
CALL_SID = "CA" + "7" * 32


def escalated(stack: Stack, level: str = "imminent") -> tuple[int, int, NoteClient, NoteClient]:
    """A connected call escalated by its counselor; returns (call, escalation, alice, zhao)."""
    make_line(stack.db)
    worker = make_user(stack.db, "zhao", role=Role.crisis, endpoint="+8613900002222")
    make_rota(stack.db, "crisis", [worker])
    call_id, _ = connected_call(stack, CALL_SID, "alice")
    alice, zhao = NoteClient(stack, "alice"), NoteClient(stack, "zhao")
    response = alice.post(
        f"/api/calls/{call_id}/escalate", {"reason": "Standing on a bridge", "level": level}
    )
    assert response.status_code == 200, response.text
    escalation_id: int = response.json()["id"]
    return call_id, escalation_id, alice, zhao


def joined(stack: Stack, escalation_id: int, zhao: NoteClient) -> None:
    worker = get_user(stack.db, "zhao")
    assert worker is not None
    assert act(zhao, escalation_id, "ack").status_code == 200
    assert act(zhao, escalation_id, "join").status_code == 200
    responder_in = {
        "ConferenceSid": "CF" + CALL_SID[2:],
        "FriendlyName": CALL_SID,
        "StatusCallbackEvent": "participant-join",
        "CallSid": "CA" + "c" * 32,
        "ParticipantLabel": f"crisis:{worker.id}",
        "SequenceNumber": "3",
    }
    assert stack.webhook("/twilio/conference/status", responder_in).status_code == 200
    assert status_of(stack, escalation_id) == EscalationStatus.joined


def act(client: NoteClient, escalation_id: int, action: str) -> Any:
    return client.http.post(
        f"/api/escalations/{escalation_id}/{action}", headers={"X-CSRF-Token": client.token}
    )


def status_of(stack: Stack, escalation_id: int) -> EscalationStatus:
    with stack.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        return escalation.status


def kinds(stack: Stack, escalation_id: int) -> list[str]:
    with stack.db.session() as session:
        return [
            e.kind
            for e in session.exec(
                select(EscalationLog)
                .where(EscalationLog.escalation_id == escalation_id)
                .order_by(EscalationLog.id)  # type: ignore[arg-type]
            )
        ]


def rescue(client: NoteClient, escalation_id: int, stage: str, note: str | None = None) -> Any:
    return client.post(f"/api/escalations/{escalation_id}/rescue", {"stage": stage, "note": note})


def test_rescue_is_tracked_in_order_with_times(app_only: Stack) -> None:
    _call_id, escalation_id, alice, zhao = escalated(app_only)
    make_user(app_only.db, "bob")
    bob = NoteClient(app_only, "bob")  # another counselor: not his call
    assert rescue(bob, escalation_id, "requested").status_code == 403
    # Out of order: nothing was requested yet.
    wrong = rescue(alice, escalation_id, "dispatched")
    assert wrong.status_code == 409 and wrong.json()["code"] == "rescue_order"
    assert rescue(alice, escalation_id, "requested", "Called 110, case 4471").status_code == 200
    app_only.clock.advance(240)
    no_note = rescue(alice, escalation_id, "failed", "   ")
    assert no_note.status_code == 422 and no_note.json()["code"] == "rescue_note_needed"
    assert rescue(alice, escalation_id, "dispatched").status_code == 200
    app_only.clock.advance(300)
    failed = rescue(alice, escalation_id, "failed", "Police found nobody; asked for the address")
    assert failed.status_code == 200
    assert act(zhao, escalation_id, "ack").status_code == 200
    assert (
        rescue(zhao, escalation_id, "requested", "Second request, new address").status_code == 200
    )
    app_only.clock.advance(60)
    assert rescue(zhao, escalation_id, "dispatched").status_code == 200
    done = rescue(zhao, escalation_id, "confirmed")
    assert done.status_code == 200
    body = done.json()
    assert body["rescue_status"] == "confirmed"
    assert [step["stage"] for step in body["rescue"]] == [
        "requested",
        "dispatched",
        "failed",
        "requested",
        "dispatched",
        "confirmed",
    ]
    times = [step["at"] for step in body["rescue"]]
    assert times == sorted(times) and times[0] != times[-1]
    assert rescue(zhao, escalation_id, "failed", "too late").json()["code"] == "rescue_order"
    assert [k for k in kinds(app_only, escalation_id) if k.startswith("rescue_")] == [
        "rescue_requested",
        "rescue_dispatched",
        "rescue_failed",
        "rescue_requested",
        "rescue_dispatched",
        "rescue_confirmed",
    ]
    # What was said about the rescue may identify the caller: encrypted at rest.
    with app_only.db.session() as session:
        raw = " ".join(
            str(row[0]) for row in session.execute(text("SELECT note FROM rescue_steps"))
        )
    assert "4471" not in raw and "address" not in raw and raw.strip()


def test_a_counselor_hanging_up_leaves_the_caller_with_the_responder(app_only: Stack) -> None:
    call_id, escalation_id, _alice, zhao = escalated(app_only, level="high")
    joined(app_only, escalation_id, zhao)
    with app_only.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.counselor_id is not None
        user = session.get(User, call.counselor_id)
        assert user is not None
        effects = routing.hang_up(
            session=session, user=user, call_id=call_id, now=app_only.clock.now()
        )
    # Only the counselor's own leg is hung up: the conference (the caller) goes on.
    assert effects.end_conference == [] and effects.hang_up == [COUNSELOR_LEG]
    with app_only.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.wrap_up
        assert call.end_reason == "handed_to_responder"
        status = session.get(AgentStatus, call.counselor_id)
        assert status is not None and status.state == AgentState.wrap_up
        assert escalations.responder_with_caller(session=session, call_id=call_id)


def test_taking_over_releases_the_counselor_and_a_dropped_leg_does_not_requeue(
    app_only: Stack,
) -> None:
    call_id, escalation_id, _alice, zhao = escalated(app_only, level="high")
    early = act(zhao, escalation_id, "take_over")
    assert early.status_code == 403 or early.json()["code"] == "acknowledge_first"
    joined(app_only, escalation_id, zhao)
    took = act(zhao, escalation_id, "take_over")
    assert took.status_code == 200 and took.json()["status"] == "took_over"
    with app_only.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.wrap_up
        assert call.end_reason == "handed_to_responder"
    # The counselor's leg then leaves the conference: the caller is not put back in the queue.
    counselor_out = {
        "ConferenceSid": "CF" + CALL_SID[2:],
        "FriendlyName": CALL_SID,
        "StatusCallbackEvent": "participant-leave",
        "CallSid": COUNSELOR_LEG,
        "ParticipantLabel": "counselor:1",
        "SequenceNumber": "9",
    }
    assert app_only.webhook("/twilio/conference/status", counselor_out).status_code == 200
    with app_only.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.wrap_up
    # (The running engine may log page retries after it: the simulator is not up here.)
    assert "took_over" in kinds(app_only, escalation_id)
    assert status_of(app_only, escalation_id) == EscalationStatus.took_over


def test_a_dropped_counselor_leg_with_the_responder_in_keeps_the_call_out_of_the_queue(
    app_only: Stack,
) -> None:
    call_id, escalation_id, _alice, zhao = escalated(app_only, level="high")
    joined(app_only, escalation_id, zhao)
    with app_only.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        counselor_id = call.counselor_id
    counselor_out = {
        "ConferenceSid": "CF" + CALL_SID[2:],
        "FriendlyName": CALL_SID,
        "StatusCallbackEvent": "participant-leave",
        "CallSid": COUNSELOR_LEG,
        "ParticipantLabel": f"counselor:{counselor_id}",
        "SequenceNumber": "9",
    }
    assert app_only.webhook("/twilio/conference/status", counselor_out).status_code == 200
    with app_only.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.wrap_up
        assert call.end_reason == "handed_to_responder"


def test_calling_back_is_an_outcome_of_its_own(app_only: Stack) -> None:
    _call_id, escalation_id, _alice, zhao = escalated(app_only, level="high")
    not_yet = act(zhao, escalation_id, "called_back")
    assert not_yet.json()["code"] == "acknowledge_first"
    assert act(zhao, escalation_id, "ack").status_code == 200
    back = act(zhao, escalation_id, "called_back")
    assert back.status_code == 200 and back.json()["status"] == "called_back"
    assert "called_back" in kinds(app_only, escalation_id)
    resolved = zhao.post(f"/api/escalations/{escalation_id}/resolve", {"outcome": "safe_plan"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"


def test_imminent_danger_alerts_the_supervisor_on_duty_at_once(app_only: Stack) -> None:
    supervisor = make_user(app_only.db, "wang", role=Role.supervisor, endpoint="+8613900003333")
    make_rota(app_only.db, "supervisor", [supervisor])
    _call_id, escalation_id, _alice, _zhao = escalated(app_only, level="high")
    assert "supervisor_alerted" not in kinds(app_only, escalation_id)
    _alice.post(f"/api/calls/{_call_id}/escalate", {"reason": "Pills in hand", "level": "imminent"})
    with app_only.db.session() as session:
        pages = session.exec(select(Page).where(Page.user_id == supervisor.id)).all()
    # Console and SMS at once, not the nobody-acknowledged alarm. (The running engine may also
    # page them for the policy's next step, which the raised level makes due now.)
    assert {"console", "sms"} <= {p.channel.value for p in pages}
    assert not any(p.alarm for p in pages)
    assert "supervisor_alerted" in kinds(app_only, escalation_id)
