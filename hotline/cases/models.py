"""The caller's case (docs/domain.md 13): one per caller hash, its colour tier and the tier's
history, flags, a running summary, and the safety plan's versions.

What the lists filter and count on (tier, status, flags) stays in plain columns; whatever a
caller said or could be identified by (summary, safety plan, the reasons given for a change or
a closing) is encrypted at rest.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import JSON, Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class Tier(StrEnum):
    """The three colours (三色预警), lowest first."""

    green = "green"
    yellow = "yellow"
    red = "red"


class CaseStatus(StrEnum):
    open = "open"
    closed = "closed"


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    id: int | None = Field(default=None, primary_key=True)
    # The caller's keyed hash (hotline/privacy.py); one case per caller, reopened, never doubled.
    caller_hash: str = Field(max_length=64, unique=True)
    line_id: int = Field(foreign_key="lines.id", index=True)  # the line it was opened on
    tier: Tier = Field(default=Tier.green, sa_type=StrEnumType(Tier), index=True)
    status: CaseStatus = Field(default=CaseStatus.open, sa_type=StrEnumType(CaseStatus), index=True)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    opened_by_id: int | None = Field(default=None, foreign_key="users.id")  # None: automatically
    updated_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by_id: int | None = Field(default=None, foreign_key="users.id")
    close_reason: str | None = Field(default=None, sa_type=EncryptedText)
    summary: str | None = Field(default=None, sa_type=EncryptedText)
    # Flags.
    frequent_caller: bool = False
    care_plan_minutes: int | None = None  # agreed length of a contact, for a frequent caller
    safeguarding: bool = False
    preferred_counselor_id: int | None = Field(default=None, foreign_key="users.id")
    language: str | None = Field(default=None, max_length=8)


class TierChange(SQLModel, table=True):
    """Each change of a case's tier: from, to, the crisis level behind it, who and why."""

    __tablename__ = "case_tier_changes"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    from_tier: str | None = Field(default=None, max_length=8)
    to_tier: str = Field(max_length=8)
    level: str | None = Field(default=None, max_length=16)
    call_id: int | None = Field(default=None, foreign_key="calls.id")
    user_id: int | None = Field(default=None, foreign_key="users.id")
    reason: str | None = Field(default=None, sa_type=EncryptedText)


class SafetyPlan(SQLModel, table=True):
    """One saved version of a case's safety plan (Stanley-Brown); the newest one is current."""

    __tablename__ = "safety_plans"
    __table_args__ = (UniqueConstraint("case_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    version: int
    # Encrypted JSON of the seven sections (hotline.cases.schemas.SafetyPlanSections).
    content: str = Field(sa_type=EncryptedText)
    author_id: int = Field(foreign_key="users.id")
    call_id: int | None = Field(default=None, foreign_key="calls.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class TierMap(SQLModel, table=True):
    """A line's own mapping of crisis levels to tiers; a line without one uses the default."""

    __tablename__ = "case_tier_maps"
    line_id: int = Field(foreign_key="lines.id", primary_key=True)
    mapping: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
