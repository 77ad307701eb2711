"""Follow-ups over JSON: what a client sends (an attempt) and what it gets back (the list's
rows, one follow-up with its history). Times are ISO 8601 with their offset, as `isoformat()`
writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from hotline.followups.models import CallbackOutcome

NOTE_MAX_CHARS = 2000

IsoTime = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")
]


class AttemptCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: CallbackOutcome
    note: str = Field(default="", max_length=NOTE_MAX_CHARS)


class FollowUpRow(BaseModel):
    """A follow-up as the lists show it: no caller data (no number, no plan, no remark)."""

    id: int
    call_id: int
    line_id: int
    line_name: str
    # The line's zone, for the pages' local times; not part of the JSON answer.
    timezone: str = Field(exclude=True)
    priority: bool
    within: str
    due_at: IsoTime
    status: str
    overdue: bool
    assigned_to_id: int | None
    assigned_to: str | None
    attempts: int
    created_at: IsoTime
    closed_at: IsoTime | None
    close_reason: str | None
    # A series: its windows ("24h,72h,7d") and the step now due; empty for a single follow-up.
    schedule: str = ""
    step: int = 1


class FollowUpList(BaseModel):
    data: list[FollowUpRow]
    count: int
    page: int


class AttemptEntry(BaseModel):
    at: IsoTime
    by: str
    outcome: str
    note: str | None  # the remark: for the assignee and supervisors only
    step: int = 1  # of the series
    by_line: bool = False  # placed by the line (a dial-back): the phone network's outcome


class FollowUpDetail(FollowUpRow):
    """One follow-up: the plan and remarks for the assignee and supervisors. The callback number
    is never in it: the line calls the person back (hotline/dialback/); `can_call_back` says the
    note holds a number to call and the follow-up is open."""

    crisis_level: str | None
    plan: str | None
    can_call_back: bool = False
    mine: bool
    history: list[AttemptEntry]
