"""The supervisor's live board, counselors' help requests, and listen / whisper / barge.

The board is a read model over several features' tables (calls, presence, notes, escalations),
built in a fixed handful of queries whatever the number of calls, so it can be recomputed after
every change. Monitoring a call is adding the supervisor's phone to the caller's conference as
one more participant: muted (listen), coaching the counselor's leg (whisper), or a normal
participant (barge); their phone is where routing would ring them (`routing.endpoint_for`: their
number, or their browser phone when they chose it for this shift). The row here is what the
supervisor asked for, and the phone-network work is done after the commit
(`reconcile_monitor`, on the dispatcher's worker pool).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import and_, case, func, or_, update
from sqlalchemy import select as select_rows
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from hotline.auth.models import Role, User
from hotline.board.models import (
    LIVE_MONITOR_STATUSES,
    CallMonitor,
    HelpRequest,
    HelpStatus,
    MonitorMode,
    MonitorStatus,
)
from hotline.board.schemas import BoardSnapshot
from hotline.calls import service as calls
from hotline.calls.models import TEXT_CHANNELS, Call, CallState, Channel
from hotline.db import Database
from hotline.errors import DomainError
from hotline.escalation import service as escalation_service
from hotline.escalation.models import OPEN_STATUSES, Escalation
from hotline.escalation.service import DEFAULT_POLICY
from hotline.followups.models import FollowUp, FollowUpStatus
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.notes.models import CallNote
from hotline.realtime.events import BOARD_TOPIC, agent_topic, emit
from hotline.risk.triage import COLOURS, FLASHING, LEVEL_ORDER, RiskLevel
from hotline.rota import service as rota
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus
from hotline.telephony.endpoints import dialable
from hotline.telephony.port import TelephonyPort
from hotline.voicemail import service as voicemails

log = logging.getLogger(__name__)
SUPERVISOR_ROLES = (Role.supervisor, Role.admin)
# Calls a supervisor may join: the counselor's leg is in the caller's conference. A text
# conversation has no leg at all: it is never monitorable by phone.
MONITORABLE = (CallState.connected,)
LIVE_CALL_STATES = (CallState.offered, CallState.connected)
# Conversations a counselor holds: live or in wrap-up (hotline.routing.service).
HELD_TEXT_STATES = (CallState.connected, CallState.wrap_up)


class BoardError(DomainError):
    """A supervisor's request that cannot be done now; `code` is translated for the board."""

    messages: ClassVar[Mapping[str, str]] = {
        "forbidden": N_("Only supervisors can use the live board."),
        "no_endpoint": N_(
            "Your account has no phone to call you on: choose the browser phone on your "
            "console, or ask an administrator for a number."
        ),
        "no_live_call": N_("This call is no longer live."),
        "text_not_monitorable": N_(
            "This is a text conversation: there is no phone call to listen to or join."
        ),
        "no_monitor": N_("You are not on this call."),
        "monitor_over": N_("You have already left this call."),
        "monitor_failed": N_("Your phone could not be added to the call."),
        "no_help_request": N_("There is no such help request."),
        "help_already_handled": N_("Another supervisor already took this help request."),
        "bad_message": N_("The board sent a request the server did not understand."),
    }
    fallback: ClassVar[str] = N_("Something went wrong. Please try again.")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _highest(*levels: str | None) -> str | None:
    known = [RiskLevel(level) for level in levels if level in {lvl.value for lvl in RiskLevel}]
    return max(known, key=LEVEL_ORDER.index).value if known else None


def _colour(level: str | None) -> str | None:
    return COLOURS[RiskLevel(level)] if level else None


# --- the board ----------------------------------------------------------------------------------


def snapshot(*, session: Session, user_id: int, now: datetime) -> BoardSnapshot:
    """Everything the live board shows, for one supervisor (their own monitors and alerts),
    in a fixed handful of queries whatever the number of calls."""
    counselors = _counselors(session)
    lines, waiting = _queues(session, now)
    live = _live_calls(session, user_id)
    return BoardSnapshot.model_validate(
        {
            "server_time": now.isoformat(),
            "lines": lines,
            "channels": _by_channel(waiting, live),
            "counselors": counselors,
            "counselors_by_state": dict(sorted(Counter(c["state"] for c in counselors).items())),
            "calls": live,
            "escalations": _open_escalations(session),
            "help_requests": _open_help(session, user_id),
        }
    )


def board(*, session: Session, user_id: int, now: datetime) -> dict[str, Any]:
    """The snapshot as the websocket sends it (JSON types), without the instance's state."""
    found = snapshot(session=session, user_id=user_id, now=now)
    return found.model_dump(mode="json", exclude={"instance"})


# A caller still waiting for a counselor: queued, or offered and not yet accepted.
_WAITING = (
    or_(
        col(Call.state) == CallState.queued.value,
        and_(col(Call.state) == CallState.offered.value, col(Call.accepted_at).is_(None)),
    ),
)


def in_danger_waiting(*, session: Session) -> list[dict[str, Any]]:
    """Callers who pressed "in danger now" and are still waiting, longest first (a supervisor's
    console alert: they may take the call themselves or find a counselor)."""
    rows = session.exec(
        select(Call, Line.name)
        .join(Line, col(Line.id) == col(Call.line_id))
        .where(*_WAITING, col(Call.in_danger))
        .order_by(col(Call.queued_at))
    )
    return [
        {"call_id": call.id, "line_name": name, "queued_at": _iso(call.queued_at)}
        for call, name in rows
    ]


def _by_channel(waiting: Counter[str], live: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Contacts waiting and live on each channel, every channel named even at 0."""
    talking = Counter(call["channel"] for call in live)
    return [
        {
            "channel": channel.value,
            "waiting": waiting[channel.value],
            "live": talking[channel.value],
        }
        for channel in Channel
    ]


def _queues(session: Session, now: datetime) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Per active line: contacts waiting (queued, or offered and not yet accepted), by channel,
    oldest first; follow-ups past due that nobody has completed yet (priority ones apart);
    voicemails nobody has handled yet. And every line's waiting contacts by channel."""
    waiting = (
        select_rows(
            col(Call.line_id),
            col(Call.channel),
            func.count(col(Call.id)),
            func.min(col(Call.queued_at)),
            func.coalesce(func.sum(case((col(Call.in_danger), 1), else_=0)), 0),
        )
        .where(*_WAITING)
        .group_by(col(Call.line_id), col(Call.channel))
    )
    queue: dict[int, tuple[int, datetime | None, int]] = {}
    channels: dict[int, dict[str, int]] = {}
    everywhere: Counter[str] = Counter()
    for line_id, channel, count, oldest, danger in session.execute(waiting).all():
        before, earliest, in_danger = queue.get(line_id, (0, None, 0))
        if earliest is not None and oldest is not None:
            oldest = min(earliest, oldest)
        queue[line_id] = (before + count, oldest or earliest, in_danger + int(danger))
        channels.setdefault(line_id, {})[Channel(channel).value] = count
        everywhere[Channel(channel).value] += count
    late = (
        select(
            FollowUp.line_id,
            func.count(col(FollowUp.id)),
            func.coalesce(func.sum(case((col(FollowUp.priority), 1), else_=0)), 0),
        )
        .where(col(FollowUp.status) == FollowUpStatus.scheduled.value, col(FollowUp.due_at) < now)
        .group_by(col(FollowUp.line_id))
    )
    overdue = {line_id: (count, priority) for line_id, count, priority in session.exec(late)}
    unheard = voicemails.waiting_by_line(session=session)
    lines = []
    for line in session.exec(select(Line).where(col(Line.active)).order_by(col(Line.id))):
        count, oldest, danger = queue.get(line.id or 0, (0, None, 0))
        late_count, late_priority = overdue.get(line.id or 0, (0, 0))
        messages, oldest_message = unheard.get(line.id or 0, (0, None))
        lines.append(
            {
                "line_id": line.id,
                "name": line.name,
                "number": line.number,
                "queue_length": count,
                "waiting_by_channel": channels.get(line.id or 0, {}),
                "longest_wait_since": _iso(oldest),
                "in_danger_waiting": int(danger),
                "followups_overdue": int(late_count),
                "followups_overdue_priority": int(late_priority),
                "voicemails_waiting": messages,
                "oldest_voicemail_at": _iso(oldest_message),
            }
        )
    return lines, everywhere


def _counselors(session: Session) -> list[dict[str, Any]]:
    """Every active counselor, and anyone else taking calls now, with time in their state and
    how many text conversations they hold (live or in wrap-up), in one query."""
    held = (
        select_rows(col(Call.counselor_id).label("user_id"), func.count().label("n"))
        .where(
            col(Call.channel).in_([c.value for c in TEXT_CHANNELS]),
            col(Call.state).in_([s.value for s in HELD_TEXT_STATES]),
        )
        .group_by(col(Call.counselor_id))
        .subquery()
    )
    people = session.execute(
        select_rows(User, AgentStatus, func.coalesce(held.c.n, 0))
        .join(AgentStatus, col(AgentStatus.user_id) == User.id, isouter=True)
        .join(held, held.c.user_id == User.id, isouter=True)
        .where(
            col(User.active),
            or_(
                col(User.role) == Role.counselor.value,
                col(AgentStatus.state).not_in([AgentState.offline.value]),
            ),
        )
        .order_by(col(User.display_name), col(User.id))
    ).all()
    return [
        {
            "user_id": person.id,
            "name": person.display_name,
            "state": status.state.value if status else AgentState.offline.value,
            "reason": status.reason if status else None,
            "since": _iso(status.since) if status else None,
            "call_id": status.call_id if status else None,
            "conversations": int(conversations),
        }
        for person, status, conversations in people
    ]


def _live_calls(session: Session, user_id: int) -> list[dict[str, Any]]:
    """Accepted and connected calls with their crisis colour and who is monitoring them."""
    counselor = aliased(User)
    live_rows = session.exec(
        select(Call, Line, counselor, CallNote)
        .join(Line, col(Line.id) == Call.line_id)
        .join(counselor, col(counselor.id) == Call.offered_to_id, isouter=True)
        .join(CallNote, col(CallNote.call_id) == Call.id, isouter=True)
        .where(
            or_(
                col(Call.state) == CallState.connected.value,
                and_(
                    col(Call.state) == CallState.offered.value,
                    col(Call.accepted_at).is_not(None),
                ),
            )
        )
        .order_by(col(Call.connected_at), col(Call.id))
    ).all()
    live_ids = [call.id for call, *_rest in live_rows]
    monitors: dict[int, list[dict[str, Any]]] = {}
    escalated: dict[int, str] = {}
    if live_ids:
        rows = session.exec(
            select(Escalation.call_id, Escalation.level).where(
                col(Escalation.call_id).in_(live_ids)
            )
        ).all()
        escalated = {call_id: level for call_id, level in rows}  # noqa: C416
        monitor_rows = session.exec(
            select(CallMonitor, User)
            .join(User, col(User.id) == CallMonitor.user_id)
            .where(
                col(CallMonitor.call_id).in_(live_ids),
                col(CallMonitor.status).in_([s.value for s in LIVE_MONITOR_STATUSES]),
            )
            .order_by(col(CallMonitor.id))
        ).all()
        for monitor, supervisor in monitor_rows:
            monitors.setdefault(monitor.call_id, []).append(
                {
                    "monitor_id": monitor.id,
                    "user_id": monitor.user_id,
                    "name": supervisor.display_name,
                    "mode": monitor.mode.value,
                    "status": monitor.status.value,
                    "mine": monitor.user_id == user_id,
                }
            )
    live_calls = []
    for call, line, person, note in live_rows:
        level = _highest(
            note.crisis_level if note else None,
            note.suggested_level if note else None,
            escalated.get(call.id or 0),
        )
        live_calls.append(
            {
                "call_id": call.id,
                "channel": call.channel.value,
                "state": "connected" if call.state == CallState.connected else "connecting",
                "line_id": line.id,
                "line_name": line.name,
                "line_number": line.number,
                "counselor_id": person.id if person else None,
                "counselor_name": person.display_name if person else None,
                "connected_at": _iso(call.connected_at),
                "in_danger": call.in_danger,
                "repeat_caller": call.repeat_caller,
                "crisis_level": level,
                "colour": _colour(level),
                "flashing": level is not None and RiskLevel(level) in FLASHING,
                "escalated": call.id in escalated,
                "monitorable": _monitorable(call),
                "monitors": monitors.get(call.id or 0, []),
            }
        )
    return live_calls


def _monitorable(call: Call) -> bool:
    """A voice call whose counselor's leg is in the caller's conference."""
    return not call.is_text and call.state in MONITORABLE and call.counselor_call_sid is not None


def _open_escalations(session: Session) -> list[dict[str, Any]]:
    responder = aliased(User)
    escalation_rows = session.exec(
        select(Escalation, Line, responder)
        .join(Line, col(Line.id) == Escalation.line_id)
        .join(responder, col(responder.id) == Escalation.acknowledged_by, isouter=True)
        .where(col(Escalation.status).in_([s.value for s in OPEN_STATUSES]))
        .order_by(col(Escalation.created_at), col(Escalation.id))
    ).all()
    ended = escalation_service.calls_ended(
        session=session, escalations=[row[0] for row in escalation_rows]
    )
    escalations = []
    for escalation, line, acknowledger in escalation_rows:
        steps = len(escalation.policy.get("steps") or DEFAULT_POLICY["steps"])
        # `attempt` counts the steps run so far, across repeats: show the last one run.
        escalations.append(
            {
                "escalation_id": escalation.id,
                "call_id": escalation.call_id,
                "line_name": line.name,
                "level": escalation.level,
                "colour": _colour(_highest(escalation.level)),
                "status": escalation.status.value,
                "created_at": _iso(escalation.created_at),
                "attempt": escalation.attempt,
                "step": (escalation.attempt - 1) % steps + 1 if escalation.attempt else 0,
                "round": (escalation.attempt - 1) // steps + 1 if escalation.attempt else 0,
                "steps": steps,
                "next_step_at": _iso(escalation.next_step_at),
                "acknowledged_by": acknowledger.display_name if acknowledger else None,
                **escalation_service.call_end(ended.get(escalation.id or 0), line),
            }
        )
    return escalations


def help_alerts_for(*, session: Session, user_id: int) -> list[dict[str, Any]]:
    """The open help requests this supervisor was alerted to (their console's banner)."""
    return [request for request in _open_help(session, user_id) if request["for_me"]]


def _open_help(session: Session, user_id: int) -> list[dict[str, Any]]:
    """Open help requests on live calls; `for_me`: this supervisor was alerted."""
    asker = aliased(User)
    help_rows = session.exec(
        select(HelpRequest, Call, Line, asker)
        .join(Call, col(Call.id) == HelpRequest.call_id)
        .join(Line, col(Line.id) == Call.line_id)
        .join(asker, col(asker.id) == HelpRequest.user_id)
        .where(
            HelpRequest.status == HelpStatus.open,
            col(Call.state).in_([s.value for s in LIVE_CALL_STATES]),
        )
        .order_by(col(HelpRequest.created_at), col(HelpRequest.id))
    ).all()
    return [
        {
            "help_id": request.id,
            "call_id": request.call_id,
            "counselor_id": request.user_id,
            "counselor_name": person.display_name,
            "line_name": line.name,
            "created_at": _iso(request.created_at),
            "for_me": user_id in (request.alerted_user_ids or []),
        }
        for request, _call, line, person in help_rows
    ]


# --- help requests ------------------------------------------------------------------------------


def _supervisors_to_alert(session: Session, now: datetime) -> list[int]:
    """The supervisor on duty by the rota; if nobody is, every active supervisor."""
    on_duty = rota.supervisor_on_duty(session=session, at=now)
    if on_duty:
        return on_duty
    return [
        user_id
        for user_id in session.exec(
            select(User.id)
            .where(col(User.active), User.role == Role.supervisor)
            .order_by(col(User.id))
        )
        if user_id is not None
    ]


def request_help(*, session: Session, user: User, call_id: int, now: datetime) -> HelpRequest:
    """The counselor on a live call asks for a supervisor; one open request per call."""
    assert user.id is not None
    call = session.get(Call, call_id)
    if (
        call is None
        or call.state not in LIVE_CALL_STATES
        or user.id not in (call.counselor_id, call.offered_to_id)
        or call.accepted_at is None
    ):
        raise BoardError("no_live_call")
    existing = session.exec(
        select(HelpRequest).where(
            HelpRequest.call_id == call_id, HelpRequest.status == HelpStatus.open
        )
    ).first()
    if existing is not None:
        return existing
    alerted = _supervisors_to_alert(session, now)
    request = HelpRequest(
        call_id=call_id, user_id=user.id, alerted_user_ids=alerted, created_at=now
    )
    session.add(request)
    session.flush()
    calls.record_event(
        session=session, call_id=call_id, state="help_requested", now=now, user_id=user.id
    )
    for supervisor_id in alerted:
        emit(session, agent_topic(supervisor_id), {"help": request.id})
    emit(session, agent_topic(user.id))
    emit(session, BOARD_TOPIC)
    log.info("help requested on call=%s by user=%s; alerted %s", call_id, user.id, alerted)
    return request


def acknowledge_help(*, session: Session, user: User, help_id: int, now: datetime) -> HelpRequest:
    assert user.id is not None
    request = session.get(HelpRequest, help_id)
    if request is None:
        raise BoardError("no_help_request", 404)
    moved = session.execute(
        update(HelpRequest)
        .where(col(HelpRequest.id) == help_id, col(HelpRequest.status) == HelpStatus.open.value)
        .values(status=HelpStatus.acknowledged.value, acknowledged_by=user.id, acknowledged_at=now)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise BoardError("help_already_handled")
    session.refresh(request)
    calls.record_event(
        session=session,
        call_id=request.call_id,
        state="help_acknowledged",
        now=now,
        user_id=user.id,
    )
    for user_id in {request.user_id, *(request.alerted_user_ids or [])}:
        emit(session, agent_topic(user_id))  # the counselor, and the other consoles alerted
    emit(session, BOARD_TOPIC)
    return request


def help_for_call(*, session: Session, call_id: int) -> dict[str, Any] | None:
    """The latest help request on a call, for the counselor's console."""
    row = session.exec(
        select(HelpRequest, User)
        .join(User, col(User.id) == HelpRequest.acknowledged_by, isouter=True)
        .where(HelpRequest.call_id == call_id)
        .order_by(col(HelpRequest.id).desc())
    ).first()
    if row is None:
        return None
    request, acknowledger = row
    return {
        "help_id": request.id,
        "status": request.status.value,
        "created_at": _iso(request.created_at),
        "acknowledged_by": acknowledger.display_name if acknowledger else None,
    }


def call_ended(*, session: Session, call_id: int, now: datetime) -> None:
    """The caller's conference is over: close its open help requests and monitors."""
    open_requests = session.exec(
        select(HelpRequest).where(
            HelpRequest.call_id == call_id, HelpRequest.status == HelpStatus.open
        )
    ).all()
    for user_id in {u for request in open_requests for u in request.alerted_user_ids or []}:
        emit(session, agent_topic(user_id))  # their consoles drop the alert
    ended_for = set(
        session.exec(
            select(CallMonitor.user_id).where(
                col(CallMonitor.call_id) == call_id,
                col(CallMonitor.status).in_([s.value for s in LIVE_MONITOR_STATUSES]),
            )
        ).all()
    )
    closed = session.execute(
        update(HelpRequest)
        .where(
            col(HelpRequest.call_id) == call_id,
            col(HelpRequest.status) == HelpStatus.open.value,
        )
        .values(status=HelpStatus.closed.value, closed_at=now)
    )
    ended = session.execute(
        update(CallMonitor)
        .where(
            col(CallMonitor.call_id) == call_id,
            col(CallMonitor.status).in_([s.value for s in LIVE_MONITOR_STATUSES]),
        )
        .values(status=MonitorStatus.ended.value, ended_at=now)
    )
    if closed.rowcount or ended.rowcount:  # type: ignore[attr-defined]
        emit(session, BOARD_TOPIC)
    for user_id in ended_for:  # their consoles' browser phones stop waiting for the leg
        emit(session, agent_topic(user_id))


# --- listen / whisper / barge -------------------------------------------------------------------


def _record_monitor(
    session: Session, monitor: CallMonitor, state: str, now: datetime, detail: str | None = None
) -> None:
    calls.record_event(
        session=session,
        call_id=monitor.call_id,
        state=state,
        now=now,
        user_id=monitor.user_id,
        detail=detail,
    )
    emit(session, BOARD_TOPIC)
    emit(session, agent_topic(monitor.user_id))  # their console's browser phone follows it


def monitor_of(*, session: Session, user_id: int) -> dict[str, Any] | None:
    """The supervisor's newest live monitor, for their console: its browser phone expects the
    monitor's leg while it is dialling or joined."""
    monitor = session.exec(
        select(CallMonitor)
        .where(
            CallMonitor.user_id == user_id,
            col(CallMonitor.status).in_([s.value for s in LIVE_MONITOR_STATUSES]),
        )
        .order_by(col(CallMonitor.id).desc())
    ).first()
    if monitor is None:
        return None
    return {
        "monitor_id": monitor.id,
        "call_id": monitor.call_id,
        "mode": monitor.mode.value,
        "status": monitor.status.value,
    }


def live_monitor(*, session: Session, call_id: int, user_id: int) -> CallMonitor | None:
    return session.exec(
        select(CallMonitor).where(
            CallMonitor.call_id == call_id,
            CallMonitor.user_id == user_id,
            col(CallMonitor.status).in_([s.value for s in LIVE_MONITOR_STATUSES]),
        )
    ).first()


def start_monitor(
    *, session: Session, user: User, call_id: int, mode: MonitorMode, now: datetime
) -> CallMonitor:
    """Join a live call (or switch mode if already in it). The dialling happens after commit."""
    assert user.id is not None
    if user.role not in SUPERVISOR_ROLES:
        raise BoardError("forbidden", 403)
    if not dialable(routing.endpoint_for(session=session, user=user)):
        raise BoardError("no_endpoint")  # neither a phone nor, this shift, the browser
    call = session.get(Call, call_id)
    if call is None:
        raise BoardError("no_live_call", 404)
    if call.is_text:
        raise BoardError("text_not_monitorable")
    if not _monitorable(call):
        raise BoardError("no_live_call")
    existing = live_monitor(session=session, call_id=call_id, user_id=user.id)
    if existing is not None:
        return change_mode(
            session=session, user=user, monitor_id=existing.id or 0, mode=mode, now=now
        )
    monitor = CallMonitor(call_id=call_id, user_id=user.id, mode=mode, created_at=now)
    session.add(monitor)
    session.flush()
    _record_monitor(session, monitor, f"monitor_{mode.value}", now)
    return monitor


def _own_live_monitor(session: Session, user: User, monitor_id: int) -> CallMonitor:
    monitor = session.get(CallMonitor, monitor_id)
    if monitor is None or monitor.user_id != user.id:
        raise BoardError("no_monitor", 404)
    if monitor.status not in LIVE_MONITOR_STATUSES:
        raise BoardError("monitor_over")
    return monitor


def change_mode(
    *, session: Session, user: User, monitor_id: int, mode: MonitorMode, now: datetime
) -> CallMonitor:
    monitor = _own_live_monitor(session, user, monitor_id)
    if monitor.mode != mode:
        monitor.mode = mode
        session.flush()
        _record_monitor(session, monitor, f"monitor_{mode.value}", now)
    return monitor


def stop_monitor(*, session: Session, user: User, monitor_id: int, now: datetime) -> CallMonitor:
    monitor = _own_live_monitor(session, user, monitor_id)
    monitor.status = MonitorStatus.ended
    monitor.ended_at = now
    session.flush()
    _record_monitor(session, monitor, "monitor_left", now, detail="supervisor_left")
    return monitor


def monitor_joined(
    *, session: Session, call: Call, user_id: int, leg_sid: str, now: datetime
) -> None:
    """The conference says a supervisor's leg is in. This may come before the REST answer that
    stores the leg's CallSid, so the monitor is found by call and user, with this CallSid or
    none yet (in one locking query: a concurrent store of the CallSid still matches)."""
    monitor = session.exec(
        select(CallMonitor)
        .where(
            col(CallMonitor.call_id) == call.id,
            col(CallMonitor.user_id) == user_id,
            or_(col(CallMonitor.leg_sid) == leg_sid, col(CallMonitor.leg_sid).is_(None)),
            col(CallMonitor.status).in_([s.value for s in LIVE_MONITOR_STATUSES]),
        )
        .order_by(col(CallMonitor.id).desc())
        .with_for_update()
    ).first()
    if monitor is None:
        return
    monitor.leg_sid = leg_sid
    if monitor.status == MonitorStatus.dialing:
        monitor.status = MonitorStatus.joined
        monitor.joined_at = now
        session.flush()
        _record_monitor(session, monitor, "monitor_joined", now, detail=monitor.mode.value)


def monitor_left(
    *,
    session: Session,
    leg_sid: str,
    now: datetime,
    reason: str,
    monitor_id: int | None = None,
) -> None:
    """The supervisor's leg left the conference, hung up, or never answered. With `monitor_id`
    (the leg's own status callback) it is found even before its REST answer stored the CallSid."""
    if monitor_id is not None:
        monitor = session.get(CallMonitor, monitor_id, with_for_update=True)
        if monitor is not None and monitor.leg_sid not in (None, leg_sid):
            return  # a callback about some other leg
    else:
        monitor = session.exec(select(CallMonitor).where(CallMonitor.leg_sid == leg_sid)).first()
    if monitor is None or monitor.status not in LIVE_MONITOR_STATUSES:
        return
    monitor.leg_sid = leg_sid
    monitor.status = (
        MonitorStatus.ended if monitor.status == MonitorStatus.joined else MonitorStatus.failed
    )
    monitor.ended_at = now
    monitor.error = None if monitor.status == MonitorStatus.ended else reason[:300]
    session.flush()
    _record_monitor(session, monitor, "monitor_left", now, detail=reason[:200])


def _monitor_failed(session: Session, monitor_id: int, error: str, now: datetime) -> None:
    monitor = session.get(CallMonitor, monitor_id)
    if monitor is None or monitor.status not in LIVE_MONITOR_STATUSES:
        return
    monitor.status = MonitorStatus.failed
    monitor.ended_at = now
    monitor.error = error[:300]
    session.flush()
    _record_monitor(session, monitor, "monitor_failed", now)
    emit(session, agent_topic(monitor.user_id), {"error": "monitor_failed"})


MONITOR_TIMEOUT_ERROR = "no_answer_timeout"


def expire_dialing_monitors(*, session: Session, now: datetime, timeout_s: int) -> list[int]:
    """Supervisors' legs still dialling `timeout_s` after they were asked for are failed (their
    phone never answered, and no callback said so). Compare-and-set: each is failed by one tick
    on one instance. Returns those this call failed; cancel their legs after the commit."""
    due = session.exec(
        select(CallMonitor.id)
        .where(
            col(CallMonitor.status) == MonitorStatus.dialing.value,
            col(CallMonitor.created_at) <= now - timedelta(seconds=timeout_s),
        )
        .order_by(col(CallMonitor.id))
        .limit(100)
    ).all()
    failed = []
    for monitor_id in due:
        moved = session.execute(
            update(CallMonitor)
            .where(
                col(CallMonitor.id) == monitor_id,
                col(CallMonitor.status) == MonitorStatus.dialing.value,
            )
            .values(status=MonitorStatus.failed.value, ended_at=now, error=MONITOR_TIMEOUT_ERROR)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another instance got there first, or the leg answered meanwhile
        monitor = session.get(CallMonitor, monitor_id, populate_existing=True)
        assert monitor is not None and monitor_id is not None
        _record_monitor(session, monitor, "monitor_failed", now, detail=MONITOR_TIMEOUT_ERROR)
        emit(session, agent_topic(monitor.user_id), {"error": "monitor_failed"})
        log.info("monitor %s: the supervisor's phone did not answer in time", monitor_id)
        failed.append(monitor_id)
    return failed


def cancel_monitor_leg(*, db: Database, telephony: TelephonyPort, monitor_id: int) -> None:
    """Hang up a given-up monitor's leg, if it was dialled. Under the monitor's lock, so a dial
    still in flight in this process has stored its CallSid first."""
    with _lock_for(monitor_id):
        with db.session() as session:
            monitor = session.get(CallMonitor, monitor_id)
            leg = monitor.leg_sid if monitor is not None else None
        if leg is not None:
            telephony.hang_up(leg)  # cancels it while ringing, hangs it up if it just answered
            _set_applied(db, monitor_id, "removed")
    with _locks_guard:
        _locks.pop(monitor_id, None)


# One reconcile at a time per monitor in this process, so two quick mode switches can't be
# applied in the wrong order (each applies the latest wish, read under the lock).
_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(monitor_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(monitor_id, threading.Lock())


def reconcile_monitor(
    *, db: Database, telephony: TelephonyPort, monitor_id: int, now: Callable[[], datetime]
) -> None:
    """Make the phone network match the monitor row: dial, switch mode, or remove the leg.

    `now` is the clock's `now`; runs on the dispatcher's worker pool, never in a transaction.
    """
    with _lock_for(monitor_id):
        with db.session() as session:
            monitor = session.get(CallMonitor, monitor_id)
            if monitor is None:
                return
            call = session.get(Call, monitor.call_id)
            supervisor = session.get(User, monitor.user_id)
            assert call is not None and supervisor is not None
            line = session.get(Line, call.line_id)
            assert line is not None
            wish = (
                monitor.status,
                monitor.mode,
                monitor.applied_mode,
                monitor.leg_sid,
                call.call_sid,
                call.conference_sid,
                call.counselor_call_sid,
                # Their phone, or the browser phone if they chose it for this shift.
                routing.endpoint_for(session=session, user=supervisor),
                line.number,
            )
        status, mode, applied, leg, conference, conference_sid, counselor_leg, to, from_ = wish
        coach = counselor_leg if mode == MonitorMode.whisper else None
        muted = mode == MonitorMode.listen
        try:
            if status not in LIVE_MONITOR_STATUSES:
                if leg is not None and applied != "removed":
                    telephony.remove_participant(
                        conference=conference_sid or conference, leg_sid=leg
                    )
                    _set_applied(db, monitor_id, "removed")
                with _locks_guard:  # this monitor is over: nothing more to serialise
                    _locks.pop(monitor_id, None)
                return
            if leg is None:
                if mode == MonitorMode.whisper and counselor_leg is None:
                    raise BoardError("no_live_call")
                leg = telephony.add_monitor(
                    conference=conference,
                    to=to,
                    from_=from_,
                    label=f"supervisor:{monitor.user_id}",
                    muted=muted,
                    call_sid_to_coach=coach,
                    status_callback=telephony.url(
                        f"/twilio/monitor/status?monitor_id={monitor_id}"
                    ),
                )
                with db.session() as session:
                    session.execute(
                        update(CallMonitor)
                        .where(col(CallMonitor.id) == monitor_id)
                        .values(leg_sid=leg, applied_mode=mode.value)
                    )
                    current = session.get(CallMonitor, monitor_id, populate_existing=True)
                    over = current is None or current.status not in LIVE_MONITOR_STATUSES
                log.info("supervisor leg %s dialled for monitor=%s (%s)", leg, monitor_id, mode)
                if over:
                    # Given up while the dial was in flight (on another instance, say).
                    telephony.hang_up(leg)
                    _set_applied(db, monitor_id, "removed")
                return
            if applied != mode.value:
                telephony.update_monitor(
                    conference=conference_sid or conference,
                    leg_sid=leg,
                    muted=muted,
                    call_sid_to_coach=coach,
                )
                _set_applied(db, monitor_id, mode.value)
        except Exception as error:
            log.warning("monitor %s: phone network refused: %s", monitor_id, type(error).__name__)
            with db.session() as session:
                _monitor_failed(session, monitor_id, f"{type(error).__name__}: {error}", now())
            if leg is not None:
                try:
                    telephony.remove_participant(
                        conference=conference_sid or conference, leg_sid=leg
                    )
                except Exception:
                    log.warning("monitor %s: could not remove the leg", monitor_id)


def _set_applied(db: Database, monitor_id: int, applied: str) -> None:
    with db.session() as session:
        session.execute(
            update(CallMonitor)
            .where(col(CallMonitor.id) == monitor_id)
            .values(applied_mode=applied)
        )
