"""One row per access. Rows are never updated or deleted (database triggers refuse it)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from hotline.models_base import StrEnumType, UTCDateTime


class AuditAction(StrEnum):
    view = "view"
    export = "export"
    edit = "edit"
    purge = "purge"  # a retention run (counts only)
    sign_in = "sign_in"
    sign_in_failed = "sign_in_failed"
    sign_out = "sign_out"


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    # The name typed at a failed sign-in has no user row; kept short, never a caller's data.
    username: str | None = Field(default=None, max_length=64)
    action: AuditAction = Field(sa_type=StrEnumType(AuditAction), index=True)
    # What was touched: "call", "note", "escalation", "report", "shift_log", ... and its id.
    object_type: str = Field(max_length=32)
    object_id: str | None = Field(default=None, max_length=64)
    # Non-sensitive context only (a filter, a file format); never note text or a number.
    detail: str | None = Field(default=None, max_length=300)
    ip: str | None = Field(default=None, max_length=64)
