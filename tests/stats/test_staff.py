"""The staff part of the national report: people on duty by profession and by full- or
part-time, their service hours, and the training held, worked out by hand for March 2026 in
Shanghai (local 1 March 00:00 is 28 February 16:00 UTC); and the staff record on the person's
page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import col, select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role, User
from hotline.db import Database
from hotline.routing.models import PresenceEvent
from hotline.simulator.console_client import csrf_from
from hotline.stats import report
from hotline.stats import service as stats
from hotline.training.models import Attendance, Course, TrainingSession
from tests.factories import make_line, make_user
from tests.stack import Stack
from tests.stats.test_pages import sign_in


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def seed_march(db: Database) -> dict[str, int]:
    make_line(db)
    people = {
        "psy": make_user(db, "psy"),
        "vol": make_user(db, "vol"),
        "new": make_user(db, "new"),
        "off": make_user(db, "off"),
    }
    with db.session() as session:
        for name, profession, employment in (
            ("psy", "psychiatrist", "full_time"),
            ("vol", "volunteer", "part_time"),
        ):
            person = session.get(User, people[name].id)
            assert person is not None
            person.profession, person.employment = profession, employment
            session.add(person)
        moves = [
            # psy: 2 h on duty on 10 March (available, on a call, wrap-up), then away.
            ("psy", at(10, 1), "available"),
            ("psy", at(10, 2), "on_call"),
            ("psy", at(10, 2).replace(minute=30), "wrap_up"),
            ("psy", at(10, 3), "away"),
            # vol: available since before the month began, offline 2 h into it.
            ("vol", at(28, 10, month=2), "available"),
            ("vol", at(28, 18, month=2), "offline"),
            # new: available for the month's last hour, and on into April.
            ("new", at(31, 15), "available"),
            ("new", at(1, 2, month=4), "offline"),
            # off: on duty only in February: not counted.
            ("off", at(20, 1, month=2), "available"),
            ("off", at(20, 5, month=2), "offline"),
        ]
        for name, when, state in moves:
            session.add(PresenceEvent(user_id=people[name].id or 0, state=state, at=when))
        course = Course(name="Crisis intervention", minutes=150)
        session.add(course)
        session.flush()
        march = TrainingSession(
            course_id=course.id or 0,
            held_on=date(2026, 3, 15),
            minutes=150,
            trainer="Dr Wu",
            created_at=at(15, 1),
        )
        april = TrainingSession(
            course_id=course.id or 0,
            held_on=date(2026, 4, 1),
            minutes=60,
            trainer="Dr Wu",
            created_at=at(1, 1, month=4),
        )
        session.add_all([march, april])
        session.flush()
        for name, present in (("psy", True), ("vol", True), ("new", False)):
            session.add(
                Attendance(
                    session_id=march.id or 0,
                    user_id=people[name].id or 0,
                    present=present,
                    credited_minutes=150 if present else 0,
                )
            )
        session.add(
            Attendance(
                session_id=april.id or 0,
                user_id=people["psy"].id or 0,
                present=True,
                credited_minutes=60,
            )
        )
    return {name: user.id or 0 for name, user in people.items()}


def test_the_staff_part_of_march(db: Database) -> None:
    seed_march(db)
    with db.session() as session:
        scope = stats.month_scope(session=session, line_id=None, month="2026-03")
        rows = report.build_rows(
            session=session, scope=scope, month="2026-03", line_name="all", locale="en"
        )
    staff = {row.item: row.value for row in rows if row.section == "Staff"}
    assert staff["Staff on duty"] == 3
    assert staff["Psychiatrist"] == 1 and staff["Volunteer"] == 1
    assert staff["Psychiatric nurse"] == 0 and staff["Social worker"] == 0  # every field shown
    assert staff["Profession not recorded"] == 1
    assert (staff["Full-time"], staff["Part-time"]) == (1, 1)
    assert staff["Full- or part-time not recorded"] == 1
    assert staff["Service hours"] == 5.0  # 2 (psy) + 2 (vol) + 1 (new)
    assert staff["Training sessions held"] == 1  # April's is another month
    assert staff["Training attendances"] == 2
    assert staff["Training hours credited"] == 5.0  # 150 min twice


def test_the_staff_record_on_the_persons_page(app_only: Stack) -> None:
    make_user(app_only.db, "root", role=Role.admin)
    target = make_user(app_only.db, "amy")
    client = sign_in(app_only, "root")
    page = client.get(f"/admin/users/{target.id}")
    assert 'data-testid="staff-record-form"' in page.text
    token = csrf_from(page.text)
    url = f"/admin/users/{target.id}/staff-record"
    bad = client.post(url, data={"profession": "astronaut", "employment": "", "csrf_token": token})
    assert bad.status_code == 422 and 'id="e-profession"' in bad.text
    saved = client.post(
        url, data={"profession": "nurse", "employment": "part_time", "csrf_token": token}
    )
    assert saved.status_code == 303
    with app_only.db.session() as session:
        amy = session.get(User, target.id)
        assert amy is not None and (amy.profession, amy.employment) == ("nurse", "part_time")
        detail = session.exec(
            select(AuditEvent.detail)
            .where(AuditEvent.object_type == "user", AuditEvent.object_id == str(target.id))
            .order_by(col(AuditEvent.id).desc())
        ).first()
    assert detail is not None and '"profession":"nurse"' in detail
    make_user(app_only.db, "carl")
    carl = sign_in(app_only, "carl")
    assert carl.post(url, data={"profession": "nurse", "csrf_token": token}).status_code == 403
