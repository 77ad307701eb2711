"""One follow-up as its page and the API show it: who sees what of the caller's words.

The plan and the attempts' remarks go to the assignee and supervisors; the callback number to
nobody: the line calls the person back (hotline/dialback/). (A module of its own: it reads the
note, and the note service imports the follow-up service.)
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from hotline.auth.models import User
from hotline.followups import service as followups
from hotline.followups.models import FollowUp, FollowUpStatus
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
    free = follow_up.assigned_to_id is None or mine or followups.supervises(user)
    can_call_back = (
        follow_up.status == FollowUpStatus.scheduled
        and free
        and note is not None
        and bool(notes.fields_of(note).follow_up.callback_number)
    )
    history = [
        AttemptEntry(
            at=attempt.at,
            by=name,
            outcome=attempt.outcome.value,
            note=attempt.note if text else None,
            step=attempt.step,
            by_line=attempt.dial_back_id is not None,
        )
        for attempt, name in followups.attempts_of(session=session, follow_up_id=follow_up.id)
    ]
    return FollowUpDetail.model_validate(
        {
            **row,
            "crisis_level": note.crisis_level if note is not None else None,
            "plan": wanted.plan if wanted is not None else None,
            "can_call_back": can_call_back,
            "mine": mine,
            "history": history,
        }
    )


def callback_number(*, session: Session, follow_up: FollowUp) -> str | None:
    """The number the caller consented to be called back on, decrypted for the line to place
    the call (hotline/dialback/): never shown, logged or sent to a browser."""
    note = notes.note_of(session=session, call_id=follow_up.call_id)
    if note is None:
        return None
    return notes.fields_of(note).follow_up.callback_number or None


def audit_detail(item: FollowUpDetail) -> str | None:
    """What the audit log says of a view (the callback number is never on screen)."""
    return None
