"""Call control, the console's JSON API (mute, hold, add and remove a party) and the webhook
of added parties' legs. Each route works in the request's unit of work; the phone-network work
runs as a background task, after the commit."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response
from sqlmodel import Session

from hotline.auth.deps import CsrfChecked, CurrentUser
from hotline.callcontrol import service as control
from hotline.callcontrol import transfers
from hotline.callcontrol.models import CallParty
from hotline.callcontrol.network import Network
from hotline.callcontrol.schemas import (
    AddPartyRequest,
    CallControlState,
    Colleague,
    Colleagues,
    HoldRequest,
    MuteRequest,
    Party,
    TransferRequest,
    TransferView,
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

    moves = transfers.Moves()

    def handle(session: Session) -> str:
        now = dispatcher.clock.now()
        control.party_progress(
            session=session,
            party_id=party_id,
            leg_sid=params["CallSid"],
            call_status=params["CallStatus"],
            now=now,
        )
        party = session.get(CallParty, party_id)
        if party is not None:  # the partner line of a cold transfer
            moves.merge(transfers.party_changed(session=session, party=party, now=now))
        return prompts.empty()

    response = answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
    response.media_type = TWIML
    _after(dispatcher, moves)
    return response


# --- transfers ----------------------------------------------------------------------------------


def _after(dispatcher: Dispatcher, moves: transfers.Moves) -> None:
    """A transfer's network work on the dispatcher's pool (after the commit)."""
    if moves.hold or moves.end_leg or moves.dial or moves.dial_party:
        dispatcher.submit(network(dispatcher).carry_out, moves)
    if moves.kick:
        dispatcher.kick()


def _view(session: Session, user_id: int, transfer_id: int) -> TransferView | None:
    shown = transfers.for_user(session=session, user_id=user_id)
    if shown is None or shown["transfer_id"] != transfer_id:
        return None
    return TransferView.model_validate(shown)


@router.get("/api/calls/{call_id}/colleagues")
def colleagues(
    call_id: int, user: CurrentUser, session: SessionDep, dispatcher: DispatcherDep
) -> Colleagues:
    """Who the counselor can consult or hand their live call to now."""
    control._live_call(session, user, call_id)  # noqa: SLF001
    found = transfers.colleagues(session=session, user=user, now=dispatcher.clock.now())
    return Colleagues(data=[Colleague.model_validate(c) for c in found], count=len(found))


@router.post("/api/calls/{call_id}/transfers", dependencies=[CsrfChecked], status_code=201)
def start_transfer(
    call_id: int,
    body: TransferRequest,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> TransferView:
    """Warm (consult a colleague, the caller on hold) or cold (offer the call to a colleague, or
    dial the line's partner line) transfer of the counselor's live call."""
    transfer, moves = transfers.start(
        session=session,
        user=user,
        call_id=call_id,
        kind=body.kind,
        target=body.target,
        colleague_id=body.user_id,
        message=body.message,
        now=dispatcher.clock.now(),
        offer_timeout_s=dispatcher.settings.offer_timeout_s,
    )
    assert transfer.id is not None and user.id is not None
    after.add_task(_after, dispatcher, moves)
    shown = _view(session, user.id, transfer.id)
    assert shown is not None
    return shown


def _act(
    action: str,
    transfer_id: int,
    user: CurrentUser,
    session: Session,
    dispatcher: Dispatcher,
    after: BackgroundTasks,
) -> Response:
    now = dispatcher.clock.now()
    run = {
        "complete": transfers.complete,
        "return": transfers.take_back,
        "accept": transfers.accept,
        "decline": transfers.decline,
    }[action]
    moves = run(session=session, user=user, transfer_id=transfer_id, now=now)
    after.add_task(_after, dispatcher, moves)
    return Response(status_code=204)


@router.post("/api/transfers/{transfer_id}/complete", dependencies=[CsrfChecked], status_code=204)
def complete_transfer(
    transfer_id: int,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> Response:
    """Warm: the counselor leaves, the colleague keeps the caller (taken off hold)."""
    return _act("complete", transfer_id, user, session, dispatcher, after)


@router.post("/api/transfers/{transfer_id}/return", dependencies=[CsrfChecked], status_code=204)
def return_transfer(
    transfer_id: int,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> Response:
    """The counselor calls the transfer off: the colleague leaves, the caller is resumed."""
    return _act("return", transfer_id, user, session, dispatcher, after)


@router.post("/api/transfers/{transfer_id}/accept", dependencies=[CsrfChecked], status_code=204)
def accept_transfer(
    transfer_id: int,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> Response:
    """Cold: the colleague takes the call offered to them (their phone is rung)."""
    return _act("accept", transfer_id, user, session, dispatcher, after)


@router.post("/api/transfers/{transfer_id}/decline", dependencies=[CsrfChecked], status_code=204)
def decline_transfer(
    transfer_id: int,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> Response:
    """The colleague declines a cold offer, or leaves a consultation."""
    return _act("decline", transfer_id, user, session, dispatcher, after)


@router.post("/twilio/transfer/status")
def transfer_status(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """Call progress of a colleague's leg: ringing, answered, then its end."""
    require(params, "CallSid", "CallStatus")
    transfer_id = as_id(request.query_params.get("transfer_id"))
    if transfer_id is None:
        return Response(prompts.empty(), media_type=TWIML, status_code=400)
    moves = transfers.Moves()

    def handle(session: Session) -> str:
        moves.merge(
            transfers.leg_progress(
                session=session,
                transfer_id=transfer_id,
                leg_sid=params["CallSid"],
                call_status=params["CallStatus"],
                now=dispatcher.clock.now(),
            )
        )
        return prompts.empty()

    response = answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
    response.media_type = TWIML
    _after(dispatcher, moves)
    return response
