"""Control of a live call: the counselor's mute, the caller's hold, and the parties added to it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class CallControl(SQLModel, table=True):
    """What the counselor asked of their call: their own leg muted, the caller on hold."""

    __tablename__ = "call_controls"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", unique=True)
    counselor_muted: bool = False
    caller_on_hold: bool = False
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None, foreign_key="users.id")


class PartyKind(StrEnum):
    emergency = "emergency"  # 110, 120 or 119, dialled as they are
    partner = "partner"  # the line's partner line
    resource = "resource"  # a referral resource's phone
    number = "number"  # a number the counselor typed (a relative, a clinician)


class PartyStatus(StrEnum):
    dialing = "dialing"  # asked for; the phone network is being told
    ringing = "ringing"
    connected = "connected"
    left = "left"  # was in the call and left (hung up or removed)
    failed = "failed"  # never answered: busy, no answer, refused


LIVE_PARTY_STATUSES = frozenset({PartyStatus.dialing, PartyStatus.ringing, PartyStatus.connected})


class CallParty(SQLModel, table=True):
    """An outside party dialled from the line's number into the caller's conference."""

    __tablename__ = "call_parties"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    added_by: int = Field(foreign_key="users.id")
    kind: PartyKind = Field(sa_type=StrEnumType(PartyKind))
    # What the console shows: "120", the resource's name, the partner line, or a typed number's
    # last digits (never the whole typed number).
    name: str = Field(max_length=200)
    # The number dialled: a typed one may be a relative's, so it is encrypted like notes.
    number: str = Field(sa_type=EncryptedText)
    resource_id: int | None = Field(default=None, foreign_key="referral_resources.id")
    status: PartyStatus = Field(
        default=PartyStatus.dialing, sa_type=StrEnumType(PartyStatus), index=True
    )
    leg_sid: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    connected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by: int | None = Field(default=None, foreign_key="users.id")
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=300)


class TransferKind(StrEnum):
    warm = "warm"  # the caller on hold while the counselor consults the colleague, then hands over
    cold = "cold"  # offered to the colleague (or dialled to the partner line) without a consult


class TransferStatus(StrEnum):
    offered = "offered"  # cold: offered to the colleague, waiting for their answer
    dialing = "dialing"  # the colleague's phone (or the partner line) is being rung
    consulting = "consulting"  # warm: the colleague is in the call, the caller on hold
    completed = "completed"  # the colleague (or the partner line) holds the call now
    returned = "returned"  # warm: the counselor took the caller back
    cancelled = "cancelled"  # either side called it off before it completed
    declined = "declined"  # cold: the colleague said no
    expired = "expired"  # cold: the colleague did not answer the offer in time
    no_answer = "no_answer"  # the colleague's phone (or the partner line) was not answered
    requeued = "requeued"  # cold: the colleague's phone failed after the counselor had left


OPEN_TRANSFER_STATUSES = frozenset(
    {TransferStatus.offered, TransferStatus.dialing, TransferStatus.consulting}
)


class CallTransfer(SQLModel, table=True):
    """A live call handed from its counselor to a colleague (or to the line's partner line)."""

    __tablename__ = "call_transfers"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    kind: TransferKind = Field(sa_type=StrEnumType(TransferKind))
    from_user_id: int = Field(foreign_key="users.id")
    # The colleague; None for the partner line (then `party_id` is its dialled leg).
    to_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    party_id: int | None = Field(default=None, foreign_key="call_parties.id")
    # What the counselor chose to tell the colleague (never the caller's number).
    message: str = Field(default="", sa_type=EncryptedText)
    status: TransferStatus = Field(
        default=TransferStatus.dialing, sa_type=StrEnumType(TransferStatus), index=True
    )
    # The colleague's presence before they were reserved for this transfer (put back after).
    colleague_was: str | None = Field(default=None, max_length=16)
    # The transfer put the caller on hold (so ending it resumes them).
    held_caller: bool = False
    leg_sid: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: int | None = Field(default=None, foreign_key="users.id")
    # The note's version when the colleague took over: versions up to it are the first
    # counselor's, later ones the colleague's (the note keeps one author, who began it).
    note_version: int | None = None
