"""API shapes of the rota. A validation error's `type` is a code `RotaError` translates."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from hotline.rota.models import (
    OverrideKind,
    RotationBase,
    ScheduleBase,
    SchedulePurpose,
    ShiftKind,
    SwapStatus,
)

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
ShiftSource = Literal["rotation", "override"]


def _error(code: str) -> PydanticCustomError:
    return PydanticCustomError(code, code)


def _hhmm(value: str | None) -> str | None:
    if value is not None and not HHMM.match(value):
        raise _error("bad_time")
    return value


# --- schedules ---------------------------------------------------------------------------------


class ScheduleCreate(ScheduleBase):
    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise _error("missing")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _error("bad_timezone") from None
        return value


class SchedulePublic(ScheduleBase):
    id: int


class ScheduleUpdate(BaseModel):
    """The fields to change; the result is checked as a whole by ScheduleCreate."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    purpose: SchedulePurpose | None = None
    timezone: str | None = None
    description: str | None = None


class RotationCreate(RotationBase):
    # Checked even when left out: a custom shift needs its length, a window needs both ends.
    shift_hours: int | None = PydanticField(default=None, ge=1, le=24 * 28, validate_default=True)
    active_until: str | None = PydanticField(default=None, max_length=5, validate_default=True)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise _error("missing")
        return value

    @field_validator("shift_hours")
    @classmethod
    def _shift_hours(cls, value: int | None, info: ValidationInfo) -> int | None:
        shift = info.data.get("shift")
        if shift == ShiftKind.custom and value is None:
            raise _error("missing")
        return value if shift == ShiftKind.custom else None

    @field_validator("handoff_time", "active_from")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        return _hhmm(value)

    @field_validator("active_until")
    @classmethod
    def _window(cls, value: str | None, info: ValidationInfo) -> str | None:
        _hhmm(value)
        start = info.data.get("active_from")
        if (start is None) != (value is None):
            raise _error("window_incomplete")
        if value is not None and value == start:
            raise _error("window_empty")
        return value

    @field_validator("member_ids")
    @classmethod
    def _members(cls, value: list[int]) -> list[int]:
        if not value:
            raise _error("no_members")
        if len(value) > 200:
            raise _error("too_long")
        return value


class RotationUpdate(BaseModel):
    """The fields to change (null clears the daily window); the result is checked as a whole
    by RotationCreate, so a custom shift still needs its length and a window both ends."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    layer: int | None = None
    shift: ShiftKind | None = None
    shift_hours: int | None = None
    handoff_time: str | None = None
    start_date: date | None = None
    member_ids: list[int] | None = None
    active_from: str | None = None
    active_until: str | None = None


class RotationPublic(RotationBase):
    id: int
    schedule_id: int


class ScheduleDetail(SchedulePublic):
    rotations: list[RotationPublic]


class SchedulesPublic(BaseModel):
    data: list[SchedulePublic]
    count: int


# --- overrides and swaps -----------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _after_start(value: datetime, info: ValidationInfo) -> datetime:
    start = info.data.get("start_at")
    if start is not None and value <= start:
        raise _error("bad_window")
    return value


class OverrideCreate(Strict):
    kind: OverrideKind
    user_id: int | None = PydanticField(default=None, validate_default=True)
    replaced_user_id: int | None = PydanticField(default=None, validate_default=True)
    start_at: AwareDatetime
    end_at: AwareDatetime
    reason: str = PydanticField(default="", max_length=500)

    @field_validator("user_id")
    @classmethod
    def _user(cls, value: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind in (OverrideKind.add, OverrideKind.replace) and value is None:
            raise _error("missing")
        return None if kind == OverrideKind.remove else value

    @field_validator("replaced_user_id")
    @classmethod
    def _replaced(cls, value: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind in (OverrideKind.remove, OverrideKind.replace) and value is None:
            raise _error("missing")
        if kind == OverrideKind.replace and value == info.data.get("user_id"):
            raise _error("same_person")
        return None if kind == OverrideKind.add else value

    @field_validator("end_at")
    @classmethod
    def _end(cls, value: datetime, info: ValidationInfo) -> datetime:
        return _after_start(value, info)


class OverridePublic(BaseModel):
    id: int
    schedule_id: int
    kind: OverrideKind
    user_id: int | None
    replaced_user_id: int | None
    start_at: datetime
    end_at: datetime
    reason: str
    created_by: int
    created_at: datetime


class OverrideCancelled(BaseModel):
    """A cancelled override: deleted (it had not begun), or ended now (it was under way)."""

    deleted: bool
    override: OverridePublic | None


class OverridesPublic(BaseModel):
    data: list[OverridePublic]
    count: int


class SwapCreate(Strict):
    schedule_id: int
    counterpart_id: int
    start_at: AwareDatetime
    end_at: AwareDatetime

    @field_validator("end_at")
    @classmethod
    def _end(cls, value: datetime, info: ValidationInfo) -> datetime:
        return _after_start(value, info)


class SwapAnswer(Strict):
    accept: bool


class SwapPublic(BaseModel):
    id: int
    schedule_id: int
    requester_id: int
    counterpart_id: int
    start_at: datetime
    end_at: datetime
    status: SwapStatus
    created_at: datetime
    answered_at: datetime | None
    override_id: int | None


class SwapsPublic(BaseModel):
    data: list[SwapPublic]
    count: int


class FeedRenewed(BaseModel):
    """A person's calendar feed link was revoked; a new one replaces it."""

    user_id: int
    renewed: bool


# --- who is on call ----------------------------------------------------------------------------


class Shift(BaseModel):
    """One person on call for [start, end): from a rotation layer, or from an override."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    start: datetime
    end: datetime
    layer: int | None  # the winning layer; None when the person is there by an override
    source: ShiftSource


class Person(BaseModel):
    id: int
    display_name: str


class OnCallPublic(BaseModel):
    schedule_id: int
    at: datetime
    user_ids: list[int]
    people: list[Person]


class ShiftsPublic(BaseModel):
    data: list[Shift]
    count: int
    people: list[Person]
