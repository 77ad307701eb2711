"""Training: courses, sessions and attendance, qualifications, the lines' requirements and the
yearly ethics sign-off. Every change by staff is audited with what it was and what it became.

Services take the session and `now`; the pages (agent_console/training/) parse the forms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hotline.audit import service as audit
from hotline.audit.models import AuditAction
from hotline.auth.models import Role, User
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.routing.qualifications import valid_on
from hotline.training.models import (
    Attendance,
    Course,
    CourseKind,
    EthicsSignoff,
    LineQualification,
    PersonQualification,
    Qualification,
    QualificationSource,
    TrainingSession,
)

# Who is trained and signs the ethics statement: everyone who talks to callers or supervises.
STAFF_ROLES = (Role.counselor, Role.crisis, Role.supervisor)
MAX_MINUTES = 100 * 60  # no single course or session is longer than 100 hours


class TrainingError(DomainError):
    """A training change that is refused; `errors` names the form fields at fault."""

    status = 422
    messages: ClassVar[Mapping[str, str]] = {
        "invalid": N_("Some fields need correcting."),
        "name_required": N_("Enter a name."),
        "name_taken": N_("This name is already used."),
        "bad_kind": N_("Choose a kind of course."),
        "bad_hours": N_("Enter the hours as a number between 0 and 100, e.g. 1.5."),
        "bad_days": N_("Enter the days as a whole number from 1, or leave it empty."),
        "bad_qualification": N_("Choose a qualification from the list."),
        "bad_course": N_("Choose a course from the list."),
        "bad_date": N_("Enter a date as YYYY-MM-DD."),
        "trainer_required": N_("Enter who gave the session."),
        "bad_person": N_("Choose people from the list."),
        "not_found": N_("There is no such record."),
        "nobody_qualified": N_(
            "No active counselor of this line holds every qualification it would require: "
            "its calls would be offered to nobody. Confirm to save anyway."
        ),
    }


# --- parsing helpers (shared by the pages) -------------------------------------------------------


def parse_minutes(text: str, *, field_name: str, allow_zero: bool = True) -> int:
    """Hours typed as "1.5" or "1,5" -> 90 minutes."""
    try:
        hours = float(text.strip().replace(",", "."))
    except ValueError:
        raise TrainingError("invalid", errors={field_name: "bad_hours"}) from None
    minutes = round(hours * 60)
    if not (0 if allow_zero else 1) <= minutes <= MAX_MINUTES or hours != hours:
        raise TrainingError("invalid", errors={field_name: "bad_hours"})
    return minutes


def parse_date(text: str, *, field_name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise TrainingError("invalid", errors={field_name: "bad_date"}) from None


# --- qualifications and courses ----------------------------------------------------------------


def list_qualifications(*, session: Session) -> list[Qualification]:
    return list(session.exec(select(Qualification).order_by(col(Qualification.name))).all())


def create_qualification(
    *, session: Session, name: str, by: User, now: datetime, ip: str | None = None
) -> Qualification:
    name = name.strip()
    if not name or len(name) > 120:
        raise TrainingError("invalid", errors={"name": "name_required"})
    if session.exec(select(Qualification).where(Qualification.name == name)).first():
        raise TrainingError("invalid", errors={"name": "name_taken"})
    row = Qualification(name=name)
    session.add(row)
    session.flush()
    _audit(session, by, now, "qualification", row.id, f"created name={name}", ip)
    return row


def list_courses(*, session: Session) -> list[Course]:
    return list(session.exec(select(Course).order_by(col(Course.name))).all())


def create_course(
    *,
    session: Session,
    name: str,
    kind: str,
    minutes: int,
    grants_qualification_id: int | None,
    grants_days: int | None,
    by: User,
    now: datetime,
    ip: str | None = None,
) -> Course:
    errors: dict[str, str] = {}
    name = name.strip()
    if not name or len(name) > 200:
        errors["name"] = "name_required"
    elif session.exec(select(Course).where(Course.name == name)).first():
        errors["name"] = "name_taken"
    if kind not in CourseKind.__members__:
        errors["kind"] = "bad_kind"
    if not 0 <= minutes <= MAX_MINUTES:
        errors["hours"] = "bad_hours"
    if grants_qualification_id is not None and not session.get(
        Qualification, grants_qualification_id
    ):
        errors["grants_qualification_id"] = "bad_qualification"
    if grants_days is not None and grants_days < 1:
        errors["grants_days"] = "bad_days"
    if errors:
        raise TrainingError("invalid", errors=errors)
    course = Course(
        name=name,
        kind=CourseKind(kind),
        minutes=minutes,
        grants_qualification_id=grants_qualification_id,
        grants_days=grants_days if grants_qualification_id is not None else None,
    )
    session.add(course)
    session.flush()
    _audit(
        session,
        by,
        now,
        "course",
        course.id,
        f"created name={name} kind={kind} minutes={minutes} "
        f"grants={grants_qualification_id} days={grants_days}",
        ip,
    )
    return course


# --- sessions and attendance -------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """One person's attendance as taken: present or not, and minutes credited (None: the
    session's length when present, nothing when absent)."""

    present: bool
    credited_minutes: int | None = None


def trainees(*, session: Session) -> list[User]:
    """Who can be marked at a session: active staff, by name."""
    return list(
        session.exec(
            select(User)
            .where(col(User.active), col(User.role).in_([r.value for r in STAFF_ROLES]))
            .order_by(col(User.display_name))
        ).all()
    )


def record_session(
    *,
    session: Session,
    course_id: int,
    held_on: date | None,
    minutes: int,
    trainer: str,
    marks: Mapping[int, Mark],
    by: User,
    now: datetime,
    ip: str | None = None,
) -> TrainingSession:
    errors: dict[str, str] = {}
    course = session.get(Course, course_id)
    if course is None:
        errors["course_id"] = "bad_course"
    if held_on is None:
        errors["held_on"] = "bad_date"
    if not 1 <= minutes <= MAX_MINUTES:
        errors["hours"] = "bad_hours"
    trainer = trainer.strip()
    if not trainer or len(trainer) > 200:
        errors["trainer"] = "trainer_required"
    if errors or held_on is None:
        raise TrainingError("invalid", errors=errors)
    _check_marks(session, marks)  # before anything is written: a refusal leaves nothing
    row = TrainingSession(
        course_id=course_id,
        held_on=held_on,
        minutes=minutes,
        trainer=trainer,
        created_by_id=by.id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    _audit(
        session,
        by,
        now,
        "training_session",
        row.id,
        f"created course={course_id} on={held_on} minutes={minutes}",
        ip,
    )
    take_attendance(session=session, session_id=row.id or 0, marks=marks, by=by, now=now, ip=ip)
    return row


def take_attendance(
    *,
    session: Session,
    session_id: int,
    marks: Mapping[int, Mark],
    by: User,
    now: datetime,
    ip: str | None = None,
) -> list[Attendance]:
    """Set each marked person's attendance (others keep theirs); the present are credited and
    given the course's qualification if it grants one."""
    held = session.get(TrainingSession, session_id)
    if held is None:
        raise TrainingError("not_found", status=404)
    course = session.get(Course, held.course_id)
    assert course is not None
    _check_marks(session, marks)
    existing = {
        a.user_id: a
        for a in session.exec(select(Attendance).where(Attendance.session_id == session_id)).all()
    }
    out: list[Attendance] = []
    for user_id, mark in sorted(marks.items()):
        credited = (
            0
            if not mark.present
            else held.minutes
            if mark.credited_minutes is None
            else mark.credited_minutes
        )
        row = existing.get(user_id)
        before = f"{row.present}/{row.credited_minutes}" if row else "none"
        if row is None:
            row = Attendance(session_id=session_id, user_id=user_id, present=mark.present)
        row.present = mark.present
        row.credited_minutes = credited
        session.add(row)
        out.append(row)
        after = f"{mark.present}/{credited}"
        if before != after:
            _audit(
                session,
                by,
                now,
                "training_attendance",
                session_id,
                f"user={user_id} before={before} after={after}",
                ip,
            )
        if mark.present and course.grants_qualification_id is not None:
            until = (
                held.held_on + timedelta(days=course.grants_days) if course.grants_days else None
            )
            _grant(
                session,
                user_id=user_id,
                qualification_id=course.grants_qualification_id,
                valid_until=until,
                source=QualificationSource.course,
                session_id=session_id,
                by=by,
                now=now,
                ip=ip,
                extend_only=True,
            )
    session.flush()
    return out


def _check_marks(session: Session, marks: Mapping[int, Mark]) -> None:
    known = {
        u.id
        for u in session.exec(select(User).where(col(User.id).in_(list(marks)))).all()
        if u.id is not None
    }
    if set(marks) - known:
        raise TrainingError("invalid", errors={"attendance": "bad_person"})
    for mark in marks.values():
        if mark.credited_minutes is not None and not 0 <= mark.credited_minutes <= MAX_MINUTES:
            raise TrainingError("invalid", errors={"attendance": "bad_hours"})


@dataclass
class SessionView:
    session: TrainingSession
    course: Course
    marks: dict[int, Attendance]


def get_session(*, session: Session, session_id: int) -> SessionView:
    held = session.get(TrainingSession, session_id)
    if held is None:
        raise TrainingError("not_found", status=404)
    course = session.get(Course, held.course_id)
    assert course is not None
    marks = {
        a.user_id: a
        for a in session.exec(select(Attendance).where(Attendance.session_id == session_id)).all()
    }
    return SessionView(session=held, course=course, marks=marks)


def recent_sessions(*, session: Session, limit: int = 50) -> list[tuple[TrainingSession, Course]]:
    rows = session.exec(
        select(TrainingSession, Course)
        .join(Course, col(Course.id) == TrainingSession.course_id)
        .order_by(col(TrainingSession.held_on).desc(), col(TrainingSession.id).desc())
        .limit(limit)
    ).all()
    return [(s, c) for s, c in rows]


# --- qualifications held -----------------------------------------------------------------------


def _grant(
    session: Session,
    *,
    user_id: int,
    qualification_id: int,
    valid_until: date | None,
    source: QualificationSource,
    session_id: int | None,
    by: User,
    now: datetime,
    ip: str | None,
    extend_only: bool,
) -> PersonQualification:
    row = session.exec(
        select(PersonQualification).where(
            PersonQualification.user_id == user_id,
            PersonQualification.qualification_id == qualification_id,
        )
    ).first()
    before = "none" if row is None else str(row.valid_until or "no expiry")
    if row is None:
        row = PersonQualification(
            user_id=user_id, qualification_id=qualification_id, granted_at=now
        )
    elif extend_only and (
        row.valid_until is None or (valid_until is not None and row.valid_until >= valid_until)
    ):
        return row  # attending again never shortens what they already hold
    row.valid_until = valid_until
    row.source = source
    row.session_id = session_id
    row.granted_at = now
    session.add(row)
    after = str(valid_until or "no expiry")
    _audit(
        session,
        by,
        now,
        "person_qualification",
        user_id,
        f"qualification={qualification_id} source={source.value} before={before} after={after}",
        ip,
    )
    return row


def grant_qualification(
    *,
    session: Session,
    user_id: int,
    qualification_id: int,
    valid_until: date | None,
    by: User,
    now: datetime,
    ip: str | None = None,
) -> PersonQualification:
    """Grant by hand, or set a new expiry (a renewal, or a correction)."""
    if session.get(User, user_id) is None:
        raise TrainingError("not_found", status=404)
    if session.get(Qualification, qualification_id) is None:
        raise TrainingError("invalid", errors={"qualification_id": "bad_qualification"})
    row = _grant(
        session,
        user_id=user_id,
        qualification_id=qualification_id,
        valid_until=valid_until,
        source=QualificationSource.manual,
        session_id=None,
        by=by,
        now=now,
        ip=ip,
        extend_only=False,
    )
    session.flush()
    return row


# --- a line's requirements ---------------------------------------------------------------------


def line_requirements(*, session: Session, line_id: int) -> list[int]:
    return list(
        session.exec(
            select(LineQualification.qualification_id).where(LineQualification.line_id == line_id)
        ).all()
    )


def qualified_counselors(
    *, session: Session, line: Line, required: Iterable[int], now: datetime
) -> list[User]:
    """Active counselors who take this line and hold every required qualification validly."""
    needed = set(required)
    takers = [
        u
        for u in session.exec(
            select(User).where(col(User.active), User.role == Role.counselor)
        ).all()
        if not u.line_ids or line.id in u.line_ids
    ]
    if not needed:
        return takers
    held: dict[int, set[int]] = {}
    for row in session.exec(
        select(PersonQualification).where(
            col(PersonQualification.qualification_id).in_(list(needed))
        )
    ).all():
        if valid_on(row.valid_until, now):
            held.setdefault(row.user_id, set()).add(row.qualification_id)
    return [u for u in takers if needed <= held.get(u.id or 0, set())]


def set_line_requirements(
    *,
    session: Session,
    line_id: int,
    qualification_ids: Sequence[int],
    confirmed: bool,
    by: User,
    now: datetime,
    ip: str | None = None,
) -> None:
    """Requiring what no counselor of the line holds would offer its calls to nobody: refused
    unless confirmed."""
    line = session.get(Line, line_id)
    if line is None:
        raise TrainingError("not_found", status=404)
    wanted = sorted(set(qualification_ids))
    known = set(
        session.exec(select(Qualification.id).where(col(Qualification.id).in_(wanted))).all()
    )
    if set(wanted) - known:
        raise TrainingError("invalid", errors={"required_qualifications": "bad_qualification"})
    before = sorted(line_requirements(session=session, line_id=line_id))
    if before == wanted:
        return
    added = set(wanted) - set(before)
    if (
        added
        and not confirmed
        and not qualified_counselors(session=session, line=line, required=wanted, now=now)
    ):
        raise TrainingError(
            "invalid", status=409, errors={"required_qualifications": "nobody_qualified"}
        )
    for row in session.exec(
        select(LineQualification).where(LineQualification.line_id == line_id)
    ).all():
        if row.qualification_id not in wanted:
            session.delete(row)
    for qualification_id in added:
        session.add(LineQualification(line_id=line_id, qualification_id=qualification_id))
    session.flush()
    _audit(session, by, now, "line", line_id, f"required_qualifications {before} -> {wanted}", ip)


def lines_nobody_qualified(*, session: Session, now: datetime) -> list[Line]:
    """Active lines with requirements that no active counselor of theirs meets now."""
    out: list[Line] = []
    for line in session.exec(select(Line).where(col(Line.active))).all():
        required = line_requirements(session=session, line_id=line.id or 0)
        if required and not qualified_counselors(
            session=session, line=line, required=required, now=now
        ):
            out.append(line)
    return out


# --- a person's record -------------------------------------------------------------------------


@dataclass
class AttendedRow:
    session_id: int
    course: str
    kind: str
    held_on: date
    present: bool
    credited_minutes: int


@dataclass
class HeldQualification:
    qualification_id: int
    name: str
    valid_until: date | None
    valid: bool
    source: str


@dataclass
class PersonRecord:
    user: User
    credited_minutes: int
    attended: list[AttendedRow]
    qualifications: list[HeldQualification]
    ethics_year: int
    ethics_signed_at: datetime | None


def person_record(*, session: Session, user_id: int, now: datetime) -> PersonRecord:
    user = session.get(User, user_id)
    if user is None:
        raise TrainingError("not_found", status=404)
    rows = session.exec(
        select(Attendance, TrainingSession, Course)
        .join(TrainingSession, col(TrainingSession.id) == Attendance.session_id)
        .join(Course, col(Course.id) == TrainingSession.course_id)
        .where(Attendance.user_id == user_id)
        .order_by(col(TrainingSession.held_on).desc(), col(TrainingSession.id).desc())
    ).all()
    attended = [
        AttendedRow(
            session_id=s.id or 0,
            course=c.name,
            kind=c.kind.value,
            held_on=s.held_on,
            present=a.present,
            credited_minutes=a.credited_minutes,
        )
        for a, s, c in rows
    ]
    held = session.exec(
        select(PersonQualification, Qualification)
        .join(Qualification, col(Qualification.id) == PersonQualification.qualification_id)
        .where(PersonQualification.user_id == user_id)
        .order_by(col(Qualification.name))
    ).all()
    year = ethics_year(session=session, user=user, now=now)
    signed = session.exec(
        select(EthicsSignoff).where(EthicsSignoff.user_id == user_id, EthicsSignoff.year == year)
    ).first()
    return PersonRecord(
        user=user,
        credited_minutes=sum(r.credited_minutes for r in attended),
        attended=attended,
        qualifications=[
            HeldQualification(
                qualification_id=q.id or 0,
                name=q.name,
                valid_until=p.valid_until,
                valid=valid_on(p.valid_until, now),
                source=p.source.value,
            )
            for p, q in held
        ],
        ethics_year=year,
        ethics_signed_at=signed.signed_at if signed else None,
    )


# --- ethics and confidentiality sign-off -------------------------------------------------------
# Shown, never enforced: an unsigned counselor still takes calls (a caller in crisis must not
# wait on paperwork); admins see who has not signed and follow it up.


def ethics_year(*, session: Session, user: User, now: datetime) -> int:
    lines = list(session.exec(select(Line).where(col(Line.active))).all())
    return _year_for(user, lines, now)


def _year_for(user: User, lines: Sequence[Line], now: datetime) -> int:
    """The calendar year at `now` in the time zone of the person's first line (of every line
    when they take all, if those share one zone), else in UTC."""
    by_id = {line.id: line for line in lines}
    if user.line_ids and user.line_ids[0] in by_id:
        zones = {by_id[user.line_ids[0]].timezone}
    else:
        zones = {line.timezone for line in lines}
    zone = ZoneInfo(zones.pop()) if len(zones) == 1 else ZoneInfo("UTC")
    return now.astimezone(zone).year


def sign_ethics(*, session: Session, user: User, now: datetime) -> EthicsSignoff:
    """Confirm this year's statement; signing again the same year changes nothing."""
    year = ethics_year(session=session, user=user, now=now)
    row = session.exec(
        select(EthicsSignoff).where(EthicsSignoff.user_id == user.id, EthicsSignoff.year == year)
    ).first()
    if row is not None:
        return row
    row = EthicsSignoff(user_id=user.id or 0, year=year, signed_at=now)
    session.add(row)
    session.flush()
    _audit(session, user, now, "ethics_signoff", user.id, f"signed year={year}", None)
    return row


def unsigned_this_year(*, session: Session, now: datetime) -> set[int]:
    """Ids of active staff who have not signed their current year's statement."""
    signed = {
        (s.user_id, s.year)
        for s in session.exec(
            select(EthicsSignoff).where(col(EthicsSignoff.year) >= now.year - 1)
        ).all()
    }
    lines = list(session.exec(select(Line).where(col(Line.active))).all())
    return {
        u.id
        for u in trainees(session=session)
        if u.id is not None and (u.id, _year_for(u, lines, now)) not in signed
    }


def _audit(
    session: Session,
    by: User,
    now: datetime,
    object_type: str,
    object_id: int | None,
    detail: str,
    ip: str | None,
) -> None:
    audit.record(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type=object_type,
        object_id=object_id,
        user=by,
        detail=detail,
        ip=ip,
    )
