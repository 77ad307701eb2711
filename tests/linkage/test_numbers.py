"""Emergency linkage: a caller's number is kept, encrypted, only for a high or imminent
escalation, and erased after its window; revealed for rescue with a reason, audited and logged.
Over real HTTP and signed webhooks, on SQLite and PostgreSQL, with the injected clock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.calls import service as calls
from hotline.escalation.models import Escalation, EscalationLog, RescueStep
from hotline.routing import service as routing
from tests.calls import CALLER, connected_call, get_user, inbound
from tests.escalation.test_join_ended import caller_hangs_up
from tests.escalation.test_response import CALL_SID, act, escalated
from tests.factories import make_line, make_rota, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack

WINDOW_S = 24 * 3600  # HOTLINE_RESCUE_NUMBER_WINDOW_H's default
LOCATION = {"FromCity": "WENZHOU", "FromState": "ZHEJIANG", "FromCountry": "CN"}


def raw(stack: Stack, call_id: int) -> tuple[Any, Any] | None:
    """The stored columns as the database holds them (no decryption)."""
    with stack.db.session() as session:
        row = session.execute(
            text("SELECT number, location FROM rescue_numbers WHERE call_id = :id"),
            {"id": call_id},
        ).first()
    return None if row is None else (row[0], row[1])


def erase(stack: Stack) -> None:
    stack.app.state.worker.run("linkage.erase")


def reveal(client: NoteClient, escalation_id: int, reason: str) -> Any:
    return client.post(f"/api/escalations/{escalation_id}/number/reveal", {"reason": reason})


def escalated_with_location(stack: Stack, level: str) -> tuple[int, int, NoteClient]:
    """As `escalated`, the incoming call carrying what Twilio reports of the number's location;
    returns (call, escalation, zhao)."""
    make_line(stack.db)
    assert stack.webhook("/twilio/voice/incoming", {**inbound(CALL_SID), **LOCATION}).is_success
    worker = make_user(stack.db, "zhao", role=Role.crisis, endpoint="+8613900002222")
    make_rota(stack.db, "crisis", [worker])
    call_id, _ = connected_call(stack, CALL_SID, "alice")
    alice = NoteClient(stack, "alice")
    response = alice.post(f"/api/calls/{call_id}/escalate", {"reason": "pills", "level": level})
    assert response.status_code == 200, response.text
    return call_id, response.json()["id"], NoteClient(stack, "zhao")


def test_an_escalated_callers_number_is_kept_encrypted_then_erased_after_the_window(
    app_only: Stack,
) -> None:
    call_id, escalation_id, _zhao = escalated_with_location(app_only, "imminent")
    caller_hangs_up(app_only)
    # Long past the call's end, the escalation still open: kept, and only encrypted.
    app_only.clock.advance(3 * 3600)
    erase(app_only)
    stored = raw(app_only, call_id)
    assert stored is not None and stored[0] is not None and stored[1] is not None
    assert stored[0].startswith("v1:") and CALLER not in stored[0] and "2345678" not in stored[0]
    assert "WENZHOU" not in stored[1]
    make_user(app_only.db, "wang", role=Role.supervisor)
    wang = NoteClient(app_only, "wang")
    shown = reveal(wang, escalation_id, "110 needs the number to locate the caller")
    assert shown.status_code == 200, shown.text
    assert shown.json()["number"] == CALLER
    assert shown.json()["location"] == LOCATION

    # Resolved: kept for the window after the resolution, then erased.
    zhao = NoteClient(app_only, "zhao")  # signed in again: hours went by
    assert act(zhao, escalation_id, "ack").status_code == 200
    resolved = zhao.http.post(
        f"/api/escalations/{escalation_id}/resolve",
        json={"outcome": "emergency_services"},
        headers={"X-CSRF-Token": zhao.token},
    )
    assert resolved.status_code == 200, resolved.text
    erase(app_only)
    app_only.clock.advance(WINDOW_S - 60)
    erase(app_only)
    assert raw(app_only, call_id) is not None and raw(app_only, call_id)[0] is not None  # type: ignore[index]
    app_only.clock.advance(120)
    erase(app_only)
    assert raw(app_only, call_id) == (None, None)
    wang = NoteClient(app_only, "wang")
    refused = reveal(wang, escalation_id, "ambulance asked again")
    assert refused.status_code == 409 and refused.json()["code"] == "not_kept"
    assert CALLER not in refused.text


def test_a_call_without_an_escalation_keeps_no_number_past_its_end(app_only: Stack) -> None:
    make_line(app_only.db)
    call_id, _ = connected_call(app_only, CALL_SID, "alice")
    stored = raw(app_only, call_id)
    assert stored is not None and stored[0] is not None  # while the call may escalate
    caller_hangs_up(app_only)
    erase(app_only)
    assert raw(app_only, call_id)[0] is not None  # type: ignore[index]  # wrap-up: the note

    # A counselor who finishes the wrap-up ends the call: its number goes at once.
    second = "CA" + "9" * 32
    second_id, _ = connected_call(app_only, second, "bob", caller="+8613812340002")
    caller_hangs_up(app_only, second)
    bob = get_user(app_only.db, "bob")
    assert bob is not None
    with app_only.db.session() as session:
        now = app_only.clock.now()
        routing.finish_wrap_up(session=session, user=bob, call_id=second_id, now=now)
    erase(app_only)
    assert raw(app_only, second_id) == (None, None)

    # A wrap-up never finished: gone when the note is due (10 minutes after the end).
    app_only.clock.advance(599)
    erase(app_only)
    assert raw(app_only, call_id)[0] is not None  # type: ignore[index]
    app_only.clock.advance(2)
    erase(app_only)
    assert raw(app_only, call_id) == (None, None)

    # A caller who hangs up before the queue: erased at once.
    abandoned = "CA" + "8" * 32
    app_only.webhook("/twilio/voice/incoming", inbound(abandoned, caller="+8613812340001"))
    with app_only.db.session() as session:
        call = calls.get_by_sid(session=session, call_sid=abandoned)
        assert call is not None and call.id is not None
        abandoned_id = call.id
    assert raw(app_only, abandoned_id)[0] is not None  # type: ignore[index]
    caller_hangs_up(app_only, abandoned)
    erase(app_only)
    assert raw(app_only, abandoned_id) == (None, None)

    # A withheld number is never captured.
    withheld = "CA" + "6" * 32
    app_only.webhook("/twilio/voice/incoming", inbound(withheld, caller="anonymous"))
    with app_only.db.session() as session:
        call = calls.get_by_sid(session=session, call_sid=withheld)
        assert call is not None and call.id is not None
        withheld_id = call.id
    assert raw(app_only, withheld_id) is None


def test_reveal_is_audited_logged_once_per_reason_and_refused_to_anyone_else(
    app_only: Stack,
) -> None:
    call_id, escalation_id, alice, zhao = escalated(app_only, level="high")
    make_user(app_only.db, "li", role=Role.crisis)
    make_user(app_only.db, "root", role=Role.admin)
    make_user(app_only.db, "wang", role=Role.supervisor)
    li, root, wang = (NoteClient(app_only, name) for name in ("li", "root", "wang"))

    # The counselor, a crisis worker not on it, an admin: refused, and nothing is logged.
    for client in (alice, zhao, li, root):
        refused = reveal(client, escalation_id, "rescue")
        assert refused.status_code == 403, (client, refused.text)
        assert CALLER not in refused.text
    # Once zhao acknowledged, he is the crisis worker on the escalation.
    assert act(zhao, escalation_id, "ack").status_code == 200
    assert reveal(zhao, escalation_id, "  calling 120 for an ambulance ").status_code == 200
    again = reveal(zhao, escalation_id, "calling 120 for an ambulance")
    assert again.status_code == 409 and again.json()["code"] == "reason_used"
    assert CALLER not in again.text
    assert reveal(zhao, escalation_id, "police asked for the number").status_code == 200
    blank = reveal(wang, escalation_id, "   ")
    assert blank.status_code == 422 and blank.json()["code"] == "reason_needed"
    assert reveal(wang, escalation_id, "calling 120 for an ambulance").status_code == 200
    assert reveal(li, escalation_id, "rescue").status_code == 403

    with app_only.db.session() as session:
        entries = session.exec(
            select(EscalationLog).where(
                EscalationLog.escalation_id == escalation_id,
                EscalationLog.kind == "number_revealed",
            )
        ).all()
        assert [(e.detail) for e in entries] == [
            "calling 120 for an ambulance",
            "police asked for the number",
            "calling 120 for an ambulance",
        ]
        audits = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "rescue_number")
        ).all()
        assert [a.username for a in audits] == ["zhao", "zhao", "wang"]
        assert all(a.object_id == str(escalation_id) for a in audits)
        assert all(CALLER not in (a.detail or "") for a in audits)
        # Not high or imminent (an escalation lowered by hand): refused.
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        escalation.level = "moderate"
    refused = reveal(wang, escalation_id, "another reason")
    assert refused.status_code == 409 and refused.json()["code"] == "not_high"
    assert call_id


def test_a_rescue_step_records_who_called_which_emergency_service(app_only: Stack) -> None:
    _call_id, escalation_id, alice, _zhao = escalated(app_only, level="imminent")
    path = f"/api/escalations/{escalation_id}/rescue"
    wrong = alice.post(path, {"stage": "requested", "service": "999"})
    assert wrong.status_code == 422
    done = alice.post(path, {"stage": "requested", "service": "110", "note": "police on the way"})
    assert done.status_code == 200, done.text
    assert done.json()["rescue"][0]["service"] == "110"
    assert alice.post(path, {"stage": "dispatched", "service": "120"}).status_code == 200
    user = get_user(app_only.db, "alice")
    assert user is not None
    with app_only.db.session() as session:
        steps = session.exec(
            select(RescueStep).where(RescueStep.escalation_id == escalation_id)
        ).all()
        assert [(s.stage.value, s.service, s.user_id) for s in steps] == [
            ("requested", "110", user.id),
            ("dispatched", "120", user.id),
        ]
        assert all(s.at == app_only.clock.now() for s in steps)
