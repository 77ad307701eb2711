"""The line calling a caller back (docs/domain.md 12: counselors never dial callers from their
own phones, nor see their numbers).

A counselor presses "call back as the line" on a follow-up, a voicemail's callback request, or
(a crisis worker who acknowledged it, or a supervisor) a high or imminent escalation whose caller
hung up. That files a `DialBack`, due now, and holds the counselor (away, "dialback") so no other
call is offered to them meanwhile. The `dialback.place` job places due ones oldest first, no
faster than `dialback_interval_s` across instances (the `DialPacer` row), from the line's own
number; the number is decrypted from where it is kept only then, in the server, and handed to the
phone network only.

When the person answers, their call becomes a `Call` (direction outbound) waiting in the queue,
taken at once as if the counselor had accepted it (`routing.dial_back_answered`): from there it
is the incoming call's path (conference, recording with the consent prompt, note, screener,
escalation). The outcome comes from the call's status callbacks, in any order: no answer, busy,
failed or a machine is an unsuccessful attempt on the follow-up (never "reached"), a line in the
escalation's log, and the counselor goes back to what they were; an answered call is recorded as
such and the counselor adds their own outcome afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline import phone
from hotline.auth.models import Role, User
from hotline.calls import service as calls
from hotline.calls.models import TERMINAL_STATES, Call, CallState, Channel
from hotline.conversations import service as conversations
from hotline.conversations import words
from hotline.conversations.models import Conversation
from hotline.dialback.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    DialBack,
    DialBackKind,
    DialBackStatus,
    DialPacer,
)
from hotline.errors import DomainError
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation
from hotline.followups import detail as followup_detail
from hotline.followups import service as followups
from hotline.followups.models import CallbackOutcome, FollowUp
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.linkage import service as linkage
from hotline.realtime.events import agent_topic, emit
from hotline.routing import service as routing
from hotline.routing.service import Effects, RoutingError
from hotline.telephony.endpoints import dialable
from hotline.voicemail.models import Voicemail

# What the phone network's final CallStatus means for a call nobody answered.
UNANSWERED = {
    "no-answer": DialBackStatus.no_answer,
    "busy": DialBackStatus.busy,
    "failed": DialBackStatus.failed,
    "canceled": DialBackStatus.canceled,
    # "completed" without an answer (the answer webhook never came): nobody was reached.
    "completed": DialBackStatus.no_answer,
}
ENDED = frozenset(UNANSWERED)
# The follow-up attempt each unanswered outcome is: never `reached`.
ATTEMPT_OUTCOME = {
    DialBackStatus.no_answer: CallbackOutcome.no_answer,
    DialBackStatus.busy: CallbackOutcome.no_answer,
    DialBackStatus.failed: CallbackOutcome.no_answer,
    DialBackStatus.canceled: CallbackOutcome.no_answer,
    DialBackStatus.machine: CallbackOutcome.voicemail,
}
SUPERVISING = (Role.supervisor, Role.admin)
# The channels that give the line no number: their person is asked for one (`offer_call`).
ASKED = frozenset({Channel.webchat, Channel.wechat})


class DialBackError(DomainError):
    messages: ClassVar[Mapping[str, str]] = {
        "not_found": N_("There is no such call back."),
        "forbidden": N_("You may not call this person back."),
        "no_number": N_("There is no number to call back."),
        "no_phone": N_(
            "Your account has no phone the hotline can ring. Ask an administrator to add one."
        ),
        "busy": N_("Finish your current call before calling someone back."),
        "dialling": N_("The line is already calling someone back for you."),
        "handled": N_("Someone else already handled this voicemail."),
        "not_high": N_("Only a high or imminent escalation's caller can be called back."),
        "caller_on_line": N_("The caller is still on the line."),
        "not_live": N_("This conversation has ended."),
        "other_conversations": N_(
            "End your other conversations first: a phone call takes all your attention."
        ),
        "ask_number": N_(
            "A web chat or WeChat gives the line no phone number: offer the call, and the "
            "person is asked for one."
        ),
        "bad_number": N_("This is not a phone number the line can call."),
        "not_asked": N_(
            "Only a web chat's or a WeChat follower's person is asked for a number; the line "
            "has this person's number: call them."
        ),
        "no_offer": N_("No call is offered in this conversation."),
    }
    fallback: ClassVar[str] = N_("Something went wrong. Please try again.")


@dataclass(frozen=True)
class Placement:
    """What the job hands the phone network: kept in memory only, never stored or logged."""

    dial_back_id: int
    to: str
    from_: str

    def __repr__(self) -> str:  # never the number, in a traceback or a log line
        return f"Placement(dial_back_id={self.dial_back_id})"


# --- asking for one ---------------------------------------------------------------------------


def _open_of(session: Session, user_id: int) -> DialBack | None:
    return session.exec(
        select(DialBack).where(
            DialBack.user_id == user_id,
            col(DialBack.status).in_([s.value for s in OPEN_STATUSES]),
        )
    ).first()


def _file(
    session: Session,
    *,
    user: User,
    kind: DialBackKind,
    line_id: int,
    now: datetime,
    follow_up_id: int | None = None,
    voicemail_id: int | None = None,
    escalation_id: int | None = None,
    conversation_id: int | None = None,
    number: str | None = None,
    chatting: bool = False,
) -> DialBack:
    """The dial-back, due now, its counselor held for it."""
    assert user.id is not None
    if not dialable(routing.endpoint_for(session=session, user=user)):
        raise DialBackError("no_phone", 409)  # neither a phone nor, this shift, the browser
    if _open_of(session, user.id) is not None:
        raise DialBackError("dialling", 409)
    try:
        prior_state, prior_reason = routing.reserve_for_dial_back(
            session=session, user_id=user.id, now=now, chatting=chatting
        )
    except RoutingError as error:
        raise DialBackError("busy", 409) from error
    dial = DialBack(
        kind=kind,
        line_id=line_id,
        user_id=user.id,
        requested_at=now,
        due_at=now,
        prior_state=prior_state,
        prior_reason=prior_reason,
        follow_up_id=follow_up_id,
        voicemail_id=voicemail_id,
        escalation_id=escalation_id,
        conversation_id=conversation_id,
        number=number,
    )
    session.add(dial)
    session.flush()
    emit(session, agent_topic(user.id))
    return dial


def for_follow_up(*, session: Session, follow_up_id: int, user: User, now: datetime) -> DialBack:
    """The follow-up's assignee, or anyone of its line while nobody holds it (it becomes theirs,
    as logging an attempt makes it), or a supervisor taking it over."""
    follow_up = followups.claim(session=session, follow_up_id=follow_up_id, user=user)
    assert follow_up.id is not None
    if followup_detail.callback_number(session=session, follow_up=follow_up) is None:
        raise DialBackError("no_number", 409)
    return _file(
        session,
        user=user,
        kind=DialBackKind.followup,
        line_id=follow_up.line_id,
        now=now,
        follow_up_id=follow_up.id,
    )


def for_voicemail(*, session: Session, voicemail_id: int, user: User, now: datetime) -> DialBack:
    """A callback request left in the voicemail queue: a counselor of its line, or a
    supervisor, while it waits."""
    voicemail = session.get(Voicemail, voicemail_id, with_for_update=True)
    if voicemail is None:
        raise DialBackError("not_found", 404)
    if not followups.covers(user, voicemail.line_id):
        raise DialBackError("forbidden", 403)
    if voicemail.handled_at is not None:
        raise DialBackError("handled", 409)
    if voicemail.callback_number is None:
        raise DialBackError("no_number", 409)
    assert voicemail.id is not None
    return _file(
        session,
        user=user,
        kind=DialBackKind.voicemail,
        line_id=voicemail.line_id,
        now=now,
        voicemail_id=voicemail.id,
    )


def may_call_escalation(user: User, escalation: Escalation) -> bool:
    """The crisis worker who acknowledged it, or a supervisor (as for revealing the number)."""
    return user.role == Role.supervisor or (
        user.id is not None and escalation.acknowledged_by == user.id
    )


def for_escalation(*, session: Session, escalation_id: int, user: User, now: datetime) -> DialBack:
    """The caller of a high or imminent escalation hung up: call them back as the line, on the
    number linkage keeps for it."""
    escalation = session.get(Escalation, escalation_id, with_for_update=True)
    if escalation is None:
        raise DialBackError("not_found", 404)
    if not may_call_escalation(user, escalation):
        raise DialBackError("forbidden", 403)
    if escalation.level not in linkage.KEEPING_LEVELS:
        raise DialBackError("not_high", 409)
    call = session.get(Call, escalation.call_id)
    assert call is not None
    gone = call.state in TERMINAL_STATES or call.state == CallState.wrap_up
    if not gone and escalations.caller_gone_at(session=session, call=call) is None:
        raise DialBackError("caller_on_line", 409)
    if linkage.kept(session=session, call_id=escalation.call_id) is None:
        raise DialBackError("no_number", 409)
    assert escalation.id is not None
    dial = _file(
        session,
        user=user,
        kind=DialBackKind.escalation,
        line_id=escalation.line_id,
        now=now,
        escalation_id=escalation.id,
    )
    escalations.record(session, escalation, "dial_back_requested", now, user_id=user.id)
    return dial


MOVED_TO_VOICE = "moved_to_voice"  # the conversation's end reason once the call is answered


def _live_conversation_of(session: Session, call_id: int, user: User) -> Call:
    """The live text conversation `user` holds (row-locked), or the reason it is not one."""
    call = session.get(Call, call_id, with_for_update=True)
    if call is None or not call.is_text:
        raise DialBackError("not_found", 404)
    if call.counselor_id is None or call.counselor_id != user.id:
        raise DialBackError("forbidden", 403)
    if call.state != CallState.connected:
        raise DialBackError("not_live", 409)
    return call


def _only_conversation(session: Session, call: Call, user: User) -> None:
    """A phone call takes all the counselor's attention: they hold no other conversation."""
    assert user.id is not None
    if any(
        other.id != call.id for other in routing.conversations_of(session=session, user_id=user.id)
    ):
        raise DialBackError("other_conversations", 409)


def for_conversation(
    *, session: Session, call_id: int, user: User, now: datetime, number: str | None = None
) -> DialBack:
    """A text conversation moves to voice: the person agreed (the counselor confirms it in the
    console; on web chat they typed their number, `number`), so the line calls them from its
    own number with the counselor who holds the conversation. SMS: the number the messages come
    from (never shown); WeChat has none; web chat only the one the person typed, kept encrypted
    on this dial-back alone."""
    call = _live_conversation_of(session, call_id, user)
    typed: str | None = None
    if number is not None:
        typed = phone.to_e164(number)
        if typed is None or len(typed) < 8:
            raise DialBackError("bad_number", 422)
    elif call.channel in ASKED:
        raise DialBackError("ask_number", 409)
    else:
        talk = session.get(Conversation, call_id)
        if talk is None or not talk.address:
            raise DialBackError("no_number", 409)
    _only_conversation(session, call, user)
    dial = _file(
        session,
        user=user,
        kind=DialBackKind.conversation,
        line_id=call.line_id,
        now=now,
        conversation_id=call_id,
        number=typed,
        chatting=True,
    )
    calls.record_event(
        session=session,
        call_id=call_id,
        state="dial_back_requested",
        now=now,
        user_id=user.id,
        detail=f"dial_back {dial.id}",
    )
    line = session.get(Line, call.line_id)
    assert line is not None
    conversations.say(
        session=session, call=call, body=words.calling_you(line, call.language), now=now
    )
    return dial


def offer_call(*, session: Session, call_id: int, user: User, now: datetime) -> Call:
    """The counselor of a web chat or a WeChat follower offers the person a call: the chat
    page, or a message in WeChat, asks for their number (`answer_offer`). Nothing is dialled
    until they give it; the same checks as the call itself are made now, so the person is not
    asked for nothing."""
    call = _live_conversation_of(session, call_id, user)
    if call.channel not in ASKED:
        raise DialBackError("not_asked", 409)
    _only_conversation(session, call, user)
    if not dialable(routing.endpoint_for(session=session, user=user)):
        raise DialBackError("no_phone", 409)
    talk = session.get(Conversation, call_id)
    line = session.get(Line, call.line_id)
    assert talk is not None and line is not None
    talk.call_offered_at = now
    session.add(talk)
    calls.record_event(
        session=session, call_id=call_id, state="call_offered", now=now, user_id=user.id
    )
    # The page learns of the offer with this message (its news say `call_offer`); a WeChat
    # follower is asked to reply with their number (`wechat.service` reads the reply).
    offered = words.call_offered if call.channel == Channel.webchat else words.call_offered_reply
    conversations.say(session=session, call=call, body=offered(line, call.language), now=now)
    return call


def call_offered(*, session: Session, call: Call) -> bool:
    """The person of this live web chat or WeChat conversation is being asked for a number."""
    if call.id is None or call.state != CallState.connected:
        return False
    talk = session.get(Conversation, call.id)
    return talk is not None and talk.call_offered_at is not None


def answer_offer(
    *, session: Session, call_id: int, number: str | None, now: datetime
) -> DialBack | None:
    """The person's answer on the chat page or in WeChat: their number (the line calls them
    now, with their counselor: `for_conversation`), or None (they go on writing). A number
    the line cannot call is refused (422) and the offer stands; any other refusal ends the
    offer."""
    call = session.get(Call, call_id, with_for_update=True)
    talk = session.get(Conversation, call_id)
    if call is None or talk is None or not call_offered(session=session, call=call):
        raise DialBackError("no_offer", 409)
    line = session.get(Line, call.line_id)
    assert line is not None
    talk.call_offered_at = None
    session.add(talk)
    if number is None:
        conversations.say(
            session=session, call=call, body=words.call_declined(line, call.language), now=now
        )
        return None
    counselor = session.get(User, call.counselor_id) if call.counselor_id is not None else None
    if counselor is None:
        raise DialBackError("not_live", 409)
    if phone.to_e164(number) is None:
        raise DialBackError("bad_number", 422)
    try:
        with session.begin_nested():
            return for_conversation(
                session=session, call_id=call_id, user=counselor, now=now, number=number
            )
    except DialBackError as error:
        if error.code == "bad_number":
            raise
    conversations.say(
        session=session, call=call, body=words.call_not_now(line, call.language), now=now
    )
    return None


def _conversation_answered(session: Session, dial: DialBack, call: Call, now: datetime) -> None:
    """The person took the call: the conversation ends into the call (its note is still
    written), and each records the other."""
    if dial.conversation_id is None:
        return
    talk = session.get(Call, dial.conversation_id)
    if talk is None:
        return
    assert call.id is not None and talk.id is not None
    calls.record_event(
        session=session,
        call_id=talk.id,
        state=MOVED_TO_VOICE,
        now=now,
        user_id=dial.user_id,
        detail=f"call {call.id}",
    )
    calls.record_event(
        session=session,
        call_id=call.id,
        state="from_conversation",
        now=now,
        user_id=dial.user_id,
        detail=f"conversation {talk.id}",
    )
    line = session.get(Line, talk.line_id)
    if talk.state == CallState.connected and line is not None:
        conversations.say(
            session=session, call=talk, body=words.moved_to_voice(line, talk.language), now=now
        )
    routing.person_left_text(session=session, call=talk, now=now, reason=MOVED_TO_VOICE)


def _conversation_missed(session: Session, dial: DialBack, now: datetime) -> None:
    """Nobody answered: the person is told, and the conversation goes on."""
    if dial.conversation_id is None:
        return
    talk = session.get(Call, dial.conversation_id)
    line = session.get(Line, talk.line_id) if talk is not None else None
    if talk is None or line is None or talk.state != CallState.connected:
        return
    conversations.say(
        session=session, call=talk, body=words.call_missed(line, talk.language), now=now
    )


def conversation_of(*, session: Session, call_id: int) -> int | None:
    """The conversation an outbound call came from (the link, for its note and case)."""
    return session.exec(
        select(DialBack.conversation_id).where(
            DialBack.call_id == call_id, col(DialBack.conversation_id).is_not(None)
        )
    ).first()


# --- placing them, paced ----------------------------------------------------------------------


def _take_pace(session: Session, now: datetime, interval_s: float) -> bool:
    """This instance's turn to place a call: compare-and-set on the one pacer row."""
    if session.get(DialPacer, 1) is None:
        try:
            with session.begin_nested():
                session.add(DialPacer(id=1, next_at=now))
        except IntegrityError:  # another instance made it first
            pass
    result = session.execute(
        update(DialPacer)
        .where(col(DialPacer.id) == 1, col(DialPacer.next_at) <= now)
        .values(next_at=now + timedelta(seconds=interval_s))
    )
    return bool(getattr(result, "rowcount", 0))


def number_of(*, session: Session, dial: DialBack) -> str | None:
    """The number to ring, decrypted from where it is kept (None: no longer there, or the item
    was closed meanwhile)."""
    raw: str | None = None
    if dial.follow_up_id is not None:
        follow_up = session.get(FollowUp, dial.follow_up_id)
        if follow_up is not None and follow_up.status == "scheduled":
            raw = followup_detail.callback_number(session=session, follow_up=follow_up)
    elif dial.voicemail_id is not None:
        voicemail = session.get(Voicemail, dial.voicemail_id)
        if voicemail is not None and voicemail.handled_at is None:
            raw = voicemail.callback_number
    elif dial.escalation_id is not None:
        escalation = session.get(Escalation, dial.escalation_id)
        kept = (
            linkage.kept(session=session, call_id=escalation.call_id)
            if escalation is not None
            else None
        )
        raw = kept.number if kept is not None else None
    elif dial.conversation_id is not None:
        talk = session.get(Conversation, dial.conversation_id)
        raw = dial.number or (talk.address if talk is not None else None)
    if not raw:
        return None
    return phone.to_e164(raw) or raw


def take_turn(*, session: Session, now: datetime, interval_s: float) -> Placement | None:
    """The oldest due dial-back, if the pace allows one now: marked dialling, with the number
    to ring. One a turn, whichever instance takes it."""
    dial = session.exec(
        select(DialBack)
        .where(DialBack.status == DialBackStatus.requested, col(DialBack.due_at) <= now)
        .order_by(col(DialBack.due_at), col(DialBack.id))
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if dial is None or not _take_pace(session, now, interval_s):
        return None
    assert dial.id is not None
    number = number_of(session=session, dial=dial)
    line = session.get(Line, dial.line_id)
    if number is None or line is None:
        _finish(session, dial, DialBackStatus.failed, now, expect=[DialBackStatus.requested])
        return None
    if not _move(
        session,
        dial,
        DialBackStatus.dialling,
        [DialBackStatus.requested],
        placed_at=now,
    ):
        return None
    return Placement(dial_back_id=dial.id, to=number, from_=line.number)


def placed(*, session: Session, dial_back_id: int, call_sid: str) -> None:
    """The phone network took the call: its CallSid (unless a callback brought it first)."""
    session.execute(
        update(DialBack)
        .where(col(DialBack.id) == dial_back_id, col(DialBack.call_sid).is_(None))
        .values(call_sid=call_sid)
    )


def place_failed(*, session: Session, dial_back_id: int, now: datetime) -> None:
    """The phone network refused the call."""
    dial = session.get(DialBack, dial_back_id)
    if dial is not None:
        _finish(session, dial, DialBackStatus.failed, now, expect=OPEN_STATUSES)


# --- what the phone network reports -----------------------------------------------------------


def _move(
    session: Session,
    dial: DialBack,
    to: DialBackStatus,
    expect: Any,
    **values: Any,
) -> bool:
    """Compare-and-set the dial-back's status; its counselor's console hears of it."""
    if to in FINAL_STATUSES or to == DialBackStatus.answered:
        values["number"] = None  # a typed number served this one call only
    result = session.execute(
        update(DialBack)
        .where(
            col(DialBack.id) == dial.id,
            col(DialBack.status).in_([DialBackStatus(s).value for s in expect]),
        )
        .values(status=to.value, **values)
    )
    if not getattr(result, "rowcount", 0):
        return False
    session.refresh(dial)
    emit(session, agent_topic(dial.user_id))
    return True


def _finish(
    session: Session, dial: DialBack, outcome: DialBackStatus, now: datetime, *, expect: Any
) -> bool:
    """Nobody was reached: the outcome on the follow-up (an unsuccessful attempt) or the
    escalation's log, and the counselor back to what they were."""
    if not _move(session, dial, outcome, expect, ended_at=now):
        return False
    assert dial.id is not None
    if dial.follow_up_id is not None:
        followups.line_attempt(
            session=session,
            follow_up_id=dial.follow_up_id,
            user_id=dial.user_id,
            outcome=ATTEMPT_OUTCOME.get(outcome, CallbackOutcome.no_answer),
            dial_back_id=dial.id,
            now=now,
        )
    _log_escalation(session, dial, f"dial_back_{outcome.value}", now)
    _conversation_missed(session, dial, now)
    routing.release_dial_back(
        session=session,
        user_id=dial.user_id,
        prior_state=dial.prior_state,
        prior_reason=dial.prior_reason,
        now=now,
    )
    return True


def _log_escalation(session: Session, dial: DialBack, kind: str, now: datetime) -> None:
    if dial.escalation_id is None:
        return
    escalation = session.get(Escalation, dial.escalation_id)
    if escalation is not None:
        escalations.record(session, escalation, kind, now, user_id=dial.user_id)


def progress(
    *, session: Session, dial_back_id: int, call_sid: str, call_status: str, now: datetime
) -> Effects:
    """One status callback of the outbound call, in any order, each applied at most once (a
    final status never moves again)."""
    dial = session.get(DialBack, dial_back_id, with_for_update=True)
    if dial is None or (dial.call_sid is not None and dial.call_sid != call_sid):
        return Effects()
    if dial.call_sid is None:
        dial.call_sid = call_sid
        session.flush()
    if call_status in ("queued", "initiated"):
        _move(session, dial, DialBackStatus.dialling, [DialBackStatus.requested])
    elif call_status == "ringing":
        _move(
            session,
            dial,
            DialBackStatus.ringing,
            [DialBackStatus.requested, DialBackStatus.dialling],
        )
    elif call_status in ENDED:
        if dial.call_id is None:
            _finish(session, dial, UNANSWERED[call_status], now, expect=OPEN_STATUSES)
            return Effects()
        # Answered: the person's call ends as an incoming caller's does (their hang-up).
        if _move(session, dial, DialBackStatus.completed, [DialBackStatus.answered], ended_at=now):
            _log_escalation(session, dial, "dial_back_completed", now)
        call = session.get(Call, dial.call_id)
        if call is not None:
            escalations.caller_left(session=session, call=call, now=now)
            return routing.caller_left(
                session=session, call=call, now=now, reason=routing.caller_end_reason(call_status)
            )
    return Effects()


@dataclass
class Answer:
    """What the answer webhook says: hang up (a machine, or nothing to connect), or the call
    to put into its conference with what routing must do."""

    call: Call | None
    line: Line | None
    effects: Effects


def answered(
    *,
    session: Session,
    dial_back_id: int,
    call_sid: str,
    number: str,
    caller_hash: str,
    answered_by: str,
    connect_timeout_s: int,
    now: datetime,
) -> Answer:
    """The person (or a machine) picked up. Their number (the one the network rang) is kept
    encrypted as an incoming caller's is, in case the call escalates (hotline/linkage/)."""
    dial = session.get(DialBack, dial_back_id, with_for_update=True)
    if dial is None or (dial.call_sid is not None and dial.call_sid != call_sid):
        return Answer(None, None, Effects())
    line = session.get(Line, dial.line_id)
    assert line is not None
    if dial.status == DialBackStatus.answered and dial.call_id is not None:
        return Answer(session.get(Call, dial.call_id), line, Effects())  # a repeated fetch
    if dial.status in FINAL_STATUSES:
        return Answer(None, line, Effects())
    if answered_by.startswith("machine") or answered_by == "fax":
        _finish(session, dial, DialBackStatus.machine, now, expect=OPEN_STATUSES)
        return Answer(None, line, Effects())
    call = calls.start_outbound(
        session=session,
        line=line,
        call_sid=call_sid,
        caller_hash=caller_hash,
        max_wait_s=line.max_queue_wait_s,
        now=now,
    )
    assert call.id is not None
    if number:
        linkage.capture(session=session, call=call, number=number, location={}, now=now)
    if not _move(
        session,
        dial,
        DialBackStatus.answered,
        OPEN_STATUSES,
        call_sid=call_sid,
        call_id=call.id,
        answered_at=now,
    ):
        return Answer(None, line, Effects())
    _log_escalation(session, dial, "dial_back_answered", now)
    _conversation_answered(session, dial, call, now)
    effects = routing.dial_back_answered(
        session=session,
        call=call,
        user_id=dial.user_id,
        now=now,
        connect_timeout_s=connect_timeout_s,
    )
    return Answer(call, line, effects)


# --- reading ----------------------------------------------------------------------------------


def get(*, session: Session, dial_back_id: int, user: User) -> DialBack:
    """Whoever asked for it, and supervisors."""
    dial = session.get(DialBack, dial_back_id)
    if dial is None:
        raise DialBackError("not_found", 404)
    if dial.user_id != user.id and user.role not in SUPERVISING:
        raise DialBackError("forbidden", 403)
    return dial


def shown_state(*, session: Session, dial: DialBack) -> str:
    """What the counselor sees: requested, dialling, ringing, connecting (answered, their phone
    being put through), connected, ended, or how it failed (no_answer, busy, failed, machine,
    canceled)."""
    if dial.status == DialBackStatus.answered and dial.call_id is not None:
        call = session.get(Call, dial.call_id)
        if call is not None and call.state == CallState.connected:
            return "connected"
        if call is not None and call.state in (CallState.wrap_up, *TERMINAL_STATES):
            return "ended"
        return "connecting"
    if dial.status == DialBackStatus.completed:
        return "ended"
    return dial.status.value


def latest_for(
    *, session: Session, user: User, kind: DialBackKind, item_id: int
) -> DialBack | None:
    """The user's latest dial-back for a follow-up, voicemail or escalation (the page's state)."""
    column = {
        DialBackKind.followup: DialBack.follow_up_id,
        DialBackKind.voicemail: DialBack.voicemail_id,
        DialBackKind.escalation: DialBack.escalation_id,
        DialBackKind.conversation: DialBack.conversation_id,
    }[kind]
    return session.exec(
        select(DialBack)
        .where(col(column) == item_id, DialBack.user_id == user.id)
        .order_by(col(DialBack.id).desc())
    ).first()
