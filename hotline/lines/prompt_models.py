"""Uploaded recordings a line plays instead of a spoken prompt (greeting, hold prompt, music).

The audio is kept in the database, small by rule (hotline/lines/prompts.py), and served to the
phone network at `/twilio/prompts/{token}`: Twilio fetches it without a session or a signature,
so the address is the secret, a random token replaced at every upload.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from hotline.models_base import UTCDateTime


class PromptAudio(SQLModel, table=True):
    __tablename__ = "prompt_audio"
    __table_args__ = (
        UniqueConstraint("line_id", "kind", "language", name="uq_prompt_audio_line_kind_language"),
    )
    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    line_id: int = Field(foreign_key="lines.id", index=True)
    kind: str = Field(max_length=16)  # greeting | hold | music
    language: str = Field(default="", max_length=8)  # "" for the music (one per line)
    content_type: str = Field(max_length=32)  # audio/mpeg | audio/wav, from the file's bytes
    size: int
    data: bytes = Field(sa_type=LargeBinary)
    uploaded_at: datetime = Field(sa_type=UTCDateTime)
