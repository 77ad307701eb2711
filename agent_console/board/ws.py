"""The live board's websocket: snapshots out, monitor and help commands in. See
docs/board-protocol.md."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError

from agent_console.kit.render import translator
from agent_console.kit.sockets import origin_allowed
from hotline import threads
from hotline.audit import service as audit
from hotline.audit.models import AuditAction
from hotline.auth.deps import session_check, user_from_connection
from hotline.auth.models import User
from hotline.board import service as board
from hotline.board.models import MonitorMode
from hotline.board.schemas import (
    AckHelpCommand,
    BoardCommand,
    InstanceStatus,
    LeaveCommand,
    MonitorCommand,
)
from hotline.calls.models import Call
from hotline.conversations import service as conversations
from hotline.escalation.service import ESCALATIONS_TOPIC
from hotline.realtime import socket_loop
from hotline.realtime.events import BOARD_TOPIC, SUPERVISORS_TOPIC, agent_topic
from hotline.routing.engine import Dispatcher

log = logging.getLogger(__name__)
router = APIRouter(tags=["board"])
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# A burst of events becomes one snapshot: wait this long after the first for the rest.
COALESCE_S = 0.25
# And a snapshot at least this often, so figures computed on the server stay fresh.
REFRESH_S = 15.0


def _allowed(user: User | None) -> bool:
    """Checked at the handshake and again on every snapshot and command: a role taken away
    while the board is open closes it."""
    return user is not None and user.active and user.role in board.SUPERVISOR_ROLES


def _snapshot(dispatcher: Dispatcher, user_id: int) -> dict[str, Any] | None:
    """The board for this user, or None if they may no longer see it."""
    with dispatcher.db.session() as session:
        user = session.get(User, user_id)
        if not _allowed(user):
            return None
        snapshot = board.snapshot(session=session, user_id=user_id, now=dispatcher.clock.now())
    # This instance's own state: calls answered with the fallback because it was overloaded.
    snapshot.instance = InstanceStatus.model_validate(dispatcher.degraded.status())
    return snapshot.model_dump(mode="json")


COMMANDS: dict[str, type[BoardCommand]] = {
    "monitor": MonitorCommand,
    "leave": LeaveCommand,
    "ack_help": AckHelpCommand,
}


def _parse(message: dict[str, Any]) -> BoardCommand:
    kind = message.get("type")
    shape = COMMANDS.get(kind) if isinstance(kind, str) else None
    if shape is None:
        raise board.BoardError("bad_message")
    try:
        return shape.model_validate(message)
    except ValidationError as error:
        raise board.BoardError("bad_message") from error


def _run_command(
    dispatcher: Dispatcher, user_id: int, ip: str | None, message: dict[str, Any]
) -> None:
    now = dispatcher.clock.now()
    reconcile: int | None = None
    with dispatcher.db.session() as session:
        user = session.get(User, user_id)
        if user is None or not _allowed(user):  # checked on every message, not only at connect
            raise board.BoardError("forbidden", 403)
        command = _parse(message)
        call_id: int
        if isinstance(command, MonitorCommand):
            monitor = board.start_monitor(
                session=session,
                user=user,
                call_id=command.call_id,
                mode=MonitorMode(command.mode),
                now=now,
            )
            reconcile, call_id, detail = monitor.id, command.call_id, f"monitor:{command.mode}"
        elif isinstance(command, LeaveCommand):
            monitor = board.stop_monitor(
                session=session, user=user, monitor_id=command.monitor_id, now=now
            )
            reconcile, call_id, detail = monitor.id, monitor.call_id, "monitor:leave"
        else:
            request = board.acknowledge_help(
                session=session, user=user, help_id=command.help_id, now=now
            )
            call_id, detail = request.call_id, "help:acknowledged"
        audit.record(
            session=session,
            now=now,
            user=user,
            ip=ip,
            action=AuditAction.view,
            object_type="call",
            object_id=call_id,
            detail=detail,
        )
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
    user = await threads.run(threads.SOCKETS, user_from_connection, websocket)
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
        error_message=lambda code: board.BoardError(code).message(_),
        forbidden_code=CLOSE_FORBIDDEN,
        alive=session_check(websocket),
        check_s=websocket.app.state.settings.session_check_s,
        coalesce_s=COALESCE_S,
        refresh_s=REFRESH_S,
    )


# --- a supervisor reading along a live text conversation ---------------------------------------


def _read_along(dispatcher: Dispatcher, user_id: int, call_id: int) -> dict[str, Any] | None:
    """Who holds the conversation and whether it is live; None if the user may no longer read
    along (the transcript is fetched through the audited JSON API)."""
    with dispatcher.db.session() as session:
        user = session.get(User, user_id)
        call = session.get(Call, call_id)
        if not _allowed(user) or call is None or not call.is_text:
            return None
        view = conversations.read_along(
            session=session, call=call, user_id=user_id, now=dispatcher.clock.now()
        )
    return view.model_dump(mode="json")


@router.websocket("/ws/conversations/{call_id}")
async def read_along_socket(websocket: WebSocket, call_id: int) -> None:
    if not origin_allowed(websocket):
        await websocket.accept()
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    user = await threads.run(threads.SOCKETS, user_from_connection, websocket)
    await websocket.accept()
    if user is None or user.id is None:
        await websocket.close(code=CLOSE_UNAUTHENTICATED)
        return
    if not _allowed(user):
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    user_id = user.id
    dispatcher: Dispatcher = websocket.app.state.dispatcher
    _ = translator(websocket, user)
    await socket_loop.serve(
        websocket,
        name="read_along",
        user_id=user_id,
        # A message, typing, the end, and the line's words when it changes hands.
        topics={conversations.chat_topic(call_id)},
        snapshot=lambda: _read_along(dispatcher, user_id, call_id),
        command=lambda _message: "bad_message",  # nothing to send: the JSON API does the rest
        error_message=lambda code: board.BoardError(code).message(_),
        forbidden_code=CLOSE_FORBIDDEN,
        alive=session_check(websocket),
        check_s=websocket.app.state.settings.session_check_s,
        coalesce_s=COALESCE_S,
        refresh_s=REFRESH_S,
    )
