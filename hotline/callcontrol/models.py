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
