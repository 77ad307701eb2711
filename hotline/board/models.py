"""Counselors' help requests and supervisors' monitoring of live calls."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import JSON, Field, SQLModel

from hotline.models_base import StrEnumType, UTCDateTime


class HelpStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    closed = "closed"  # the call ended before anyone acknowledged


class HelpRequest(SQLModel, table=True):
    """A counselor on a live call asked for a supervisor."""

    __tablename__ = "help_requests"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    status: HelpStatus = Field(default=HelpStatus.open, sa_type=StrEnumType(HelpStatus), index=True)
    # Who was alerted: the supervisor on duty, or every active supervisor if nobody is.
    alerted_user_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    acknowledged_by: int | None = Field(default=None, foreign_key="users.id")
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MonitorMode(StrEnum):
    listen = "listen"  # muted: nobody hears the supervisor
    whisper = "whisper"  # coaching: only the counselor hears the supervisor
    barge = "barge"  # a normal participant: everyone hears the supervisor


class MonitorStatus(StrEnum):
    dialing = "dialing"  # the supervisor's phone is being rung
    joined = "joined"  # their leg is in the caller's conference
    ended = "ended"
    failed = "failed"


LIVE_MONITOR_STATUSES = frozenset({MonitorStatus.dialing, MonitorStatus.joined})


class CallMonitor(SQLModel, table=True):
    """One supervisor's leg in a caller's conference (listen, whisper or barge)."""

    __tablename__ = "call_monitors"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    # What the supervisor asked for, and what the phone network was last told.
    mode: MonitorMode = Field(sa_type=StrEnumType(MonitorMode))
    applied_mode: str | None = Field(default=None, max_length=16)
    status: MonitorStatus = Field(
        default=MonitorStatus.dialing, sa_type=StrEnumType(MonitorStatus), index=True
    )
    leg_sid: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    joined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=300)
