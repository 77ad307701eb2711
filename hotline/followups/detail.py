"""One follow-up as its page and the API show it: who sees what of the caller's words.

The plan and the attempts' remarks go to the assignee and supervisors; the callback number only
to the assignee, while it is open. (A module of its own: it reads the note, and the note
service imports the follow-up service.)
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from hotline.auth.models import User
from hotline.followups import service as followups
from hotline.followups.models import FollowUpStatus
from hotline.followups.schemas import AttemptEntry, FollowUpDetail
from hotline.notes import service as notes


def read(*, session: Session, follow_up_id: int, user: User, now: datetime) -> FollowUpDetail:
    """The follow-up for `user` (FollowUpError when it is not there or not on their lines)."""
    follow_up = followups.get(session=session, follow_up_id=follow_up_id, user=user)
    assert follow_up.id is not None
    row = followups.detail_row(session=session, follow_up=follow_up, now=now)
    note = notes.note_of(session=session, call_id=follow_up.call_id)
    text = followups.may_read_text(user, follow_up)
    wanted = notes.fields_of(note).follow_up if note is not None and text else None
    mine = followups.is_assignee(user, follow_up)
    number = None
    if wanted is not None and mine and follow_up.status == FollowUpStatus.scheduled:
        number = wanted.callback_number or None
    history = [
        AttemptEntry(
            at=attempt.at,
            by=name,
            outcome=attempt.outcome.value,
            note=attempt.note if text else None,
            step=attempt.step,
        )
        for attempt, name in followups.attempts_of(session=session, follow_up_id=follow_up.id)
    ]
    return FollowUpDetail.model_validate(
        {
            **row,
            "crisis_level": note.crisis_level if note is not None else None,
            "plan": wanted.plan if wanted is not None else None,
            "callback_number": number,
            "mine": mine,
            "history": history,
        }
    )


def audit_detail(item: FollowUpDetail) -> str | None:
    """What the audit log says of a view: whether the callback number was on screen."""
    return "callback number shown" if item.callback_number else None
