"""Paging over the wire: the escalate button, SMS and a voice call through the simulator,
acknowledged by SMS reply or by a keypress on the paging call."""

from __future__ import annotations

from sqlmodel import select

from hotline.auth.models import Role
from hotline.escalation.models import Escalation, EscalationLog, EscalationStatus, Page
from tests.calls import LINE, connected_call
from tests.factories import make_line, make_rota, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack, running_stack

CRISIS_PHONE = "+8613900009999"


def escalated_call(stack: Stack) -> int:
    make_line(stack.db)
    worker = make_user(stack.db, "crisis1", role=Role.crisis, endpoint=CRISIS_PHONE)
    make_rota(stack.db, "crisis", [worker])
    stack.dispatcher.sync_numbers()
    call_id, _user_id = connected_call(stack, "CA" + "9" * 32, "alice")
    alice = NoteClient(stack, "alice")
    response = alice.post(f"/api/calls/{call_id}/escalate", {"reason": "Pills at hand"})
    assert response.status_code == 200, response.text
    escalation_id: int = response.json()["id"]
    return escalation_id


def log_of(stack: Stack, escalation_id: int) -> list[tuple[str, str | None]]:
    with stack.db.session() as session:
        return [
            (e.kind, e.channel)
            for e in session.exec(
                select(EscalationLog)
                .where(EscalationLog.escalation_id == escalation_id)
                .order_by(EscalationLog.id)
            )
        ]


def page_count(stack: Stack) -> int:
    with stack.db.session() as session:
        return len(session.exec(select(Page)).all())


def test_an_sms_reply_acknowledges(stack: Stack) -> None:
    stack.simulator.set_phone(CRISIS_PHONE, "manual")  # the voice page rings unanswered
    escalation_id = escalated_call(stack)
    stack.dispatcher.tick()
    stack.simulator.wait_for(
        lambda: any(m["to"] == CRISIS_PHONE for m in stack.simulator.list_messages())
    )
    sms = next(m for m in stack.simulator.list_messages() if m["to"] == CRISIS_PHONE)
    assert "Reply 1" in sms["body"] or "回复1" in sms["body"] or "1" in sms["body"]
    stack.simulator.send_sms(CRISIS_PHONE, LINE, "1")
    with stack.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None and escalation.status == EscalationStatus.acknowledged
    assert ("acknowledged", "sms") in log_of(stack, escalation_id)
    sent = page_count(stack)
    stack.clock.advance(60 * 60)
    stack.dispatcher.tick()
    assert page_count(stack) == sent  # no further pages


def test_a_keypress_on_the_paging_call_acknowledges(database_url: str) -> None:
    # Real-time rings and gathers here: the paging call must wait for the test to answer it.
    with running_stack(database_url, gather_time_scale=1.0) as stack:
        keypress_acknowledges(stack)


def keypress_acknowledges(stack: Stack) -> None:
    stack.simulator.set_phone(CRISIS_PHONE, "manual")
    escalation_id = escalated_call(stack)
    stack.dispatcher.tick()
    stack.simulator.wait_for(lambda: stack.simulator.list_calls(to=CRISIS_PHONE))
    paging_call = stack.simulator.list_calls(to=CRISIS_PHONE)[0]["sid"]
    stack.simulator.press(paging_call, "1")  # pressed as the alert starts
    stack.simulator.answer(paging_call)

    def acknowledged() -> bool:
        with stack.db.session() as session:
            escalation = session.get(Escalation, escalation_id)
            return escalation is not None and escalation.status == EscalationStatus.acknowledged

    stack.simulator.wait_for(acknowledged)
    assert ("acknowledged", "voice") in log_of(stack, escalation_id)
    kinds = [kind for kind, _channel in log_of(stack, escalation_id)]
    assert kinds[0] == "triggered" and "page_sent" in kinds
