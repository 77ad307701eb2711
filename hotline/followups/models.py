"""Follow-ups: scheduled calls back to at-risk callers who consented, and each attempt made.

A follow-up is created when a note asking for one (with the caller's consent) is submitted; the
callback number stays encrypted in the note. Attempts keep who called, when, and the outcome;
the attempt's own remark is free text, so it is encrypted at rest.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class FollowUpStatus(StrEnum):
    scheduled = "scheduled"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


class CallbackOutcome(StrEnum):
    reached = "reached"
    no_answer = "no_answer"
    voicemail = "voicemail"
    wrong_number = "wrong_number"
    declined = "declined"
    referred = "referred"


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_ups"
    # The open ones by due time: the queue, the overdue list and the expiry update read this.
    __table_args__ = (Index("ix_follow_ups_status_due_at", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    # One per call, made from the call's (one) note: the note is found by call_id, so there is
    # a single foreign-key path from a call to its follow-up (the purge follows those).
    call_id: int = Field(foreign_key="calls.id", unique=True)
    line_id: int = Field(foreign_key="lines.id", index=True)
    # The note's crisis level (or the screener's suggestion) was high or imminent.
    priority: bool = False
    within: str = Field(max_length=8)  # the window used: "24h" | "72h" | "7d"
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    status: FollowUpStatus = Field(
        default=FollowUpStatus.scheduled, sa_type=StrEnumType(FollowUpStatus)
    )
    # Who is working on it; None: anyone on the line's follow-up queue may claim it.
    assigned_to_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why it closed: an outcome (reached, referred, declined, wrong_number), "attempts" (too
    # many unsuccessful ones), "expired" (too long past due), "cancelled" or "called_in" (the
    # caller rang the line again and was counselled).
    close_reason: str | None = Field(default=None, max_length=16)
    # A series (moderate risk and above, with consent: hotline/followups/series.py): the line's
    # windows, e.g. "24h,72h,7d", and the step now due (1-based). Empty: a single follow-up.
    schedule: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    step: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class FollowUpAttempt(SQLModel, table=True):
    __tablename__ = "follow_up_attempts"
    id: int | None = Field(default=None, primary_key=True)
    follow_up_id: int = Field(foreign_key="follow_ups.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    user_id: int = Field(foreign_key="users.id")
    outcome: CallbackOutcome = Field(sa_type=StrEnumType(CallbackOutcome))
    step: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # of the series
    note: str | None = Field(default=None, sa_type=EncryptedText)
    # Placed by the line (hotline/dialback/): the outcome the phone network reported.
    dial_back_id: int | None = Field(default=None, foreign_key="dial_backs.id")
