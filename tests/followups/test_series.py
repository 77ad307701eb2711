"""Follow-up series by level (real database, times set by hand): a moderate-or-higher caller who
consented is called back at each window of the line's schedule, each attempt logged with its
step; no series for low risk (one follow-up, as asked) and nothing without consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import col, select

from hotline.db import Database
from hotline.followups import series
from hotline.followups import service as followups
from hotline.followups.models import CallbackOutcome, FollowUp, FollowUpAttempt, FollowUpStatus
from hotline.lines.models import LineCreate
from tests.factories import make_line, make_user
from tests.followups.drive import answered_call, note_fields, submitted_follow_up
from tests.review.drive import write_note

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _attempt(db: Database, follow_up_id: int | None, user, outcome, at: datetime) -> FollowUp:  # type: ignore[no-untyped-def]
    assert follow_up_id is not None
    with db.session() as session:
        found = followups.log_attempt(
            session=session,
            follow_up_id=follow_up_id,
            user=user,
            outcome=outcome,
            note="",
            now=at,
        )
        session.expunge(found)
        return found


@pytest.mark.parametrize("level", ["moderate", "high"])
def test_moderate_and_above_with_consent_get_the_lines_series(db: Database, level: str) -> None:
    line = make_line(db, follow_up_schedule=series.DEFAULT_SCHEDULE)
    alice = make_user(db, "alice")
    follow_up = submitted_follow_up(db, line, alice, T0, level=level, within="72h")
    assert (follow_up.schedule, follow_up.step) == ("24h,72h,7d", 1)
    assert (follow_up.within, follow_up.due_at) == ("24h", T0 + 24 * H)

    step2 = _attempt(db, follow_up.id, alice, CallbackOutcome.reached, T0 + 25 * H)
    assert (step2.status, step2.step, step2.within) == (FollowUpStatus.scheduled, 2, "72h")
    assert step2.due_at == T0 + 72 * H and step2.attempts == 0
    # Three unanswered calls at step 2: the series still calls at its last window.
    for n in range(3):
        step3 = _attempt(db, follow_up.id, alice, CallbackOutcome.no_answer, T0 + (73 + n) * H)
    assert (step3.status, step3.step, step3.due_at) == (FollowUpStatus.scheduled, 3, T0 + 168 * H)
    done = _attempt(db, follow_up.id, alice, CallbackOutcome.reached, T0 + 169 * H)
    assert (done.status, done.close_reason) == (FollowUpStatus.completed, "reached")
    with db.session() as session:
        logged = session.exec(
            select(FollowUpAttempt.step, FollowUpAttempt.outcome)
            .where(FollowUpAttempt.follow_up_id == follow_up.id)
            .order_by(col(FollowUpAttempt.id))
        ).all()
    assert [(s, o.value) for s, o in logged] == [
        (1, "reached"),
        (2, "no_answer"),
        (2, "no_answer"),
        (2, "no_answer"),
        (3, "reached"),
    ]


def test_declining_ends_the_series(db: Database) -> None:
    line = make_line(db, follow_up_schedule=series.DEFAULT_SCHEDULE)
    alice = make_user(db, "alice")
    follow_up = submitted_follow_up(db, line, alice, T0, level="moderate")
    done = _attempt(db, follow_up.id, alice, CallbackOutcome.declined, T0 + 25 * H)
    assert (done.status, done.step, done.close_reason) == (FollowUpStatus.completed, 1, "declined")


def test_the_series_follows_the_lines_own_schedule(db: Database) -> None:
    line = make_line(db, follow_up_schedule="48h, 14d")
    alice = make_user(db, "alice")
    follow_up = submitted_follow_up(db, line, alice, T0, level="moderate")
    assert (follow_up.schedule, follow_up.due_at) == ("48h,14d", T0 + 48 * H)
    step2 = _attempt(db, follow_up.id, alice, CallbackOutcome.referred, T0 + 49 * H)
    assert (step2.step, step2.due_at) == (2, T0 + 14 * 24 * H)


def test_low_risk_gets_one_follow_up_as_asked_not_a_series(db: Database) -> None:
    line = make_line(db, follow_up_schedule=series.DEFAULT_SCHEDULE)
    alice = make_user(db, "alice")
    call_id = answered_call(db, line, alice, T0 - H)
    fields = note_fields(db, level="none", within="72h")
    fields["crisis_level"] = "low"
    fields["override_reason"] = "Unsettled, though no ideation"
    write_note(db, alice, call_id, T0, submit=True, **fields)
    with db.session() as session:
        follow_up = session.exec(select(FollowUp).where(FollowUp.call_id == call_id)).one()
        session.expunge(follow_up)
    assert (follow_up.schedule, follow_up.within, follow_up.due_at) == ("", "72h", T0 + 72 * H)
    done = _attempt(db, follow_up.id, alice, CallbackOutcome.reached, T0 + 73 * H)
    assert done.status == FollowUpStatus.completed


def test_without_consent_there_is_no_follow_up(db: Database) -> None:
    line = make_line(db, follow_up_schedule=series.DEFAULT_SCHEDULE)
    alice = make_user(db, "alice")
    call_id = answered_call(db, line, alice, T0 - H)
    write_note(db, alice, call_id, T0, submit=True, **note_fields(db, wanted=False, consent=False))
    with db.session() as session:
        assert session.exec(select(FollowUp).where(FollowUp.call_id == call_id)).first() is None


@pytest.mark.parametrize("schedule", ["24h,12h", "24x", "1h,2h,3h,4h,5h,6h,7h", "0h"])
def test_a_bad_schedule_is_refused(schedule: str) -> None:
    assert series.parse(schedule) is None
    with pytest.raises(ValidationError):
        LineCreate(number="+8657100000009", name="L", follow_up_schedule=schedule)


def test_a_new_line_has_the_default_series_and_may_have_none(db: Database) -> None:
    assert LineCreate(number="+8657100000009", name="L").follow_up_schedule == "24h,72h,7d"
    line = make_line(db, follow_up_schedule=" ")
    alice = make_user(db, "alice")
    follow_up = submitted_follow_up(db, line, alice, T0, level="high", within="72h")
    assert (follow_up.schedule, follow_up.within, follow_up.due_at) == ("", "72h", T0 + 72 * H)
