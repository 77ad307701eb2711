"""API shapes of "reveal for rescue"."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=2000)


class RevealOut(BaseModel):
    """The caller's number (E.164) and what Twilio reported of its location; shown once."""

    number: str
    location: dict[str, str]
    revealed_at: str
