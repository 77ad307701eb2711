"""Through the simulator: both numbers of a line reach it, and outside the hours callers hear
what the line's after-hours action says (the voicemail one is kept, never queued)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from hotline.calls.models import Call, CallState
from hotline.lines import service as lines
from hotline.lines.models import Line
from tests.factories import make_line
from tests.stack import Stack

LOCAL, NATIONAL = "+8657796525", "+8612356"
PARTNER = "+8657700000"
CALLER = "+8613812345678"
NIGHTS = {day: [["20:00", "08:00"]] for day in lines.WEEKDAYS}


def move_to(stack: Stack, when: datetime) -> None:
    stack.clock.advance((when - stack.clock.now()).total_seconds())


def says(stack: Stack, sid: str) -> list[str]:
    call = stack.simulator.wait_for_status(sid, "completed")
    return [e["text"] for e in call["transcript"] if e["kind"] == "say"]


def test_either_number_reaches_the_same_line(stack: Stack) -> None:
    line = make_line(stack.db, number=LOCAL, other_numbers=[NATIONAL])
    stack.dispatcher.sync_numbers()  # both numbers are pointed here
    numbers = {n["number"] for n in stack.simulator.list_numbers()}
    assert {LOCAL, NATIONAL} <= numbers
    for number in (LOCAL, NATIONAL):
        sid = stack.simulator.place_call(CALLER, number, digits="1")
        stack.simulator.wait_for(lambda sid=sid: stack.simulator.get_call(sid).get("in_conference"))
        stack.simulator.hangup(sid)
    with stack.db.session() as session:
        calls = session.exec(select(Call).order_by(Call.id)).all()  # type: ignore[arg-type]
        assert [c.line_id for c in calls] == [line.id, line.id]


def test_after_hours_voicemail_and_emergency(stack: Stack) -> None:
    make_line(
        stack.db,
        number=LOCAL,
        languages=["en"],
        opening_hours=NIGHTS,
        after_hours_action="voicemail",
        partner_number=PARTNER,
    )
    stack.dispatcher.sync_numbers()
    move_to(stack, datetime(2026, 11, 24, 4, 0, tzinfo=UTC))  # 12:00 in Shanghai: closed
    sid = stack.simulator.place_call(CALLER, LOCAL)
    heard = says(stack, sid)
    assert heard[0].startswith("This line is closed now")
    assert "leave a message" in heard[1]
    with stack.db.session() as session:
        call = session.exec(select(Call)).one()
        assert call.state == CallState.overflow  # kept for its message, never offered

    with stack.db.session() as session:
        line = session.exec(select(Line)).one()
        line.after_hours_action = "emergency"
        session.add(line)
    sid = stack.simulator.place_call(CALLER, LOCAL)
    heard = says(stack, sid)
    assert "110" in heard[1] and "12356" in heard[1]
    assert not any(e["kind"] == "dial" for e in stack.simulator.get_call(sid)["transcript"])
