"""Follow-ups against a real database (SQLite and PostgreSQL) with times set by hand: created
when a note asking for one with consent is submitted (once per call), due 24 h / 72 h / 7 days
after submission, priority for high risk; the completion and failure rules; who may work one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from hotline.auth.models import Role
from hotline.calls.models import Call
from hotline.db import Database
from hotline.followups import service as followups
from hotline.followups.models import CallbackOutcome, FollowUp, FollowUpAttempt, FollowUpStatus
from hotline.followups.service import FollowUpError
from hotline.notes import service as notes
from tests.factories import make_line, make_user
from tests.followups.drive import answered_call, note_fields, submitted_follow_up
from tests.review.drive import write_note

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)


def count(db: Database) -> int:
    with db.session() as session:
        return int(session.exec(select(func.count()).select_from(FollowUp)).one())


def refresh(db: Database, follow_up_id: int | None) -> FollowUp:
    with db.session() as session:
        found = session.get(FollowUp, follow_up_id)
        assert found is not None
        return found


@pytest.mark.parametrize(("within", "hours"), [("24h", 24), ("72h", 72), ("7d", 168), (None, 72)])
def test_due_after_submission_by_the_window_asked_for(
    db: Database, within: str | None, hours: int
) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    follow_up = submitted_follow_up(db, line, alice, T0, within=within)
    assert follow_up.due_at == T0 + hours * H
    assert follow_up.within == (within or "72h")
    assert follow_up.status == FollowUpStatus.scheduled
    assert (follow_up.line_id, follow_up.assigned_to_id, follow_up.attempts) == (line.id, None, 0)
    assert follow_up.priority is False  # moderate


def test_high_risk_makes_it_priority_due_within_a_day_unless_chosen(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    unset = submitted_follow_up(db, line, alice, T0, level="high", within=None)
    assert unset.priority is True and unset.within == "24h" and unset.due_at == T0 + 24 * H
    chosen = submitted_follow_up(db, line, alice, T0, level="high", within="72h")
    assert chosen.priority is True and chosen.due_at == T0 + 72 * H


def test_only_a_wanted_and_consented_follow_up_is_scheduled_once(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    not_wanted = answered_call(db, line, alice, T0)
    write_note(db, alice, not_wanted, T0 + H, submit=True, **note_fields(db, wanted=False))
    assert count(db) == 0

    # Wanted without consent cannot be submitted at all (the note's own rule): nothing scheduled.
    no_consent = answered_call(db, line, alice, T0 + 2 * H)
    with pytest.raises(notes.NoteError) as refused:
        write_note(db, alice, no_consent, T0 + 3 * H, submit=True, **note_fields(db, consent=False))
    assert refused.value.errors == {"follow_up.consent": "required"}
    assert count(db) == 0

    # A draft asking for one schedules nothing until it is submitted.
    consented = answered_call(db, line, alice, T0 + 4 * H)
    write_note(db, alice, consented, T0 + 5 * H, submit=False, **note_fields(db))
    assert count(db) == 0
    with db.session() as session:
        call = session.get(Call, consented)
        assert call is not None
        note = notes.note_of(session=session, call_id=consented)
        assert note is not None
        notes.submit(session=session, call=call, user=alice, version=note.version, now=T0 + 6 * H)
    assert count(db) == 1

    # Submitting again is refused and scheduling again finds the same one.
    with db.session() as session:
        call = session.get(Call, consented)
        note = notes.note_of(session=session, call_id=consented)
        assert call is not None and note is not None
        with pytest.raises(notes.NoteError):
            notes.submit(session=session, call=call, user=alice, version=note.version, now=T0)
        again = followups.schedule(
            session=session,
            call=call,
            within="24h",
            level="high",
            submitted_at=T0 + 9 * H,
        )
        assert again.due_at == T0 + 6 * H + 72 * H  # the first one, unchanged
    assert count(db) == 1


def test_reaching_the_caller_completes_it(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    for outcome in (CallbackOutcome.reached, CallbackOutcome.referred, CallbackOutcome.declined):
        follow_up = submitted_follow_up(db, line, alice, T0)
        with db.session() as session:
            done = followups.log_attempt(
                session=session,
                follow_up_id=follow_up.id or 0,
                user=alice,
                outcome=outcome,
                note="她说好多了",
                now=T0 + 5 * H,
            )
        assert (done.status, done.close_reason) == (FollowUpStatus.completed, outcome.value)
        assert (done.closed_at, done.attempts, done.assigned_to_id) == (T0 + 5 * H, 1, alice.id)
        with db.session() as session, pytest.raises(FollowUpError) as closed:
            followups.log_attempt(
                session=session,
                follow_up_id=follow_up.id or 0,
                user=alice,
                outcome=CallbackOutcome.no_answer,
                note="",
                now=T0 + 6 * H,
            )
        assert (closed.value.code, closed.value.status) == ("closed", 409)


def test_three_unsuccessful_attempts_or_a_wrong_number_fail_it(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    follow_up = submitted_follow_up(db, line, alice, T0)
    outcomes = [CallbackOutcome.no_answer, CallbackOutcome.voicemail, CallbackOutcome.no_answer]
    for n, outcome in enumerate(outcomes, start=1):
        with db.session() as session:
            after = followups.log_attempt(
                session=session,
                follow_up_id=follow_up.id or 0,
                user=alice,
                outcome=outcome,
                note="",
                now=T0 + n * H,
            )
        expected = FollowUpStatus.failed if n == 3 else FollowUpStatus.scheduled
        assert (after.status, after.attempts) == (expected, n)
    assert refresh(db, follow_up.id).close_reason == "attempts"

    wrong = submitted_follow_up(db, line, alice, T0)
    with db.session() as session:
        after = followups.log_attempt(
            session=session,
            follow_up_id=wrong.id or 0,
            user=alice,
            outcome=CallbackOutcome.wrong_number,
            note="",
            now=T0 + H,
        )
    assert (after.status, after.close_reason) == (FollowUpStatus.failed, "wrong_number")
    with db.session() as session:
        stored = session.exec(
            select(FollowUpAttempt).where(FollowUpAttempt.follow_up_id == follow_up.id)
        ).all()
        assert [a.outcome for a in stored] == outcomes
        assert [a.note for a in stored] == [None, None, None]  # an empty remark is not kept


def test_more_than_48_hours_past_due_it_expires_once(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    follow_up = submitted_follow_up(db, line, alice, T0, within="24h")
    reached = submitted_follow_up(db, line, alice, T0, within="24h")
    with db.session() as session:
        followups.log_attempt(
            session=session,
            follow_up_id=reached.id or 0,
            user=alice,
            outcome=CallbackOutcome.reached,
            note="",
            now=T0 + 80 * H,  # late, but reached: stays completed
        )
    deadline = follow_up.due_at + 48 * H
    with db.session() as session:
        assert followups.expire_overdue(session=session, now=deadline) == 0  # exactly 48 h
    assert refresh(db, follow_up.id).status == FollowUpStatus.scheduled
    with db.session() as session:
        assert followups.expire_overdue(session=session, now=deadline + timedelta(seconds=1)) == 1
    with db.session() as session:
        assert followups.expire_overdue(session=session, now=deadline + 2 * H) == 0
    expired = refresh(db, follow_up.id)
    assert (expired.status, expired.close_reason) == (FollowUpStatus.failed, "expired")
    assert expired.closed_at == deadline + timedelta(seconds=1)
    assert refresh(db, reached.id).status == FollowUpStatus.completed


def test_claiming_lines_and_taking_over(db: Database) -> None:
    line = make_line(db)
    other = make_line(db, number="+8601012356")
    alice = make_user(db, "alice", line_ids=[line.id or 0])
    bob = make_user(db, "bob", line_ids=[line.id or 0])
    carol = make_user(db, "carol", line_ids=[other.id or 0])
    anyone = make_user(db, "dan")  # no lines listed: every line
    crisis = make_user(db, "zhao", role=Role.crisis, line_ids=[line.id or 0])
    boss = make_user(db, "boss", role=Role.supervisor, line_ids=[other.id or 0])
    follow_up = submitted_follow_up(db, line, alice, T0)
    fid = follow_up.id or 0

    def attempt(user: object, outcome: CallbackOutcome = CallbackOutcome.no_answer) -> FollowUp:
        with db.session() as session:
            return followups.log_attempt(
                session=session,
                follow_up_id=fid,
                user=user,  # type: ignore[arg-type]
                outcome=outcome,
                note="",
                now=T0 + H,
            )

    with db.session() as session, pytest.raises(FollowUpError) as other_line:
        followups.claim(session=session, follow_up_id=fid, user=carol)
    assert (other_line.value.code, other_line.value.status) == ("forbidden", 403)
    with pytest.raises(FollowUpError):
        attempt(carol)
    with db.session() as session:
        flt = followups.FollowUpFilter()
        assert followups.search(session=session, user=carol, flt=flt, now=T0)[1] == 0
        assert followups.search(session=session, user=anyone, flt=flt, now=T0)[1] == 1
        assert followups.search(session=session, user=crisis, flt=flt, now=T0)[1] == 1
        assert followups.search(session=session, user=boss, flt=flt, now=T0)[1] == 1

    with db.session() as session:
        assert followups.claim(session=session, follow_up_id=fid, user=bob).assigned_to_id == bob.id
    with pytest.raises(FollowUpError) as held:
        attempt(alice)
    assert (held.value.code, held.value.status) == ("claimed", 409)
    with db.session() as session, pytest.raises(FollowUpError):
        followups.claim(session=session, follow_up_id=fid, user=crisis)
    with db.session() as session, pytest.raises(FollowUpError):
        followups.release(session=session, follow_up_id=fid, user=alice)
    assert attempt(bob).attempts == 1
    # A supervisor may work it without taking it, and take it over.
    assert attempt(boss).assigned_to_id == bob.id
    with db.session() as session:
        assert followups.claim(session=session, follow_up_id=fid, user=boss).assigned_to_id == (
            boss.id
        )
    with db.session() as session:
        released = followups.release(session=session, follow_up_id=fid, user=boss)
        assert released.assigned_to_id is None
    # Back on the queue: whoever logs an attempt is the one working it.
    done = attempt(crisis, CallbackOutcome.reached)
    assert (done.assigned_to_id, done.status, done.attempts) == (
        crisis.id,
        FollowUpStatus.completed,
        3,
    )
    with db.session() as session, pytest.raises(FollowUpError) as not_boss:
        followups.cancel(session=session, follow_up_id=fid, user=bob, now=T0)
    assert not_boss.value.status == 403


def test_supervisors_cancel_and_the_lists_filter(db: Database) -> None:
    line = make_line(db)
    other = make_line(db, number="+8601012356")
    alice = make_user(db, "alice")
    boss = make_user(db, "boss", role=Role.supervisor)
    soon = submitted_follow_up(db, line, alice, T0, within="24h")
    later = submitted_follow_up(db, line, alice, T0, within="7d")
    elsewhere = submitted_follow_up(db, other, alice, T0, within="72h")
    cancelled = submitted_follow_up(db, line, alice, T0, within="72h")
    with db.session() as session:
        followups.cancel(session=session, follow_up_id=cancelled.id or 0, user=boss, now=T0 + H)
    now = T0 + 30 * H  # `soon` is overdue
    with db.session() as session:

        def ids(**filters: object) -> list[int | None]:
            rows, _total = followups.search(
                session=session,
                user=boss,
                flt=followups.FollowUpFilter(**filters),  # type: ignore[arg-type]
                now=now,
            )
            return [r["id"] for r in rows]

        # Open ones first, soonest due first; then closed ones.
        assert ids() == [soon.id, elsewhere.id, later.id, cancelled.id]
        assert ids(status="overdue") == [soon.id]
        assert ids(status="cancelled") == [cancelled.id]
        assert ids(line_id=other.id) == [elsewhere.id]
        assert ids(due_from=T0 + 48 * H) == [elsewhere.id, later.id, cancelled.id]
        assert ids(due_from=T0 + 48 * H, due_until=T0 + 100 * H) == [elsewhere.id, cancelled.id]
        assert followups.overdue_count(session=session, user=boss, line_id=None, now=now) == 1
        assert followups.overdue_count(session=session, user=boss, line_id=other.id, now=now) == 0
        rows, total = followups.search(
            session=session, user=boss, flt=followups.FollowUpFilter(), now=now, limit=2, offset=2
        )
        assert (total, [r["id"] for r in rows]) == (4, [later.id, cancelled.id])
        first = followups.search(
            session=session, user=boss, flt=followups.FollowUpFilter(), now=now, limit=1
        )[0][0]
        assert first["overdue"] is True and first["line_name"] == line.name
        assert "callback_number" not in first and "plan" not in first


def test_the_console_counts_what_is_due_and_not_taken_by_someone_else(db: Database) -> None:
    line = make_line(db)
    other = make_line(db, number="+8601012356")
    alice = make_user(db, "alice", line_ids=[line.id or 0])
    bob = make_user(db, "bob", line_ids=[line.id or 0])
    carol = make_user(db, "carol", line_ids=[other.id or 0])
    now = T0 + 30 * H
    priority = submitted_follow_up(db, line, alice, T0, level="high", within=None)  # due T0+24h
    plain = submitted_follow_up(db, line, alice, T0 + 5 * H, within="24h")  # due T0+29h
    submitted_follow_up(db, line, alice, T0 + 10 * H, within="24h")  # due T0+34h: not yet
    with db.session() as session:
        due = followups.due_for(session=session, user=alice, now=now)
        assert due == {"count": 2, "priority": 1}
        assert followups.due_for(session=session, user=carol, now=now) == {
            "count": 0,
            "priority": 0,
        }
        followups.claim(session=session, follow_up_id=plain.id or 0, user=bob)
    with db.session() as session:
        assert followups.due_for(session=session, user=alice, now=now) == {
            "count": 1,
            "priority": 1,
        }
        assert followups.due_for(session=session, user=bob, now=now) == {"count": 2, "priority": 1}
        followups.log_attempt(
            session=session,
            follow_up_id=priority.id or 0,
            user=alice,
            outcome=CallbackOutcome.reached,
            note="",
            now=now,
        )
    with db.session() as session:
        assert followups.due_for(session=session, user=alice, now=now) == {
            "count": 0,
            "priority": 0,
        }
