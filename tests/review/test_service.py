"""The supervisors' records against a real database (SQLite and PostgreSQL), with times set by
hand: the shift log's time in each state clipped at the day's edges and at now, offers missed,
overdue notes; the escalation log and its timeline; call search; QA reviews and feedback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from hotline.audit.models import AuditAction
from hotline.audit.service import record as audit
from hotline.auth.models import Role, User
from hotline.calls.models import Call
from hotline.db import Database
from hotline.escalation import service as escalations
from hotline.escalation.models import EscalationStatus
from hotline.notes import service as notes
from hotline.notes.models import IssueCategory
from hotline.review import service as review
from hotline.review.models import CallReview
from hotline.routing.models import AgentState
from tests.factories import make_line, make_rota, make_user
from tests.review import drive
from tests.stack import make_settings

# Local midnight of 23 November 2026 in Asia/Shanghai (UTC+8).
DAY = date(2026, 11, 23)
T0 = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def alice_day(db: Database) -> tuple[User, User, int, int]:
    """Alice's shift on 23 November (local), as worked out by hand in the tests below."""
    line = make_line(db)
    other_line = make_line(db, number="+8601012356")
    alice = make_user(db, "alice")
    bob = make_user(db, "bob", line_ids=[other_line.id or 0])
    with db.session() as session:
        audit(
            session=session,
            now=at(-60),
            action=AuditAction.sign_in,
            object_type="session",
            user=alice,
        )
    drive.presence(db, alice, AgentState.available, at(-60))  # 23:00 local on the 22nd
    # 00:30 local: a call is offered and runs out unanswered; back to available at once.
    first = drive.ring(db, line, "CA1", at(30))
    drive.offer(db, at(30))
    drive.miss(db, at(30, 20))
    # 00:31: offered again, accepted 5 s later, connected at 00:31:10, 10 min talk, 2 min wrap.
    drive.offer(db, at(31))
    drive.answer(db, alice, first, at(31, 5), at(31, 10))
    drive.hang_up(db, alice, first, at(41, 10), 120)
    drive.write_note(db, alice, first, at(42), submit=True, call_type="wrong_number")
    # 01:00: a second call, 10 min talk, 30 s wrap-up; its note is never written.
    second = drive.whole_call(db, line, alice, "CA2", at(60), 600, 30)
    with db.session() as session:
        assert notes.mark_overdue(session=session, now=at(80, 10), due_s=600) == 1
    # 23:00 local: signs out.
    drive.presence(db, alice, AgentState.offline, at(23 * 60))
    with db.session() as session:
        audit(
            session=session,
            now=at(23 * 60),
            action=AuditAction.sign_out,
            object_type="session",
            user=alice,
        )
    # Bob works the other line for an hour.
    drive.presence(db, bob, AgentState.available, at(120))
    drive.presence(db, bob, AgentState.offline, at(180))
    return alice, bob, first, second


def test_shift_log_counts_time_in_state_within_the_day(db: Database) -> None:
    alice, bob, _, _ = alice_day(db)
    with db.session() as session:
        rows = review.shift_log(session=session, start=DAY, end=DAY, now=at(48 * 60))
    by_user = {r.user_id: r for r in rows}
    day = by_user[alice.id or 0]
    assert day.day == DAY
    # Worked by hand: available 1800 + 40 + 1010 + 78560; offered 20 + 5 + 5;
    # on a call 605 + 605; wrap-up 120 + 30; offline from 23:00 to midnight 3600.
    assert day.seconds == {
        "offline": 3600.0,
        "available": 81410.0,
        "offered": 30.0,
        "on_call": 1210.0,
        "wrap_up": 150.0,
        "chatting": 0.0,
        "break": 0.0,
        "away": 0.0,
    }
    assert sum(day.seconds.values()) == 86400
    assert (day.calls_handled, day.offers_missed) == (2, 1)
    assert (day.notes_submitted, day.notes_overdue) == (1, 1)
    # Signed in the evening before: that sign-in belongs to the 22nd, the sign-out to the 23rd.
    assert (day.sign_ins, day.sign_outs, day.went_offline) == (0, 1, 1)
    assert day.first_sign_in is None and day.last_sign_out == at(23 * 60)
    assert by_user[bob.id or 0].seconds["available"] == 3600.0


def test_shift_log_clips_at_the_start_of_the_period_and_at_now(db: Database) -> None:
    alice, _, _, _ = alice_day(db)
    with db.session() as session:
        # The day before: only the last hour (23:00 to midnight) was available.
        before = review.shift_log(
            session=session,
            start=DAY - timedelta(days=1),
            end=DAY - timedelta(days=1),
            now=at(48 * 60),
            user_id=alice.id,
        )
        # Looked at 00:35 local on the day: nothing after now is counted.
        early = review.shift_log(session=session, start=DAY, end=DAY, now=at(35), user_id=alice.id)
    assert len(before) == 1
    assert before[0].seconds["available"] == 3600.0
    assert before[0].seconds["offline"] == 23 * 3600.0
    assert (before[0].sign_ins, before[0].first_sign_in) == (1, at(-60))
    assert len(early) == 1
    seconds = {k: v for k, v in early[0].seconds.items() if v}
    # available 00:00-00:30 and 00:30:20-00:31; offered 20 s + 5 s; on a call 00:31:05-00:35.
    assert seconds == {"available": 1840.0, "offered": 25.0, "on_call": 235.0}


def test_shift_log_filters_by_line_and_person(db: Database) -> None:
    alice, bob, _, _ = alice_day(db)
    with db.session() as session:
        line_id = session.exec(select(Call.line_id)).first()
        by_line = review.shift_log(
            session=session, start=DAY, end=DAY, now=at(48 * 60), line_id=line_id
        )
        by_person = review.shift_log(
            session=session, start=DAY, end=DAY, now=at(48 * 60), user_id=bob.id
        )
        with pytest.raises(review.ReviewError, match="range_too_long"):
            review.shift_log(session=session, start=DAY, end=DAY + timedelta(days=40), now=at(0))
    assert [r.user_id for r in by_line] == [alice.id]
    assert [r.user_id for r in by_person] == [bob.id]


def test_escalation_log_filters_and_timeline(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    worker = make_user(db, "zhao", role=Role.crisis)
    make_rota(db, "crisis", [worker])
    first = drive.whole_call(db, line, alice, "CA1", at(10), 300, 10)
    second = drive.whole_call(db, line, alice, "CA2", at(20), 300, 10)
    with db.session() as session:
        for call_id, level in ((first, "high"), (second, "imminent")):
            call = session.get(Call, call_id)
            assert call is not None
            escalations.trigger(
                session=session,
                call=call,
                level=level,
                reason="secret reason",
                user_id=alice.id,
                now=at(12 if call_id == first else 22),
            )
    with db.session() as session:
        escalations.run_due(session=session, now=at(23))
    with db.session() as session:
        found, _ = review.escalation_log(session=session, flt=review.EscalationFilter())
        high = next(r for r in found if r["level"] == "high")
        escalations.acknowledge(
            session=session, escalation_id=high["id"], user=worker, now=at(24), channel="console"
        )
    with db.session() as session:
        everything, total = review.escalation_log(session=session, flt=review.EscalationFilter())
        imminent, _ = review.escalation_log(
            session=session, flt=review.EscalationFilter(level="imminent")
        )
        acked, _ = review.escalation_log(
            session=session, flt=review.EscalationFilter(status="acknowledged")
        )
        late, _ = review.escalation_log(session=session, flt=review.EscalationFilter(since=at(15)))
        detail = review.escalation_detail(session=session, escalation_id=high["id"])
    assert total == 2 and [r["level"] for r in everything] == ["imminent", "high"]
    with db.session() as session:
        second_page, paged_total = review.escalation_log(
            session=session, flt=review.EscalationFilter(), limit=1, offset=1
        )
    assert paged_total == 2 and [r["level"] for r in second_page] == ["high"]
    assert [r["call_id"] for r in imminent] == [second]
    assert [r["id"] for r in acked] == [high["id"]]
    assert acked[0]["acknowledged_by"] == "Zhao" and acked[0]["seconds_to_ack"] == 12 * 60
    assert [r["call_id"] for r in late] == [second]
    assert detail is not None and detail["status"] == EscalationStatus.acknowledged.value
    kinds = [(e["kind"], e["person"]) for e in detail["timeline"]]
    assert kinds[0] == ("triggered", "Alice")
    assert ("page", "Zhao") in kinds and kinds[-1] == ("acknowledged", "Zhao")
    assert {p["channel"] for p in detail["pages"]} == {"console", "sms", "voice"}
    # Never the caller's data or the counselor's reason.
    assert "secret reason" not in repr(detail) and "secret reason" not in repr(everything)


def test_call_search_review_and_feedback(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    bob = make_user(db, "bob")
    boss = make_user(db, "boss", role=Role.supervisor)
    with db.session() as session:
        family = IssueCategory(code="t_family", label_zh="家庭", label_en="Family")
        session.add(family)
        session.flush()
        divorce = IssueCategory(
            code="t_divorce", parent_id=family.id, label_zh="离婚", label_en="Divorce"
        )
        work = IssueCategory(code="t_work", label_zh="工作", label_en="Work")
        session.add_all([divorce, work])
        session.flush()
        divorce_id, work_id, family_id = divorce.id, work.id, family.id
    mine = drive.whole_call(db, line, alice, "CA1", at(10), 300, 10)
    drive.write_note(
        db, alice, mine, at(16), submit=False, categories=[divorce_id], crisis_level="moderate"
    )
    drive.presence(db, alice, AgentState.offline, at(17))  # so Bob gets the next call
    theirs = drive.whole_call(db, line, bob, "CA2", at(20), 300, 10)
    drive.write_note(
        db, bob, theirs, at(26), submit=False, categories=[work_id], crisis_level="low"
    )
    with db.session() as session:

        def search(**filters: object) -> list[int]:
            rows, total = review.call_search(session=session, flt=review.CallFilter(**filters))  # type: ignore[arg-type]
            assert total == len(rows)
            return [r["id"] for r in rows]

        assert search() == [theirs, mine]
        assert search(category_id=family_id) == [mine]  # the parent finds its sub-category
        assert search(category_id=work_id) == [theirs]
        assert search(crisis_level="low") == [theirs]
        assert search(counselor_id=alice.id) == [mine]
        assert search(since=at(15)) == [theirs]
        assert search(line_id=(line.id or 0) + 99) == []
        with pytest.raises(review.ReviewError, match="bad_score"):
            review.save_review(
                session=session,
                call_id=mine,
                reviewer=boss,
                scores={"rapport": 6},
                marked_for_review=False,
                comment="",
                now=at(30),
            )
        with pytest.raises(review.ReviewError, match="forbidden"):
            review.save_review(
                session=session,
                call_id=mine,
                reviewer=alice,
                scores={},
                marked_for_review=False,
                comment="",
                now=at(30),
            )
        review.save_review(
            session=session,
            call_id=mine,
            reviewer=boss,
            scores={"rapport": 5, "risk_assessment": 3},
            marked_for_review=True,
            comment="Ask about the plan earlier.",
            now=at(30),
        )
    with db.session() as session:
        rows, _ = review.call_search(session=session, flt=review.CallFilter(marked=True))
        assert [r["id"] for r in rows] == [mine]
        assert review.feedback_for(session=session, user=bob) == []
        feedback = review.feedback_for(session=session, user=alice)
        stored = session.exec(select(CallReview)).one()
        raw = session.connection().exec_driver_sql("SELECT comment FROM call_reviews").scalar()
    assert [f["call_id"] for f in feedback] == [mine]
    assert feedback[0]["comment"] == "Ask about the plan earlier."
    assert feedback[0]["scores"] == {
        "rapport": 5,
        "risk_assessment": 3,
        "intervention": None,
        "documentation": None,
    }
    assert feedback[0]["reviewer"] == "Boss"
    assert stored.counselor_id == alice.id
    assert raw and "plan" not in raw  # encrypted at rest


def test_recording_is_stored_once_for_its_conference(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    call_id = drive.whole_call(db, line, alice, "CA1", at(10), 300, 10)
    with db.session() as session:
        for _ in range(2):
            review.store_recording(
                session=session,
                conference_sid=f"CF{call_id}",
                call_sid=None,
                recording_sid="RE1",
                url="https://api.example/Recordings/RE1",
                duration_s=300,
                now=at(20),
            )
        assert (
            review.store_recording(
                session=session,
                conference_sid="CFnone",
                call_sid=None,
                recording_sid="RE2",
                url="x",
                duration_s=1,
                now=at(20),
            )
            is None
        )
        found = review.recordings_of(session=session, call_id=call_id)
    assert [(r.recording_sid, r.duration_s) for r in found] == [("RE1", 300)]


def test_recordings_come_only_from_twilio_or_the_configured_simulator() -> None:
    account = "AC" + "1" * 32
    path = f"/2010-04-01/Accounts/{account}/Recordings/RE{'0' * 32}"
    simulated = make_settings("sqlite://", 8000, 8765, twilio_account_sid=account)
    real = make_settings(
        "sqlite://", 8000, 8765, twilio_account_sid=account, telephony_mode="twilio"
    )
    simulator = simulated.simulator_url
    for settings, url, allowed in (
        (simulated, f"{simulator}{path}", True),
        (simulated, f"https://api.twilio.com{path}.mp3", True),
        (real, f"https://api.twilio.com{path}.wav", True),
        (real, f"{simulator}{path}", False),  # no simulator outside simulator mode
        (simulated, f"{simulator}{path}.ogg", False),
        (simulated, f"{simulator}{path}#x", False),
    ):
        sources = review.recording_sources(settings)
        assert review.recording_url_allowed(url, account_sid=account, sources=sources) is allowed


def test_shift_totals_sum_every_row_of_the_period(db: Database) -> None:
    alice_day(db)
    with db.session() as session:
        rows = review.shift_log(
            session=session, start=DAY - timedelta(days=1), end=DAY, now=at(48 * 60)
        )
    totals = review.shift_totals(rows)
    # Alice's two days (the 22nd's last hour, all of the 23rd) and Bob's 23rd; worked by hand
    # from the figures above: 1 sign-in (the evening before), 1 sign-out, 2 times offline.
    assert totals.rows == len(rows) == 3
    assert (totals.sign_ins, totals.sign_outs, totals.went_offline) == (1, 1, 2)
    assert totals.seconds["available"] == 3600.0 + 81410.0 + 3600.0
    assert totals.seconds["on_call"] == 1210.0 and totals.seconds["wrap_up"] == 150.0
    assert sum(totals.seconds.values()) == 3 * 86400
    assert (totals.calls_handled, totals.offers_missed) == (2, 1)
    assert (totals.notes_submitted, totals.notes_overdue) == (1, 1)
    assert review.shift_totals([]) == review.ShiftTotals()
