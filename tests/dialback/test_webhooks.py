"""The dial-back's webhooks, posted as Twilio would (signed): status callbacks in any order and
repeated change the outcome once; a machine never counts as reaching the caller; unsigned or
malformed requests change nothing."""

from __future__ import annotations

from sqlmodel import select

from hotline.calls.models import Call, CallEvent
from hotline.dialback.models import DialBack, DialBackStatus
from hotline.followups.models import FollowUp, FollowUpAttempt, FollowUpStatus
from hotline.lines.models import Line
from hotline.routing.models import AgentStatus
from hotline.telephony import prompts
from tests.dialback.drive import Counselor, dial_back, follow_up_for
from tests.stack import Stack

SID = "CA" + "d" * 32


def _asked(stack: Stack) -> tuple[int, int]:
    follow_up, _line = follow_up_for(stack)
    alice = Counselor(stack, "alice")
    asked = alice.dial_back(follow_up.id or 0)
    assert asked.status_code == 201, asked.text
    return asked.json()["id"], follow_up.id or 0


def _status(stack: Stack, dial_back_id: int, status: str) -> None:
    path = f"/twilio/dialback/status?dial_back_id={dial_back_id}"
    answer = stack.webhook(path, {"CallSid": SID, "CallStatus": status})
    assert answer.status_code == 200, answer.text


def attempts(stack: Stack) -> list[tuple[str, int | None]]:
    with stack.db.session() as session:
        rows = session.exec(select(FollowUpAttempt)).all()
        return [(a.outcome.value, a.dial_back_id) for a in rows]


def test_callbacks_in_any_order_and_repeated_change_the_outcome_once(quiet_app: Stack) -> None:
    stack = quiet_app
    dial_back_id, _follow_up_id = _asked(stack)
    _status(stack, dial_back_id, "no-answer")
    _status(stack, dial_back_id, "no-answer")  # Twilio's retry: its receipt answers
    _status(stack, dial_back_id, "ringing")  # late: a final outcome never moves
    _status(stack, dial_back_id, "initiated")
    found = dial_back(stack, dial_back_id)
    assert found.status == DialBackStatus.no_answer and found.call_sid == SID
    assert attempts(stack) == [("no_answer", dial_back_id)]
    with stack.db.session() as session:
        status = session.get(AgentStatus, found.user_id)
        assert status is not None and status.state.value == "offline"  # what she was


def test_ringing_then_busy(quiet_app: Stack) -> None:
    stack = quiet_app
    dial_back_id, _ = _asked(stack)
    _status(stack, dial_back_id, "initiated")
    _status(stack, dial_back_id, "ringing")
    assert dial_back(stack, dial_back_id).status == DialBackStatus.ringing
    _status(stack, dial_back_id, "busy")
    assert dial_back(stack, dial_back_id).status == DialBackStatus.busy
    assert attempts(stack) == [("no_answer", dial_back_id)]


def test_a_machine_is_never_reaching_the_caller(quiet_app: Stack) -> None:
    stack = quiet_app
    dial_back_id, follow_up_id = _asked(stack)
    path = f"/twilio/dialback/answer?dial_back_id={dial_back_id}"
    answer = stack.webhook(
        path, {"CallSid": SID, "To": "+8613912345678", "AnsweredBy": "machine_start"}
    )
    assert answer.status_code == 200 and "<Hangup" in answer.text
    _status(stack, dial_back_id, "completed")
    assert dial_back(stack, dial_back_id).status == DialBackStatus.machine
    assert attempts(stack) == [("voicemail", dial_back_id)]
    with stack.db.session() as session:
        follow_up = session.get(FollowUp, follow_up_id)
        assert follow_up is not None and follow_up.status == FollowUpStatus.scheduled
        assert session.exec(select(Call).where(Call.direction == "outbound")).all() == []


def test_three_unanswered_line_attempts_end_the_follow_up(quiet_app: Stack) -> None:
    stack = quiet_app
    follow_up, _line = follow_up_for(stack)
    alice = Counselor(stack, "alice")
    for n in range(3):
        asked = alice.dial_back(follow_up.id or 0)
        assert asked.status_code == 201, asked.text
        path = f"/twilio/dialback/status?dial_back_id={asked.json()['id']}"
        sid = "CA" + f"{n:x}" * 32
        assert stack.webhook(path, {"CallSid": sid, "CallStatus": "no-answer"}).status_code == 200
    with stack.db.session() as session:
        found = session.get(FollowUp, follow_up.id)
        assert found is not None and found.status == FollowUpStatus.failed
    assert alice.dial_back(follow_up.id or 0).status_code == 409  # closed


def test_unsigned_and_malformed_callbacks_change_nothing(quiet_app: Stack) -> None:
    stack = quiet_app
    dial_back_id, _ = _asked(stack)
    path = f"/twilio/dialback/status?dial_back_id={dial_back_id}"
    params = {"CallSid": SID, "CallStatus": "no-answer"}
    assert stack.webhook(path, params, signature="forged").status_code == 403
    for bad in ("-1", "0", "9" * 40, "abc"):
        answer = stack.webhook(f"/twilio/dialback/status?dial_back_id={bad}", params)
        assert answer.status_code == 400
    # Another call's SID (not the one placed for it) is not this dial-back's.
    _status(stack, dial_back_id, "ringing")
    other = {"CallSid": "CA" + "e" * 32, "CallStatus": "no-answer"}
    assert stack.webhook(path, other).status_code == 200
    with stack.db.session() as session:
        row = session.get(DialBack, dial_back_id)
        assert row is not None and row.status == DialBackStatus.ringing
    assert attempts(stack) == []


def test_the_answer_joins_the_conference_recorded_with_consent_where_the_line_records(
    quiet_app: Stack,
) -> None:
    stack = quiet_app
    dial_back_id, _ = _asked(stack)
    with stack.db.session() as session:
        line = session.exec(select(Line)).one()
        line.recording = True
        consent = prompts.consent_prompt(line, prompts.line_language(line, None))
    path = f"/twilio/dialback/answer?dial_back_id={dial_back_id}"
    params = {"CallSid": SID, "To": "+8613912345678", "AnsweredBy": "human"}
    answer = stack.webhook(path, params)
    assert answer.status_code == 200
    assert f">{SID}</Conference>" in answer.text and 'record="record-from-start"' in answer.text
    said = answer.text.index(consent)  # the line's consent prompt, said first
    assert said < answer.text.index("<Dial")
    assert "+8613912345678" not in answer.text
    assert stack.webhook(path, params).text == answer.text  # a retry: the same answer
    with stack.db.session() as session:
        calls = session.exec(select(Call).where(Call.direction == "outbound")).all()
        assert len(calls) == 1 and calls[0].call_sid == SID
        call_id = calls[0].id
        # Taken as accepted by the counselor who asked (no phone network here: dialling her
        # phone then fails, and the call waits in the queue as any caller's would).
        events = [
            (e.state, e.detail)
            for e in session.exec(select(CallEvent).where(CallEvent.call_id == call_id))
        ]
    assert ("ringing", "dial_back") in events and ("offered", "dial_back") in events
    assert dial_back(stack, dial_back_id).status == DialBackStatus.answered
    assert attempts(stack) == []  # answered: the counselor says what happened
