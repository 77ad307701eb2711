"""Blocked callers, by the keyed hash of their number (never the number itself)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

import hotline.db  # noqa: F401 - the constraint naming convention, before any table
from hotline.crypto import EncryptedText
from hotline.models_base import UTCDateTime


class BlockedCaller(SQLModel, table=True):
    """A caller who hears the emergency numbers and is not queued while the entry is active:
    not removed, and `until` is NULL (permanent) or still in the future."""

    __tablename__ = "blocked_callers"
    id: int | None = Field(default=None, primary_key=True)
    caller_hash: str = Field(max_length=64, index=True)
    until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str = Field(sa_type=EncryptedText)
    set_by_id: int = Field(foreign_key="users.id")
    set_at: datetime = Field(sa_type=UTCDateTime)
    # The call the block was set from (shown instead of any part of the number); NULL once that
    # call is purged.
    call_id: int | None = Field(default=None, foreign_key="calls.id")
    removed_by_id: int | None = Field(default=None, foreign_key="users.id")
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
