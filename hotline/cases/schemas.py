"""Cases over JSON: the safety plan's sections, what a client sends (open, close, a safety plan,
flags) and what it gets back (a case, its list, the card the console shows at the offer)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

IsoTime = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")
]
SECTION_MAX_CHARS = 2000
SUMMARY_MAX_CHARS = 2000
REASON_MAX_CHARS = 500

# The Stanley-Brown safety plan, in its order (docs/domain.md 13).
SECTIONS = (
    "warning_signs",
    "coping_strategies",
    "distractions",
    "people_to_ask",
    "professionals",
    "safe_environment",
    "reasons_for_living",
)


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


Section = Annotated[str, Field(default="", max_length=SECTION_MAX_CHARS)]


class SafetyPlanSections(Shape):
    warning_signs: Section = ""
    coping_strategies: Section = ""
    distractions: Section = ""  # people and social settings that distract
    people_to_ask: Section = ""  # people to ask for help
    professionals: Section = ""  # professionals and services, the crisis line among them
    safe_environment: Section = ""  # making the environment safe (means)
    reasons_for_living: Section = ""

    def is_empty(self) -> bool:
        return not any(getattr(self, name).strip() for name in SECTIONS)


class SafetyPlanSave(Shape):
    """A new version; `based_on` is the version the writer started from (0: none yet)."""

    based_on: int = Field(ge=0)
    call_id: int | None = None
    sections: SafetyPlanSections


class SafetyPlanOut(Shape):
    version: int
    author: str
    created_at: IsoTime
    sections: SafetyPlanSections


class CaseOpen(Shape):
    """Open (or find) the case of the caller on this live call."""

    reason: str = Field(default="", max_length=REASON_MAX_CHARS)


class CaseClose(Shape):
    reason: str = Field(max_length=REASON_MAX_CHARS)


class CaseTierSet(Shape):
    tier: str
    reason: str = Field(max_length=REASON_MAX_CHARS)


class CaseFlags(Shape):
    frequent_caller: bool = False
    care_plan_minutes: int | None = Field(default=None, ge=1, le=240)
    safeguarding: bool = False
    preferred_counselor_id: int | None = None
    language: str | None = Field(default=None, max_length=8)
    summary: str = Field(default="", max_length=SUMMARY_MAX_CHARS)


class FlagsOut(Shape):
    frequent_caller: bool
    care_plan_minutes: int | None
    safeguarding: bool
    preferred_counselor: str | None
    language: str | None


class TierChangeOut(Shape):
    at: IsoTime
    from_tier: str | None
    to_tier: str
    level: str | None
    call_id: int | None
    by: str | None  # None: the system, from a note's crisis level
    reason: str | None


class ContactOut(Shape):
    call_id: int
    at: IsoTime
    line_name: str
    channel: str  # voice, sms, webchat, wechat
    state: str
    crisis_level: str | None
    call_type: str | None


class CaseRow(Shape):
    """A case as the list shows it: no caller data."""

    id: int
    tier: str
    status: str
    line_name: str
    opened_at: IsoTime
    updated_at: IsoTime
    frequent_caller: bool
    safeguarding: bool


class CaseList(Shape):
    data: list[CaseRow]
    count: int
    page: int


class CaseOut(Shape):
    id: int
    tier: str
    status: str
    line_name: str
    opened_at: IsoTime
    opened_by: str | None
    closed_at: IsoTime | None
    closed_by: str | None
    close_reason: str | None
    summary: str
    flags: FlagsOut
    tiers: list[TierChangeOut]
    contacts: list[ContactOut]
    safety_plan: SafetyPlanOut | None
    safety_plan_versions: int


class CaseCard(Shape):
    """What the console shows at the offer and on the call for a caller with a case."""

    case_id: int
    call_id: int
    tier: str
    status: str
    flags: FlagsOut
    summary: str
    safety_plan: SafetyPlanOut | None
