"""Call control, the console's JSON API (mute, hold, add and remove a party) and the webhook
of added parties' legs. Each route works in the request's unit of work; the phone-network work
runs as a background task, after the commit."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response
from sqlmodel import Session

from hotline.auth.deps import CsrfChecked, CurrentUser
from hotline.callcontrol import service as control
from hotline.callcontrol.network import Network
from hotline.callcontrol.schemas import (
    AddPartyRequest,
    CallControlState,
    HoldRequest,
    MuteRequest,
    Party,
)
from hotline.calls.models import Call
from hotline.db import SessionDep
from hotline.routing.engine import Dispatcher, DispatcherDep
from hotline.telephony import prompts
from hotline.telephony.params import as_id
from hotline.telephony.service import TWIML, answer_webhook
from hotline.telephony.signature import SignedForm, require

router = APIRouter(tags=["callcontrol"])


def network(dispatcher: Dispatcher) -> Network:
    return Network(db=dispatcher.db, clock=dispatcher.clock, telephony=dispatcher.telephony)


def _state(session: Session, call_id: int) -> CallControlState:
    call = session.get(Call, call_id)
    assert call is not None
    return CallControlState.model_validate(control.for_call(session=session, call=call))


@router.post("/api/calls/{call_id}/mute", dependencies=[CsrfChecked])
def mute(
    call_id: int,
    body: MuteRequest,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> CallControlState:
    """Mute or unmute the counselor's own leg of their live call."""
    changed = control.set_muted(
        session=session, user=user, call_id=call_id, muted=body.muted, now=dispatcher.clock.now()
    )
    if changed is not None:
        after.add_task(dispatcher.submit, network(dispatcher).apply_mute, call_id)
    return _state(session, call_id)


@router.post("/api/calls/{call_id}/hold", dependencies=[CsrfChecked])
def hold(
    call_id: int,
    body: HoldRequest,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> CallControlState:
    """Put the caller on hold (the line's hold music) or resume the conversation."""
    changed = control.set_hold(
        session=session, user=user, call_id=call_id, hold=body.hold, now=dispatcher.clock.now()
    )
    if changed is not None:
        after.add_task(dispatcher.submit, network(dispatcher).apply_hold, call_id)
    return _state(session, call_id)


@router.post("/api/calls/{call_id}/parties", dependencies=[CsrfChecked], status_code=201)
def add_party(
    call_id: int,
    body: AddPartyRequest,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> Party:
    """Dial 110/120/119, the partner line, a referral resource or a typed number into the call."""
    party = control.add_party(
        session=session,
        user=user,
        call_id=call_id,
        kind=body.kind,
        number=body.number,
        resource_id=body.resource_id,
        now=dispatcher.clock.now(),
    )
    assert party.id is not None
    after.add_task(dispatcher.submit, network(dispatcher).dial_party, party.id)
    return Party(
        party_id=party.id,
        kind=party.kind.value,
        name=party.name,
        status=party.status.value,
        removing=False,
    )


@router.delete("/api/calls/{call_id}/parties/{party_id}", dependencies=[CsrfChecked])
def remove_party(
    call_id: int,
    party_id: int,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> CallControlState:
    """Take an added party out of the call."""
    control.remove_party(
        session=session, user=user, call_id=call_id, party_id=party_id, now=dispatcher.clock.now()
    )
    after.add_task(dispatcher.submit, network(dispatcher).remove_party, party_id)
    return _state(session, call_id)


@router.post("/twilio/party/status")
def party_status(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """Call progress of an added party's leg: ringing, connected (in-progress), then its end."""
    require(params, "CallSid", "CallStatus")
    party_id = as_id(request.query_params.get("party_id"))
    if party_id is None:
        return Response(prompts.empty(), media_type=TWIML, status_code=400)

    def handle(session: Session) -> str:
        control.party_progress(
            session=session,
            party_id=party_id,
            leg_sid=params["CallSid"],
            call_status=params["CallStatus"],
            now=dispatcher.clock.now(),
        )
        return prompts.empty()

    response = answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
    response.media_type = TWIML
    return response
