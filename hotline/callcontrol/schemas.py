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


class TransferRequest(Shape):
    """Whom to hand the call to: a colleague (warm: consult first; cold: offer it to them), or,
    cold only, the line's partner line. `message` is what the colleague is told about the call
    (never the caller's number)."""

    kind: Literal["warm", "cold"]
    target: Literal["colleague", "partner"]
    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    message: str = Field(default="", max_length=500)


class Colleague(Shape):
    user_id: int
    name: str
    role: Literal["counselor", "crisis", "supervisor"]


class Colleagues(Shape):
    data: list[Colleague]
    count: int


class TransferView(Shape):
    """An open transfer as a console shows it: to the counselor who started it ("outgoing")
    and to the colleague asked ("incoming", with the counselor's message)."""

    transfer_id: int
    call_id: int
    direction: Literal["incoming", "outgoing"]
    kind: Literal["warm", "cold"]
    target: Literal["colleague", "partner"]
    status: Literal[
        "offered",
        "dialing",
        "consulting",
        "completed",
        "returned",
        "cancelled",
        "declined",
        "expired",
        "no_answer",
        "requeued",
    ]
    from_name: str
    to_name: str
    line_name: str
    message: str
    expires_at: str | None
