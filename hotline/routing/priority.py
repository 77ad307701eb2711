"""A repeat caller with an open high-risk history goes ahead in the queue, after a caller in
danger now (docs/domain.md 4; the order is `hotline.calls.service.queue_priority`).

An open high-risk history, read when the call comes in, is any of: an escalation of one of the
caller's calls still open; a priority follow-up still owed to them (their note was high or
imminent); a call of theirs in the last 30 days whose note was at high or imminent, suggested by
the screener or escalated. A withheld number has no history: its hash is everyone who hides
theirs, so it is never asked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, or_
from sqlmodel import Session, col, select

from hotline.calls.models import Call
from hotline.escalation.models import OPEN_STATUSES, Escalation
from hotline.followups.models import FollowUp, FollowUpStatus
from hotline.notes.models import CallNote

RECENT = timedelta(days=30)
HIGH_LEVELS = ("high", "imminent")


def has_open_high_risk_history(*, session: Session, caller_hash: str, now: datetime) -> bool:
    """One query, by the indexed caller hash (this runs on the incoming-call webhook)."""
    theirs = select(col(Call.id)).where(col(Call.caller_hash) == caller_hash)
    open_escalation = exists().where(
        col(Escalation.call_id).in_(theirs),
        col(Escalation.status).in_([status.value for status in OPEN_STATUSES]),
    )
    owed_follow_up = exists().where(
        col(FollowUp.call_id).in_(theirs),
        col(FollowUp.status) == FollowUpStatus.scheduled.value,
        col(FollowUp.priority),
    )
    recent_high = exists().where(
        col(CallNote.call_id).in_(
            select(col(Call.id)).where(
                col(Call.caller_hash) == caller_hash, col(Call.created_at) >= now - RECENT
            )
        ),
        or_(
            col(CallNote.crisis_level).in_(HIGH_LEVELS),
            col(CallNote.suggested_level).in_(HIGH_LEVELS),
            col(CallNote.escalated_level).is_not(None),
        ),
    )
    found = session.exec(select(or_(open_escalation, owed_follow_up, recent_high))).one()
    return bool(found)
