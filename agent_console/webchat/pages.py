"""The web chat page a person in distress opens (`/chat/{line_id}`): anonymous, no account, no
cookie, no tracking; zh_CN or en by `?lang=` or the browser. Its live half is `ws.py`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from sqlmodel import Session

from agent_console.kit.render import templates
from hotline.db import SessionDep
from hotline.i18n import LOCALES, gettext_for, negotiate
from hotline.lines import service as lines
from hotline.lines.models import Line
from hotline.telephony.prompts import AMBULANCE, POLICE

router = APIRouter(tags=["web chat"])


def _locale(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LOCALES:
        return str(asked)
    return negotiate(request.headers.get("accept-language"))


def _line(session: Session, line_id: int) -> Line:
    line = lines.active(session=session, line_id=line_id)
    if line is None:
        raise HTTPException(status_code=404)
    return line


@router.get("/chat/{line_id}")
def chat_page(line_id: int, request: Request, session: SessionDep) -> Response:
    line = _line(session, line_id)
    locale = _locale(request)
    _ = gettext_for(locale)
    strings = {
        "connecting": _("Connecting..."),
        "reconnecting": _("Connection lost. Reconnecting... Your conversation is kept."),
        "waiting": _("Waiting for a counselor"),
        "position": _("You are number %(position)s in the queue."),
        "next": _("You are next."),
        "live": _("A counselor is with you"),
        "ended": _("This conversation has ended. You can write again to start a new one."),
        "typing": _("The counselor is writing..."),
        "you": _("You"),
        "counselor": _("Counselor"),
        "responder": _("Crisis worker"),
        "responder_typing": _("The crisis worker is writing..."),
        "line": line.name,
        "too_fast": _("Please wait a moment before sending more."),
        "unavailable": _("This service cannot take your messages."),
        "too_many_chats": _(
            "Too many conversations were started from your network just now. Please try again "
            "in a few minutes, or call the line. In immediate danger, call 110 or 120."
        ),
        "error": _("Your message could not be sent. Please try again."),
        "confirm_leave": _("End this conversation? The counselor will be told you left."),
        "bad_number": _("This does not look like a phone number. Please check it."),
    }
    return templates.TemplateResponse(
        request,
        "webchat.html",
        {
            "_": _,
            "locale": locale,
            "line": line,
            "police": POLICE,
            "ambulance": AMBULANCE,
            "config": {"ws_path": f"/chat/{line.id}/ws", "strings": strings},
        },
    )
