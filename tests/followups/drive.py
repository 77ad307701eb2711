"""Calls whose note asks for a follow-up, made through the real routing and note services."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from hotline.auth.models import User
from hotline.calls.models import Call, CallState
from hotline.db import Database
from hotline.followups.models import FollowUp, FollowUpStatus
from hotline.lines.models import Line
from hotline.notes.models import CallNote, IssueCategory, NoteStatus
from tests.review.drive import whole_call, write_note

CALLBACK = "+8613912345678"
_sids = itertools.count(1)
H = timedelta(hours=1)

SCREENS: dict[str, dict[str, Any]] = {
    "none": {"q1_wish_dead": False, "q2_suicidal_thoughts": False, "q6_behaviour": False},
    "moderate": {
        "q1_wish_dead": True,
        "q2_suicidal_thoughts": True,
        "q3_method": True,
        "q4_intent": False,
        "q5_plan": False,
        "q6_behaviour": False,
    },
    "high": {
        "q1_wish_dead": True,
        "q2_suicidal_thoughts": True,
        "q3_method": True,
        "q4_intent": True,
        "q5_plan": False,
        "q6_behaviour": False,
    },
}


def category(db: Database) -> int:
    with db.session() as session:
        found = session.exec(select(IssueCategory).where(IssueCategory.code == "emotional")).one()
        assert found.id is not None
        return found.id


def note_fields(
    db: Database,
    *,
    level: str = "moderate",
    wanted: bool = True,
    consent: bool = True,
    within: str | None = "72h",
    number: str = CALLBACK,
) -> dict[str, Any]:
    """A complete counselling note at `level` (screener and confirmed level agree)."""
    return {
        "call_type": "self",
        "profile": {"age_band": "25_34", "gender": "female"},
        "categories": [category(db)],
        "screener": SCREENS[level],
        "crisis_level": level,
        "summary": "Lost her job, sleeping badly",
        "follow_up": {
            "wanted": wanted,
            "consent": consent,
            "callback_number": number,
            "within": within,
            "plan": "Ask how the job centre appointment went",
        },
    }


def answered_call(db: Database, line: Line, counselor: User, at: datetime) -> int:
    """A call answered by `counselor` and finished (talk 10 min, wrap-up 1 min) from `at`."""
    return whole_call(db, line, counselor, f"CA{next(_sids):032d}", at, 600, 60)


def submitted_follow_up(
    db: Database, line: Line, counselor: User, at: datetime, **fields: Any
) -> FollowUp:
    """A call an hour before `at`, its note submitted at `at` asking for a follow-up."""
    call_id = answered_call(db, line, counselor, at - timedelta(hours=1))
    write_note(db, counselor, call_id, at, submit=True, **note_fields(db, **fields))
    with db.session() as session:
        found = session.exec(select(FollowUp).where(FollowUp.call_id == call_id)).one()
        return found


def bare_follow_up(
    session: Session,
    user: User,
    line_id: int,
    name: str,
    due: datetime,
    status: FollowUpStatus,
    closed: datetime | None = None,
) -> int:
    """A follow-up with just enough call and note under it, written straight to the tables."""
    assert user.id is not None
    created = due - 24 * H
    call = Call(
        call_sid=f"CA{name}",
        line_id=line_id,
        caller_hash=f"h-{name}",
        state=CallState.completed,
        created_at=created - H,
    )
    session.add(call)
    session.flush()
    assert call.id is not None
    note = CallNote(
        call_id=call.id,
        author_id=user.id,
        status=NoteStatus.submitted,
        follow_up_wanted=True,
        created_at=created,
        updated_at=created,
        submitted_at=created,
    )
    session.add(note)
    session.flush()
    assert note.id is not None
    follow_up = FollowUp(
        call_id=call.id,
        line_id=line_id,
        within="24h",
        due_at=due,
        status=status,
        created_at=created,
        closed_at=closed,
        close_reason=None if closed is None else "reached",
    )
    session.add(follow_up)
    session.flush()
    assert follow_up.id is not None
    return follow_up.id
