"""Who may have the line call someone back, and what is refused (changing nothing): another
line's counselor, someone else's follow-up, a second call back while one is under way, a request
without its CSRF header; an escalation's caller only for whoever acknowledged it or a supervisor,
and only once the caller has gone."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlmodel import select

from hotline.auth.models import Role
from hotline.dialback.models import DialBack, DialBackStatus
from hotline.escalation.models import EscalationLog
from tests.calls import inbound
from tests.dialback.drive import Counselor, assert_no_number, follow_up_for, stored_texts
from tests.escalation.test_response import CALL_SID, act, escalated
from tests.factories import make_line, make_user
from tests.stack import Stack


def dial_backs(stack: Stack) -> list[DialBack]:
    with stack.db.session() as session:
        return list(session.exec(select(DialBack)).all())


def test_follow_up_call_backs_refused_to_whoever_may_not(quiet_app: Stack) -> None:
    stack = quiet_app
    follow_up, line = follow_up_for(stack)
    other = make_line(stack.db, number="+8657712356")
    make_user(stack.db, "bob", line_ids=[line.id or 0])
    make_user(stack.db, "carol", line_ids=[other.id or 0])
    make_user(stack.db, "wang", role=Role.supervisor)
    path = f"/api/dialbacks/followups/{follow_up.id}"
    alice, bob, carol = (Counselor(stack, name) for name in ("alice", "bob", "carol"))

    assert carol.post(path).status_code == 403  # not her line
    no_csrf = alice.http.post(path, json={})
    assert no_csrf.status_code == 403
    assert alice.post("/api/dialbacks/followups/999999").status_code == 404
    assert dial_backs(stack) == []

    mine = alice.post(path)
    assert mine.status_code == 201, mine.text
    again = alice.post(path)
    assert again.status_code == 409 and again.json()["code"] == "dialling"
    held = bob.post(path)  # alice holds the follow-up now
    assert held.status_code == 409 and held.json()["code"] == "claimed"
    assert len(dial_backs(stack)) == 1

    # Its state: for whoever asked, and supervisors.
    state = f"/api/dialbacks/{mine.json()['id']}"
    assert alice.get(state).status_code == 200
    assert bob.get(state).status_code == 403
    assert Counselor(stack, "wang").get(state).status_code == 200
    assert_no_number(*alice.seen, *bob.seen, *carol.seen, *stored_texts(stack))


def test_an_escalations_caller_called_back_by_the_crisis_worker_after_they_hung_up(
    app_only: Stack,
) -> None:
    stack = app_only
    _call_id, escalation_id, _alice, zhao_notes = escalated(stack, level="high")
    path = f"/api/dialbacks/escalations/{escalation_id}"
    alice, zhao = Counselor(stack, "alice"), Counselor(stack, "zhao")
    assert zhao.post(path).status_code == 403  # not his until he acknowledges
    assert act(zhao_notes, escalation_id, "ack").status_code == 200
    on_line = zhao.post(path)
    assert on_line.status_code == 409 and on_line.json()["code"] == "caller_on_line"

    # The caller hangs up.
    ended = {**inbound(CALL_SID), "CallStatus": "completed"}
    assert stack.webhook("/twilio/voice/status", ended).status_code == 200
    assert alice.post(path).status_code == 403  # the counselor: never
    asked = zhao.post(path)
    assert asked.status_code == 201, asked.text
    assert asked.json()["kind"] == "escalation"

    # No phone network here (no simulator): the call is refused, and that is the outcome.
    def failed() -> bool:
        rows = dial_backs(stack)
        return bool(rows) and rows[0].status == DialBackStatus.failed

    stack.dispatcher.tick()
    assert _wait(failed)
    with stack.db.session() as session:
        kinds = [
            e.kind
            for e in session.exec(
                select(EscalationLog).where(EscalationLog.escalation_id == escalation_id)
            )
        ]
    assert "dial_back_requested" in kinds and "dial_back_failed" in kinds
    assert_no_number(*alice.seen, *zhao.seen, *stored_texts(stack))


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
