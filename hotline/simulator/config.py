"""Settings of one simulator instance."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field


class SimulatorConfig(BaseModel):
    """How the simulator behaves.

    ``time_scale`` multiplies every simulated duration (Pause, speaking time, answer delays,
    ringing); 0 makes them instantaneous. Waits for a person (Gather and Record timeouts, the ring
    timeout of a phone in ``manual`` mode) use ``gather_time_scale`` instead, so the demo page can
    give a human real seconds while everything else runs fast.
    """

    model_config = ConfigDict(frozen=True)

    account_sid: str
    auth_token: str
    # The simulator's own root URL, e.g. "http://127.0.0.1:8000/sim" when mounted at /sim.
    public_url: str
    # Asked of every control API request (X-Simulator-Token header): the control API places
    # calls and reads transcripts, so even on loopback not every local process may use it.
    control_token: str = Field(min_length=16)
    time_scale: float = Field(default=1.0, ge=0)
    gather_time_scale: float = Field(default=1.0, ge=0)
    # Minimum real seconds between two fetches of a conference waitUrl (no hot loop at scale 0).
    hold_refetch_min_s: float = Field(default=5.0, gt=0)
    webhook_timeout_s: float = Field(default=15, gt=0)
    # Extra attempts on a connection error or a 5xx answer (Twilio retries once by default).
    webhook_retries: int = Field(default=1, ge=0)

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/")

    @property
    def root_path(self) -> str:
        """The path part of public_url without a trailing slash ("" or "/sim")."""
        return urlsplit(self.public_url).path.rstrip("/")
