"""Legal holds (a call exempt from the purge) and the record of each day's purge run."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

import hotline.db  # noqa: F401 - the constraint naming convention, before any table
from hotline.crypto import EncryptedText
from hotline.models_base import UTCDateTime

# The national hotline guideline keeps records and recordings at least 3 years.
MIN_RETENTION_DAYS = 1095


class LegalHold(SQLModel, table=True):
    """A call under legal hold is never purged, with everything attached to it.

    A hold is active while `released_at` is NULL; a released hold stays as history (who placed
    it, why, who released it) until the call itself is purged.
    """

    __tablename__ = "legal_holds"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    reason: str = Field(sa_type=EncryptedText)
    set_by_id: int = Field(foreign_key="users.id")
    set_at: dt.datetime = Field(sa_type=UTCDateTime)
    released_by_id: int | None = Field(default=None, foreign_key="users.id")
    released_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class RetentionRun(SQLModel, table=True):
    """One row per scheduled purge day: the instance that inserts it runs the purge, so the
    daily job fires once however many instances schedule it."""

    __tablename__ = "retention_runs"
    id: int | None = Field(default=None, primary_key=True)
    day: dt.date = Field(unique=True)
    instance: str = Field(max_length=128)
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Counts only, e.g. "calls=3 call_events=12 ...".
    summary: str | None = Field(default=None, max_length=500)


class RecordingDeletion(SQLModel, table=True):
    """A recording at the phone provider whose call was purged: our copy of its URL is gone in
    the same transaction, and the dispatcher deletes the provider's copy from this list (an
    outbox, so a network failure only delays it)."""

    __tablename__ = "recording_deletions"
    id: int | None = Field(default=None, primary_key=True)
    recording_sid: str = Field(max_length=64, unique=True)
    requested_at: dt.datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
