"""The live board: its page, its websocket (snapshots out, monitor and help commands in), and the
status callback of supervisors' phone legs. See docs/board-protocol.md."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response, WebSocket
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from agent_console.kit.render import remember_locale, render, translator
from agent_console.kit.sockets import origin_allowed
from hotline.audit import service as audit
from hotline.audit.models import AuditAction
from hotline.auth.deps import session_check, user_from_connection
from hotline.auth.models import User
from hotline.board import service as board
from hotline.board.models import MonitorMode
from hotline.escalation.service import ESCALATIONS_TOPIC
from hotline.realtime import socket_loop
from hotline.realtime.events import BOARD_TOPIC, SUPERVISORS_TOPIC, agent_topic
from hotline.routing.engine import Dispatcher, DispatcherDep
from hotline.telephony import prompts
from hotline.telephony.params import as_id
from hotline.telephony.service import TWIML, answer_webhook
from hotline.telephony.signature import SignedForm, require

log = logging.getLogger(__name__)
router = APIRouter(tags=["board"])
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# A burst of events becomes one snapshot: wait this long after the first for the rest.
COALESCE_S = 0.25
# And a snapshot at least this often, so figures computed on the server stay fresh.
REFRESH_S = 15.0
ENDED_LEG_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


def error_message(_: Callable[[str], str], code: str) -> str:
    messages = {
        "forbidden": _("Only supervisors can use the live board."),
        "no_endpoint": _("Your account has no phone to call you on. Ask an administrator."),
        "no_live_call": _("This call is no longer live."),
        "no_monitor": _("You are not on this call."),
        "monitor_over": _("You have already left this call."),
        "monitor_failed": _("Your phone could not be added to the call."),
        "no_help_request": _("There is no such help request."),
        "help_already_handled": _("Another supervisor already took this help request."),
        "bad_message": _("The board sent a request the server did not understand."),
    }
    return messages.get(code, _("Something went wrong. Please try again."))


def _allowed(user: User | None) -> bool:
    return user is not None and user.active and user.role in board.SUPERVISOR_ROLES


@router.get("/supervisor/board")
def board_page(request: Request) -> Response:
    remember_locale(request)
    user = user_from_connection(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    _ = translator(request, user)
    if not _allowed(user):
        return render(
            request,
            "board.html",
            user=user,
            status_code=403,
            forbidden=error_message(_, "forbidden"),
            config={},
        )
    audit.record_request(request, action=AuditAction.view, object_type="board", user=user)
    config = {
        "ws_path": "/ws/board",
        "locale": request.session.get("locale") or user.locale,
        "strings": board_strings(_),
        "monitor_modes": [mode.value for mode in MonitorMode],
    }
    return render(request, "board.html", user=user, forbidden=None, config=config)


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


# --- the websocket ------------------------------------------------------------------------------


def _snapshot(dispatcher: Dispatcher, user_id: int) -> dict[str, Any] | None:
    """The board for this user, or None if they may no longer see it."""
    with dispatcher.db.session() as session:
        user = session.get(User, user_id)
        if not _allowed(user):
            return None
        snapshot = board.board(session=session, user_id=user_id, now=dispatcher.clock.now())
    # This instance's own state: calls answered with the fallback because it was overloaded.
    snapshot["instance"] = dispatcher.degraded.status()
    return snapshot


def _audit(
    session: Session, dispatcher: Dispatcher, user: User, ip: str | None, **what: Any
) -> None:
    audit.record(session=session, now=dispatcher.clock.now(), user=user, ip=ip, **what)


def _run_command(
    dispatcher: Dispatcher, user_id: int, ip: str | None, message: dict[str, Any]
) -> None:
    kind = message.get("type")
    now = dispatcher.clock.now()
    reconcile: int | None = None
    with dispatcher.db.session() as session:
        user = session.get(User, user_id)
        if user is None or not _allowed(user):  # checked on every message, not only at connect
            raise board.BoardError("forbidden", 403)
        if kind == "monitor":
            call_id, mode = message.get("call_id"), message.get("mode")
            if not isinstance(call_id, int) or mode not in {m.value for m in MonitorMode}:
                raise board.BoardError("bad_message")
            monitor = board.start_monitor(
                session=session, user=user, call_id=call_id, mode=MonitorMode(mode), now=now
            )
            reconcile = monitor.id
            _audit(
                session,
                dispatcher,
                user,
                ip,
                action=AuditAction.view,
                object_type="call",
                object_id=call_id,
                detail=f"monitor:{mode}",
            )
        elif kind == "leave":
            monitor_id = message.get("monitor_id")
            if not isinstance(monitor_id, int):
                raise board.BoardError("bad_message")
            monitor = board.stop_monitor(session=session, user=user, monitor_id=monitor_id, now=now)
            reconcile = monitor.id
            _audit(
                session,
                dispatcher,
                user,
                ip,
                action=AuditAction.view,
                object_type="call",
                object_id=monitor.call_id,
                detail="monitor:leave",
            )
        elif kind == "ack_help":
            help_id = message.get("help_id")
            if not isinstance(help_id, int):
                raise board.BoardError("bad_message")
            request = board.acknowledge_help(session=session, user=user, help_id=help_id, now=now)
            _audit(
                session,
                dispatcher,
                user,
                ip,
                action=AuditAction.view,
                object_type="call",
                object_id=request.call_id,
                detail="help:acknowledged",
            )
        else:
            raise board.BoardError("bad_message")
    if reconcile is not None:
        dispatcher.submit(_reconcile(dispatcher), reconcile)


def _reconcile(dispatcher: Dispatcher) -> Callable[[int], None]:
    def run(monitor_id: int) -> None:
        board.reconcile_monitor(
            db=dispatcher.db,
            telephony=dispatcher.telephony,
            monitor_id=monitor_id,
            now=dispatcher.clock.now,
        )

    return run


@router.websocket("/ws/board")
async def board_socket(websocket: WebSocket) -> None:
    if not origin_allowed(websocket):
        await websocket.accept()
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    user = await run_in_threadpool(user_from_connection, websocket)
    await websocket.accept()
    if user is None or user.id is None:
        await websocket.close(code=CLOSE_UNAUTHENTICATED)
        return
    if not _allowed(user):
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    user_id = user.id
    ip = websocket.client.host if websocket.client else None
    dispatcher: Dispatcher = websocket.app.state.dispatcher
    _ = translator(websocket, user)

    def command(message: dict[str, Any]) -> str | None:
        try:
            _run_command(dispatcher, user_id, ip, message)
        except board.BoardError as error:
            if error.code == "forbidden":
                raise socket_loop.Revoked from error
            return error.code
        return None

    await socket_loop.serve(
        websocket,
        name="board",
        user_id=user_id,
        topics={BOARD_TOPIC, ESCALATIONS_TOPIC, SUPERVISORS_TOPIC, agent_topic(user_id)},
        snapshot=lambda: _snapshot(dispatcher, user_id),
        command=command,
        error_message=lambda code: error_message(_, code),
        forbidden_code=CLOSE_FORBIDDEN,
        alive=session_check(websocket),
        check_s=websocket.app.state.settings.session_check_s,
        coalesce_s=COALESCE_S,
        refresh_s=REFRESH_S,
    )


# --- the supervisor's phone leg -----------------------------------------------------------------


@router.post("/twilio/monitor/status")
def monitor_status(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """Call progress of a supervisor's leg: one that never answered or hung up is over."""
    require(params, "CallSid", "CallStatus")
    monitor_id = as_id(request.query_params.get("monitor_id"))
    if monitor_id is None:
        return Response(prompts.empty(), media_type=TWIML, status_code=400)

    def handle(session: Session) -> str:
        if params["CallStatus"] in ENDED_LEG_STATUSES:
            board.monitor_left(
                session=session,
                leg_sid=params["CallSid"],
                now=dispatcher.clock.now(),
                reason=f"leg_{params['CallStatus']}",
                monitor_id=monitor_id,
            )
        return prompts.empty()

    response = answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
    response.media_type = TWIML
    return response
