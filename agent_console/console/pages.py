"""The counselor workspace page (its live half is the websocket, `ws.py`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from agent_console.cases.labels import SECTION_LABELS, console_config
from agent_console.console.config import risk_config
from agent_console.console.strings import js_strings
from agent_console.kit.render import remember_locale, render, translator
from hotline.auth.deps import user_from_connection
from hotline.callcontrol import service as callcontrol
from hotline.cases.schemas import SECTIONS
from hotline.db import SessionDep

router = APIRouter(tags=["console"])


@router.get("/console")
def console(request: Request, session: SessionDep) -> Response:
    remember_locale(request)
    user = user_from_connection(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    _ = translator(request, user)
    config = {
        "ws_path": "/ws/console",
        "locale": request.session.get("locale") or user.locale,
        "strings": js_strings(_),
        "risk": risk_config(),
        # What "add someone to the call" offers besides 110/120/119 and a typed number.
        "call_control": {"resources": callcontrol.resources(session=session)},
        "case": console_config(_),
        # The browser phone (phone.js): with the simulator it answers through the app's
        # adapter (no audio); with Twilio through the vendored Voice SDK.
        "phone": {"simulator": request.app.state.settings.telephony_mode == "simulator"},
    }
    return render(
        request,
        "console.html",
        user=user,
        config=config,
        case_sections=SECTIONS,
        case_section_labels={key: _(label) for key, label in SECTION_LABELS.items()},
    )
