"""A quick reply as the console's picker reads it."""

from __future__ import annotations

from pydantic import BaseModel


class QuickReplyOut(BaseModel):
    id: int
    title: str
    text: str
    language: str


class QuickRepliesOut(BaseModel):
    call_id: int
    replies: list[QuickReplyOut]
