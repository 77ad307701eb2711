"""The browser phone's request and response shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class PhoneToken(BaseModel):
    """A short-lived Twilio access token for the console's Voice SDK `Device`."""

    token: str
    identity: str
    ttl_s: int
    # True when the app's phone network is the local simulator: the console answers its legs
    # through `/api/phone/sim/...` instead of the SDK (no audio).
    simulator: bool


class SimulatedLeg(BaseModel):
    """The user's own browser-phone leg on the simulator: none, ringing or connected."""

    state: Literal["none", "ringing", "connected"]
