"""The crisis team's devices for web push pages: "Allow notifications on this device", the list
of devices that allow them, removing one; and the service worker, served at the root so its
scope covers the console."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from agent_console.kit.render import remember_locale, render, translator
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import User
from hotline.config import Settings
from hotline.db import SessionDep
from hotline.escalation.models import RESPONDERS
from hotline.push import service as push
from hotline.push.sender import configured
from hotline.push.service import PushError

router = APIRouter(tags=["push"])
Responder = Annotated[User, Depends(RequirePageRole(*RESPONDERS))]
CsrfToken = Annotated[str | None, Form()]
WORKER = Path(__file__).parent / "static" / "push-sw.js"


@router.get("/push-sw.js", include_in_schema=False)
def service_worker() -> Response:
    """At the root: a worker's scope is at most its own path, and it must cover /console."""
    return FileResponse(WORKER, media_type="text/javascript")


@router.get("/console/devices", include_in_schema=False)
def devices_page(request: Request, user: Responder, session: SessionDep) -> Response:
    remember_locale(request)
    _ = translator(request, user)
    settings: Settings = request.app.state.settings
    ready = configured(settings)
    config = {
        "public_key": settings.vapid_public_key.strip() if ready else "",
        "worker": "/push-sw.js",
        "strings": {
            "unsupported": _("This browser cannot receive push notifications."),
            "denied": _("Notifications are blocked for this site: allow them in the browser."),
            "subscribing": _("Asking the browser…"),
            "done": _("This device now receives crisis pages."),
            "failed": _("This device could not be set up for notifications."),
        },
    }
    found = push.devices(session=session, user_id=user.id or 0)
    done = request.query_params.get("done")
    return render(
        request,
        "push_devices.html",
        user=user,
        config=config,
        configured=ready,
        devices=found,
        notice=_("The device was removed.") if done == "removed" else None,
    )


@router.post("/console/devices/{device_id}/remove", include_in_schema=False)
def remove_device(
    request: Request,
    device_id: int,
    user: Responder,
    session: SessionDep,
    csrf_token: CsrfToken = None,
) -> Response:
    check_csrf(request, csrf_token)
    now = request.app.state.clock.now()
    try:
        push.remove(session=session, user=user, device_id=device_id, now=now)
    except PushError:
        return RedirectResponse("/console/devices", status_code=303)
    return RedirectResponse("/console/devices?done=removed", status_code=303)
