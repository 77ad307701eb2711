"""The supervisors' live board page (its live half is the websocket, `ws.py`); see
docs/board-protocol.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from agent_console.kit.render import remember_locale, render, translator
from hotline.audit import service as audit
from hotline.audit.models import AuditAction
from hotline.auth.deps import RequirePageRole
from hotline.auth.models import User
from hotline.board.models import MonitorMode
from hotline.board.service import SUPERVISOR_ROLES
from hotline.calls.labels import CHANNEL_LABELS
from hotline.db import SessionDep

router = APIRouter(tags=["board"])
Supervisor = Annotated[User, Depends(RequirePageRole(*SUPERVISOR_ROLES))]


# remember_locale runs first: a `?lang=` is kept even when the visitor is sent to sign in.
@router.get("/supervisor/board", dependencies=[Depends(remember_locale)])
def board_page(request: Request, user: Supervisor, session: SessionDep) -> Response:
    _ = translator(request, user)
    audit.record_request(
        request, action=AuditAction.view, object_type="board", user=user, session=session
    )
    config = {
        "ws_path": "/ws/board",
        "locale": request.session.get("locale") or user.locale,
        "strings": board_strings(_),
        "monitor_modes": [mode.value for mode in MonitorMode],
    }
    return render(request, "board.html", user=user, config=config)


def board_strings(_: Callable[[str], str]) -> dict[str, str]:
    """The board script's strings, translated on the server."""
    return {
        "conn_connecting": _("Connecting…"),
        "shedding_load": _(
            "This server is overloaded: %(count)s new callers were forwarded to the partner line."
        ),
        "conn_connected": _("Connected"),
        "conn_reconnecting": _("Reconnecting…"),
        "state_offline": _("Signed off"),
        "state_available": _("Available"),
        "state_offered": _("Call offered"),
        "state_on_call": _("On a call"),
        "state_wrap_up": _("Wrap-up"),
        "state_break": _("On a break"),
        "state_away": _("Away"),
        "state_chatting": _("In conversations"),
        # {count}: how many text conversations the counselor holds now.
        "chatting_count": _("In conversations ({count})"),
        "text_not_monitorable": _("Text conversation: nothing to listen to by phone"),
        **{f"channel_{channel.value}": _(label) for channel, label in CHANNEL_LABELS.items()},
        # {count} callers who pressed "in danger now" are among those waiting.
        "in_danger_waiting": _("{count} in danger now"),
        "call_connecting": _("Connecting"),
        "call_connected": _("Connected"),
        "level_none": _("No suicidal ideation"),
        "level_low": _("Low risk"),
        "level_moderate": _("Moderate risk"),
        "level_high": _("High risk"),
        "level_imminent": _("Imminent danger"),
        "level_unknown": _("Not assessed"),
        "escalation_paging": _("Paging the crisis team"),
        "escalation_acknowledged": _("Acknowledged"),
        "escalation_joined": _("Responder is on the call"),
        "escalation_unacknowledged": _("Nobody acknowledged: supervisor alarmed"),
        "escalation_step": _("Step {step} of {steps}, round {round}"),
        "escalation_not_paged": _("Not paged yet"),
        # {time} is hh:mm on the line's clock, when the escalated caller's call ended.
        "escalation_call_ended": _("call ended {time}"),
        "in_danger": _("In danger now"),
        "listen": _("Listen"),
        "whisper": _("Whisper"),
        "barge": _("Barge in"),
        "leave": _("Leave"),
        "mode_listen": _("Listening"),
        "mode_whisper": _("Whispering to the counselor"),
        "mode_barge": _("In the call"),
        "monitor_dialing": _("Calling your phone…"),
        "monitor_joined": _("Your phone is in the call"),
        "ack": _("I'm on it"),
        "help_for_you": _("A counselor asks for your help"),
        "no_calls": _("No live calls."),
        "no_escalations": _("No open escalations."),
        "no_help": _("No help requests."),
        "no_counselors": _("No counselors."),
        "nobody": _("Nobody"),
    }
