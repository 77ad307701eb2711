"""Call control's request and response shapes (the console's JSON routes and its snapshot)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MuteRequest(Shape):
    muted: bool


class HoldRequest(Shape):
    hold: bool


class AddPartyRequest(Shape):
    """Whom to add: an emergency number (110, 120, 119), the line's partner line, a referral
    resource by id, or a number the counselor typed."""

    kind: Literal["emergency", "partner", "resource", "number"]
    number: str | None = Field(default=None, max_length=64)
    resource_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class Party(Shape):
    """An added party as the console shows it: never the number dialled, only a name (a typed
    number's last digits)."""

    party_id: int
    kind: Literal["emergency", "partner", "resource", "number"]
    name: str
    status: Literal["dialing", "ringing", "connected", "left", "failed"]
    removing: bool


class CallControlState(Shape):
    """The counselor's leg muted, the caller on hold, whether the line has a partner line to
    add, and every party added to the call."""

    muted: bool
    on_hold: bool
    partner_line: bool
    parties: list[Party]
