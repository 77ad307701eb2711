"""Counselor presence: current state per person, and every change with its time."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from hotline.models_base import StrEnumType, UTCDateTime


class AgentState(StrEnum):
    offline = "offline"
    available = "available"
    offered = "offered"
    on_call = "on_call"
    # Holding one or more text conversations (hotline/conversations/): offered more texts up
    # to their capacity, never a voice call.
    chatting = "chatting"
    wrap_up = "wrap_up"
    on_break = "break"
    away = "away"


class PhoneMode(StrEnum):
    """Where this shift's calls ring: their own phone (`users.endpoint`) or the console's browser
    phone (`client:<identity>`, hotline/telephony/endpoints.py `browser_client`)."""

    phone = "phone"
    browser = "browser"


class AgentStatus(SQLModel, table=True):
    __tablename__ = "agent_status"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    state: AgentState = Field(
        default=AgentState.offline, sa_type=StrEnumType(AgentState), index=True
    )
    reason: str | None = Field(default=None, max_length=32)
    since: datetime = Field(sa_type=UTCDateTime)
    # When this person last became free: longest idle is offered first.
    idle_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    missed_offers: int = 0
    call_id: int | None = Field(default=None, foreign_key="calls.id")
    # When their last console socket closed (None while one is open, or before any was):
    # `console_grace_s` later an available counselor is set away (`set_away_consoles_gone`).
    console_closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Chosen per shift in the console; back to `phone` when they go offline or their console
    # has gone (the browser phone lives in the console).
    # Chosen in the console: offered voice calls too while holding conversations (off: a
    # counselor who is chatting is offered only texts). Off again when they go offline.
    calls_while_chatting: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    phone_mode: PhoneMode = Field(
        default=PhoneMode.phone,
        sa_type=StrEnumType(PhoneMode),
        sa_column_kwargs={"server_default": PhoneMode.phone.value},
    )


class ConsoleSocket(SQLModel, table=True):
    """One open console socket, on whichever instance holds it (deleted when it closes)."""

    __tablename__ = "console_sockets"
    id: str = Field(primary_key=True, max_length=32)
    user_id: int = Field(foreign_key="users.id", index=True)
    instance: str = Field(max_length=128)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    # Brought forward by its instance's engine while it runs; a socket not seen for
    # `console_grace_s` belonged to an instance that died, and is closed by another.
    seen_at: datetime = Field(sa_type=UTCDateTime, index=True)


class PresenceEvent(SQLModel, table=True):
    __tablename__ = "presence_events"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    state: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=32)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    call_id: int | None = Field(default=None, foreign_key="calls.id")
