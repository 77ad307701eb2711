"""The console websocket: the counselor's commands in, snapshots of their state out."""

from __future__ import annotations

import logging
import uuid
from functools import partial
from typing import Any

from fastapi import APIRouter, WebSocket
from sqlmodel import Session

from agent_console.kit.render import translator
from agent_console.kit.sockets import origin_allowed
from hotline import threads
from hotline.auth.deps import session_check, user_from_connection
from hotline.auth.models import User
from hotline.board import service as board
from hotline.callcontrol import service as callcontrol
from hotline.callcontrol import transfers
from hotline.calls.models import Call
from hotline.cases import service as cases
from hotline.conversations import service as conversations
from hotline.conversations.schemas import MessageFrame
from hotline.followups import service as followups
from hotline.notes import service as notes
from hotline.realtime import socket_loop
from hotline.realtime.events import SUPERVISORS_TOPIC, agent_topic
from hotline.routing import service as routing
from hotline.routing.engine import Dispatcher
from hotline.routing.models import AgentState, PhoneMode
from hotline.routing.schemas import ConsoleSnapshot
from hotline.voicemail import service as voicemails

log = logging.getLogger(__name__)
router = APIRouter()
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
# Follow-ups fall due with time, not with an event: the console re-reads its state this often.
REFRESH_S = 60.0


def _run_command(dispatcher: Dispatcher, user: User, message: dict[str, Any]) -> None:
    kind = message.get("type")
    call_id = message.get("call_id")
    now = dispatcher.clock.now()
    effects = routing.Effects()
    with dispatcher.db.session() as session:
        if kind == "set_state":
            try:
                state = AgentState(str(message.get("state")))
            except ValueError as error:
                raise routing.RoutingError("state_not_allowed") from error
            routing.set_presence(
                session=session, user=user, state=state, reason=message.get("reason"), now=now
            )
            effects.kick = state == AgentState.available
        elif kind == "set_calls_while_chatting":
            on = message.get("on")
            if not isinstance(on, bool):
                raise routing.RoutingError("bad_message")
            routing.set_calls_while_chatting(session=session, user=user, on=on, now=now)
            effects.kick = on
        elif kind == "set_phone_mode":
            try:
                mode = PhoneMode(str(message.get("mode")))
            except ValueError as error:
                raise routing.RoutingError("bad_message") from error
            routing.set_phone_mode(session=session, user=user, mode=mode, now=now)
        elif kind in {"accept", "decline", "hangup", "finish_wrap_up"}:
            if not isinstance(call_id, int):
                raise routing.RoutingError("bad_message")
            if kind == "accept":
                call = routing.accept(
                    session=session,
                    user=user,
                    call_id=call_id,
                    now=now,
                    connect_timeout_s=dispatcher.settings.connect_timeout_s,
                )
                if call.is_text:  # live at once: the person is told who is with them
                    conversations.accepted(session=session, call=call, user=user, now=now)
                    effects.kick = True  # room for another conversation, maybe
                else:
                    effects.connect.append(call_id)
            elif kind == "decline":
                routing.decline(session=session, user=user, call_id=call_id, now=now)
                effects.kick = True
            elif kind == "hangup" and _is_text(session, call_id):
                # its counselor's, or the crisis worker's once it is theirs alone
                conversations.close(session=session, user=user, call_id=call_id, now=now)
            elif kind == "hangup":
                effects = routing.hang_up(session=session, user=user, call_id=call_id, now=now)
            else:
                routing.finish_wrap_up(session=session, user=user, call_id=call_id, now=now)
                effects.kick = True
        elif kind == "request_help":
            if not isinstance(call_id, int):
                raise routing.RoutingError("bad_message")
            try:
                board.request_help(session=session, user=user, call_id=call_id, now=now)
            except board.BoardError as error:
                raise routing.RoutingError(error.code) from error
        else:
            raise routing.RoutingError("bad_message")
    dispatcher.apply(effects)


def _is_text(session: Session, call_id: int) -> bool:
    call = session.get(Call, call_id)
    return call is not None and call.is_text


def _console_opened(dispatcher: Dispatcher, user_id: int, socket_id: str) -> None:
    with dispatcher.db.session() as session:
        routing.console_opened(
            session=session,
            user_id=user_id,
            socket_id=socket_id,
            instance=dispatcher.settings.instance_name,
            now=dispatcher.clock.now(),
        )


def _console_closed(dispatcher: Dispatcher, user_id: int, socket_id: str) -> None:
    with dispatcher.db.session() as session:
        routing.console_closed(
            session=session, user_id=user_id, socket_id=socket_id, now=dispatcher.clock.now()
        )


def _snapshot(dispatcher: Dispatcher, user_id: int) -> dict[str, Any]:
    with dispatcher.db.session() as session:
        snapshot = routing.snapshot(session=session, user_id=user_id, now=dispatcher.clock.now())
        for alert in snapshot.get("alerts") or []:
            if alert.get("call_ended_at"):  # the caller is gone: how to call them back, if at all
                alert["call_back"] = notes.callback_way(session=session, call_id=alert["call_id"])
        call = snapshot.get("call")
        if call is not None:  # the counselor's help request on this call, if any
            call["help"] = board.help_for_call(session=session, call_id=call["call_id"])
            live = session.get(Call, call["call_id"])
            if live is not None and call["state"] == "connected":  # mute, hold, added parties
                call["control"] = callcontrol.for_call(session=session, call=live)
        transfer = transfers.for_user(session=session, user_id=user_id)
        if transfer is not None:  # a transfer they started, or a colleague asks them to take
            snapshot["transfer"] = transfer
        user = session.get(User, user_id)
        shown = (snapshot.get("call") or snapshot.get("offer") or {}).get("call_id")
        caller = session.get(Call, shown) if shown is not None else None
        if user is not None and caller is not None:  # the caller's case, if they have one
            snapshot["case"] = cases.console_card(
                session=session, call=caller, user=user, now=dispatcher.clock.now()
            )
        if user is not None:  # notes they still have to submit, wherever they were begun
            snapshot["unfinished_notes"] = notes.unfinished(session=session, user=user)
        if user is not None:  # for a quiet moment: call-backs waiting on their lines
            snapshot["followups_due"] = followups.due_for(
                session=session, user=user, now=dispatcher.clock.now()
            )
        if user is not None and user.role in board.SUPERVISOR_ROLES:
            # A supervisor on their console is alerted too (silently): counselors asking them.
            snapshot["help_alerts"] = board.help_alerts_for(session=session, user_id=user_id)
            snapshot["in_danger_waiting"] = board.in_danger_waiting(session=session)
            snapshot["priority_followups_overdue"] = followups.overdue_priority(
                session=session, user=user, now=dispatcher.clock.now()
            )
            snapshot["voicemails_waiting"] = sum(
                count for count, _oldest in voicemails.waiting_by_line(session=session).values()
            )
            # A monitor leg their browser phone is to answer (the board starts it).
            snapshot["monitor"] = board.monitor_of(session=session, user_id=user_id)
        # Checked against its description: an undescribed or ill-typed field fails here.
        return ConsoleSnapshot.model_validate(snapshot).message()


def _with_messages(
    dispatcher: Dispatcher, user_id: int, sent: dict[int, int], frame: dict[str, Any]
) -> dict[str, Any]:
    """A message frame for a conversation this counselor holds carries what their console lacks,
    read here (its own HTTP read per message was most of a busy line's cost: bench_webchat.py).
    `sent` is, per conversation, the newest message id this socket sent. Anything else, or a
    frame for a conversation held by someone else now, goes as it is: the console reads it."""
    if frame.get("type") != "conversation_message" or not isinstance(frame.get("call_id"), int):
        return frame
    call_id = frame["call_id"]
    with dispatcher.db.session() as session:
        call = session.get(Call, call_id)
        if call is None or call.counselor_id != user_id:  # a crisis worker's reads are audited
            return frame
        after = sent.get(call_id, 0)
        out = conversations.transcript_out(session=session, call=call, private=True, after=after)
    if out.messages:
        sent[call_id] = max(after, *(m.id for m in out.messages))
    return MessageFrame.model_validate(
        frame | {"after": after, "messages": out.messages}
    ).model_dump(mode="json")


@router.websocket("/ws/console")
async def console_socket(websocket: WebSocket) -> None:
    if not origin_allowed(websocket):
        await websocket.accept()
        await websocket.close(code=CLOSE_FORBIDDEN_ORIGIN)
        return
    user = await threads.run(threads.SOCKETS, user_from_connection, websocket)
    await websocket.accept()
    if user is None or user.id is None:
        await websocket.close(code=CLOSE_UNAUTHENTICATED)
        return
    user_id = user.id
    dispatcher: Dispatcher = websocket.app.state.dispatcher
    _ = translator(websocket, user)

    def command(message: dict[str, Any]) -> str | None:
        try:
            _run_command(dispatcher, user, message)
        except routing.RoutingError as error:
            return error.code
        return None

    # Presence follows the console: the socket is recorded while open, so a counselor whose
    # consoles are all closed past the grace period is set away (routing.consoles_gone).
    socket_id = uuid.uuid4().hex
    await threads.run(threads.SOCKETS, _console_opened, dispatcher, user_id, socket_id)
    try:
        await socket_loop.serve(
            websocket,
            name="console",
            user_id=user_id,
            # A supervisor's console is alerted too (a caller in danger waiting, help requests).
            topics={agent_topic(user_id)}
            | ({SUPERVISORS_TOPIC} if user.role in board.SUPERVISOR_ROLES else set()),
            snapshot=lambda: _snapshot(dispatcher, user_id),
            command=command,
            error_message=lambda code: routing.RoutingError(code).message(_),
            forbidden_code=CLOSE_FORBIDDEN_ORIGIN,
            alive=session_check(websocket),
            check_s=websocket.app.state.settings.session_check_s,
            refresh_s=REFRESH_S,
            enrich=partial(_with_messages, dispatcher, user_id, {}),
        )
    finally:
        await threads.run(threads.SOCKETS, _console_closed, dispatcher, user_id, socket_id)
