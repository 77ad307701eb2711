"""The debrief offer's JSON shapes, read by the console after a note is submitted."""

from __future__ import annotations

from pydantic import BaseModel


class DebriefOffer(BaseModel):
    """Whether to ask "Would you like a debrief?" after this call, and any request made."""

    offered: bool
    request_id: int | None = None
    status: str | None = None
