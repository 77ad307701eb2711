"""What every websocket of the console and the board sends besides its snapshot: a translated
error, and the answer to a ping."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class ErrorMessage(BaseModel):
    """A command refused, or a failure the bus reported (e.g. `monitor_failed`), translated."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["error"] = "error"
    code: str
    message: str


class Pong(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["pong"] = "pong"
    id: int | str | None = None
