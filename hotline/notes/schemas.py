"""API shapes of a note. Drafts accept anything well-formed; submission adds the rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline import phone
from hotline.notes.options import AGE_BANDS, CALL_TYPES, GENDERS
from hotline.risk.triage import RiskLevel, Screener

PHONE_PATTERN = r"^\+?[0-9 ()-]{3,32}$"
# Population groups and interventions are tables admins keep (`NoteChoice`): here only the shape
# of a code; `service.update_draft` and `submission_errors` check it against the table.
CHOICE_CODE = re.compile(r"[a-z0-9_.]{1,64}")


def _one_of(value: str | None, allowed: dict[str, str]) -> str | None:
    if value is not None and value not in allowed:
        raise ValueError("not_an_option")
    return value


def _choice_codes(values: list[str]) -> list[str]:
    for value in values:
        if not CHOICE_CODE.fullmatch(value):
            raise ValueError("not_an_option")
    return sorted(set(values))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Profile(Strict):
    age_band: str | None = None
    gender: str | None = None
    region: str = Field(default="", max_length=100)
    population_groups: list[str] = Field(default_factory=list)

    @field_validator("age_band")
    @classmethod
    def _age_band(cls, value: str | None) -> str | None:
        return _one_of(value, AGE_BANDS)

    @field_validator("gender")
    @classmethod
    def _gender(cls, value: str | None) -> str | None:
        return _one_of(value, GENDERS)

    @field_validator("population_groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        return _choice_codes(value)


class ReferralEntry(Strict):
    resource_id: int
    date: dt.date | None = None
    comment: str = Field(default="", max_length=1000)


class FollowUp(Strict):
    wanted: bool = False
    consent: bool = False
    callback_number: str = Field(default="", max_length=32)
    within: Literal["24h", "72h", "7d"] | None = None
    plan: str = Field(default="", max_length=2000)

    @field_validator("callback_number")
    @classmethod
    def _number(cls, value: str) -> str:
        if value and not re.match(PHONE_PATTERN, value):
            raise ValueError("not_a_phone_number")
        # E.164 when it reads as a number (the follow-up dials it); as typed otherwise.
        return (phone.to_e164(value) or value) if value else value


class NoteFields(Strict):
    """The parts of a note the counselor writes; in an update, only the keys sent change."""

    call_type: str | None = None
    profile: Profile = Field(default_factory=Profile)
    categories: list[int] = Field(default_factory=list)
    screener: Screener = Field(default_factory=Screener)
    crisis_level: RiskLevel | None = None
    override_reason: str = Field(default="", max_length=2000)
    interventions: list[str] = Field(default_factory=list)
    referrals: list[ReferralEntry] = Field(default_factory=list, max_length=20)
    follow_up: FollowUp = Field(default_factory=FollowUp)
    difficult: bool = False
    summary: str = Field(default="", max_length=20000)

    @field_validator("call_type")
    @classmethod
    def _call_type(cls, value: str | None) -> str | None:
        return _one_of(value, CALL_TYPES)

    @field_validator("interventions")
    @classmethod
    def _interventions(cls, value: list[str]) -> list[str]:
        return _choice_codes(value)


class NoteUpdate(Strict):
    version: int
    fields: dict[str, object]


class NoteSubmit(Strict):
    version: int


class AddendumCreate(Strict):
    text: str = Field(min_length=1, max_length=5000)


# --- answers of the notes API (docs/notes-api.md) ----------------------------------------------


class Escalation(BaseModel):
    level: str
    raised_at: str | None


class Addendum(BaseModel):
    author: str
    at: str
    text: str


class NoteOut(NoteFields):
    """A note as the console sees it: its fields, where it stands, and its addenda."""

    id: int
    call_id: int
    status: str
    version: int
    updated_at: str
    submitted_at: str | None
    overdue: bool
    suggested_level: str | None
    level_lowered: bool
    escalation: Escalation | None
    addenda: list[Addendum]


class UnfinishedNote(BaseModel):
    call_id: int
    at: str
    line_name: str
    level: str | None
    connected: bool
    overdue: bool


class UnfinishedNotes(BaseModel):
    data: list[UnfinishedNote]
    count: int


class EarlierCall(BaseModel):
    call_id: int
    date: str
    line_name: str
    crisis_level: str | None
    call_type: str | None
    summary_excerpt: str
    follow_up_due_at: str | None
    follow_up_priority: bool


class CallerHistory(BaseModel):
    data: list[EarlierCall]
    count: int


class Choice(BaseModel):
    code: str
    label: str


class CallTypeChoice(Choice):
    counselling: bool


class LevelChoice(Choice):
    colour: str
    flashing: bool


class CategoryChoice(BaseModel):
    id: int
    code: str
    label: str


class TopCategoryChoice(CategoryChoice):
    children: list[CategoryChoice]


class ReferralChoice(BaseModel):
    id: int
    kind: str
    kind_label: str
    name: str
    phone: str
    region: str
    address: str
    hours: str
    green_channel: bool


class NoteOptions(BaseModel):
    """Every choice the note's form offers, labelled in the reader's language."""

    call_types: list[CallTypeChoice]
    age_bands: list[Choice]
    genders: list[Choice]
    population_groups: list[Choice]
    interventions: list[Choice]
    protective_factors: list[Choice]
    levels: list[LevelChoice]
    categories: list[TopCategoryChoice]
    referrals: list[ReferralChoice]
