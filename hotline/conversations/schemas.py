"""The shapes of the conversations' JSON API: a transcript and a counselor's reply."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hotline.conversations.models import Delivery, Sender

# A reply longer than this is refused (the service cuts at MAX_BODY; more is a mistake).
MAX_REPLY = 4000


class MessageOut(BaseModel):
    id: int
    sender: Sender
    body: str
    at: datetime
    delivery: Delivery
    # The phrase that marked the person in danger now (shown as the reason to answer first).
    danger_phrase: str | None = None
    # The counselor's or supervisor's display name; none for the person and the line.
    author: str | None = None


class TranscriptOut(BaseModel):
    call_id: int
    channel: str
    state: str
    messages: list[MessageOut]


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(max_length=MAX_REPLY)
