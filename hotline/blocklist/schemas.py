"""API shapes of the blocklist. An entry never shows the number or its hash: the call it was set
from identifies the caller to staff. Times are ISO 8601 text in UTC."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hotline.blocklist.models import BlockedCaller
from hotline.blocklist.service import Duration


class BlockIn(BaseModel):
    """Block the caller of a call (preferred: nobody types the number) or a given number."""

    model_config = ConfigDict(extra="forbid")
    call_id: int | None = None
    number: str | None = Field(
        default=None, min_length=3, max_length=32, pattern=r"^\+?[\d\s()-]+$"
    )
    duration: Duration
    reason: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _one_caller(self) -> BlockIn:
        if (self.call_id is None) == (self.number is None):
            raise ValueError("give either call_id or number")
        return self


class BlockOut(BaseModel):
    id: int
    call_id: int | None
    permanent: bool
    until: str | None
    reason: str
    set_by: str | None
    set_by_id: int
    set_at: str
    removed_at: str | None

    @classmethod
    def of(cls, entry: BlockedCaller, set_by: str | None = None) -> BlockOut:
        return cls(
            id=entry.id or 0,
            call_id=entry.call_id,
            permanent=entry.until is None,
            until=entry.until.isoformat() if entry.until else None,
            reason=entry.reason,
            set_by=set_by,
            set_by_id=entry.set_by_id,
            set_at=entry.set_at.isoformat(),
            removed_at=entry.removed_at.isoformat() if entry.removed_at else None,
        )


class BlockListOut(BaseModel):
    data: list[BlockOut]
    count: int
