"""Supervision test data: calls with submitted notes at a crisis level, and sessions, made
through the real call, note and supervision services."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.auth.models import User
from hotline.db import Database
from hotline.lines.models import Line
from hotline.routing.models import AgentState
from hotline.supervision import service as supervision
from hotline.supervision.models import SessionKind, SupervisionSession
from tests.followups.drive import answered_call, note_fields
from tests.review.drive import presence, write_note


def call_at_level(db: Database, line: Line, counselor: User, at: datetime, level: str) -> int:
    """A finished call whose counselor submitted a note at `level` (none .. imminent)."""
    call_id = answered_call(db, line, counselor, at)
    screen_level = {"imminent": "high", "low": "none"}.get(level, level)
    fields = note_fields(db, level=screen_level, wanted=False)
    fields["crisis_level"] = level
    if level != screen_level:
        fields["override_reason"] = "Confirmed with the caller"
    write_note(db, counselor, call_id, at, submit=True, **fields)
    # Signed off after it, so the next call goes to whoever the next test names.
    presence(db, counselor, AgentState.offline, at + timedelta(minutes=15))
    return call_id


def held(
    db: Database,
    supervisor: User,
    counselors: list[User],
    at: datetime,
    minutes: int,
    *,
    kind: SessionKind = SessionKind.group,
    calls: list[int] | None = None,
) -> SupervisionSession:
    data = supervision.SessionData(
        kind=kind,
        supervisor_id=supervisor.id or 0,
        held_at=at,
        duration_min=minutes,
        counselor_ids=[c.id or 0 for c in counselors],
        call_ids=calls or [],
        themes=None,
    )
    with db.session() as session:
        return supervision.create_session(session=session, data=data, actor=supervisor, now=at)
