"""Voicemails: the message a caller left when every counselor was busy past the line's maximum
wait. The audio stays at the provider (`Call.voicemail_url`); this is the work item that makes
sure a person listens to it and acts on it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class VoicemailOutcome(StrEnum):
    called_back = "called_back"  # the message gave a way to reach them, and they were reached
    escalated = "escalated"  # passed to the crisis team
    no_way_to_reach = "no_way_to_reach"  # nothing in it to call back on
    no_action_needed = "no_action_needed"  # empty, silent, or not asking for anything


class Voicemail(SQLModel, table=True):
    __tablename__ = "voicemails"
    id: int | None = Field(default=None, primary_key=True)
    # One per call: Twilio's recording callback may come twice.
    call_id: int = Field(foreign_key="calls.id", unique=True)
    line_id: int = Field(foreign_key="lines.id", index=True)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    duration_s: int | None = None
    # Waiting until someone has listened and acted: then who, when and what.
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    handled_by_id: int | None = Field(default=None, foreign_key="users.id")
    outcome: VoicemailOutcome | None = Field(default=None, sa_type=StrEnumType(VoicemailOutcome))
    # A callback request instead of a message (the caller pressed the key the line's "callback"
    # overflow offers): the number to call back, encrypted. None: a recorded message.
    callback_number: str | None = Field(default=None, sa_type=EncryptedText)
