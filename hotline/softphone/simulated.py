"""The browser phone against the local simulator: it has no audio and no Twilio Client, so the
console answers and hangs up its own `client:` leg through these, which forward to the
simulator's control API. The control token stays on the server; the browser never holds it.

Simulator mode only (production refuses simulator mode at start-up, and each function here
refuses any other mode again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from hotline.config import Settings
from hotline.simulator.client import SimulatorControl, SimulatorControlError
from hotline.softphone.service import SoftphoneError
from hotline.telephony.endpoints import browser_client

log = logging.getLogger(__name__)
CONTROL_TIMEOUT_S = 5.0
T = TypeVar("T")


def _control(settings: Settings) -> SimulatorControl:
    if settings.telephony_mode != "simulator" or settings.env == "production":
        raise SoftphoneError("not_simulator", status=404)
    return SimulatorControl(
        settings.simulator_url, settings.simulator_control_token, timeout=CONTROL_TIMEOUT_S
    )


def _call(settings: Settings, work: Callable[[SimulatorControl], T]) -> T:
    with _control(settings) as control:
        try:
            return work(control)
        except (SimulatorControlError, httpx.HTTPError) as error:
            log.warning("simulator control failed: %s", type(error).__name__)
            raise SoftphoneError("simulator_down", status=502) from error


def _own_leg(control: SimulatorControl, user_id: int) -> dict[str, Any] | None:
    """The user's newest live browser-phone leg, if any."""
    legs = [
        leg
        for leg in control.list_calls(to=browser_client(user_id), active="1")
        if leg.get("direction") != "inbound"
    ]
    return legs[-1] if legs else None


def ready(*, settings: Settings, user_id: int) -> None:
    """The console's browser phone is there: its legs ring until it answers them."""
    _call(settings, lambda control: control.set_phone(browser_client(user_id), "manual"))


def leg_state(*, settings: Settings, user_id: int) -> str:
    leg = _call(settings, lambda control: _own_leg(control, user_id))
    if leg is None:
        return "none"
    return "connected" if leg.get("answered") else "ringing"


def answer(*, settings: Settings, user_id: int) -> None:
    def work(control: SimulatorControl) -> None:
        leg = _own_leg(control, user_id)
        if leg is None or leg.get("answered"):
            raise SoftphoneError("no_leg")
        control.answer(leg["sid"])

    _call(settings, work)


def hang_up(*, settings: Settings, user_id: int) -> None:
    """Their browser leg ends (declined while ringing; dropped once connected)."""

    def work(control: SimulatorControl) -> None:
        leg = _own_leg(control, user_id)
        if leg is None:
            raise SoftphoneError("no_leg")
        control.hangup(leg["sid"])

    _call(settings, work)
