"""Quick replies: a line's library of canned texts that counselors insert into a conversation's
reply box (never sent by themselves), kept by admins."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.models_base import UTCDateTime


class QuickReply(SQLModel, table=True):
    __tablename__ = "quick_replies"
    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="lines.id", index=True)
    title: str = Field(max_length=80)
    text: str = Field(max_length=1600)
    # The language the text is written in (zh_CN or en): the console lists the conversation's
    # language first.
    language: str = Field(max_length=8)
    sort: int = 0
    # Retired replies are kept (nothing is deleted) but no longer offered.
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
