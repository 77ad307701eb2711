"""A supervisor's quality review of one call, and the recordings Twilio reports for calls."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import UTCDateTime

# The QA form: each criterion scored 1 (poor) to 5 (excellent), or left unscored.
QA_CRITERIA = ("rapport", "risk_assessment", "intervention", "documentation")
SCORE_MIN = 1
SCORE_MAX = 5


class CallReview(SQLModel, table=True):
    """One review per call; saving again updates it (who and when last)."""

    __tablename__ = "call_reviews"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", unique=True)
    # The call's counselor, kept here so "my feedback" is one indexed query.
    counselor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    reviewer_id: int = Field(foreign_key="users.id")
    score_rapport: int | None = Field(default=None, ge=SCORE_MIN, le=SCORE_MAX)
    score_risk_assessment: int | None = Field(default=None, ge=SCORE_MIN, le=SCORE_MAX)
    score_intervention: int | None = Field(default=None, ge=SCORE_MIN, le=SCORE_MAX)
    score_documentation: int | None = Field(default=None, ge=SCORE_MIN, le=SCORE_MAX)
    marked_for_review: bool = Field(default=False, index=True)
    # What the counselor reads; it may quote the call, so it is encrypted at rest.
    comment: str | None = Field(default=None, sa_type=EncryptedText)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime, index=True)


class CallRecording(SQLModel, table=True):
    """A finished recording of a call's conference, as Twilio's recording status callback says.

    Only the provider's URL is kept; playback goes through an authenticated, audited proxy.
    """

    __tablename__ = "call_recordings"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    recording_sid: str = Field(max_length=64, unique=True)
    url: str = Field(max_length=500)
    duration_s: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
