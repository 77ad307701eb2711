"""Training figures for a period, for the staff part of the national monthly report (and its
quarterly and half-year forms): the sessions held, their attendance, and hours credited per
person. The report calls `training_in_period`; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from hotline.training.models import Attendance, Course, TrainingSession


@dataclass
class PeriodSession:
    session_id: int
    course: str
    kind: str
    held_on: date
    minutes: int
    trainer: str
    present: int
    absent: int


@dataclass
class TrainingPeriod:
    """Training in [start, end): for the staff part of the national monthly report."""

    start: date
    end: date
    sessions: list[PeriodSession] = field(default_factory=list)
    # user id -> minutes credited in the period (present only)
    minutes_by_person: dict[int, int] = field(default_factory=dict)

    @property
    def attendances(self) -> int:
        return sum(s.present for s in self.sessions)

    @property
    def credited_minutes(self) -> int:
        return sum(self.minutes_by_person.values())


def training_in_period(*, session: Session, start: date, end: date) -> TrainingPeriod:
    """Sessions held on start <= day < end, their attendance, and minutes credited per person."""
    out = TrainingPeriod(start=start, end=end)
    in_period = (col(TrainingSession.held_on) >= start, col(TrainingSession.held_on) < end)
    counts = {
        (session_id, present): count
        for session_id, present, count in session.exec(
            select(Attendance.session_id, Attendance.present, func.count())
            .join(TrainingSession, col(TrainingSession.id) == Attendance.session_id)
            .where(*in_period)
            .group_by(col(Attendance.session_id), col(Attendance.present))
        ).all()
    }
    for held, course in session.exec(
        select(TrainingSession, Course)
        .join(Course, col(Course.id) == TrainingSession.course_id)
        .where(*in_period)
        .order_by(col(TrainingSession.held_on), col(TrainingSession.id))
    ).all():
        out.sessions.append(
            PeriodSession(
                session_id=held.id or 0,
                course=course.name,
                kind=course.kind.value,
                held_on=held.held_on,
                minutes=held.minutes,
                trainer=held.trainer,
                present=counts.get((held.id or 0, True), 0),
                absent=counts.get((held.id or 0, False), 0),
            )
        )
    for user_id, minutes in session.exec(
        select(Attendance.user_id, func.sum(Attendance.credited_minutes))
        .join(TrainingSession, col(TrainingSession.id) == Attendance.session_id)
        .where(*in_period, col(Attendance.present))
        .group_by(col(Attendance.user_id))
    ).all():
        out.minutes_by_person[user_id] = int(minutes or 0)
    return out
