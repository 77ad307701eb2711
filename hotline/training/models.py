"""Training: courses, the sessions held and who attended, qualifications with expiry, the
qualifications a line requires, and the yearly ethics and confidentiality sign-off.

Durations are whole minutes (an attendance of 1 h 30 credits 90), so sums are exact on every
database; pages show them as hours.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from hotline.models_base import StrEnumType, UTCDateTime


class CourseKind(StrEnum):
    initial = "initial"  # initial training of a new volunteer or counselor
    crisis = "crisis"  # crisis intervention
    continuing = "continuing"  # continuing education
    ethics = "ethics"
    other = "other"


class QualificationSource(StrEnum):
    manual = "manual"  # granted on the person's page
    course = "course"  # granted by attending a course that grants it


class Qualification(SQLModel, table=True):
    """Something a person may hold, e.g. "crisis intervention"."""

    __tablename__ = "qualifications"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)


class Course(SQLModel, table=True):
    __tablename__ = "training_courses"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: CourseKind = Field(default=CourseKind.other, sa_type=StrEnumType(CourseKind))
    minutes: int = Field(ge=0)  # the course's nominal length
    # Attending a session of it grants this qualification for `grants_days` days (None: no
    # expiry) from the session's date.
    grants_qualification_id: int | None = Field(default=None, foreign_key="qualifications.id")
    grants_days: int | None = Field(default=None, ge=1)
    active: bool = True


class TrainingSession(SQLModel, table=True):
    __tablename__ = "training_sessions"
    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="training_courses.id", index=True)
    held_on: date = Field(index=True)
    minutes: int = Field(ge=1)
    trainer: str = Field(max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Attendance(SQLModel, table=True):
    """One person at one session: present or absent, and the minutes credited to them."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="training_sessions.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    present: bool
    credited_minutes: int = Field(default=0, ge=0)


class PersonQualification(SQLModel, table=True):
    """A person's current hold of a qualification; a renewal moves `valid_until`."""

    __tablename__ = "person_qualifications"
    __table_args__ = (UniqueConstraint("user_id", "qualification_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    qualification_id: int = Field(foreign_key="qualifications.id", index=True)
    # Valid through this date (inclusive, UTC); None: no expiry.
    valid_until: date | None = None
    source: QualificationSource = Field(
        default=QualificationSource.manual, sa_type=StrEnumType(QualificationSource)
    )
    session_id: int | None = Field(default=None, foreign_key="training_sessions.id")
    granted_at: datetime = Field(sa_type=UTCDateTime)


class LineQualification(SQLModel, table=True):
    """A qualification a counselor needs to be offered this line's calls."""

    __tablename__ = "line_qualifications"
    line_id: int = Field(foreign_key="lines.id", primary_key=True)
    qualification_id: int = Field(foreign_key="qualifications.id", primary_key=True)


class EthicsSignoff(SQLModel, table=True):
    """A counselor confirmed the ethics and confidentiality statement for a calendar year."""

    __tablename__ = "ethics_signoffs"
    __table_args__ = (UniqueConstraint("user_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    year: int
    signed_at: datetime = Field(sa_type=UTCDateTime)
