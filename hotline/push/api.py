"""Web push, the JSON API: the VAPID public key, a person's devices (subscribe, list, remove),
and the notification's acknowledge action.

The acknowledge route takes no session: the service worker posts the page's token, which is
what proves who acknowledges (signed, short-lived, single-use: `hotline.push.service`). Ending
the other paging calls runs after the commit, as for the console's acknowledge.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request

from hotline.auth.deps import CsrfChecked, RequireRole
from hotline.auth.models import User
from hotline.config import Settings
from hotline.db import SessionDep
from hotline.escalation.service import RESPONDERS
from hotline.push import sender
from hotline.push import service as push
from hotline.push.schemas import (
    AckOut,
    AckRequest,
    DeviceOut,
    PushConfigOut,
    RemovedOut,
    SubscribeRequest,
)
from hotline.routing.engine import DispatcherDep

router = APIRouter(tags=["push"])
# Only those who can acknowledge a page are paged, so only they keep devices.
Paged = Annotated[User, Depends(RequireRole(*RESPONDERS))]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/api/push/config")
def push_config(request: Request, _user: Paged) -> PushConfigOut:
    settings = _settings(request)
    configured = sender.configured(settings)
    return PushConfigOut(
        configured=configured, public_key=settings.vapid_public_key.strip() if configured else ""
    )


@router.get("/api/push/devices")
def list_devices(user: Paged, session: SessionDep) -> list[DeviceOut]:
    return [DeviceOut.of(d) for d in push.devices(session=session, user_id=user.id or 0)]


@router.post("/api/push/devices", dependencies=[CsrfChecked])
def subscribe(
    body: SubscribeRequest, user: Paged, session: SessionDep, dispatcher: DispatcherDep
) -> DeviceOut:
    """ "Allow notifications on this device": keep this browser's push subscription."""
    device = push.subscribe(
        session=session,
        user=user,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        label=body.label,
        now=dispatcher.clock.now(),
    )
    return DeviceOut.of(device)


@router.delete("/api/push/devices/{device_id}", dependencies=[CsrfChecked])
def remove_device(
    device_id: int, user: Paged, session: SessionDep, dispatcher: DispatcherDep
) -> RemovedOut:
    push.remove(session=session, user=user, device_id=device_id, now=dispatcher.clock.now())
    return RemovedOut(removed=device_id)


@router.post("/api/push/ack")
def acknowledge(
    body: AckRequest,
    request: Request,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> AckOut:
    """The notification's acknowledge action (the token is the credential)."""
    done = push.acknowledge(
        session=session,
        secret_key=_settings(request).secret_key,
        token=body.token,
        now=dispatcher.clock.now(),
    )
    for sid in done.to_end:  # the paging calls stop ringing once someone has acknowledged
        after.add_task(dispatcher.submit, dispatcher.end_paging_call, sid)
    return AckOut(kind=done.kind, id=done.id)
