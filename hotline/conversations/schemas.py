"""The shapes of the conversations' JSON API (a transcript, a counselor's reply) and of the
frames their consoles get between snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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
    # Asked with `after`: only the messages after that id, and earlier ones whose delivery may
    # have changed; the reader merges them by id into what it has.
    after: int | None = None


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(max_length=MAX_REPLY)


class TakeOverIn(BaseModel):
    """Whom the supervisor saw holding it: of two supervisors taking it over from them at
    once, one wins; the other hears 409."""

    model_config = ConfigDict(extra="forbid")
    from_user_id: int


class TakeOverOut(BaseModel):
    """The conversation a supervisor now holds (they answer it from their console)."""

    call_id: int
    state: str


class ReadAlongSnapshot(BaseModel):
    """What the supervisor's read-along page's socket sends (`/ws/conversations/{id}`): who
    holds the conversation and whether it is live. The transcript itself is read through the
    JSON API when `last_message_id` changes, so each read is audited."""

    type: str = "conversation"
    server_time: datetime
    call_id: int
    channel: str
    state: str  # live | ended
    line_name: str
    counselor_id: int | None
    counselor_name: str | None
    mine: bool  # the supervisor reading holds it now (after taking it over)
    last_message_id: int | None


class MessageFrame(BaseModel):
    """Sent to the consoles of a conversation's counselor and crisis worker when a message is
    added, in place of a whole snapshot: what its card shows changes. Ids and a count only on
    the bus: no message text goes through it."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["conversation_message"] = "conversation_message"
    call_id: int
    last_message_id: int
    unread: int  # the person's messages since the counselor last wrote
    # Added by the console socket of the counselor holding it, read in the instance that holds
    # the socket (so no words on the bus): what the console lacks since `after`, the newest id
    # this socket sent before (0: the whole transcript). The console then reads nothing itself.
    after: int | None = None
    messages: list[MessageOut] | None = None


class TypingFrame(BaseModel):
    """The person of a conversation is writing (nothing is stored)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["typing"] = "typing"
    call_id: int
