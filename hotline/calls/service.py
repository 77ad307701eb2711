"""Call records: creation, compare-and-set transitions, and their stored history.

Every transition is a conditional UPDATE (`WHERE state IN expected`): whichever request, timer
or instance gets there first wins, a late or repeated Twilio callback changes nothing, and a
terminal state never regresses.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.calls.models import (
    PRIORITY_HIGH_RISK_HISTORY,
    PRIORITY_IN_DANGER,
    PRIORITY_NORMAL,
    Call,
    CallEvent,
    CallState,
)
from hotline.lines.models import Line
from hotline.realtime.events import BOARD_TOPIC, SUPERVISORS_TOPIC, emit
from hotline.stats import changes

REPEAT_CALLER_WINDOW = timedelta(days=90)


def get_by_sid(*, session: Session, call_sid: str) -> Call | None:
    return session.exec(select(Call).where(Call.call_sid == call_sid)).first()


def record_event(
    *,
    session: Session,
    call_id: int,
    state: str,
    now: datetime,
    user_id: int | None = None,
    detail: str | None = None,
) -> None:
    session.add(CallEvent(call_id=call_id, state=state, at=now, user_id=user_id, detail=detail))


def transition(
    *,
    session: Session,
    call: Call,
    to: CallState,
    expect: Iterable[CallState],
    now: datetime,
    where: Iterable[ColumnElement[bool]] = (),
    user_id: int | None = None,
    detail: str | None = None,
    **values: Any,
) -> bool:
    """Move `call` to `to` if it is still in one of `expect`; store the event. True if moved."""
    assert call.id is not None
    statement = (
        update(Call)
        .where(col(Call.id) == call.id, col(Call.state).in_([s.value for s in expect]), *where)
        .values(state=to.value, **values)
    )
    if session.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(call)
    changes.mark_changed(session=session, call=call, now=now)
    emit(session, BOARD_TOPIC)
    record_event(
        session=session, call_id=call.id, state=to.value, now=now, user_id=user_id, detail=detail
    )
    return True


def start_inbound(
    *,
    session: Session,
    line: Line,
    call_sid: str,
    caller_hash: str,
    now: datetime,
    caller_area: str = "unknown",
    withheld: bool = False,
    high_risk_history: bool = False,
) -> Call:
    """The caller reached a line: store the call (ringing, then ivr). Idempotent on CallSid.

    A caller who withheld their number shares its hash with every other such caller, so they
    are never taken for a repeat caller."""
    existing = get_by_sid(session=session, call_sid=call_sid)
    if existing is not None:
        return existing
    assert line.id is not None
    repeat = None
    if not withheld:
        repeat = session.exec(
            select(Call.id).where(
                Call.caller_hash == caller_hash, Call.created_at >= now - REPEAT_CALLER_WINDOW
            )
        ).first()
    call = Call(
        call_sid=call_sid,
        line_id=line.id,
        caller_hash=caller_hash,
        state=CallState.ivr,
        created_at=now,
        repeat_caller=repeat is not None,
        high_risk_history=high_risk_history and not withheld,
        caller_area=caller_area,
        language=line.languages[0] if line.languages else None,
    )
    try:
        with session.begin_nested():
            session.add(call)
    except IntegrityError:
        # Its twin got there first: Twilio's retry to the fallback URL (same CallSid, other
        # parameters) racing the first request. Both answer from the one stored call.
        existing = get_by_sid(session=session, call_sid=call_sid)
        if existing is None:
            raise
        return existing
    assert call.id is not None
    record_event(session=session, call_id=call.id, state=CallState.ringing.value, now=now)
    record_event(session=session, call_id=call.id, state=CallState.ivr.value, now=now)
    return call


def start_outbound(
    *,
    session: Session,
    line: Line,
    call_sid: str,
    caller_hash: str,
    max_wait_s: int,
    now: datetime,
) -> Call:
    """The person the line called back answered (hotline/dialback/): their call is stored as an
    incoming one waiting in the queue (the counselor who asked is then put through by routing's
    `dial_back_answered`). Idempotent on the outbound CallSid."""
    existing = get_by_sid(session=session, call_sid=call_sid)
    if existing is not None:
        return existing
    assert line.id is not None
    repeat = session.exec(
        select(Call.id).where(
            Call.caller_hash == caller_hash, Call.created_at >= now - REPEAT_CALLER_WINDOW
        )
    ).first()
    call = Call(
        call_sid=call_sid,
        line_id=line.id,
        caller_hash=caller_hash,
        state=CallState.queued,
        direction="outbound",
        created_at=now,
        queued_at=now,
        queue_deadline_at=now + timedelta(seconds=max_wait_s),
        repeat_caller=repeat is not None,
        language=line.languages[0] if line.languages else None,
    )
    session.add(call)
    session.flush()
    assert call.id is not None
    changes.mark_changed(session=session, call=call, now=now)
    emit(session, BOARD_TOPIC)
    record_event(
        session=session, call_id=call.id, state=CallState.ringing.value, now=now, detail="dial_back"
    )
    record_event(session=session, call_id=call.id, state=CallState.queued.value, now=now)
    return call


def queue_priority(*, in_danger: bool, high_risk_history: bool) -> int:
    """Who goes ahead in the queue (docs/domain.md 4): a caller in danger now, then a repeat caller
    with an open high-risk history (hotline.routing.priority), then arrival order."""
    if in_danger:
        return PRIORITY_IN_DANGER
    return PRIORITY_HIGH_RISK_HISTORY if high_risk_history else PRIORITY_NORMAL


def enqueue(
    *,
    session: Session,
    call: Call,
    language: str | None,
    in_danger: bool,
    max_wait_s: int,
    now: datetime,
) -> bool:
    if in_danger:  # supervisors' consoles show a caller in danger waiting, at once
        emit(session, SUPERVISORS_TOPIC, {"in_danger_call": call.id})
    return transition(
        session=session,
        call=call,
        to=CallState.queued,
        expect=(CallState.ringing, CallState.ivr),
        now=now,
        detail="in_danger" if in_danger else None,
        language=language,
        in_danger=in_danger,
        priority=queue_priority(in_danger=in_danger, high_risk_history=call.high_risk_history),
        queued_at=now,
        queue_deadline_at=now + timedelta(seconds=max_wait_s),
    )


def choice_after_hang_up(
    *, session: Session, call: Call, language: str | None, in_danger: bool, max_wait_s: int
) -> bool:
    """The caller's menu choice reached us after their hang-up did (Twilio sends both at once).

    The call ended from the menu; it is written as in-order delivery writes it: queued with
    that language and danger flag, and abandoned at the same moment. True if it was applied.
    """
    assert call.id is not None
    ended = call.ended_at
    if call.state != CallState.abandoned or call.queued_at is not None or ended is None:
        return False
    statement = (
        update(Call)
        .where(
            col(Call.id) == call.id,
            col(Call.state) == CallState.abandoned.value,
            col(Call.queued_at).is_(None),
        )
        .values(
            language=language,
            in_danger=in_danger,
            priority=queue_priority(in_danger=in_danger, high_risk_history=call.high_risk_history),
            queued_at=ended,
            queue_deadline_at=ended + timedelta(seconds=max_wait_s),
        )
    )
    if session.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(call)
    changes.mark_changed(session=session, call=call, now=ended)
    record_event(
        session=session,
        call_id=call.id,
        state=CallState.queued.value,
        now=ended,
        detail="in_danger" if in_danger else None,
    )
    return True


def history(*, session: Session, call_id: int) -> list[CallEvent]:
    return list(
        session.exec(
            select(CallEvent).where(CallEvent.call_id == call_id).order_by(col(CallEvent.id))
        )
    )
