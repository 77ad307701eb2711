"""Call notes, their addenda, and the reference data admins maintain (taxonomy, referrals).

What the statistics need stays in plain columns (call type, crisis level, categories, caller
profile, interventions); everything a caller said or could be identified by (screener answers,
summary, referral comments, follow-up and callback number, override reason) is one encrypted
JSON document per note.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import JSON, Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class NoteStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"


class IssueCategory(SQLModel, table=True):
    """Two-level taxonomy of contact reasons; admins edit it on `/admin/taxonomy`
    (hotline/directory). Never deleted and its code never changes: notes keep the ids."""

    __tablename__ = "issue_categories"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    parent_id: int | None = Field(default=None, foreign_key="issue_categories.id")
    label_zh: str = Field(max_length=128)
    label_en: str = Field(max_length=128)
    sort: int = 0
    active: bool = True


class ChoiceKind(StrEnum):
    population_group = "population_group"
    intervention = "intervention"


class NoteChoice(SQLModel, table=True):
    """A population group or an intervention a note can record; admins keep them on
    `/admin/taxonomy` (hotline/directory). Notes store the code, so a code never changes and a
    choice is never deleted: a retired one (`active` false) is not offered, old notes keep it."""

    __tablename__ = "note_choices"
    __table_args__ = (UniqueConstraint("kind", "code", name="uq_note_choices_kind_code"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: ChoiceKind = Field(sa_type=StrEnumType(ChoiceKind, length=32))
    code: str = Field(max_length=64)
    label_zh: str = Field(max_length=128)
    label_en: str = Field(max_length=128)
    sort: int = 0
    active: bool = True


class ReferralResource(SQLModel, table=True):
    """Where counselors refer callers: hospitals, clinics, 110/120, school counselors, ...

    Admins keep it on `/admin/resources` (hotline/directory). Never deleted: notes refer to a
    resource by id, so a retired one is only made inactive."""

    __tablename__ = "referral_resources"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)  # a key of notes.options.REFERRAL_KINDS
    name: str = Field(max_length=200)
    phone: str = Field(default="", max_length=64)  # E.164, or a short code such as 120
    region: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=300)
    hours: str = Field(default="", max_length=200)  # free text: "24h", "Mon-Fri 8:00-17:00"
    green_channel: bool = False  # a fast track agreed with the service for callers at risk
    notes: str = Field(default="", max_length=2000)
    active: bool = True


class CallNote(SQLModel, table=True):
    __tablename__ = "call_notes"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", unique=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    status: NoteStatus = Field(default=NoteStatus.draft, sa_type=StrEnumType(NoteStatus))
    version: int = 1
    call_type: str | None = Field(default=None, max_length=32, index=True)
    profile: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    categories: list[int] = Field(default_factory=list, sa_type=JSON)
    interventions: list[str] = Field(default_factory=list, sa_type=JSON)
    suggested_level: str | None = Field(default=None, max_length=16)
    crisis_level: str | None = Field(default=None, max_length=16, index=True)
    level_lowered: bool = False  # the counselor overrode the suggestion downward
    follow_up_wanted: bool = False
    difficult: bool = False  # the counselor marked the call as difficult (monthly report)
    # Encrypted JSON: screener, override_reason, referrals, follow_up, summary, and the
    # profile's free-text region (the profile keeps only choices: age band, gender, groups).
    sensitive: str | None = Field(default=None, sa_type=EncryptedText)
    escalated_level: str | None = Field(default=None, max_length=16)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    overdue: bool = False


class NoteAddendum(SQLModel, table=True):
    """A correction or addition to a submitted note; the note itself never changes."""

    __tablename__ = "note_addenda"
    id: int | None = Field(default=None, primary_key=True)
    note_id: int = Field(foreign_key="call_notes.id", index=True)
    author_id: int = Field(foreign_key="users.id")
    text: str = Field(sa_type=EncryptedText)
    created_at: datetime = Field(sa_type=UTCDateTime)
