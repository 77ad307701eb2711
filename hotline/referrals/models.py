"""Referrals (转介): a caller sent on to a service, and what became of it.

A referral is made from a submitted note's referral section (a resource of the directory) or
named by a counselor (a free-text name, encrypted: it may say who the caller sees). Its kind,
resource and status are plain columns, counted by the statistics; the caller's words never are.
A green-channel referral (a red-tier caller, a resource with the green-channel flag) may be sent
to the service by SMS with only what the caller agreed to share (encrypted), and is tracked until
the service confirms it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class ReferralStatus(StrEnum):
    suggested = "suggested"
    accepted = "accepted"  # by the caller
    contacted = "contacted"
    appointment_made = "appointment_made"
    attended = "attended"
    declined = "declined"
    not_reachable = "not_reachable"


class Referral(SQLModel, table=True):
    __tablename__ = "referrals"
    id: int | None = Field(default=None, primary_key=True)
    # The call whose note made it (the purge follows this key: a referral goes with its call).
    call_id: int = Field(foreign_key="calls.id", index=True)
    line_id: int = Field(foreign_key="lines.id", index=True)
    # A resource of the directory, or (None) one the counselor named.
    resource_id: int | None = Field(default=None, foreign_key="referral_resources.id", index=True)
    resource_name: str | None = Field(default=None, sa_type=EncryptedText)
    kind: str = Field(max_length=32, index=True)  # a key of notes.options.REFERRAL_KINDS
    status: ReferralStatus = Field(
        default=ReferralStatus.suggested, sa_type=StrEnumType(ReferralStatus)
    )
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_by_id: int = Field(foreign_key="users.id")
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # --- the green channel ---
    green_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    green_sent_by_id: int | None = Field(default=None, foreign_key="users.id")
    # What the caller agreed to share, as sent (encrypted); kept only with their consent.
    green_text: str | None = Field(default=None, sa_type=EncryptedText)
    # The service should confirm by then; unconfirmed after it, the referral is overdue.
    green_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    green_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    green_confirmed_by_id: int | None = Field(default=None, foreign_key="users.id")


class ReferralStatusChange(SQLModel, table=True):
    """Each move of a referral's status: who, when, from where (note, follow-up, review)."""

    __tablename__ = "referral_status_changes"
    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referrals.id", index=True)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    at: datetime = Field(sa_type=UTCDateTime)
    user_id: int = Field(foreign_key="users.id")
    via: str = Field(max_length=16)  # note | follow_up | review | green_channel
