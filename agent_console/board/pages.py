"""The supervisors' live board page (its live half is the websocket, `ws.py`); see
docs/board-protocol.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from agent_console.kit.render import remember_locale, render, translator
from hotline.audit import service as audit
from hotline.audit.models import AuditAction
from hotline.auth.deps import RequirePageRole
from hotline.auth.models import User
from hotline.board.models import MonitorMode
from hotline.board.service import SUPERVISOR_ROLES
from hotline.calls.labels import CHANNEL_LABELS
from hotline.calls.models import Call
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
        "read_along": _("Read along"),
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


@router.get("/supervisor/conversations/{call_id}", dependencies=[Depends(remember_locale)])
def read_along_page(
    call_id: int, request: Request, user: Supervisor, session: SessionDep
) -> Response:
    """A live text conversation, read-only, for a supervisor: its transcript (each read through
    the API is audited), a private note to its counselor, and taking it over."""
    call = session.get(Call, call_id)
    if call is None or not call.is_text:
        raise HTTPException(status_code=404)
    _ = translator(request, user)
    config = {
        "ws_path": f"/ws/conversations/{call_id}",
        "call_id": call_id,
        "locale": request.session.get("locale") or user.locale,
        "strings": read_along_strings(_),
    }
    return render(
        request,
        "read_along.html",
        user=user,
        config=config,
        channel=_(CHANNEL_LABELS[call.channel]),
    )


def read_along_strings(_: Callable[[str], str]) -> dict[str, str]:
    """The read-along script's strings, translated on the server."""
    return {
        "conn_connecting": _("Connecting…"),
        "conn_connected": _("Connected"),
        "conn_reconnecting": _("Reconnecting…"),
        "sender_person": _("Person"),
        "sender_line": _("The line (automatic)"),
        "sender_counselor": _("Counselor"),
        "sender_responder": _("Crisis worker"),
        "sender_supervisor": _("Private note to the counselor"),
        "delivery_queued": _("Sending…"),
        "delivery_sending": _("Sending…"),
        "delivery_sent": _("Sent"),
        "delivery_delivered": _("Delivered"),
        "delivery_failed": _("Not delivered"),
        "danger_why_first": _(
            "Why first: the person wrote “{phrase}”, so this conversation was answered first."
        ),
        "state_live": _("Live: you are reading along"),
        "state_ended": _("This conversation has ended."),
        "state_mine": _("You hold this conversation now: answer it from your console."),
        # {name}: the counselor holding the conversation.
        "held_by": _("Counselor: {name}"),
        "nobody": _("Nobody"),
        "transcript_failed": _("The conversation could not be loaded. Trying again…"),
        "note_sent": _("Your note was sent to the counselor only."),
        "note_failed": _("The note could not be sent."),
        "take_over_confirm": _(
            "Take over this conversation? You become its counselor: the counselor's part ends "
            "and the person is told that another counselor goes on with them."
        ),
        "take_over_failed": _("The conversation could not be taken over."),
    }
