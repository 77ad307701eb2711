"""The board's figures, on SQLite and PostgreSQL, with the injected clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import select

from hotline.auth.models import Role
from hotline.board import service as board
from hotline.board.models import CallMonitor, HelpRequest, HelpStatus, MonitorMode, MonitorStatus
from hotline.calls.models import Call, CallEvent
from hotline.escalation import service as escalations
from hotline.followups.models import FollowUp, FollowUpStatus
from hotline.routing import service as routing
from hotline.routing.models import AgentState
from hotline.simulator.console_client import ConsoleClient
from hotline.telephony.prompts import DANGER_KEY
from tests.calls import connected_call, inbound
from tests.factories import PASSWORD, make_line, make_rota, make_user
from tests.followups.drive import bare_follow_up
from tests.stack import Stack

LINE_A = "+8657796525"
LINE_B = "+8612356"


@contextmanager
def counted(stack: Stack) -> Iterator[list[str]]:
    """The SQL statements this thread sends (the dispatcher's own ticks don't count)."""
    statements: list[str] = []
    me = threading.get_ident()

    def count(*args: Any) -> None:
        if threading.get_ident() == me and str(args[2]).lstrip().upper().startswith("SELECT"):
            statements.append(str(args[2]))

    event.listen(stack.db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(stack.db.engine, "before_cursor_execute", count)


def snapshot(stack: Stack, user_id: int) -> dict[str, Any]:
    with stack.db.session() as session:
        return board.board(session=session, user_id=user_id, now=stack.clock.now())


def queue_call(stack: Stack, call_sid: str) -> None:
    stack.webhook("/twilio/voice/incoming", inbound(call_sid))
    stack.webhook("/twilio/voice/gather", {**inbound(call_sid), "Digits": "1"})


def test_board_figures(quiet_app: Stack) -> None:
    # No background engine: the test runs each escalation step itself with `tick()` (with the
    # engine's own timer on too, its job could hold the row while `tick()` skipped it).
    stack = quiet_app
    line_a = make_line(stack.db, number=LINE_A)
    line_b = make_line(stack.db, number=LINE_B)
    supervisor = make_user(stack.db, "sam", role=Role.supervisor)
    admin = make_user(stack.db, "ada", role=Role.admin)
    bob = make_user(stack.db, "bob")
    make_user(stack.db, "carol")  # never signed in: offline
    assert supervisor.id is not None and admin.id is not None and bob.id is not None
    start = stack.clock.now()

    call_id, alice_id = connected_call(stack, "CA" + "1" * 32, "alice")
    with stack.db.session() as session:
        routing.set_presence(
            session=session, user=bob, state=AgentState.on_break, reason="meal", now=start
        )
    stack.clock.advance(30)
    queue_call(stack, "CA" + "2" * 32)
    stack.clock.advance(20)
    queue_call(stack, "CA" + "3" * 32)
    stack.clock.advance(10)
    now = stack.clock.now()

    seen = snapshot(stack, supervisor.id)
    assert seen["server_time"] == now.isoformat()
    lines = {line["line_id"]: line for line in seen["lines"]}
    assert lines[line_a.id]["queue_length"] == 2
    assert lines[line_a.id]["longest_wait_since"] == (start + timedelta(seconds=30)).isoformat()
    assert lines[line_b.id]["queue_length"] == 0
    assert lines[line_b.id]["longest_wait_since"] is None

    people = {c["name"]: c for c in seen["counselors"]}
    assert people["Alice"]["state"] == "on_call"
    assert people["Alice"]["since"] == start.isoformat()
    assert people["Alice"]["call_id"] == call_id
    assert people["Bob"]["state"] == "break" and people["Bob"]["reason"] == "meal"
    assert people["Carol"]["state"] == "offline" and people["Carol"]["since"] is None
    assert "Sam" not in people  # a supervisor who is not taking calls is not a counselor
    assert seen["counselors_by_state"] == {"break": 1, "offline": 1, "on_call": 1}

    [live] = seen["calls"]
    assert live["call_id"] == call_id and live["state"] == "connected"
    assert live["line_id"] == line_a.id and live["line_number"] == LINE_A
    assert live["counselor_id"] == alice_id and live["counselor_name"] == "Alice"
    assert live["connected_at"] == start.isoformat()
    assert live["crisis_level"] is None and live["colour"] is None
    assert live["monitorable"] is True and live["monitors"] == []
    assert seen["escalations"] == [] and seen["help_requests"] == []

    # The crisis colour comes from the escalation (and the note); the escalation's step shows.
    # Someone is on the crisis rota: a step that reaches nobody would not wait its turn.
    make_rota(stack.db, "crisis", [make_user(stack.db, "zhao", role=Role.crisis)])
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        escalations.trigger(
            session=session, call=call, level="imminent", reason="x", user_id=alice_id, now=now
        )
    seen = snapshot(stack, supervisor.id)
    assert seen["calls"][0]["crisis_level"] == "imminent"
    assert seen["calls"][0]["colour"] == "red" and seen["calls"][0]["flashing"] is True
    assert seen["calls"][0]["escalated"] is True
    [open_escalation] = seen["escalations"]
    assert open_escalation["status"] == "paging"
    assert open_escalation["created_at"] == now.isoformat()
    stack.dispatcher.tick()  # the first step of the policy runs (due at once)
    [open_escalation] = snapshot(stack, supervisor.id)["escalations"]
    assert (open_escalation["step"], open_escalation["round"]) == (1, 1)
    stack.clock.advance(181)
    stack.dispatcher.tick()  # and, its wait over, the second
    [open_escalation] = snapshot(stack, supervisor.id)["escalations"]
    assert (open_escalation["step"], open_escalation["round"]) == (2, 1)
    assert open_escalation["attempt"] == 2 and open_escalation["steps"] == 2

    # Nobody is on duty by the rota: every active supervisor is alerted (not the admin).
    with stack.db.session() as session:
        alice = session.get(type(supervisor), alice_id)
        assert alice is not None
        request = board.request_help(
            session=session, user=alice, call_id=call_id, now=stack.clock.now()
        )
        again = board.request_help(
            session=session, user=alice, call_id=call_id, now=stack.clock.now()
        )
        assert again.id == request.id  # one open request per call
    [for_sam] = snapshot(stack, supervisor.id)["help_requests"]
    assert for_sam["for_me"] is True and for_sam["counselor_name"] == "Alice"
    assert snapshot(stack, admin.id)["help_requests"][0]["for_me"] is False


def test_the_board_costs_the_same_few_queries_however_many_calls(app_only: Stack) -> None:
    stack = app_only
    make_line(stack.db, number=LINE_A)
    supervisor = make_user(stack.db, "sam", role=Role.supervisor)
    assert supervisor.id is not None
    connected_call(stack, "CA" + "1" * 32, "alice")
    with counted(stack) as one_call:
        assert len(snapshot(stack, supervisor.id)["calls"]) == 1
    connected_call(stack, "CA" + "2" * 32, "bob")
    queue_call(stack, "CA" + "3" * 32)
    with counted(stack) as more:
        seen = snapshot(stack, supervisor.id)
    assert len(seen["calls"]) == 2 and seen["lines"][0]["queue_length"] == 1
    assert len(more) == len(one_call) <= 10


def test_overdue_follow_ups_are_counted_per_line(app_only: Stack) -> None:
    stack = app_only
    line_a = make_line(stack.db, number=LINE_A)
    line_b = make_line(stack.db, number=LINE_B)
    supervisor = make_user(stack.db, "sam", role=Role.supervisor)
    alice = make_user(stack.db, "alice")
    assert supervisor.id is not None and line_a.id is not None and line_b.id is not None
    now = stack.clock.now()
    hour = timedelta(hours=1)
    scheduled, done = FollowUpStatus.scheduled, FollowUpStatus.completed
    with stack.db.session() as session:
        for name, line_id, due, status in (
            ("late", line_a.id, now - hour, scheduled),
            ("late-priority", line_a.id, now - 2 * hour, scheduled),
            ("not-yet", line_a.id, now + hour, scheduled),
            ("reached", line_a.id, now - hour, done),
            ("late-b", line_b.id, now - hour, scheduled),
        ):
            follow_up_id = bare_follow_up(
                session, alice, line_id, name, due, status, closed=now if status == done else None
            )
            if name == "late-priority":
                found = session.get(FollowUp, follow_up_id)
                assert found is not None
                found.priority = True
    lines = {line["line_id"]: line for line in snapshot(stack, supervisor.id)["lines"]}
    assert lines[line_a.id]["followups_overdue"] == 2
    assert lines[line_a.id]["followups_overdue_priority"] == 1
    assert (
        lines[line_b.id]["followups_overdue"],
        lines[line_b.id]["followups_overdue_priority"],
    ) == (
        1,
        0,
    )


def test_help_goes_to_the_supervisor_on_duty(app_only: Stack) -> None:
    stack = app_only
    make_line(stack.db, number=LINE_A)
    on_duty = make_user(stack.db, "sue", role=Role.supervisor)
    off_duty = make_user(stack.db, "sam", role=Role.supervisor)
    make_rota(stack.db, "supervisor", [on_duty])
    assert on_duty.id is not None and off_duty.id is not None
    call_id, alice_id = connected_call(stack, "CA" + "1" * 32, "alice")
    with stack.db.session() as session:
        alice = session.get(type(on_duty), alice_id)
        assert alice is not None
        request = board.request_help(
            session=session, user=alice, call_id=call_id, now=stack.clock.now()
        )
        assert request.alerted_user_ids == [on_duty.id]
    assert snapshot(stack, on_duty.id)["help_requests"][0]["for_me"] is True
    assert snapshot(stack, off_duty.id)["help_requests"][0]["for_me"] is False

    # The call ends: the request closes and leaves the board.
    stack.webhook(
        "/twilio/conference/status",
        {
            "ConferenceSid": "CF" + "1" * 32,
            "FriendlyName": "CA" + "1" * 32,
            "StatusCallbackEvent": "conference-end",
            "SequenceNumber": "9",
        },
    )
    assert snapshot(stack, on_duty.id)["help_requests"] == []
    with stack.db.session() as session:
        stored = session.exec(select(HelpRequest)).one()
        assert stored.status == HelpStatus.closed and stored.closed_at is not None
        events = [
            e.state for e in session.exec(select(CallEvent).where(CallEvent.call_id == call_id))
        ]
    assert "help_requested" in events


def test_a_monitor_still_dialing_is_given_up_once(app_only: Stack) -> None:
    """No CallSid yet (the dial never came back): failed once, with nothing to cancel."""
    stack = app_only
    make_line(stack.db, number=LINE_A)
    supervisor = make_user(stack.db, "sam", role=Role.supervisor)
    call_id, _ = connected_call(stack, "CA" + "1" * 32, "alice")
    start = stack.clock.now()
    with stack.db.session() as session:
        monitor = CallMonitor(
            call_id=call_id, user_id=supervisor.id or 0, mode=MonitorMode.listen, created_at=start
        )
        session.add(monitor)
        session.flush()
        monitor_id = monitor.id
    timeout = stack.settings.monitor_dial_timeout_s

    def expire(seconds: float) -> list[int]:
        with stack.db.session() as session:
            return board.expire_dialing_monitors(
                session=session, now=start + timedelta(seconds=seconds), timeout_s=timeout
            )

    assert expire(timeout - 0.5) == []
    assert expire(timeout) == [monitor_id]
    assert expire(timeout + 1) == []  # compare-and-set: the second sweep finds nothing to do
    with stack.db.session() as session:
        stored = session.get(CallMonitor, monitor_id)
        assert stored is not None and stored.status == MonitorStatus.failed
        assert stored.leg_sid is None and stored.error == "no_answer_timeout"


def test_a_caller_in_danger_waiting_alerts_the_supervisors_consoles_at_once(
    quiet_app: Stack,
) -> None:
    """No counselor is free: the board counts the caller in danger apart, and a supervisor's
    console (already open) gets it by event, not by its minute's refresh; a counselor's not."""
    stack = quiet_app
    line = make_line(stack.db, number=LINE_A)
    supervisor = make_user(stack.db, "sam", role=Role.supervisor)
    make_user(stack.db, "bob")
    boss_console = ConsoleClient(stack.url, "sam", PASSWORD)
    bob_console = ConsoleClient(stack.url, "bob", PASSWORD)
    assert boss_console.wait(lambda snap: "agent" in snap)["in_danger_waiting"] == []
    assert "in_danger_waiting" not in bob_console.wait(lambda snap: "agent" in snap)

    queue_call(stack, "CA" + "1" * 32)
    sid = "CA" + "2" * 32
    stack.webhook("/twilio/voice/incoming", inbound(sid))
    stack.webhook("/twilio/voice/gather", {**inbound(sid), "Digits": DANGER_KEY})

    alerted = boss_console.wait(lambda snap: len(snap.get("in_danger_waiting", [])) == 1)
    (waiting,) = alerted["in_danger_waiting"]
    assert waiting["line_name"] == line.name
    assert waiting["queued_at"] == stack.clock.now().isoformat()
    (row,) = snapshot(stack, supervisor.id or 0)["lines"]
    assert (row["queue_length"], row["in_danger_waiting"]) == (2, 1)
    boss_console.close()
    bob_console.close()
