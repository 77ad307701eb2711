"""The crisis-team rota: schedules, their rotation layers, overrides and shift swaps.

Who is on call is computed, never stored: a rotation says who holds shift k (hand-offs on the
local wall clock of the schedule's time zone), the highest layer with someone on call wins, and
overrides active at the instant change the result. See `hotline.rota.service`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import JSON, Field, SQLModel

from hotline.models_base import StrEnumType, UTCDateTime

DEFAULT_TIMEZONE = "Asia/Shanghai"


class SchedulePurpose(StrEnum):
    crisis = "crisis"  # the crisis team on call
    supervisor = "supervisor"  # the supervisor on duty


class ShiftKind(StrEnum):
    daily = "daily"
    weekly = "weekly"
    custom = "custom"  # every `shift_hours` hours


class OverrideKind(StrEnum):
    add = "add"  # user_id is on call too
    remove = "remove"  # replaced_user_id is off call
    # user_id takes replaced_user_id's place. (The name hides str.replace on members; never
    # call string methods on an OverrideKind, use .value.)
    replace = "replace"  # type: ignore[assignment]


class SwapStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    cancelled = "cancelled"


class ScheduleBase(SQLModel):
    name: str = Field(max_length=128, unique=True)
    purpose: SchedulePurpose = Field(
        default=SchedulePurpose.crisis, sa_type=StrEnumType(SchedulePurpose)
    )
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64)  # IANA name
    description: str = Field(default="", max_length=1000)


class Schedule(ScheduleBase, table=True):
    __tablename__ = "rota_schedules"
    id: int | None = Field(default=None, primary_key=True)


class RotationBase(SQLModel):
    name: str = Field(max_length=128)
    layer: int = Field(default=1, ge=0, le=100)  # a higher layer wins where it has someone
    shift: ShiftKind = Field(default=ShiftKind.weekly, sa_type=StrEnumType(ShiftKind))
    shift_hours: int | None = Field(default=None, ge=1, le=24 * 28)  # custom shifts only
    handoff_time: str = Field(default="09:00", max_length=5)  # "HH:MM", local wall clock
    start_date: date  # local date of the first hand-off
    member_ids: list[int] = Field(default_factory=list, sa_type=JSON)  # in turn order
    # Daily restriction window, local "HH:MM"; may cross midnight; both None = all day.
    active_from: str | None = Field(default=None, max_length=5)
    active_until: str | None = Field(default=None, max_length=5)


class Rotation(RotationBase, table=True):
    __tablename__ = "rota_rotations"
    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="rota_schedules.id", index=True)


class ScheduleOverride(SQLModel, table=True):
    """A change to who is on call for [start_at, end_at) (start inclusive, end exclusive)."""

    __tablename__ = "rota_overrides"
    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="rota_schedules.id", index=True)
    kind: OverrideKind = Field(sa_type=StrEnumType(OverrideKind))
    user_id: int | None = Field(default=None, foreign_key="users.id")  # added / replacement
    replaced_user_id: int | None = Field(default=None, foreign_key="users.id")
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime, index=True)
    reason: str = Field(default="", max_length=500)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class SwapRequest(SQLModel, table=True):
    """A shift trade: once the counterpart accepts, they replace the requester for the window."""

    __tablename__ = "rota_swap_requests"
    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="rota_schedules.id", index=True)
    requester_id: int = Field(foreign_key="users.id", index=True)
    counterpart_id: int = Field(foreign_key="users.id", index=True)
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    status: SwapStatus = Field(default=SwapStatus.pending, sa_type=StrEnumType(SwapStatus))
    created_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The "replace" override an accepted swap created.
    override_id: int | None = Field(default=None, foreign_key="rota_overrides.id")


class FeedKey(SQLModel, table=True):
    """Which version of a person's calendar feed link is valid: renewing it (the person, or an
    admin) revokes every link given out before. No row: the first link (version 0)."""

    __tablename__ = "rota_feed_keys"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    version: int = 0
    renewed_at: datetime = Field(sa_type=UTCDateTime)
