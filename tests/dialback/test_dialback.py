"""Calling back as the line, end to end: the real `twilio` library against the simulator places
the call from the line's number, the person answers, the counselor's phone is put through and
the call goes on as an incoming one (note, outcome); no answer and busy are unsuccessful attempts;
the number never reaches the counselor."""

from __future__ import annotations

from sqlmodel import select

from hotline.calls.models import Call, CallState
from hotline.dialback.models import DialBack, DialBackStatus
from hotline.followups.models import FollowUp, FollowUpAttempt, FollowUpStatus
from tests.dialback.drive import (
    LINE,
    Counselor,
    assert_no_number,
    dial_back,
    follow_up_for,
    follow_up_of,
    stored_texts,
)
from tests.factories import make_user
from tests.followups.drive import CALLBACK
from tests.stack import Stack


def test_a_follow_up_called_back_as_the_line_reaches_the_caller(stack: Stack) -> None:
    follow_up, _line = follow_up_for(stack)
    stack.dispatcher.sync_numbers()
    alice = Counselor(stack, "alice")
    snapshots: list[str] = []
    alice.console.send("set_state", state="available", reason=None)
    alice.console.state("available")

    asked = alice.dial_back(follow_up.id or 0)
    assert asked.status_code == 201, asked.text
    body = asked.json()
    assert body["state"] in ("requested", "dialling", "ringing", "connecting", "connected")
    # Held for it: no call is offered to them meanwhile.
    alice.console.wait(lambda s: s["agent"]["state"] in ("away", "on_call"))

    connected = alice.wait_state(stack, body["id"], "connected")
    call_id = connected["call_id"]
    assert call_id is not None
    dial = dial_back(stack, body["id"])
    assert dial.call_sid is not None
    # The simulator's call: from the line's own number to the caller, placed through REST.
    placed = stack.simulator.get_call(dial.call_sid)
    assert placed["from"] == LINE and placed["to"] == CALLBACK
    assert placed["direction"] == "outbound-api"
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        assert call.direction == "outbound" and call.state == CallState.connected
        assert call.counselor_id == dial.user_id
        counselor_leg = call.counselor_call_sid
    # Both in the conference named after the outbound call.
    conference = stack.simulator.get_conference(dial.call_sid)
    present = {p["call_sid"] for p in conference["participants"] if p["status"] == "connected"}
    assert present == {dial.call_sid, counselor_leg}
    shot = alice.console.wait(lambda s: (s["call"] or {}).get("state") == "connected")
    snapshots.append(str(shot))
    assert shot["call"]["call_id"] == call_id

    # The note of the outbound call, as for an incoming one.
    note = alice.get(f"/api/calls/{call_id}/note")
    assert note.status_code == 200, note.text
    saved = alice.http.put(
        f"/api/calls/{call_id}/note",
        json={"version": note.json()["version"], "fields": {"summary": "Called her back"}},
        headers={"X-CSRF-Token": alice.token},
    )
    assert saved.status_code == 200, saved.text

    # The caller hangs up: the call ends as an incoming caller's does.
    stack.simulator.hangup(dial.call_sid)
    alice.wait_state(stack, body["id"], "ended")
    # The outbound call's own status callback closes the dial-back (in whichever order).
    stack.simulator.wait_for(
        lambda: dial_back(stack, body["id"]).status == DialBackStatus.completed, timeout=10
    )
    assert dial_back(stack, body["id"]).ended_at is not None
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.wrap_up
        # Answered is not "reached": the line added no attempt; the counselor says what happened.
        attempts = session.exec(select(FollowUpAttempt)).all()
        assert attempts == []
    logged = alice.post(f"/api/followups/{follow_up.id}/attempts", {"outcome": "reached"})
    assert logged.status_code == 200 and logged.json()["status"] == "completed"
    page = alice.get(f"/console/followups/{follow_up.id}")
    assert page.status_code == 200
    snapshots.append(str(alice.console.wait(lambda s: True)))
    assert_no_number(*alice.seen, *snapshots, *stored_texts(stack))


def _unanswered(
    stack: Stack, mode: str
) -> tuple[dict[str, object], FollowUp, list[FollowUpAttempt]]:
    follow_up, _line = follow_up_for(stack)
    stack.dispatcher.sync_numbers()
    stack.simulator.set_phone(CALLBACK, mode)
    alice = Counselor(stack, "alice")
    alice.console.send("set_state", state="available", reason=None)
    alice.console.state("available")
    asked = alice.dial_back(follow_up.id or 0)
    assert asked.status_code == 201, asked.text
    outcome = alice.wait_state(stack, asked.json()["id"], "no_answer", "busy", "failed")
    # Back to what they were: available again, with no call.
    alice.console.state("available")
    with stack.db.session() as session:
        found = session.get(FollowUp, follow_up.id)
        assert found is not None
        attempts = list(session.exec(select(FollowUpAttempt)).all())
        assert session.exec(select(Call).where(Call.direction == "outbound")).all() == []
    assert_no_number(*alice.seen, *stored_texts(stack))
    return outcome, found, attempts


def test_no_answer_is_an_unsuccessful_attempt(stack: Stack) -> None:
    outcome, follow_up, attempts = _unanswered(stack, "no-answer")
    assert outcome["state"] == "no_answer"
    assert [(a.outcome.value, a.dial_back_id) for a in attempts] == [("no_answer", outcome["id"])]
    assert follow_up.status == FollowUpStatus.scheduled and follow_up.attempts == 1


def test_busy_is_an_unsuccessful_attempt(stack: Stack) -> None:
    outcome, follow_up, attempts = _unanswered(stack, "busy")
    assert outcome["state"] == "busy"
    assert [a.outcome.value for a in attempts] == ["no_answer"]
    assert follow_up.status == FollowUpStatus.scheduled


def test_two_asked_in_the_same_second_are_placed_a_second_apart(stack: Stack) -> None:
    first, line = follow_up_for(stack, "alice")
    bob = make_user(stack.db, "bob")
    second = follow_up_of(stack, line, bob, number="+8613912340001")
    stack.dispatcher.sync_numbers()
    # Nobody answers for a while: the calls stay ringing, so both are open at once.
    stack.simulator.set_phone(CALLBACK, "manual")
    stack.simulator.set_phone("+8613912340001", "manual")
    alice, bob_c = Counselor(stack, "alice"), Counselor(stack, "bob")
    a = alice.dial_back(first.id or 0).json()
    b = bob_c.dial_back(second.id or 0).json()
    start = stack.clock.now()

    def placed() -> list[int]:
        with stack.db.session() as session:
            rows = session.exec(select(DialBack)).all()
            return [r.id for r in rows if r.placed_at is not None]  # type: ignore[misc]

    stack.simulator.wait_for(placed, timeout=10, interval=0.05)
    for _ in range(3):  # however often the job runs within the same second: one call only
        stack.dispatcher.tick()
    assert placed() == [a["id"]]
    stack.clock.advance(1)
    stack.simulator.wait_for(lambda: len(placed()) == 2, timeout=10, interval=0.05)
    first_row, second_row = dial_back(stack, a["id"]), dial_back(stack, b["id"])
    assert first_row.placed_at is not None and second_row.placed_at is not None
    assert first_row.placed_at == start
    assert (second_row.placed_at - first_row.placed_at).total_seconds() == 1
