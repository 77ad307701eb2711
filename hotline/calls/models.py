"""Calls and their state history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from hotline.models_base import StrEnumType, UTCDateTime


class Channel(StrEnum):
    """How the person reached the line. A text conversation is a call in the model (one queue,
    one note, one screener, one escalation path); only its transport differs."""

    voice = "voice"
    sms = "sms"
    webchat = "webchat"
    wechat = "wechat"


TEXT_CHANNELS = frozenset({Channel.sms, Channel.webchat, Channel.wechat})


class CallState(StrEnum):
    ringing = "ringing"
    ivr = "ivr"
    queued = "queued"
    offered = "offered"
    connected = "connected"
    wrap_up = "wrap_up"
    completed = "completed"
    abandoned = "abandoned"
    overflow = "overflow"
    failed = "failed"


# Once here a call never moves again, whatever order Twilio's callbacks arrive in.
TERMINAL_STATES = frozenset(
    {CallState.completed, CallState.abandoned, CallState.overflow, CallState.failed}
)
WAITING_STATES = frozenset({CallState.ringing, CallState.ivr, CallState.queued, CallState.offered})

PRIORITY_NORMAL = 0
PRIORITY_HIGH_RISK_HISTORY = 50
PRIORITY_IN_DANGER = 100


class Call(SQLModel, table=True):
    __tablename__ = "calls"
    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64, unique=True, index=True)
    line_id: int = Field(foreign_key="lines.id", index=True)
    # HMAC of the caller's number (never the number itself): finds repeat callers.
    caller_hash: str = Field(max_length=64, index=True)
    language: str | None = Field(default=None, max_length=8)
    state: CallState = Field(default=CallState.ringing, sa_type=StrEnumType(CallState), index=True)
    priority: int = PRIORITY_NORMAL
    in_danger: bool = False
    repeat_caller: bool = False
    # When it came in, the caller had an open high-risk history (hotline.routing.priority):
    # they go ahead in the queue, and the counselor is told on the offer.
    high_risk_history: bool = False
    # local | out_of_area | unknown, from the caller number's prefix (the number is not kept).
    caller_area: str = Field(default="unknown", max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    queued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    queue_deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    offered_to_id: int | None = Field(default=None, foreign_key="users.id")
    offered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    offer_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    offer_count: int = 0
    counselor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    counselor_call_sid: str | None = Field(default=None, max_length=64, index=True)
    conference_sid: str | None = Field(default=None, max_length=64)
    caller_joined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    connected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, max_length=64)
    voicemail_url: str | None = Field(default=None, max_length=500)
    # inbound: the caller rang the line; outbound: the line called them back (hotline/dialback/),
    # then handled as an incoming call once they answered.
    direction: str = Field(
        default="inbound", max_length=8, sa_column_kwargs={"server_default": "inbound"}
    )
    channel: Channel = Field(
        default=Channel.voice,
        sa_type=StrEnumType(Channel),
        index=True,
        sa_column_kwargs={"server_default": Channel.voice.value},
    )

    @property
    def is_text(self) -> bool:
        return self.channel in TEXT_CHANNELS


class CallEvent(SQLModel, table=True):
    """One stored transition (or offer outcome) with its time: the metrics are built from these."""

    __tablename__ = "call_events"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    state: str = Field(max_length=32)
    at: datetime = Field(sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    detail: str | None = Field(default=None, max_length=200)
