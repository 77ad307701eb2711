"""Follow-ups are part of the caller's record: purged with their call (attempts too), kept while
the call is kept, and listed in the subject-access export without the attempts' remarks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from hotline.auth.models import Role, User
from hotline.db import Database
from hotline.followups.models import (
    CallbackOutcome,
    FollowUp,
    FollowUpAttempt,
    FollowUpStatus,
)
from hotline.lines.models import Line
from hotline.notes.models import CallNote
from hotline.retention import access
from hotline.retention import service as retention
from hotline.retention.models import MIN_RETENTION_DAYS
from tests.factories import make_line, make_user
from tests.retention.records import SECRET, days, make_record, row_counts

ENDED = datetime(2023, 3, 1, 10, 0, 0, tzinfo=UTC)
EXPIRES = ENDED + days(MIN_RETENTION_DAYS)
CALLER = "+8613811112222"
REMARK = "母亲接的电话，说她住院了"


def with_follow_up(db: Database, line: Line, counselor: User, ended: datetime) -> int:
    """A full record (tests/retention/records.py) whose note asked for a follow-up, which was
    tried twice: no answer, then reached."""
    record = make_record(
        db, line=line, counselor=counselor, caller=CALLER, created_at=ended, ended_at=ended
    )
    assert counselor.id is not None
    with db.session() as session:
        note = session.exec(select(CallNote).where(CallNote.call_id == record.call_id)).one()
        note.follow_up_wanted = True
        note.sensitive = json.dumps(
            {
                "summary": "private words",
                "follow_up": {
                    "wanted": True,
                    "consent": True,
                    "callback_number": CALLER,
                    "within": "24h",
                    "plan": "call after the exam",
                },
            }
        )
        follow_up = FollowUp(
            call_id=record.call_id,
            line_id=line.id or 0,
            within="24h",
            due_at=ended + timedelta(hours=24),
            status=FollowUpStatus.completed,
            assigned_to_id=counselor.id,
            attempts=2,
            created_at=ended,
            closed_at=ended + timedelta(hours=5),
            close_reason="reached",
        )
        session.add(follow_up)
        session.flush()
        assert follow_up.id is not None
        for hours, outcome in ((2, CallbackOutcome.no_answer), (5, CallbackOutcome.reached)):
            session.add(
                FollowUpAttempt(
                    follow_up_id=follow_up.id,
                    at=ended + timedelta(hours=hours),
                    user_id=counselor.id,
                    outcome=outcome,
                    note=REMARK,
                )
            )
    return record.call_id


def test_the_purge_removes_follow_ups_and_attempts_with_their_call(db: Database) -> None:
    line = make_line(db)
    counselor = make_user(db, "counselor")
    old = with_follow_up(db, line, counselor, ENDED)
    recent = with_follow_up(db, line, counselor, ENDED + days(10))
    before = row_counts(db)
    assert (before["follow_ups"], before["follow_up_attempts"]) == (2, 4)

    dry = retention.purge(db=db, now=EXPIRES + timedelta(seconds=1), dry_run=True)
    assert (dry.counts["follow_ups"], dry.counts["follow_up_attempts"]) == (1, 2)
    assert row_counts(db)["follow_ups"] == 2

    done = retention.purge(db=db, now=EXPIRES + timedelta(seconds=1))
    assert (done.counts["follow_ups"], done.counts["follow_up_attempts"]) == (1, 2)
    assert "follow_ups=1" in done.summary() and "follow_up_attempts=2" in done.summary()
    with db.session() as session:
        kept = session.exec(select(FollowUp)).all()
        assert [f.call_id for f in kept] == [recent]
        assert old != recent
        assert len(session.exec(select(FollowUpAttempt)).all()) == 2
    # The staff who worked it are not part of the caller's record.
    with db.session() as session:
        assert session.get(User, counselor.id) is not None


def test_subject_access_lists_the_attempts_without_remarks(db: Database) -> None:
    line = make_line(db)
    counselor = make_user(db, "counselor")
    make_user(db, "admin", role=Role.admin)
    call_id = with_follow_up(db, line, counselor, ENDED)
    with db.session() as session:
        export = access.subject_access(
            session=session, secret=SECRET, number=CALLER, now=ENDED + days(30)
        )
    (item,) = export["follow_ups"]
    assert item["call_id"] == call_id
    assert item["plan"] == "call after the exam"  # the note's own follow-up, as before
    scheduled = item["scheduled"]
    assert scheduled["status"] == "completed" and scheduled["close_reason"] == "reached"
    assert scheduled["due_at"] == (ENDED + timedelta(hours=24)).isoformat()
    assert [(a["outcome"], a["user_id"]) for a in scheduled["attempts"]] == [
        ("no_answer", counselor.id),
        ("reached", counselor.id),
    ]
    assert REMARK not in json.dumps(export, ensure_ascii=False)
