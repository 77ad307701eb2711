"""Presence and routing: who is free, who is offered which call, and what happens on each outcome.

Invariants, on one instance or many: a call is offered to one counselor at a time, and a
counselor holds one offer or call at a time. Both are kept by compare-and-set updates on the
agent row and the call row inside one transaction (a savepoint per attempt), with
`FOR UPDATE SKIP LOCKED` on PostgreSQL so instances don't queue behind each other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, delete, exists, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.auth.models import User
from hotline.board.models import LIVE_MONITOR_STATUSES, CallMonitor
from hotline.callcontrol.models import OPEN_TRANSFER_STATUSES, CallTransfer
from hotline.calls import service as calls
from hotline.calls.models import (
    PRIORITY_IN_DANGER,
    TEXT_CHANNELS,
    Call,
    CallEvent,
    CallState,
    Channel,
)
from hotline.clock import as_utc
from hotline.conversations.models import ConversationMessage, Sender
from hotline.errors import DomainError
from hotline.escalation import service as escalations
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.notes import service as notes
from hotline.realtime.events import BOARD_TOPIC, agent_topic, emit
from hotline.routing import care_plan
from hotline.routing.models import (
    AgentState,
    AgentStatus,
    ConsoleSocket,
    PhoneMode,
    PresenceEvent,
)
from hotline.routing.qualifications import qualified
from hotline.telephony.endpoints import browser_client, dialable

log = logging.getLogger(__name__)

MAX_WAIT = "max_wait"  # the end reason of a call or conversation that waited past the maximum
# The presence reason when the dispatcher's safety net frees a counselor (free_stranded).
STRANDED = "stranded"
# The call event's detail when its counselor's leg left mid-call (their phone or browser dropped).
COUNSELOR_DROPPED = "counselor_dropped"
TRANSFER_FAILED = "transfer_failed"  # a cold transfer's colleague never joined: requeued
# The presence reason of a supervisor who took over a conversation while not taking contacts
# (signed off, away, on a break): no contact is offered to them, and once its note is done they
# go back to signed off rather than available.
TAKEN_OVER = "taken_over"
# States a supervisor may take over a conversation from (not while an offer or a call is theirs).
TAKE_OVER_FROM = (
    AgentState.available,
    AgentState.chatting,
    AgentState.offline,
    AgentState.on_break,
    AgentState.away,
)
# The presence reason when no console socket of theirs was open for the grace period.
CONSOLE_GONE = "console_gone"
# The end reason of a call handed to the line's partner line.
TRANSFERRED_OUT = "transferred_out"
# The presence reason of a colleague reserved for a transfer (consulted, or offered the call).
TRANSFER = "transfer"
# States from which a colleague may be reserved for a transfer (not busy with another call).
FREE_FOR_TRANSFER = (AgentState.available, AgentState.offline, AgentState.on_break, AgentState.away)
BREAK_REASONS = ("meal", "rest", "training", "other")
# States a counselor may choose for themselves, and the states they may leave that way.
SELF_SERVICE = {
    AgentState.available: {AgentState.offline, AgentState.on_break, AgentState.away},
    AgentState.on_break: {AgentState.offline, AgentState.available, AgentState.away},
    AgentState.offline: {AgentState.available, AgentState.on_break, AgentState.away},
}


class RoutingError(DomainError):
    """A counselor's request that cannot be done now; `code` is translated for the console."""

    messages: ClassVar[Mapping[str, str]] = {
        "offer_gone": N_("This call is no longer offered to you."),
        "busy_with_call": N_("Finish the current call before changing your status."),
        "break_reason_required": N_("Choose a reason for the break."),
        "state_not_allowed": N_("That status cannot be chosen here."),
        "no_live_call": N_("There is no live call to hang up."),
        "no_wrap_up": N_("There is no wrap-up to finish."),
        "connect_failed": N_(
            "Your phone could not be reached; the caller was sent back to the "
            "queue and you were set away."
        ),
        "bad_message": N_("The console sent a request the server did not understand."),
        "no_phone": N_(
            "You cannot take calls: your account has no phone number, SIP address or browser"
            " phone the hotline can ring. Ask an administrator to add one."
        ),
        "monitor_failed": N_("Your phone could not be added to the call."),
        # A transfer of their call that did not happen (hotline/callcontrol/transfers.py).
        "transfer_no_answer": N_("Your colleague did not answer; the caller is back with you."),
        "transfer_declined": N_("Your colleague declined the transfer; the call stays with you."),
        "transfer_expired": N_(
            "Your colleague did not answer the transfer in time; the call stays with you."
        ),
        "transfer_left": N_("Your colleague left the consultation; the caller is back with you."),
        "transfer_cancelled": N_(
            "Your colleague called off the transfer; the call stays with you."
        ),
        "phone_mode_busy": N_("Finish the current call before changing where calls ring."),
        "counselor_holds": N_(
            "The counselor is still in this conversation: take it over before ending it."
        ),
        "already_yours": N_("You hold this conversation already."),
        "taken_already": N_("Someone else has just taken over this conversation."),
        # Told in the counselor's console when a supervisor takes over their conversation.
        "taken_over": N_(
            "A supervisor took over one of your conversations; its place is free. Your part "
            "of its note stays yours."
        ),
    }
    fallback: ClassVar[str] = N_("Something went wrong. Please try again.")


@dataclass
class Effects:
    """Phone-network work to do after the transaction commits (never inside it)."""

    connect: list[int] = field(default_factory=list)  # call ids whose counselor must be dialled
    hang_up: list[str] = field(default_factory=list)  # call leg SIDs to hang up
    end_conference: list[str] = field(default_factory=list)  # conference names to end
    overflow: list[str] = field(default_factory=list)  # caller CallSids to send to overflow
    goodbye: list[str] = field(default_factory=list)  # caller CallSids to say goodbye to
    # (call id, user id): a crisis responder to add to the caller's conference
    connect_responder: list[tuple[int, int]] = field(default_factory=list)
    # Callers whose counselor's leg dropped: put on hold with a short message, then hold music
    # (the conference goes on), and taken off hold when a counselor is with them again.
    reassure: list[tuple[str, str]] = field(default_factory=list)  # (caller CallSid, language)
    unhold: list[str] = field(default_factory=list)  # caller CallSids
    kick: bool = False  # something may now be offerable: run the dispatcher

    def merge(self, other: Effects) -> None:
        self.connect += other.connect
        self.hang_up += other.hang_up
        self.end_conference += other.end_conference
        self.overflow += other.overflow
        self.goodbye += other.goodbye
        self.connect_responder += other.connect_responder
        self.reassure += other.reassure
        self.unhold += other.unhold
        self.kick = self.kick or other.kick


# --- presence ---------------------------------------------------------------------------------


def ensure_agent(*, session: Session, user_id: int, now: datetime) -> AgentStatus:
    status = session.get(AgentStatus, user_id)
    if status is not None:
        return status
    try:
        with session.begin_nested():
            session.add(AgentStatus(user_id=user_id, state=AgentState.offline, since=now))
    except IntegrityError:  # another tab created it first
        pass
    status = session.get(AgentStatus, user_id)
    assert status is not None
    return status


def _set_agent(
    *,
    session: Session,
    user_id: int,
    to: AgentState,
    expect: Iterable[AgentState],
    now: datetime,
    reason: str | None = None,
    call_id: int | None = None,
    where: Iterable[ColumnElement[bool]] = (),
    **values: Any,
) -> bool:
    """Compare-and-set the agent's state and log the change. True if it moved."""
    statement = (
        update(AgentStatus)
        .where(
            col(AgentStatus.user_id) == user_id,
            col(AgentStatus.state).in_([s.value for s in expect]),
            *where,
        )
        .values(state=to.value, reason=reason, since=now, call_id=call_id, **values)
    )
    if session.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.add(
        PresenceEvent(user_id=user_id, state=to.value, reason=reason, at=now, call_id=call_id)
    )
    emit(session, agent_topic(user_id))
    emit(session, BOARD_TOPIC)
    status = session.get(AgentStatus, user_id)
    if status is not None:
        session.refresh(status)
    return True


def reach_at(user: User, mode: PhoneMode | None) -> str:
    """What the phone network rings for `user` this shift: their browser phone when they chose
    it, else their own phone (which may be undialable: check with `dialable`)."""
    assert user.id is not None
    return browser_client(user.id) if mode == PhoneMode.browser else user.endpoint


def endpoint_for(*, session: Session, user: User) -> str:
    """Where to ring `user` now, by the phone mode stored with their presence."""
    assert user.id is not None
    status = session.get(AgentStatus, user.id)
    return reach_at(user, status.phone_mode if status is not None else None)


def _reachable(session: Session, user_id: int) -> bool:
    """Their phone as stored now (a console socket holds the user as it was at sign-in), or
    the browser phone if that is what they chose for this shift."""
    current = session.get(User, user_id)
    return current is not None and dialable(endpoint_for(session=session, user=current))


def _monitoring(session: Session, user_id: int) -> bool:
    """A supervisor's monitor leg is ringing or in a call (hotline/board)."""
    live = select(CallMonitor.id).where(
        CallMonitor.user_id == user_id,
        col(CallMonitor.status).in_([s.value for s in LIVE_MONITOR_STATUSES]),
    )
    return session.exec(live).first() is not None


def set_phone_mode(*, session: Session, user: User, mode: PhoneMode, now: datetime) -> AgentStatus:
    """Where this shift's calls ring. Not while an offer, a call or a supervisor's monitor is
    theirs (the leg being dialled would not be the one they expect); back to their phone only
    if it can be rung when they are taking calls."""
    assert user.id is not None
    status = ensure_agent(session=session, user_id=user.id, now=now)
    if status.phone_mode == mode:
        return status
    if status.state in (AgentState.offered, AgentState.on_call) or _monitoring(session, user.id):
        raise RoutingError("phone_mode_busy")
    if status.state == AgentState.available and not dialable(reach_at(user, mode)):
        raise RoutingError("no_phone")
    moved = session.execute(
        update(AgentStatus)
        .where(
            col(AgentStatus.user_id) == user.id,
            col(AgentStatus.state).not_in([AgentState.offered.value, AgentState.on_call.value]),
        )
        .values(phone_mode=mode.value)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise RoutingError("phone_mode_busy")
    session.refresh(status)
    log.info("phone mode: user=%s now %s", user.id, mode.value)
    emit(session, agent_topic(user.id))
    return status


def set_calls_while_chatting(
    *, session: Session, user: User, on: bool, now: datetime
) -> AgentStatus:
    """Whether voice calls are offered to them while they hold conversations."""
    assert user.id is not None
    status = ensure_agent(session=session, user_id=user.id, now=now)
    if status.calls_while_chatting != on:
        status.calls_while_chatting = on
        session.flush()
        emit(session, agent_topic(user.id))
        if on:
            emit(session, BOARD_TOPIC)
    return status


def set_presence(
    *, session: Session, user: User, state: AgentState, reason: str | None, now: datetime
) -> AgentStatus:
    assert user.id is not None
    status = ensure_agent(session=session, user_id=user.id, now=now)
    allowed_from = SELF_SERVICE.get(state)
    if allowed_from is None:
        raise RoutingError("state_not_allowed")
    if state == AgentState.on_break and reason not in BREAK_REASONS:
        raise RoutingError("break_reason_required")
    if state == AgentState.available and not _reachable(session, user.id):
        raise RoutingError("no_phone")  # every offer they accepted would fail to connect
    if status.state == state and status.reason == (
        reason if state == AgentState.on_break else None
    ):
        return status
    extra: dict[str, Any] = {}
    if state == AgentState.available:
        extra = {"idle_since": now, "missed_offers": 0}
    elif state == AgentState.offline:
        # The browser phone and calls while chatting were chosen for this shift.
        extra = {"phone_mode": PhoneMode.phone.value, "calls_while_chatting": False}
    moved = _set_agent(
        session=session,
        user_id=user.id,
        to=state,
        expect=allowed_from,
        now=now,
        reason=reason if state == AgentState.on_break else None,
        **extra,
    )
    if not moved:
        raise RoutingError("busy_with_call")
    return status


# --- the line calling someone back for a counselor (hotline/dialback/) -----------------------

# The presence reason while the line calls someone back for them: no offer reaches them.
DIAL_BACK = "dialback"
RESERVABLE = (AgentState.available, AgentState.away, AgentState.on_break, AgentState.offline)


def reserve_for_dial_back(
    *, session: Session, user_id: int, now: datetime, chatting: bool = False
) -> tuple[str, str | None]:
    """Hold the counselor for a call back (away, "dialback"): no call is offered to them while
    the line rings the person. Returns what they were (to go back to if nobody answers);
    RoutingError("busy_with_call") while they hold an offer, a call or a wrap-up. `chatting`:
    a conversation moving to voice, held by a counselor in conversations."""
    status = ensure_agent(session=session, user_id=user_id, now=now)
    state, reason = status.state, status.reason
    allowed = (*RESERVABLE, AgentState.chatting) if chatting else RESERVABLE
    if state not in allowed or (state == AgentState.away and reason == DIAL_BACK):
        raise RoutingError("busy_with_call")
    if not _set_agent(
        session=session,
        user_id=user_id,
        to=AgentState.away,
        expect=[state],
        now=now,
        reason=DIAL_BACK,
    ):
        raise RoutingError("busy_with_call")
    return state.value, reason


def release_dial_back(
    *,
    session: Session,
    user_id: int,
    prior_state: str | None,
    prior_reason: str | None,
    now: datetime,
) -> bool:
    """Nobody answered: the counselor goes back to what they were (if still held for it)."""
    back = AgentState(prior_state) if prior_state in {s.value for s in RESERVABLE} else None
    if prior_state == AgentState.chatting.value:
        back = _free_state(session, user_id)  # back to their conversations, if still held
    to = back or AgentState.available
    extra: dict[str, Any] = {"idle_since": now} if to == AgentState.available else {}
    return _set_agent(
        session=session,
        user_id=user_id,
        to=to,
        expect=[AgentState.away],
        now=now,
        reason=prior_reason if to in (AgentState.on_break, AgentState.away) else None,
        where=[col(AgentStatus.reason) == DIAL_BACK],
        **extra,
    )


def dial_back_answered(
    *, session: Session, call: Call, user_id: int, now: datetime, connect_timeout_s: int
) -> Effects:
    """The person called back answered; their call waits in the queue (`calls.start_outbound`).
    It is taken as if the counselor who asked had accepted its offer: their phone is dialled
    into the conference and the call goes on as any incoming one (connected when both are in).
    A counselor no longer held for it (they changed their status) leaves it to the queue."""
    assert call.id is not None
    if not _set_agent(
        session=session,
        user_id=user_id,
        to=AgentState.on_call,
        expect=[AgentState.away],
        now=now,
        call_id=call.id,
        where=[col(AgentStatus.reason) == DIAL_BACK],
    ):
        return Effects(kick=True)
    if not calls.transition(
        session=session,
        call=call,
        to=CallState.offered,
        expect=[CallState.queued],
        now=now,
        user_id=user_id,
        detail="dial_back",
        offered_to_id=user_id,
        offered_at=now,
        accepted_at=now,
        offer_expires_at=now + timedelta(seconds=connect_timeout_s),
        offer_count=Call.offer_count + 1,
    ):
        return Effects(kick=True)
    return Effects(connect=[call.id])


# --- the console's sockets --------------------------------------------------------------------


def _lock_agent(session: Session, user_id: int) -> None:
    """One user's socket openings and closings (on any instance) take turns on their row."""
    session.exec(
        select(AgentStatus.user_id).where(AgentStatus.user_id == user_id).with_for_update()
    ).all()


def console_opened(
    *, session: Session, user_id: int, socket_id: str, instance: str, now: datetime
) -> None:
    """A console socket of theirs is open: no grace period runs while it is."""
    ensure_agent(session=session, user_id=user_id, now=now)
    _lock_agent(session, user_id)
    session.add(
        ConsoleSocket(id=socket_id, user_id=user_id, instance=instance, opened_at=now, seen_at=now)
    )
    session.execute(
        update(AgentStatus)
        .where(col(AgentStatus.user_id) == user_id)
        .values(console_closed_at=None)
    )


def _no_console(user_id: int | None = None) -> ColumnElement[bool]:
    """No console socket open: of that user, or (None) of the agent row's own user."""
    owner = col(AgentStatus.user_id) if user_id is None else user_id
    return ~exists().where(col(ConsoleSocket.user_id) == owner)


def console_closed(*, session: Session, user_id: int, socket_id: str, now: datetime) -> None:
    """A console socket closed; if it was their last one anywhere, the grace period starts."""
    _lock_agent(session, user_id)
    session.execute(delete(ConsoleSocket).where(col(ConsoleSocket.id) == socket_id))
    session.execute(
        update(AgentStatus)
        .where(col(AgentStatus.user_id) == user_id, _no_console(user_id))
        .values(console_closed_at=now)
    )


def console_heartbeat(*, session: Session, instance: str, now: datetime, every_s: float) -> int:
    """This instance is alive: its open sockets' `seen_at` is brought forward (a row at most
    every `every_s`, so a tick writes nothing most of the time). How many were."""
    result = session.execute(
        update(ConsoleSocket)
        .where(
            col(ConsoleSocket.instance) == instance,
            col(ConsoleSocket.seen_at) < now - timedelta(seconds=every_s),
        )
        .values(seen_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def close_dead_sockets(*, session: Session, now: datetime, stale_s: float) -> int:
    """Sockets whose instance has not seen them for `stale_s` are closed as that instance
    would have closed them (it crashed or lost the database): from when it last saw them, so
    their counselor's grace period has run by then. How many were closed."""
    cutoff = now - timedelta(seconds=stale_s)
    stale = session.exec(
        select(ConsoleSocket.id, ConsoleSocket.user_id, ConsoleSocket.seen_at).where(
            col(ConsoleSocket.seen_at) <= cutoff
        )
    ).all()
    closed = 0
    for socket_id, user_id, seen_at in stale:
        _lock_agent(session, user_id)  # the agent row first, as console_closed takes them
        gone = session.execute(
            delete(ConsoleSocket).where(
                col(ConsoleSocket.id) == socket_id, col(ConsoleSocket.seen_at) <= cutoff
            )
        )
        if not getattr(gone, "rowcount", 0):
            continue  # its instance saw it again, or another instance closed it first
        session.execute(
            update(AgentStatus)
            .where(col(AgentStatus.user_id) == user_id, _no_console(user_id))
            .values(console_closed_at=seen_at)
        )
        log.warning("console socket of a dead instance closed: user=%s", user_id)
        closed += 1
    return closed


def set_away_consoles_gone(*, session: Session, now: datetime, grace_s: float) -> int:
    """Available counselors whose console has been closed for `grace_s` are set away, so no
    caller is offered to a closed browser. Anyone offered, on a call or in wrap-up is left as
    they are (an offer runs out on its own timeout). How many were set away."""
    cutoff = now - timedelta(seconds=grace_s)
    gone = [
        col(AgentStatus.console_closed_at) <= cutoff,
        _no_console(),
    ]
    due = session.exec(
        select(AgentStatus.user_id)
        .where(AgentStatus.state == AgentState.available, *gone)
        .with_for_update(skip_locked=True, of=AgentStatus)
    ).all()
    moved = 0
    for user_id in due:
        if _set_agent(
            session=session,
            user_id=user_id,
            to=AgentState.away,
            expect=[AgentState.available],
            now=now,
            reason=CONSOLE_GONE,
            where=gone,
            phone_mode=PhoneMode.phone.value,  # the browser phone went with the console
        ):
            log.info("console gone: user=%s set away", user_id)
            moved += 1
    return moved


# --- dispatch ---------------------------------------------------------------------------------


# --- text conversations: a counselor holds several at once ----------------------------------

# A conversation counts towards its counselor's capacity until its note is done.
HELD_TEXT_STATES = (CallState.connected, CallState.wrap_up)


def _text_held(session: Session, user_ids: Iterable[int]) -> dict[int, int]:
    """How many conversations each of `user_ids` holds (connected or in wrap-up)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(Call.counselor_id, func.count())
        .where(
            col(Call.counselor_id).in_(ids),
            col(Call.channel).in_([c.value for c in TEXT_CHANNELS]),
            col(Call.state).in_([s.value for s in HELD_TEXT_STATES]),
        )
        .group_by(col(Call.counselor_id))
    ).all()
    return {user_id: count for user_id, count in rows if user_id is not None}


def _text_room(*, session: Session, users: Iterable[User], default: int) -> dict[int, int]:
    """How many more conversations each of `users` can take now."""
    listed = [user for user in users if user.id is not None]
    held = _text_held(session, [user.id for user in listed if user.id is not None])
    return {
        user.id: (user.max_conversations or default) - held.get(user.id, 0)
        for user in listed
        if user.id is not None
    }


def _over_capacity(session: Session, user: User, default: int) -> bool:
    """Counted again once their row is ours: a conversation another instance offered them and
    they accepted between the read and the update is counted now (the update waited for it)."""
    assert user.id is not None
    held = _text_held(session, [user.id]).get(user.id, 0)
    return held >= (user.max_conversations or default)


def _free_state(session: Session, user_id: int) -> AgentState:
    """Where a counselor goes when an offer ends or a conversation's note is done: back to their
    conversations if they hold any, else free."""
    return AgentState.chatting if _text_held(session, [user_id]) else AgentState.available


def _after_texts(
    session: Session, user_id: int, now: datetime
) -> tuple[AgentState, dict[str, Any]]:
    """Where someone 'in conversations' who holds none goes: free, or signed off again for a
    supervisor who took one over while not taking contacts."""
    status = session.get(AgentStatus, user_id)
    if status is not None and status.reason == TAKEN_OVER:
        return AgentState.offline, {"phone_mode": PhoneMode.phone.value}
    return AgentState.available, {"idle_since": now}


def conversations_of(*, session: Session, user_id: int) -> list[Call]:
    """The conversations a counselor holds, oldest first."""
    return list(
        session.exec(
            select(Call)
            .where(
                Call.counselor_id == user_id,
                col(Call.channel).in_([c.value for c in TEXT_CHANNELS]),
                col(Call.state).in_([s.value for s in HELD_TEXT_STATES]),
            )
            .order_by(col(Call.connected_at), col(Call.id))
        )
    )


def _accept_text(*, session: Session, user_id: int, call: Call, now: datetime) -> None:
    """A conversation is live as soon as it is accepted: there is no leg to connect."""
    if not calls.transition(
        session=session,
        call=call,
        to=CallState.connected,
        expect=[CallState.offered],
        now=now,
        where=[col(Call.offered_to_id) == user_id, col(Call.accepted_at).is_(None)],
        user_id=user_id,
        detail="accepted",
        accepted_at=now,
        counselor_id=user_id,
        connected_at=now,
        offer_expires_at=None,
    ):
        raise RoutingError("offer_gone")
    if not _set_agent(
        session=session,
        user_id=user_id,
        to=AgentState.chatting,
        expect=[AgentState.offered],
        now=now,
    ):
        raise RoutingError("offer_gone")


def end_text(*, session: Session, user: User, call_id: int, now: datetime, reason: str) -> Call:
    """The counselor ends a conversation: its note is then written (wrap-up); they keep their
    other conversations. With a crisis worker in it, it is handed to them: the person is never
    cut off from the crisis worker (the call's end reason says so)."""
    assert user.id is not None
    call = session.get(Call, call_id)
    if call is not None and escalations.responder_with_caller(session=session, call_id=call_id):
        reason = escalations.HANDED_TO_RESPONDER
    if (
        call is None
        or not call.is_text
        or not calls.transition(
            session=session,
            call=call,
            to=CallState.wrap_up,
            expect=[CallState.connected],
            now=now,
            where=[col(Call.counselor_id) == user.id],
            user_id=user.id,
            detail=reason,
            ended_at=now,
            end_reason=reason,
        )
    ):
        raise RoutingError("no_live_call")
    emit(session, agent_topic(user.id))
    if reason == escalations.HANDED_TO_RESPONDER:
        responder = escalations.responder_of(session=session, call_id=call_id)
        if responder is not None:
            emit(session, agent_topic(responder))
    return call


def person_left_text(*, session: Session, call: Call, now: datetime, reason: str) -> bool:
    """The person ended the conversation (left the web chat, or it went quiet for too long):
    waiting, it is abandoned; live, its counselor writes the note. True if it ended here."""
    if call.state == CallState.offered and call.offered_to_id is not None:
        user_id = call.offered_to_id
        if calls.transition(
            session=session,
            call=call,
            to=CallState.abandoned,
            expect=[CallState.offered],
            now=now,
            detail=reason,
            ended_at=now,
            completed_at=now,
            end_reason=reason,
            offered_to_id=None,
            offer_expires_at=None,
        ):
            _set_agent(
                session=session,
                user_id=user_id,
                to=_free_state(session, user_id),
                expect=[AgentState.offered],
                now=now,
                where=[col(AgentStatus.call_id) == call.id],
            )
            return True
    if calls.transition(
        session=session,
        call=call,
        to=CallState.abandoned,
        expect=[CallState.queued, CallState.ringing, CallState.ivr],
        now=now,
        detail=reason,
        ended_at=now,
        completed_at=now,
        end_reason=reason,
    ):
        return True
    if calls.transition(
        session=session,
        call=call,
        to=CallState.wrap_up,
        expect=[CallState.connected],
        now=now,
        detail=reason,
        ended_at=now,
        end_reason=reason,
    ):
        if call.counselor_id is not None:
            emit(session, agent_topic(call.counselor_id))
        return True
    return False


def take_over_text(
    *, session: Session, call: Call, user: User, from_id: int, now: datetime
) -> None:
    """A supervisor becomes the holder of a live conversation (compare-and-set on its counselor:
    of two supervisors at once, one wins). The counselor's part ends: the conversation leaves
    their list, its place is free, and they are told. `from_id`: whom the supervisor saw
    holding it (someone else holds it now: refused).

    Like a transfer, the call stays one call: its note follows it (the counselor stays its
    author and may finish their part), and the hand-over is in the call's events."""
    assert user.id is not None and call.id is not None
    if call.state != CallState.connected or not call.is_text:
        raise RoutingError("no_live_call")
    if call.counselor_id == user.id:
        raise RoutingError("already_yours")
    if call.counselor_id != from_id:
        raise RoutingError("taken_already")
    status = ensure_agent(session=session, user_id=user.id, now=now)
    was = status.state
    if was not in TAKE_OVER_FROM:
        raise RoutingError("busy_with_call")
    moved = session.execute(
        update(Call)
        .where(
            col(Call.id) == call.id,
            col(Call.state) == CallState.connected.value,
            col(Call.counselor_id) == from_id,
        )
        .values(counselor_id=user.id)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise RoutingError("taken_already")
    session.refresh(call)
    # Already taking contacts: they go on doing so; else nothing more is offered to them.
    reason = (
        status.reason
        if was == AgentState.chatting
        else (None if was == AgentState.available else TAKEN_OVER)
    )
    if not _set_agent(
        session=session,
        user_id=user.id,
        to=AgentState.chatting,
        expect=[was],
        now=now,
        reason=reason,
    ):
        raise RoutingError("busy_with_call")
    note = notes.note_of(session=session, call_id=call.id)
    calls.record_event(
        session=session,
        call_id=call.id,
        state="taken_over",
        now=now,
        user_id=user.id,
        detail=f"from={from_id} note_version={note.version if note is not None else 0}",
    )
    _leave_chatting_if_done(session, from_id, now)
    emit(session, agent_topic(from_id), {"error": "taken_over"})


def _finish_text(*, session: Session, user: User, call: Call, now: datetime) -> None:
    """The note of a conversation is done: it no longer counts towards their capacity."""
    assert user.id is not None
    if call.counselor_id != user.id or not calls.transition(
        session=session,
        call=call,
        to=CallState.completed,
        expect=[CallState.wrap_up],
        now=now,
        user_id=user.id,
        completed_at=now,
    ):
        raise RoutingError("no_wrap_up")
    _leave_chatting_if_done(session, user.id, now)


def _leave_chatting_if_done(session: Session, user_id: int, now: datetime) -> None:
    """Someone 'in conversations' who holds none any more is free again (or signed off: a
    supervisor who took one over while not taking contacts)."""
    if _free_state(session, user_id) == AgentState.available:
        to, extra = _after_texts(session, user_id, now)
        _set_agent(
            session=session,
            user_id=user_id,
            to=to,
            expect=[AgentState.chatting],
            now=now,
            where=[~_holds_text(user_id)],
            **extra,
        )
    else:
        emit(session, agent_topic(user_id))


class _Taken(Exception):
    """The agent or the call changed under us: roll back this attempt's savepoint."""


def _covers(user: User, call: Call) -> bool:
    if user.line_ids and call.line_id not in user.line_ids:
        return False
    return call.language is None or call.language in user.languages


def offer_next(
    *,
    session: Session,
    now: datetime,
    offer_timeout_s: int,
    instance: str | None = None,
    max_conversations: int = 2,
) -> bool:
    """Offer the most urgent waiting call to the longest-idle counselor who can take it."""
    waiting = session.exec(
        select(Call)
        .where(Call.state == CallState.queued)
        .order_by(col(Call.priority).desc(), col(Call.queued_at), col(Call.id))
        .limit(50)
        .with_for_update(skip_locked=True)
    ).all()
    if not waiting:
        return False
    # A counselor holding conversations is offered more texts up to their capacity, and a voice
    # call only if they chose to take calls while chatting; one who is free is offered either.
    takes = [AgentState.available, AgentState.chatting]
    free = session.exec(
        select(AgentStatus, User)
        .join(User, col(User.id) == AgentStatus.user_id)
        .where(col(AgentStatus.state).in_([s.value for s in takes]), col(User.active))
        .order_by(col(AgentStatus.idle_since), col(AgentStatus.user_id))
    ).all()
    room = _text_room(
        session=session,
        users=[user for status, user in free if status.state == AgentState.chatting],
        default=max_conversations,
    )
    # The lines' required qualifications and who of the free holds them, in one query.
    allowed = qualified(
        session=session,
        line_ids={call.line_id for call in waiting},
        user_ids=[user.id for _status, user in free if user.id is not None],
        now=now,
    )
    # A care plan's preferred counselor is offered their caller first (routing/care_plan.py).
    preferred = care_plan.preferred_counselors(
        session=session, caller_hashes={call.caller_hash for call in waiting}
    )
    for call in waiting:
        assert call.id is not None
        # Another instance's clock may run behind the one that queued the call.
        at = max(now, as_utc(call.queued_at)) if call.queued_at else now
        for status, user in care_plan.preferred_first(free, preferred.get(call.caller_hash)):
            assert user.id is not None
            if status.state == AgentState.chatting and (
                (room.get(user.id, 0) <= 0 if call.is_text else not status.calls_while_chatting)
                or status.reason == TAKEN_OVER
            ):
                continue  # no room, no voice calls while chatting, or a supervisor not taking any
            if not _covers(user, call):
                continue
            if not call.is_text and not dialable(reach_at(user, status.phone_mode)):
                continue  # (available from before their phone was removed: never offered)
            if not allowed.allows(user_id=user.id, line_id=call.line_id):
                continue  # lacks a qualification the line requires, or it has expired
            # Named states, never the row as read: a savepoint rolled back below may leave it
            # showing an offer that was never made.
            takes_from = [AgentState.available]
            if call.is_text or status.calls_while_chatting:
                takes_from.append(AgentState.chatting)
            try:
                with session.begin_nested():
                    if not _set_agent(
                        session=session,
                        user_id=user.id,
                        to=AgentState.offered,
                        expect=takes_from,
                        now=at,
                        call_id=call.id,
                    ):
                        raise _Taken
                    if call.is_text and _over_capacity(session, user, max_conversations):
                        raise _Taken
                    if not calls.transition(
                        session=session,
                        call=call,
                        to=CallState.offered,
                        expect=[CallState.queued],
                        now=at,
                        user_id=user.id,
                        detail=instance,
                        offered_to_id=user.id,
                        offered_at=at,
                        offer_expires_at=at + timedelta(seconds=offer_timeout_s),
                        accepted_at=None,
                        offer_count=Call.offer_count + 1,
                    ):
                        raise _Taken
            except _Taken:
                continue
            log.info("offered call=%s to user=%s", call.call_sid, user.id)
            return True
    return False


def expire_offers(*, session: Session, now: datetime, missed_before_away: int) -> Effects:
    """Offers not accepted in time go back to the queue; so do accepted calls that never joined."""
    effects = Effects()
    due = session.exec(
        select(Call)
        .where(Call.state == CallState.offered, col(Call.offer_expires_at) <= now)
        .with_for_update(skip_locked=True)
    ).all()
    for call in due:
        user_id = call.offered_to_id
        assert user_id is not None
        was_accepted = call.accepted_at is not None
        leg = call.counselor_call_sid
        if not calls.transition(
            session=session,
            call=call,
            to=CallState.queued,
            expect=[CallState.offered],
            now=now,
            where=[col(Call.offer_expires_at) <= now],
            user_id=user_id,
            detail="connect_timeout" if was_accepted else "offer_missed",
            offered_to_id=None,
            offer_expires_at=None,
            accepted_at=None,
            counselor_call_sid=None,
        ):
            continue
        status = session.get(AgentStatus, user_id)
        if was_accepted:
            # Their phone never joined: keep them out of rotation until they say they're back.
            _set_agent(
                session=session,
                user_id=user_id,
                to=AgentState.away,
                expect=[AgentState.on_call],
                now=now,
                reason="connect_failed",
            )
            if leg:
                effects.hang_up.append(leg)
        elif status is not None:
            missed = status.missed_offers + 1
            back = _free_state(session, user_id)
            if missed >= missed_before_away and back == AgentState.available:
                _set_agent(
                    session=session,
                    user_id=user_id,
                    to=AgentState.away,
                    expect=[AgentState.offered],
                    now=now,
                    reason="missed_offers",
                    missed_offers=missed,
                )
            else:
                # Back of the line, so the next offer goes to someone else first (a counselor
                # holding conversations goes back to them, never away).
                _set_agent(
                    session=session,
                    user_id=user_id,
                    to=back,
                    expect=[AgentState.offered],
                    now=now,
                    missed_offers=missed,
                    idle_since=now,
                )
    return effects


def _transfer_holds(session: Session, status: AgentStatus, call: Call) -> bool:
    """A colleague reserved for an open transfer of this live call (consulted or offered)."""
    return (
        status.state == AgentState.on_call
        and status.reason == TRANSFER
        and call.state == CallState.connected
        and session.exec(
            select(CallTransfer.id).where(
                CallTransfer.call_id == call.id,
                CallTransfer.to_user_id == status.user_id,
                col(CallTransfer.status).in_([s.value for s in OPEN_TRANSFER_STATUSES]),
            )
        ).first()
        is not None
    )


def _holds(status: AgentStatus, call: Call | None, session: Session | None = None) -> bool:
    """Is the offer or call that holds this counselor still theirs?"""
    if call is None:
        return False
    if session is not None and _transfer_holds(session, status, call):
        return True
    if status.state == AgentState.offered:
        return (
            call.state == CallState.offered
            and call.offered_to_id == status.user_id
            and call.accepted_at is None
        )
    if call.state == CallState.offered:  # accepted, their phone is being connected
        return call.offered_to_id == status.user_id and call.accepted_at is not None
    return call.state == CallState.connected and call.counselor_id == status.user_id


def free_stranded(*, session: Session, now: datetime) -> int:
    """Safety net: a counselor held (offered, on a call) by a call that is no longer theirs is
    set free, so no lost update can keep them out of rotation. Returns how many were freed."""
    held = session.exec(
        select(AgentStatus, Call)
        .join(Call, col(Call.id) == AgentStatus.call_id, isouter=True)
        .where(col(AgentStatus.state).in_([AgentState.offered.value, AgentState.on_call.value]))
    ).all()
    freed = 0
    for status, seen in held:
        if _holds(status, seen, session):
            continue  # the usual case: no lock taken on a live call
        state, call_id = status.state, status.call_id
        call = None
        if call_id is not None:  # the call's lock first, as every other path takes them
            call = session.exec(
                select(Call)
                .where(Call.id == call_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).first()
        session.refresh(status)
        if status.state != state or status.call_id != call_id or _holds(status, call, session):
            continue
        ended_theirs = (
            call is not None
            and call.counselor_id == status.user_id
            and call.state in (CallState.wrap_up, CallState.completed)
        )
        if _set_agent(
            session=session,
            user_id=status.user_id,
            to=AgentState.wrap_up if ended_theirs else AgentState.available,
            expect=[state],
            now=now,
            reason=STRANDED,
            call_id=call_id if ended_theirs else None,
            where=[col(AgentStatus.call_id) == call_id] if call_id is not None else [],
        ):
            log.warning("freed counselor user=%s held by call=%s", status.user_id, call_id)
            freed += 1
    return freed + _free_idle_chatting(session, now)


def _free_idle_chatting(session: Session, now: datetime) -> int:
    """A counselor 'in conversations' who holds none (a lost update) is set free."""
    chatting = session.exec(
        select(AgentStatus.user_id).where(AgentStatus.state == AgentState.chatting)
    ).all()
    held = _text_held(session, chatting)
    freed = 0
    for user_id in chatting:
        if held.get(user_id):
            continue
        to, extra = _after_texts(session, user_id, now)
        if _set_agent(
            session=session,
            user_id=user_id,
            to=to,
            expect=[AgentState.chatting],
            now=now,
            reason=STRANDED,
            where=[~_holds_text(user_id)],
            **extra,
        ):
            freed += 1
    return freed


def _holds_text(user_id: int) -> ColumnElement[bool]:
    """Checked in the update itself: a conversation accepted since the read keeps them."""
    return exists().where(
        col(Call.counselor_id) == user_id,
        col(Call.channel).in_([c.value for c in TEXT_CHANNELS]),
        col(Call.state).in_([s.value for s in HELD_TEXT_STATES]),
    )


def past_deadline(*, session: Session, now: datetime, texts: bool = False) -> list[Call]:
    """Calls (or, `texts`, conversations) still waiting past their line's maximum wait, locked
    (another instance skips them)."""
    voice = col(Call.channel) == Channel.voice.value
    return list(
        session.exec(
            select(Call)
            .where(
                Call.state == CallState.queued,
                col(Call.queue_deadline_at) <= now,
                ~voice if texts else voice,
            )
            .with_for_update(skip_locked=True)
        ).all()
    )


def to_overflow(*, session: Session, call: Call, now: datetime) -> bool:
    """Waited past the maximum: ended as the line's overflow (a caller then goes to the partner
    line or voicemail; a person writing is told the partner line and the emergency numbers)."""
    return calls.transition(
        session=session,
        call=call,
        to=CallState.overflow,
        expect=[CallState.queued],
        now=now,
        detail=MAX_WAIT,
        end_reason=MAX_WAIT,
        ended_at=now,
        completed_at=now,
    )


def overflow_due(*, session: Session, now: datetime) -> Effects:
    """Callers who waited past the line's maximum go to the partner line or voicemail."""
    effects = Effects()
    for call in past_deadline(session=session, now=now):
        if to_overflow(session=session, call=call, now=now):
            effects.overflow.append(call.call_sid)
    return effects


def overflow_failed(*, session: Session, call_sid: str, now: datetime, retry_s: int) -> None:
    """The network would not move the caller: put them back in the queue rather than lose them."""
    call = calls.get_by_sid(session=session, call_sid=call_sid)
    if call is not None:
        calls.transition(
            session=session,
            call=call,
            to=CallState.queued,
            expect=[CallState.overflow],
            now=now,
            detail="overflow_failed",
            end_reason=None,
            ended_at=None,
            completed_at=None,
            queue_deadline_at=now + timedelta(seconds=retry_s),
        )


# --- the counselor's answers ------------------------------------------------------------------


def accept(
    *, session: Session, user: User, call_id: int, now: datetime, connect_timeout_s: int
) -> Call:
    assert user.id is not None
    call = session.get(Call, call_id)
    if (
        call is None
        or call.state != CallState.offered
        or call.offered_to_id != user.id
        or call.accepted_at is not None
    ):
        raise RoutingError("offer_gone")
    if call.is_text:
        _accept_text(session=session, user_id=user.id, call=call, now=now)
        return call
    if not calls.transition(
        session=session,
        call=call,
        to=CallState.offered,
        expect=[CallState.offered],
        now=now,
        where=[col(Call.offered_to_id) == user.id, col(Call.accepted_at).is_(None)],
        user_id=user.id,
        detail="accepted",
        accepted_at=now,
        offer_expires_at=now + timedelta(seconds=connect_timeout_s),
    ):
        raise RoutingError("offer_gone")
    if not _set_agent(
        session=session,
        user_id=user.id,
        to=AgentState.on_call,
        expect=[AgentState.offered],
        now=now,
        call_id=call_id,
    ):
        raise RoutingError("offer_gone")
    return call


def decline(*, session: Session, user: User, call_id: int, now: datetime) -> None:
    assert user.id is not None
    call = session.get(Call, call_id)
    if call is None or not calls.transition(
        session=session,
        call=call,
        to=CallState.queued,
        expect=[CallState.offered],
        now=now,
        where=[col(Call.offered_to_id) == user.id, col(Call.accepted_at).is_(None)],
        user_id=user.id,
        detail="declined",
        offered_to_id=None,
        offer_expires_at=None,
    ):
        raise RoutingError("offer_gone")
    _set_agent(
        session=session,
        user_id=user.id,
        to=_free_state(session, user.id),
        expect=[AgentState.offered],
        now=now,
        idle_since=now,
    )


def hand_over(
    *, session: Session, call: Call, now: datetime, leg_gone: bool = False
) -> Effects | None:
    """The counselor leaves a call a crisis responder is in: the caller stays with the responder.

    The call's counselor part ends (wrap-up, then the note); the conference goes on. None when
    the call was not live with its counselor.
    """
    if call.is_text:
        return _hand_over_text(session=session, call=call, now=now)
    user_id, leg = call.counselor_id, call.counselor_call_sid
    if user_id is None or not calls.transition(
        session=session,
        call=call,
        to=CallState.wrap_up,
        expect=[CallState.connected],
        now=now,
        user_id=user_id,
        detail=escalations.HANDED_TO_RESPONDER,
        ended_at=now,
        end_reason=escalations.HANDED_TO_RESPONDER,
    ):
        return None
    _set_agent(
        session=session,
        user_id=user_id,
        to=AgentState.wrap_up,
        expect=[AgentState.on_call],
        now=now,
        call_id=call.id,
    )
    return Effects(hang_up=[leg] if leg and not leg_gone else [])


def _hand_over_text(*, session: Session, call: Call, now: datetime) -> Effects | None:
    """A conversation the crisis worker joined: the counselor's part ends (its note is then
    written, they keep their other conversations); the person goes on with the crisis worker."""
    user_id = call.counselor_id
    if user_id is None or not calls.transition(
        session=session,
        call=call,
        to=CallState.wrap_up,
        expect=[CallState.connected],
        now=now,
        where=[col(Call.counselor_id) == user_id],
        user_id=user_id,
        detail=escalations.HANDED_TO_RESPONDER,
        ended_at=now,
        end_reason=escalations.HANDED_TO_RESPONDER,
    ):
        return None
    emit(session, agent_topic(user_id))
    responder = escalations.responder_of(session=session, call_id=call.id or 0)
    if responder is not None:
        emit(session, agent_topic(responder))
    return Effects()


def hang_up(*, session: Session, user: User, call_id: int, now: datetime) -> Effects:
    assert user.id is not None
    call = session.get(Call, call_id)
    if (
        call is not None
        and call.counselor_id == user.id
        and escalations.responder_with_caller(session=session, call_id=call_id)
    ):
        handed = hand_over(session=session, call=call, now=now)
        if handed is not None:
            return handed
    if call is None or not calls.transition(
        session=session,
        call=call,
        to=CallState.wrap_up,
        expect=[CallState.connected],
        now=now,
        where=[col(Call.counselor_id) == user.id],
        user_id=user.id,
        detail="counselor_hangup",
        ended_at=now,
        end_reason="counselor_hangup",
    ):
        raise RoutingError("no_live_call")
    _set_agent(
        session=session,
        user_id=user.id,
        to=AgentState.wrap_up,
        expect=[AgentState.on_call],
        now=now,
        call_id=call_id,
    )
    return Effects(end_conference=[call.call_sid])


def finish_wrap_up(*, session: Session, user: User, call_id: int, now: datetime) -> None:
    assert user.id is not None
    text = session.get(Call, call_id)
    if text is not None and text.is_text:
        _finish_text(session=session, user=user, call=text, now=now)
        return
    status = session.get(AgentStatus, user.id)
    if status is None or status.state != AgentState.wrap_up or status.call_id != call_id:
        raise RoutingError("no_wrap_up")
    call = session.get(Call, call_id)
    if call is not None and call.counselor_id == user.id:
        calls.transition(
            session=session,
            call=call,
            to=CallState.completed,
            expect=[CallState.wrap_up],
            now=now,
            user_id=user.id,
            completed_at=now,
        )
    # (A conversation that moved to voice may still wait for its note: back to it.)
    if not _set_agent(
        session=session,
        user_id=user.id,
        to=_free_state(session, user.id),  # a call taken while chatting: back to the texts
        expect=[AgentState.wrap_up],
        now=now,
        idle_since=now,
        missed_offers=0,
    ):
        raise RoutingError("no_wrap_up")


# --- what the phone network tells us ----------------------------------------------------------


def _locked(session: Session, call: Call) -> Call:
    """Re-read the call under a row lock: join callbacks for one call must not interleave."""
    session.refresh(call, with_for_update=True)
    return call


def _connect_if_both_in(*, session: Session, call: Call, now: datetime) -> bool:
    """Connected means the caller and the counselor are both in the conference. True if this
    connected them."""
    user_id = call.offered_to_id
    if (
        call.state != CallState.offered
        or user_id is None
        or call.accepted_at is None
        or call.counselor_call_sid is None
        or call.caller_joined_at is None
    ):
        return False
    if calls.transition(
        session=session,
        call=call,
        to=CallState.connected,
        expect=[CallState.offered],
        now=now,
        where=[col(Call.offered_to_id) == user_id],
        user_id=user_id,
        counselor_id=user_id,
        connected_at=now,
        offer_expires_at=None,
    ):
        emit(session, agent_topic(user_id))
        return True
    return False


def counselor_joined(
    *,
    session: Session,
    call: Call,
    user_id: int,
    leg_sid: str,
    conference_sid: str | None,
    now: datetime,
) -> Effects:
    call = _locked(session, call)
    assert call.id is not None
    if (
        call.state == CallState.offered
        and call.offered_to_id == user_id
        and call.accepted_at is not None
        and call.counselor_call_sid in (None, leg_sid)
    ):
        if call.counselor_call_sid is None:
            call.counselor_call_sid = leg_sid
            call.conference_sid = call.conference_sid or conference_sid
            session.flush()
            calls.record_event(
                session=session, call_id=call.id, state="counselor_joined", now=now, user_id=user_id
            )
        connected = _connect_if_both_in(session=session, call=call, now=now)
        if connected and _was_dropped(session, call.id):
            # On hold since their last counselor dropped, or since a transfer that failed.
            return Effects(unhold=[call.call_sid])
        return Effects()
    if call.counselor_call_sid == leg_sid:
        return Effects()  # a repeated join
    # A leg that arrived after its offer was withdrawn (caller left, timeout): drop it.
    return Effects(hang_up=[leg_sid])


def caller_joined(
    *, session: Session, call: Call, conference_sid: str | None, now: datetime
) -> Effects:
    """The caller is in their conference, hearing the hold prompts."""
    call = _locked(session, call)
    assert call.id is not None
    if call.state in (CallState.queued, CallState.offered):
        if call.caller_joined_at is None:
            call.caller_joined_at = now
            call.conference_sid = call.conference_sid or conference_sid
            session.flush()
            calls.record_event(
                session=session, call_id=call.id, state="caller_in_conference", now=now
            )
        _connect_if_both_in(session=session, call=call, now=now)
        return Effects()
    if call.state in (CallState.connected, CallState.overflow):
        # Overflow: the caller is being moved to voicemail or the partner line. A join reported
        # late (callbacks can arrive after the redirect) must not send them a goodbye instead.
        return Effects()
    # The call is already over for us: never leave a caller alone in an empty conference.
    return Effects(goodbye=[call.call_sid])


def counselor_leg_failed(
    *, session: Session, call: Call, user_id: int, now: datetime, status: str
) -> None:
    """Their phone was busy, unanswered or failed: requeue the caller, set the counselor away."""
    if calls.transition(
        session=session,
        call=call,
        to=CallState.queued,
        expect=[CallState.offered],
        now=now,
        where=[col(Call.offered_to_id) == user_id],
        user_id=user_id,
        detail=f"leg_{status}",
        offered_to_id=None,
        offer_expires_at=None,
        accepted_at=None,
        counselor_call_sid=None,
    ):
        _set_agent(
            session=session,
            user_id=user_id,
            to=AgentState.away,
            expect=[AgentState.on_call, AgentState.offered],
            now=now,
            reason="connect_failed",
        )


def counselor_left(*, session: Session, call: Call, leg_sid: str, now: datetime) -> Effects:
    """The counselor's phone (or browser) dropped mid-call: the caller must not be left alone in
    silence. They stay in their conference, are told so once and hear the hold music, and are
    first in the queue again (their counselor, back from wrap-up, or another is offered them)."""
    call = _locked(session, call)
    user_id = call.counselor_id
    if user_id is None or call.counselor_call_sid != leg_sid:
        return Effects()
    if escalations.responder_with_caller(session=session, call_id=call.id or 0):
        hand_over(session=session, call=call, now=now, leg_gone=True)
        return Effects()
    if not calls.transition(
        session=session,
        call=call,
        to=CallState.queued,
        expect=[CallState.connected],
        now=now,
        user_id=user_id,
        detail=COUNSELOR_DROPPED,
        priority=PRIORITY_IN_DANGER + 1,
        offered_to_id=None,
        accepted_at=None,
        counselor_id=None,
        counselor_call_sid=None,
    ):
        return Effects()
    _set_agent(
        session=session,
        user_id=user_id,
        to=AgentState.wrap_up,
        expect=[AgentState.on_call],
        now=now,
        call_id=call.id,
    )
    return Effects(reassure=[(call.call_sid, call.language or "zh_CN")])


def _was_dropped(session: Session, call_id: int) -> bool:
    """Whether the caller went back to the queue on hold: their counselor's leg dropped, or a
    cold transfer's colleague never joined (`requeue_transferred`)."""
    return (
        session.exec(
            select(CallEvent.id).where(
                CallEvent.call_id == call_id,
                col(CallEvent.detail).in_([COUNSELOR_DROPPED, TRANSFER_FAILED]),
            )
        ).first()
        is not None
    )


# The end of a call whose caller hung up, whichever callback says so first (their status
# `completed`, their participant-leave, the end of the conference of a live call).
CALLER_HANGUP = "caller_hangup"
# ReasonParticipantLeft when the conference ended under a participant (Twilio's snake_case of
# its ReasonConferenceEnded values, and the short form). Any other reason, or none (callbacks
# from before Twilio sent it), is taken as their own phone leaving: wrongly requeueing a call
# is recoverable, a caller left alone in a conference is not.
CONFERENCE_ENDED_REASONS = frozenset(
    {
        "conference_ended",
        "conference_ended_via_api",
        "participant_with_end_conference_on_exit_left",
        "participant_with_end_conference_on_exit_kicked",
        "last_participant_left",
        "last_participant_kicked",
    }
)


def caller_end_reason(call_status: str) -> str:
    """The end reason for the caller's leg ending with `call_status` (a Twilio CallStatus)."""
    return CALLER_HANGUP if call_status == "completed" else f"caller_{call_status}"


def left_on_their_own(reason: str | None) -> bool:
    """Did a counselor's participant-leave (ReasonParticipantLeft) come from their own phone?"""
    return (reason or "") not in CONFERENCE_ENDED_REASONS


def caller_left(*, session: Session, call: Call, now: datetime, reason: str) -> Effects:
    """The caller hung up (or the network lost them), from whatever state the call was in."""
    effects = Effects()
    # Read who holds the call under its lock: an offer made since `call` was read must be
    # withdrawn too, or its counselor stays offered a call that is over.
    call = _locked(session, call)
    if call.state == CallState.connected:
        user_id = call.counselor_id
        if (
            calls.transition(
                session=session,
                call=call,
                to=CallState.wrap_up,
                expect=[CallState.connected],
                now=now,
                detail=reason,
                ended_at=now,
                end_reason=reason,
            )
            and user_id is not None
        ):
            _set_agent(
                session=session,
                user_id=user_id,
                to=AgentState.wrap_up,
                expect=[AgentState.on_call],
                now=now,
                call_id=call.id,
            )
        return effects
    offered_to, accepted, leg = call.offered_to_id, call.accepted_at, call.counselor_call_sid
    if not calls.transition(
        session=session,
        call=call,
        to=CallState.abandoned,
        expect=[CallState.ringing, CallState.ivr, CallState.queued, CallState.offered],
        now=now,
        detail=reason,
        ended_at=now,
        completed_at=now,
        end_reason=reason,
    ):
        return effects
    if offered_to is not None:
        # Withdraw the offer; they did nothing wrong, so their place in line is kept.
        _set_agent(
            session=session,
            user_id=offered_to,
            to=AgentState.available,
            expect=[AgentState.offered, AgentState.on_call],
            now=now,
        )
        if accepted is not None and leg:
            effects.hang_up.append(leg)
    return effects


# --- transfers (hotline/callcontrol/transfers.py decides; these move the people) -------------


def reserve_colleague(
    *, session: Session, user_id: int, call_id: int, now: datetime, states: Iterable[AgentState]
) -> AgentState | None:
    """Hold a colleague for a transfer of `call_id` (no call is offered to them meanwhile).
    Returns the state they were in, or None when they are not free now."""
    status = ensure_agent(session=session, user_id=user_id, now=now)
    was = status.state
    if was not in set(states) or not _set_agent(
        session=session,
        user_id=user_id,
        to=AgentState.on_call,
        expect=[was],
        now=now,
        reason=TRANSFER,
        call_id=call_id,
    ):
        return None
    return was


def release_colleague(
    *, session: Session, user_id: int, call_id: int, back_to: AgentState, now: datetime
) -> None:
    """A transfer that did not reach them is over: back to where they were."""
    extra: dict[str, Any] = {"idle_since": now} if back_to == AgentState.available else {}
    _set_agent(
        session=session,
        user_id=user_id,
        to=back_to,
        expect=[AgentState.on_call],
        now=now,
        where=[col(AgentStatus.call_id) == call_id, col(AgentStatus.reason) == TRANSFER],
        **extra,
    )


def hand_to_colleague(
    *,
    session: Session,
    call: Call,
    from_user_id: int,
    to_user_id: int,
    leg_sid: str | None,
    now: datetime,
    detail: str,
) -> bool:
    """The colleague becomes the live call's counselor; the first goes to their wrap-up. The
    call stays connected (one answered call: `connected_at` is kept)."""
    moved = session.execute(
        update(Call)
        .where(
            col(Call.id) == call.id,
            col(Call.state) == CallState.connected.value,
            col(Call.counselor_id) == from_user_id,
        )
        .values(counselor_id=to_user_id, counselor_call_sid=leg_sid)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(call)
    assert call.id is not None
    calls.record_event(
        session=session,
        call_id=call.id,
        state="transferred",
        now=now,
        user_id=to_user_id,
        detail=detail,
    )
    _set_agent(
        session=session,
        user_id=to_user_id,
        to=AgentState.on_call,
        expect=[AgentState.on_call],
        now=now,
        call_id=call.id,
    )
    _set_agent(
        session=session,
        user_id=from_user_id,
        to=AgentState.wrap_up,
        expect=[AgentState.on_call],
        now=now,
        reason=TRANSFER,
        call_id=call.id,
    )
    return True


def transferred_out(*, session: Session, call: Call, user_id: int, now: datetime) -> bool:
    """The partner line holds the caller now: the counselor's part ends (wrap-up, the note),
    the call is recorded as transferred out; the conference goes on without them."""
    if not calls.transition(
        session=session,
        call=call,
        to=CallState.wrap_up,
        expect=[CallState.connected],
        now=now,
        where=[col(Call.counselor_id) == user_id],
        user_id=user_id,
        detail=TRANSFERRED_OUT,
        ended_at=now,
        end_reason=TRANSFERRED_OUT,
    ):
        return False
    _set_agent(
        session=session,
        user_id=user_id,
        to=AgentState.wrap_up,
        expect=[AgentState.on_call],
        now=now,
        call_id=call.id,
    )
    return True


def requeue_transferred(*, session: Session, call: Call, user_id: int, now: datetime) -> bool:
    """A cold transfer's colleague never joined after the first counselor had left: the caller
    goes back to the queue with their priority and arrival kept (so at the head of their
    priority), and is never sent to overflow for the wait they already had."""
    if not calls.transition(
        session=session,
        call=call,
        to=CallState.queued,
        expect=[CallState.connected],
        now=now,
        where=[col(Call.counselor_id) == user_id],
        user_id=user_id,
        detail=TRANSFER_FAILED,
        offered_to_id=None,
        accepted_at=None,
        offer_expires_at=None,
        counselor_id=None,
        counselor_call_sid=None,
        queue_deadline_at=None,
    ):
        return False
    _set_agent(
        session=session,
        user_id=user_id,
        to=AgentState.away,
        expect=[AgentState.on_call],
        now=now,
        reason="connect_failed",
    )
    return True


# --- what the console shows -------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _conversation_card(session: Session, call: Call) -> dict[str, Any]:
    """One conversation the counselor holds, as their console lists it (its messages are read
    from hotline/conversations/)."""
    assert call.id is not None
    line = session.get(Line, call.line_id)
    level, escalated = notes.level_of(session=session, call_id=call.id)
    return {
        "call_id": call.id,
        "channel": call.channel.value,
        "state": "connected" if call.state == CallState.connected else "wrap_up",
        "role": "counselor",
        "line_name": line.name if line is not None else "",
        "language": call.language,
        "in_danger": call.in_danger,
        "repeat_caller": call.repeat_caller,
        "high_risk_history": call.high_risk_history,
        "crisis_level": level,
        "escalated": escalated,
        "connected_at": _iso(call.connected_at),
        "ended_at": _iso(call.ended_at),
        "unread": unanswered(session=session, call_id=call.id),
        # The console fetches the transcript again when this changes.
        "last_message_id": session.exec(
            select(func.max(ConversationMessage.id)).where(ConversationMessage.call_id == call.id)
        ).one(),
    }


def _responder_card(session: Session, escalation_id: int | None, call: Call) -> dict[str, Any]:
    """A conversation a crisis worker joined, as their console lists it: live while the person
    is there (with its counselor, or handed to them), else ended."""
    gone = escalations.caller_gone_at(session=session, call=call) is not None
    return {
        **_conversation_card(session, call),
        "state": "ended" if gone else "connected",
        "role": "responder",
        "escalation_id": escalation_id,
        "counselor_left": call.end_reason == escalations.HANDED_TO_RESPONDER,
    }


def unanswered(*, session: Session, call_id: int) -> int:
    """The person's messages since the counselor last wrote (what waits for an answer)."""
    # One statement: it runs for every message of every conversation.
    last_reply = (
        select(func.coalesce(func.max(ConversationMessage.id), 0))
        .where(
            ConversationMessage.call_id == call_id,
            ConversationMessage.sender == Sender.counselor,
        )
        .scalar_subquery()
    )
    query = select(func.count()).where(
        ConversationMessage.call_id == call_id,
        ConversationMessage.sender == Sender.person,
        col(ConversationMessage.id) > last_reply,
    )
    return int(session.exec(query).one())


def snapshot(*, session: Session, user_id: int, now: datetime) -> dict[str, Any]:
    """Everything one counselor's console shows: the page renders from this alone."""
    status = ensure_agent(session=session, user_id=user_id, now=now)
    offer: dict[str, Any] | None = None
    live: dict[str, Any] | None = None
    pending = session.exec(
        select(Call, Line)
        .join(Line, col(Line.id) == Call.line_id)
        .where(
            Call.state == CallState.offered,
            Call.offered_to_id == user_id,
            col(Call.accepted_at).is_(None),
        )
    ).first()
    if pending is not None:
        call, line = pending
        offer = {
            "call_id": call.id,
            "line_name": line.name,
            "line_number": line.number,
            "language": call.language,
            "priority": call.priority,
            "in_danger": call.in_danger,
            "repeat_caller": call.repeat_caller,
            "high_risk_history": call.high_risk_history,
            "queued_at": _iso(call.queued_at),
            "expires_at": _iso(call.offer_expires_at),
            "channel": call.channel.value,
        }
    if status.call_id is not None and status.state in (AgentState.on_call, AgentState.wrap_up):
        row = session.exec(
            select(Call, Line)
            .join(Line, col(Line.id) == Call.line_id)
            .where(Call.id == status.call_id)
        ).first()
        if row is not None:
            call, line = row
            assert call.id is not None
            # A colleague reserved for a transfer is not on the call yet (their console shows
            # the transfer instead); a counselor who handed the call over is in their wrap-up.
            mine = call.counselor_id == user_id or (
                call.state == CallState.offered and call.offered_to_id == user_id
            )
            if not mine and status.state == AgentState.on_call:
                row = None
        if row is not None:
            call, line = row
            assert call.id is not None
            level, escalated = notes.level_of(session=session, call_id=call.id)
            shown = {CallState.offered: "connecting", CallState.connected: "connected"}.get(
                call.state, "wrap_up"
            )
            if not mine:
                shown = "wrap_up"
            live = {
                "call_id": call.id,
                "state": shown,
                "line_name": line.name,
                "line_number": line.number,
                "language": call.language,
                "in_danger": call.in_danger,
                "repeat_caller": call.repeat_caller,
                "high_risk_history": call.high_risk_history,
                "crisis_level": level,
                "escalated": escalated,
                "escalation": escalations.for_call(session=session, call_id=call.id),
                "connected_at": _iso(call.connected_at),
                "ended_at": _iso(call.ended_at),
            }
    return {
        "type": "snapshot",
        "server_time": now.isoformat(),
        "agent": {
            "state": status.state.value,
            "reason": status.reason,
            "since": _iso(status.since),
            "phone_mode": status.phone_mode.value,
            "calls_while_chatting": status.calls_while_chatting,
        },
        "offer": offer,
        "call": live,
        "conversations": [
            _conversation_card(session, call)
            for call in conversations_of(session=session, user_id=user_id)
        ]
        + [
            _responder_card(session, escalation.id, call)
            for escalation, call in escalations.joined_texts(session=session, user_id=user_id)
            if call.counselor_id != user_id
        ],
        "alerts": escalations.alerts_for(session=session, user_id=user_id),
    }
