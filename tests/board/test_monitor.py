"""Listen, whisper and barge end to end: the board's commands, the app's twilio client, and the
simulator's conference deciding who hears whom; and a supervisor's leg that never answers, given
up by the dispatcher's tick at the injected clock's time."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role, User
from hotline.board.models import CallMonitor, MonitorStatus
from hotline.calls.models import Call, CallEvent
from hotline.simulator.console_client import ConsoleClient
from tests.board.helpers import BoardClient, my_monitor
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack, running_stack

LINE = "+8657796525"
CALLER = "+8613812345678"
SUPERVISOR_PHONE = "+8613900009999"


def take_call(stack: Stack, console: ConsoleClient) -> tuple[int, str]:
    """A simulated caller reaches the counselor's console bot, who accepts; (call id, CallSid)."""
    console.send("set_state", state="available", reason=None)
    console.state("available")
    caller = stack.simulator.place_call(CALLER, LINE, digits="1")
    offer = console.offer()
    console.send("accept", call_id=offer["call_id"])
    console.wait(lambda s: (s["call"] or {}).get("state") == "connected")
    return offer["call_id"], caller


def legs(stack: Stack, conference: str) -> dict[str, dict[str, Any]]:
    view = stack.simulator.get_conference(conference)
    return {p["call_sid"]: p for p in view["participants"] if p["status"] == "connected"}


def supervisor_leg(stack: Stack, conference: str) -> dict[str, Any] | None:
    return next(
        (
            p
            for p in legs(stack, conference).values()
            if (p["label"] or "").startswith("supervisor:")
        ),
        None,
    )


def test_listen_whisper_barge_leave(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    make_user(stack.db, "sam", role=Role.supervisor, endpoint=SUPERVISOR_PHONE)
    stack.dispatcher.sync_numbers()
    console = ConsoleClient(stack.url, "alice", PASSWORD)
    board = BoardClient(stack.url, "sam", PASSWORD)
    call_id, caller = take_call(stack, console)
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.counselor_call_sid is not None
        counselor = call.counselor_call_sid
    board.wait(lambda b: any(c["call_id"] == call_id and c["monitorable"] for c in b["calls"]))

    # Listen: the supervisor's phone is in, muted: it hears both, nobody hears it.
    board.send("monitor", call_id=call_id, mode="listen")
    seen = board.wait(lambda b: (my_monitor(b, call_id) or {}).get("status") == "joined")
    assert my_monitor(seen, call_id)["mode"] == "listen"  # type: ignore[index]
    leg = stack.simulator.wait_for(lambda: supervisor_leg(stack, caller))
    assert leg["muted"] is True and leg["heard_by"] == []
    assert set(leg["hears"]) == {caller, counselor}
    with stack.db.session() as session:
        monitor = session.exec(select(CallMonitor)).one()
        assert monitor.leg_sid == leg["call_sid"]
        assert stack.simulator.get_call(leg["call_sid"])["to"] == SUPERVISOR_PHONE

    # Whisper: the counselor hears the supervisor; the caller does not.
    board.send("monitor", call_id=call_id, mode="whisper")
    board.wait(lambda b: (my_monitor(b, call_id) or {}).get("mode") == "whisper")
    leg = stack.simulator.wait_for(
        lambda: (found := supervisor_leg(stack, caller)) and found["coaching"] and found
    )
    assert leg["muted"] is False and leg["call_sid_to_coach"] == counselor
    assert leg["heard_by"] == [counselor]
    assert leg["call_sid"] not in legs(stack, caller)[caller]["hears"]

    # Barge: everyone hears the supervisor.
    board.send("monitor", call_id=call_id, mode="barge")
    leg = stack.simulator.wait_for(
        lambda: (found := supervisor_leg(stack, caller)) and not found["coaching"] and found
    )
    assert set(leg["heard_by"]) == {caller, counselor}

    # Leave: the leg is gone, the call goes on.
    monitor_id = my_monitor(board.last or {}, call_id)["monitor_id"]  # type: ignore[index]
    board.send("leave", monitor_id=monitor_id)
    board.wait(lambda b: my_monitor(b, call_id) is None)
    stack.simulator.wait_for_status(leg["call_sid"], "completed")
    assert set(legs(stack, caller)) == {caller, counselor}

    with stack.db.session() as session:
        monitor = session.exec(select(CallMonitor)).one()
        assert monitor.status == MonitorStatus.ended and monitor.joined_at is not None
        events = [
            e.state
            for e in session.exec(
                select(CallEvent).where(CallEvent.call_id == call_id).order_by(CallEvent.id)
            )
        ]
        audit = [
            e.detail
            for e in session.exec(
                select(AuditEvent).where(AuditEvent.object_type == "call").order_by(AuditEvent.id)
            )
        ]
    monitor_events = [e for e in events if e.startswith("monitor_")]
    assert monitor_events[0] == "monitor_listen"
    assert {"monitor_joined", "monitor_whisper", "monitor_barge", "monitor_left"} <= set(
        monitor_events
    )
    assert audit == ["monitor:listen", "monitor:whisper", "monitor:barge", "monitor:leave"]
    console.close()
    board.close()


def test_refused_requests_and_a_phone_that_is_busy(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    make_user(stack.db, "sam", role=Role.supervisor, endpoint=SUPERVISOR_PHONE)
    phoneless = make_user(stack.db, "sue", role=Role.supervisor)
    with stack.db.session() as session:
        stored = session.get(User, phoneless.id)
        assert stored is not None
        stored.endpoint = ""
    stack.dispatcher.sync_numbers()
    console = ConsoleClient(stack.url, "alice", PASSWORD)
    board = BoardClient(stack.url, "sam", PASSWORD)
    call_id, caller = take_call(stack, console)
    board.send("monitor", call_id=call_id + 50, mode="listen")
    assert board.wait_error("no_live_call")["message"]
    board.send("monitor", call_id=call_id, mode="shout")
    assert board.wait_error("bad_message")["message"]
    other = BoardClient(stack.url, "sue", PASSWORD)
    other.send("monitor", call_id=call_id, mode="listen")
    assert other.wait_error("no_endpoint")["message"]
    other.close()

    # The supervisor's phone is busy: the monitor fails and leaves the board; the call goes on.
    stack.simulator.set_phone(SUPERVISOR_PHONE, "busy")
    board.send("monitor", call_id=call_id, mode="listen")

    def failed() -> CallMonitor | None:
        with stack.db.session() as session:
            found = session.exec(select(CallMonitor)).first()
        return found if found is not None and found.status == MonitorStatus.failed else None

    # The busy answer can come before a board showing "dialing" is sent: wait on the record.
    monitor = stack.simulator.wait_for(failed)
    assert monitor.error == "leg_busy"
    board.wait(lambda b: my_monitor(b, call_id) is None)
    assert supervisor_leg(stack, caller) is None

    # The caller hangs up: the board no longer shows the call.
    stack.simulator.hangup(caller)
    board.wait(lambda b: b["calls"] == [])
    console.close()
    board.close()


def test_a_supervisor_phone_that_never_answers_is_given_up(database_url: str) -> None:
    # A manual phone rings "for ever" (no answer, no callback) until the monitor times out.
    with running_stack(database_url, gather_time_scale=1000.0) as stack:
        make_line(stack.db, number=LINE)
        make_user(stack.db, "alice")
        make_user(stack.db, "sam", role=Role.supervisor, endpoint=SUPERVISOR_PHONE)
        stack.dispatcher.sync_numbers()
        console = ConsoleClient(stack.url, "alice", PASSWORD)
        board = BoardClient(stack.url, "sam", PASSWORD)
        call_id, caller = take_call(stack, console)
        stack.simulator.set_phone(SUPERVISOR_PHONE, "manual")
        board.send("monitor", call_id=call_id, mode="listen")
        board.wait(lambda b: (my_monitor(b, call_id) or {}).get("status") == "dialing")

        def ringing_leg() -> str | None:
            ringing = stack.simulator.phones()["ringing"]
            return next((c["sid"] for c in ringing if c["to"] == SUPERVISOR_PHONE), None)

        leg = stack.simulator.wait_for(ringing_leg)
        stack.simulator.wait_for(lambda: monitor_row(stack).leg_sid == leg)

        stack.clock.advance(stack.settings.monitor_dial_timeout_s - 1)
        stack.dispatcher.tick()
        assert monitor_row(stack).status == MonitorStatus.dialing  # not yet

        stack.clock.advance(2)
        stack.dispatcher.tick()
        failed = monitor_row(stack)
        assert failed.status == MonitorStatus.failed and failed.error == "no_answer_timeout"
        assert failed.ended_at == stack.clock.now()
        # The board hears of it at once (not at its periodic refresh), with the reason.
        board.wait(lambda b: my_monitor(b, call_id) is None, timeout=5)
        assert board.wait_error("monitor_failed")["message"]
        # The ringing phone is cancelled through the phone network; the call goes on.
        assert stack.simulator.wait_for_status(leg, "canceled")["answered"] is False
        assert set(legs(stack, caller)) == {caller, counselor_leg(stack, call_id)}

        stack.clock.advance(60)
        stack.dispatcher.tick()  # fires once: nothing more to give up
        with stack.db.session() as session:
            events = session.exec(
                select(CallEvent).where(
                    CallEvent.call_id == call_id, CallEvent.state == "monitor_failed"
                )
            ).all()
        assert [e.detail for e in events] == ["no_answer_timeout"]
        assert monitor_row(stack).status == MonitorStatus.failed
        console.close()
        board.close()


def monitor_row(stack: Stack) -> CallMonitor:
    with stack.db.session() as session:
        return session.exec(select(CallMonitor)).one()


def counselor_leg(stack: Stack, call_id: int) -> str:
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.counselor_call_sid is not None
        return call.counselor_call_sid
