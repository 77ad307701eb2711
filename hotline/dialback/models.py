"""Dial-backs: the line calling a caller back (a follow-up, a voicemail's callback request, or a
high or imminent escalation whose caller hung up), placed by the system from the line's own
number. The number is never stored here: it is read (decrypted) from where it is kept only when
the call is placed, and passed to the phone network only."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class DialBackKind(StrEnum):
    followup = "followup"
    voicemail = "voicemail"
    escalation = "escalation"
    conversation = "conversation"  # a text conversation moving to voice


class DialBackStatus(StrEnum):
    requested = "requested"  # waiting for its turn (pacing)
    dialling = "dialling"  # placed with the phone network
    ringing = "ringing"
    answered = "answered"  # the person answered: the call goes on as a Call row
    no_answer = "no_answer"
    busy = "busy"
    failed = "failed"
    machine = "machine"  # an answering machine picked up: never "reached"
    canceled = "canceled"
    completed = "completed"  # answered, then ended


# Once here a dial-back never moves again, whatever order the callbacks arrive in.
FINAL_STATUSES = frozenset(
    {
        DialBackStatus.no_answer,
        DialBackStatus.busy,
        DialBackStatus.failed,
        DialBackStatus.machine,
        DialBackStatus.canceled,
        DialBackStatus.completed,
    }
)
OPEN_STATUSES = frozenset(
    {
        DialBackStatus.requested,
        DialBackStatus.dialling,
        DialBackStatus.ringing,
    }
)


class DialBack(SQLModel, table=True):
    __tablename__ = "dial_backs"
    id: int | None = Field(default=None, primary_key=True)
    kind: DialBackKind = Field(sa_type=StrEnumType(DialBackKind))
    follow_up_id: int | None = Field(default=None, foreign_key="follow_ups.id", index=True)
    voicemail_id: int | None = Field(default=None, foreign_key="voicemails.id", index=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalations.id", index=True)
    # The text conversation (its call) that moved to voice: the link between the two calls.
    conversation_id: int | None = Field(default=None, foreign_key="calls.id", index=True)
    # Only a number the person typed into the web chat page for this call: encrypted, erased
    # once the call is answered or has failed (an SMS conversation's number stays where it is).
    number: str | None = Field(default=None, sa_type=EncryptedText)
    line_id: int = Field(foreign_key="lines.id", index=True)
    # Who asked for it: their phone is dialled into the conference once the caller answers.
    user_id: int = Field(foreign_key="users.id", index=True)
    status: DialBackStatus = Field(
        default=DialBackStatus.requested, sa_type=StrEnumType(DialBackStatus), index=True
    )
    requested_at: datetime = Field(sa_type=UTCDateTime)
    # Its turn: placed by the `dialback.place` job once due and the pacer allows (never in a
    # request), oldest first.
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    placed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The outbound call's CallSid (the conference is named after it once answered).
    call_sid: str | None = Field(default=None, max_length=64, index=True)
    # The Call row made when the person answered (the call path takes over from there).
    call_id: int | None = Field(default=None, foreign_key="calls.id", index=True)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the counselor was doing before (restored when nobody answers).
    prior_state: str | None = Field(default=None, max_length=16)
    prior_reason: str | None = Field(default=None, max_length=32)


class DialPacer(SQLModel, table=True):
    """One row: when the next outbound call may be placed, on any instance. Taking a turn is a
    compare-and-set on it (`next_at <= now`), so the pace holds across app instances."""

    __tablename__ = "dial_pacer"
    id: int = Field(default=1, primary_key=True)
    next_at: datetime = Field(sa_type=UTCDateTime)
