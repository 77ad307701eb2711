"""Drive calls and presence through the real routing, call and note services at given times."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.auth.models import User
from hotline.calls import service as calls
from hotline.calls.models import Call
from hotline.db import Database
from hotline.lines.models import Line
from hotline.notes import service as notes
from hotline.routing import service as routing
from hotline.routing.models import AgentState

OFFER_TIMEOUT_S = 20


def presence(db: Database, user: User, state: AgentState, at: datetime) -> None:
    with db.session() as session:
        routing.set_presence(session=session, user=user, state=state, reason=None, now=at)


def ring(db: Database, line: Line, sid: str, at: datetime, caller: str = "h1") -> int:
    """A caller reaches the line and waits in the queue."""
    with db.session() as session:
        call = calls.start_inbound(
            session=session, line=line, call_sid=sid, caller_hash=caller, now=at
        )
        assert calls.enqueue(
            session=session, call=call, language="zh_CN", in_danger=False, max_wait_s=600, now=at
        )
        assert call.id is not None
        return call.id


def offer(db: Database, at: datetime) -> None:
    with db.session() as session:
        assert routing.offer_next(session=session, now=at, offer_timeout_s=OFFER_TIMEOUT_S)


def miss(db: Database, at: datetime) -> None:
    """The offer runs out (`at` must be at or after its expiry)."""
    with db.session() as session:
        routing.expire_offers(session=session, now=at, missed_before_away=3)


def answer(db: Database, user: User, call_id: int, accept_at: datetime, join_at: datetime) -> None:
    """Accept the offer, then both legs join the conference: connected at `join_at`."""
    with db.session() as session:
        routing.accept(
            session=session, user=user, call_id=call_id, now=accept_at, connect_timeout_s=45
        )
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        routing.counselor_joined(
            session=session,
            call=call,
            user_id=user.id or 0,
            leg_sid=f"CL{call_id}",
            conference_sid=f"CF{call_id}",
            now=join_at,
        )
        routing.caller_joined(
            session=session, call=call, conference_sid=f"CF{call_id}", now=join_at
        )


def hang_up(db: Database, user: User, call_id: int, at: datetime, wrap_s: float) -> None:
    with db.session() as session:
        routing.hang_up(session=session, user=user, call_id=call_id, now=at)
    with db.session() as session:
        routing.finish_wrap_up(
            session=session, user=user, call_id=call_id, now=at + timedelta(seconds=wrap_s)
        )


def whole_call(
    db: Database, line: Line, user: User, sid: str, at: datetime, talk_s: float, wrap_s: float
) -> int:
    """Ring, offer, accept after 5 s, connect after 10 s, talk, hang up, wrap up."""
    presence(db, user, AgentState.available, at)  # no change if already available
    call_id = ring(db, line, sid, at)
    offer(db, at)
    answer(db, user, call_id, at + timedelta(seconds=5), at + timedelta(seconds=10))
    hang_up(db, user, call_id, at + timedelta(seconds=10 + talk_s), wrap_s)
    return call_id


def write_note(
    db: Database, user: User, call_id: int, at: datetime, *, submit: bool, **fields: object
) -> None:
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        note = notes.open_note(session=session, call=call, user=user, now=at)
        note = notes.update_draft(
            session=session, call=call, user=user, version=note.version, changes=fields, now=at
        )
        if submit:
            notes.submit(session=session, call=call, user=user, version=note.version, now=at)
