"""Text conversations (SMS, web chat, WeChat): a `Call` with a text channel, its transport
details, and its messages. The person's words are encrypted at rest like a note's free text."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class Sender(StrEnum):
    person = "person"  # the person who reached out
    counselor = "counselor"  # the counselor (or crisis worker) answering them
    line = "line"  # the line's automatic answers (greeting, queue position, closing)
    supervisor = "supervisor"  # a supervisor's private note to the counselor: never sent out
    responder = "responder"  # the crisis worker who joined on an escalation (docs/domain.md 6)


class Delivery(StrEnum):
    received = "received"  # from the person
    queued = "queued"  # ours, not yet handed to the channel
    sending = "sending"  # claimed by the delivery job, being handed to the channel
    sent = "sent"  # handed to the channel (Twilio accepted it, the page's socket got it)
    delivered = "delivered"  # the channel confirmed delivery
    failed = "failed"  # the channel refused it or could not deliver it
    private = "private"  # never leaves the console (a supervisor's note)


class Conversation(SQLModel, table=True):
    """How to reach the person of one text call, kept only while it is needed."""

    __tablename__ = "conversations"
    call_id: int = Field(foreign_key="calls.id", primary_key=True)
    # The SMS number or the WeChat OpenID, encrypted; none for web chat (the page's socket is
    # the only way back). Erased when the conversation is purged with its call.
    address: str | None = Field(default=None, sa_type=EncryptedText)
    # Web chat: SHA-256 of the resume token the page keeps (never the person's identity).
    resume_hash: str | None = Field(default=None, max_length=64, unique=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    last_inbound_at: datetime = Field(sa_type=UTCDateTime)
    # When the person was last told their place in the queue (updated as it changes).
    position_told_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    position_told: int | None = None
    # Web chat: when its counselor offered the person a call; the page asks for their number
    # until they give it or say no (hotline/dialback/service.py, `offer_call`).
    call_offered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConversationMessage(SQLModel, table=True):
    __tablename__ = "conversation_messages"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    sender: Sender = Field(sa_type=StrEnumType(Sender))
    # Who wrote it: the counselor, crisis worker or supervisor (None for the person and the line).
    user_id: int | None = Field(default=None, foreign_key="users.id")
    body: str = Field(sa_type=EncryptedText)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    # The channel's id for the message (Twilio's MessageSid, WeChat's MsgId, the page's own
    # message id), prefixed with the channel: a repeated delivery is stored once.
    provider_id: str | None = Field(default=None, max_length=96, unique=True)
    delivery: Delivery = Field(sa_type=StrEnumType(Delivery))
    # When a delivery job claimed it (`sending`): past the lease another run takes it again, so
    # an instance that died mid-send neither loses it nor holds up the conversation's next ones.
    sending_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The phrase that marked the person in danger now, if this message did (shown to the
    # counselor as the reason; the screener still decides the level).
    danger_phrase: str | None = Field(default=None, sa_type=EncryptedText)
