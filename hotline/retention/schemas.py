"""API shapes of retention: a line's retention period, legal holds, the subject-access request.
Times are ISO 8601 text in UTC, as `datetime.isoformat()` writes them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline import phone
from hotline.lines.models import Line
from hotline.retention.models import LegalHold


class RetentionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=1, le=36500)


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


class SubjectAccessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=3, max_length=32, pattern=r"^\+?[\d\s()-]+$")
    # The request's reason or reference, kept in the audit log (never the number).
    reason: str | None = Field(default=None, max_length=200)

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str) -> str:
        """Calls are hashed from E.164 (as Twilio sends it): 13812345678 finds +8613812345678."""
        return phone.e164_or_error(value)


class LineRetentionOut(BaseModel):
    line_id: int
    number: str
    name: str
    retention_days: int

    @classmethod
    def of(cls, line: Line, retention_days: int) -> LineRetentionOut:
        return cls(
            line_id=line.id or 0, number=line.number, name=line.name, retention_days=retention_days
        )


class RetentionListOut(BaseModel):
    minimum_days: int
    data: list[LineRetentionOut]


class RetentionSetOut(BaseModel):
    line_id: int
    retention_days: int


class LegalHoldOut(BaseModel):
    id: int
    call_id: int
    reason: str
    set_by_id: int
    set_at: str
    released_at: str | None

    @classmethod
    def of(cls, hold: LegalHold) -> LegalHoldOut:
        return cls(
            id=hold.id or 0,
            call_id=hold.call_id,
            reason=hold.reason,
            set_by_id=hold.set_by_id,
            set_at=hold.set_at.isoformat(),
            released_at=hold.released_at.isoformat() if hold.released_at else None,
        )


class LegalHoldListOut(BaseModel):
    data: list[LegalHoldOut]
    count: int
