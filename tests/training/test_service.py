"""Training records against a real database with the clock set by hand: attendance credits
hours, a course grants its qualification, the ethics sign-off is once per calendar year in the
line's time zone, a line's requirement nobody meets must be confirmed, and the period figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.db import Database
from hotline.training import figures
from hotline.training import service as training
from hotline.training.service import Mark, TrainingError
from tests.factories import make_line, make_user
from tests.training.drive import admin, course, grant, qualification

T0 = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_attendance_credits_hours_and_grants_the_course_qualification(db: Database) -> None:
    boss = admin(db)
    alice, bob, carol = make_user(db, "alice"), make_user(db, "bob"), make_user(db, "carol")
    crisis = qualification(db, boss, T0)
    basics = course(db, boss, T0, grants=crisis, days=365)
    with db.session() as session:
        held = training.record_session(
            session=session,
            course_id=basics,
            held_on=date(2026, 12, 5),
            minutes=150,
            trainer="Dr. Wang",
            marks={
                alice.id or 0: Mark(present=True),
                bob.id or 0: Mark(present=False),
                carol.id or 0: Mark(present=True, credited_minutes=90),  # left early
            },
            by=boss,
            now=T0,
        )
        session_id = held.id or 0
    with db.session() as session:
        a = training.person_record(session=session, user_id=alice.id or 0, now=T0)
        b = training.person_record(session=session, user_id=bob.id or 0, now=T0)
        c = training.person_record(session=session, user_id=carol.id or 0, now=T0)
    assert (a.credited_minutes, b.credited_minutes, c.credited_minutes) == (150, 0, 90)
    assert [q.valid_until for q in a.qualifications] == [date(2027, 12, 5)]
    assert b.qualifications == []
    # Taking attendance again: Bob came after all; the record follows.
    with db.session() as session:
        training.take_attendance(
            session=session,
            session_id=session_id,
            marks={bob.id or 0: Mark(True)},
            by=boss,
            now=T0,
        )
    with db.session() as session:
        b = training.person_record(session=session, user_id=bob.id or 0, now=T0)
        assert b.credited_minutes == 150 and b.qualifications[0].valid
        details = [
            e.detail or ""
            for e in session.exec(
                select(AuditEvent).where(AuditEvent.object_type == "training_attendance")
            ).all()
        ]
    assert f"user={bob.id} before=False/0 after=True/150" in details


def test_attending_again_never_shortens_a_qualification(db: Database) -> None:
    boss = admin(db)
    alice = make_user(db, "alice")
    crisis = qualification(db, boss, T0)
    grant(db, boss, T0, alice, crisis, date(2030, 1, 1))
    short = course(db, boss, T0, grants=crisis, days=30)
    with db.session() as session:
        training.record_session(
            session=session,
            course_id=short,
            held_on=date(2026, 12, 1),
            minutes=60,
            trainer="Li",
            marks={alice.id or 0: Mark(True)},
            by=boss,
            now=T0,
        )
        record = training.person_record(session=session, user_id=alice.id or 0, now=T0)
    assert record.qualifications[0].valid_until == date(2030, 1, 1)


def test_bad_input_names_the_field(db: Database) -> None:
    boss = admin(db)
    with db.session() as session, pytest.raises(TrainingError) as refused:
        training.create_course(
            session=session,
            name=" ",
            kind="nonsense",
            minutes=-5,
            grants_qualification_id=999,
            grants_days=0,
            by=boss,
            now=T0,
        )
    assert refused.value.errors == {
        "name": "name_required",
        "kind": "bad_kind",
        "hours": "bad_hours",
        "grants_qualification_id": "bad_qualification",
        "grants_days": "bad_days",
    }
    with pytest.raises(TrainingError) as refused:
        training.parse_minutes("two", field_name="hours")
    assert refused.value.errors == {"hours": "bad_hours"}
    assert training.parse_minutes("1,5", field_name="hours") == 90


def test_ethics_sign_off_is_once_per_year_in_the_lines_time_zone(db: Database) -> None:
    make_line(db)  # Asia/Shanghai
    alice, bob = make_user(db, "alice"), make_user(db, "bob")
    # 2026-12-31 17:00 UTC is already 2027-01-01 01:00 in Shanghai.
    new_year_local = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    with db.session() as session:
        assert training.unsigned_this_year(session=session, now=T0) == {alice.id, bob.id}
        first = training.sign_ethics(session=session, user=alice, now=T0)
        again = training.sign_ethics(session=session, user=alice, now=T0)
        assert first.id == again.id and first.year == 2026
    with db.session() as session:
        assert training.unsigned_this_year(session=session, now=T0) == {bob.id}
        assert training.unsigned_this_year(session=session, now=new_year_local) == {
            alice.id,
            bob.id,
        }
        assert training.sign_ethics(session=session, user=alice, now=new_year_local).year == 2027


def test_requiring_what_nobody_holds_must_be_confirmed(db: Database) -> None:
    line = make_line(db)
    boss = admin(db)
    alice = make_user(db, "alice")
    crisis = qualification(db, boss, T0)
    with db.session() as session, pytest.raises(TrainingError) as refused:
        training.set_line_requirements(
            session=session,
            line_id=line.id or 0,
            qualification_ids=[crisis],
            confirmed=False,
            by=boss,
            now=T0,
        )
    assert refused.value.status == 409
    assert refused.value.errors == {"required_qualifications": "nobody_qualified"}
    with db.session() as session:
        assert training.line_requirements(session=session, line_id=line.id or 0) == []
    grant(db, boss, T0, alice, crisis, date(2027, 6, 1))
    with db.session() as session:
        training.set_line_requirements(
            session=session,
            line_id=line.id or 0,
            qualification_ids=[crisis],
            confirmed=False,
            by=boss,
            now=T0,
        )
    with db.session() as session:
        assert training.line_requirements(session=session, line_id=line.id or 0) == [crisis]
        assert training.lines_nobody_qualified(session=session, now=T0) == []
        later = datetime(2027, 6, 2, tzinfo=UTC)
        assert [x.id for x in training.lines_nobody_qualified(session=session, now=later)] == [
            line.id
        ]


def test_training_in_a_period(db: Database) -> None:
    boss = admin(db)
    alice, bob = make_user(db, "alice"), make_user(db, "bob")
    ethics = course(db, boss, T0, "Ethics", minutes=60)
    with db.session() as session:
        for day, marks in [
            (date(2026, 10, 31), {alice.id or 0: Mark(True)}),  # before the period
            (date(2026, 11, 3), {alice.id or 0: Mark(True), bob.id or 0: Mark(False)}),
            (date(2026, 11, 20), {alice.id or 0: Mark(True, 30), bob.id or 0: Mark(True)}),
            (date(2026, 12, 1), {bob.id or 0: Mark(True)}),  # the end is not in the period
        ]:
            training.record_session(
                session=session,
                course_id=ethics,
                held_on=day,
                minutes=60,
                trainer="Li",
                marks=marks,
                by=boss,
                now=T0,
            )
    with db.session() as session:
        november = figures.training_in_period(
            session=session, start=date(2026, 11, 1), end=date(2026, 12, 1)
        )
    assert [(s.held_on.day, s.present, s.absent) for s in november.sessions] == [
        (3, 1, 1),
        (20, 2, 0),
    ]
    assert november.minutes_by_person == {alice.id: 90, bob.id: 60}
    assert (november.attendances, november.credited_minutes) == (3, 150)
