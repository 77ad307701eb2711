"""The browser phone's JSON routes: its access token, and (simulator mode only) the adapter
that answers and hangs up the user's own browser leg on the simulator. The adapter is a
development tool, left out of the API description as the simulator's own routes are (a 404 with
Twilio; a 502 while the simulator does not answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from hotline.auth.deps import CsrfChecked, RequireRole
from hotline.auth.models import User
from hotline.config import Settings
from hotline.softphone import simulated
from hotline.softphone.schemas import PhoneToken, SimulatedLeg
from hotline.softphone.service import PHONE_ROLES, access_token

router = APIRouter(tags=["phone"])
simulator = APIRouter(tags=["phone"], include_in_schema=False)  # added to `router` below
PhoneUser = Annotated[User, Depends(RequireRole(*PHONE_ROLES))]
NO_STORE = {"Cache-Control": "no-store"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _user_id(user: User) -> int:
    assert user.id is not None
    return user.id


@router.post("/api/phone/token", dependencies=[CsrfChecked])
def phone_token(request: Request, user: PhoneUser, response: Response) -> PhoneToken:
    """A fresh access token for the console's browser phone (short-lived, never cached)."""
    settings = _settings(request)
    token, identity = access_token(settings=settings, user=user)
    response.headers.update(NO_STORE)
    return PhoneToken(
        token=token,
        identity=identity,
        ttl_s=settings.phone_token_ttl_s,
        simulator=settings.telephony_mode == "simulator",
    )


@simulator.post("/api/phone/sim/ready", dependencies=[CsrfChecked], status_code=204)
def sim_ready(request: Request, user: PhoneUser) -> Response:
    """Simulator only: legs to this user's browser phone ring until the console answers."""
    simulated.ready(settings=_settings(request), user_id=_user_id(user))
    return Response(status_code=204, headers=NO_STORE)


@simulator.get("/api/phone/sim/leg")
def sim_leg(request: Request, user: PhoneUser, response: Response) -> SimulatedLeg:
    """Simulator only: whether the user's browser phone is ringing or connected."""
    state = simulated.leg_state(settings=_settings(request), user_id=_user_id(user))
    response.headers.update(NO_STORE)
    return SimulatedLeg.model_validate({"state": state})


@simulator.post("/api/phone/sim/answer", dependencies=[CsrfChecked], status_code=204)
def sim_answer(request: Request, user: PhoneUser) -> Response:
    """Simulator only: the browser phone picks up its ringing leg."""
    simulated.answer(settings=_settings(request), user_id=_user_id(user))
    return Response(status_code=204, headers=NO_STORE)


@simulator.post("/api/phone/sim/hangup", dependencies=[CsrfChecked], status_code=204)
def sim_hang_up(request: Request, user: PhoneUser) -> Response:
    """Simulator only: the browser phone's leg ends (as a closed tab or a lost network would)."""
    simulated.hang_up(settings=_settings(request), user_id=_user_id(user))
    return Response(status_code=204, headers=NO_STORE)


router.include_router(simulator)
