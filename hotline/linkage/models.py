"""The caller's number kept for emergency linkage (docs/domain.md 12): encrypted, only while a
high or imminent escalation may need it, then erased."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import UTCDateTime


class RescueNumber(SQLModel, table=True):
    """One call's number and reported location. Written at the incoming call (the webhook is the
    only place the number exists; the call keeps only its hash), held while the call has a high or
    imminent escalation, and erased by `linkage.erase` (the row stays, empty, as a record that
    something was kept and when it went)."""

    __tablename__ = "rescue_numbers"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", unique=True)
    # E.164, encrypted; NULL once erased.
    number: str | None = Field(default=None, sa_type=EncryptedText)
    # What Twilio reports of where the number is registered (FromCity, FromState, FromCountry,
    # FromZip) as JSON, encrypted; NULL once erased or when Twilio reported nothing.
    location: str | None = Field(default=None, sa_type=EncryptedText)
    captured_at: datetime = Field(sa_type=UTCDateTime)
    # The call has (or had) a high or imminent escalation: kept past the call's end.
    held: bool = False
    # When the job erases it: set once the reason to keep it ends (the call ended without an
    # escalation, or its escalation was resolved: then the resolution plus the window).
    erase_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
