"""A dial-back as the console sees it: its state, never the number."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, PlainSerializer

IsoTime = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")
]


class DialBackPublic(BaseModel):
    id: int
    kind: str
    # requested, dialling, ringing, connecting, connected, ended, no_answer, busy, failed,
    # machine, canceled (hotline.dialback.service.shown_state)
    state: str
    follow_up_id: int | None
    voicemail_id: int | None
    escalation_id: int | None
    # The text conversation that moved to voice (its call id).
    conversation_id: int | None = None
    # The call it became once answered (the console's note is written on it).
    call_id: int | None
    requested_at: IsoTime
    placed_at: IsoTime | None
    answered_at: IsoTime | None
    ended_at: IsoTime | None


class CallOffered(BaseModel):
    """A web chat's person is asked for their number (nothing is dialled yet)."""

    call_id: int
