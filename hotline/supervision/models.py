"""Supervision (督导): sessions with who attended, the calls discussed and the actions agreed;
debrief requests after hard contacts; and each line's QA sampling rule."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class SessionKind(StrEnum):
    individual = "individual"
    group = "group"


class DebriefStatus(StrEnum):
    requested = "requested"
    scheduled = "scheduled"
    done = "done"


class DebriefReason(StrEnum):
    high_risk = "high_risk"  # offered after a high or imminent contact, and accepted
    asked = "asked"  # the counselor asked on their own


class SupervisionSession(SQLModel, table=True):
    __tablename__ = "supervision_sessions"
    id: int | None = Field(default=None, primary_key=True)
    kind: SessionKind = Field(sa_type=StrEnumType(SessionKind))
    supervisor_id: int = Field(foreign_key="users.id", index=True)
    held_at: datetime = Field(sa_type=UTCDateTime, index=True)
    duration_min: int
    # Themes may name or describe callers: encrypted at rest like notes.
    themes: str | None = Field(default=None, sa_type=EncryptedText)
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SupervisionAttendee(SQLModel, table=True):
    __tablename__ = "supervision_attendees"
    __table_args__ = (UniqueConstraint("session_id", "counselor_id"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="supervision_sessions.id", index=True)
    counselor_id: int = Field(foreign_key="users.id", index=True)


class SupervisionCall(SQLModel, table=True):
    __tablename__ = "supervision_calls"
    __table_args__ = (UniqueConstraint("session_id", "call_id"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="supervision_sessions.id", index=True)
    call_id: int = Field(foreign_key="calls.id", index=True)


class SupervisionAction(SQLModel, table=True):
    __tablename__ = "supervision_actions"
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="supervision_sessions.id", index=True)
    # What was agreed may quote a call: encrypted.
    text: str = Field(sa_type=EncryptedText)
    owner_id: int = Field(foreign_key="users.id", index=True)
    due_on: date
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by_id: int | None = Field(default=None, foreign_key="users.id")


class DebriefRequest(SQLModel, table=True):
    __tablename__ = "debrief_requests"
    id: int | None = Field(default=None, primary_key=True)
    counselor_id: int = Field(foreign_key="users.id", index=True)
    call_id: int | None = Field(default=None, foreign_key="calls.id", index=True)
    reason: DebriefReason = Field(sa_type=StrEnumType(DebriefReason))
    status: DebriefStatus = Field(
        default=DebriefStatus.requested, sa_type=StrEnumType(DebriefStatus), index=True
    )
    requested_at: datetime = Field(sa_type=UTCDateTime)
    scheduled_for: datetime | None = Field(default=None, sa_type=UTCDateTime)
    session_id: int | None = Field(default=None, foreign_key="supervision_sessions.id")
    updated_at: datetime = Field(sa_type=UTCDateTime)


class QaSamplingRule(SQLModel, table=True):
    """Which of a line's contacts are marked for QA review: a share of them, chosen by a hash of
    the call id and the rule's seed (so the same calls stay marked), and every high-risk one."""

    __tablename__ = "qa_sampling_rules"
    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="lines.id", unique=True)
    percent: float = Field(default=5.0)
    every_high_risk: bool = True
    review_within_days: int = 7
    seed: str = Field(default="qa", max_length=32)
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = Field(sa_type=UTCDateTime)
