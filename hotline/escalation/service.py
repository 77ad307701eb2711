"""The escalation path: from a high-risk call to a human on the crisis team, never silently.

Due times live in the database (`next_step_at`); the dispatcher's tick runs `run_due` on every
instance and `FOR UPDATE SKIP LOCKED` plus the transaction make each step fire once. Pages go to
an outbox table and are sent after the commit, so a crash loses none: a page left "sending" is
claimed again after a lease. When every step and repeat has run without an acknowledgement the
supervisor on duty is alarmed and the escalation stays open until a person resolves it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from hotline.auth.models import Role, User
from hotline.calls import service as calls
from hotline.calls.models import TEXT_CHANNELS, Call
from hotline.errors import DomainError
from hotline.escalation.models import (
    EMERGENCY_SERVICES,
    OPEN_STATUSES,
    Channel,
    Escalation,
    EscalationLog,
    EscalationPolicy,
    EscalationStatus,
    Page,
    PageStatus,
    RescueStage,
    RescueStep,
)
from hotline.escalation.models import RESPONDERS as RESPONDERS  # (the rota needs it too)
from hotline.i18n import N_, Gettext
from hotline.lines.models import Line
from hotline.linkage import service as linkage
from hotline.realtime.events import BOARD_TOPIC, SUPERVISORS_TOPIC, agent_topic, emit
from hotline.risk.triage import RiskLevel, is_lower
from hotline.rota import service as rota

log = logging.getLogger(__name__)
ESCALATIONS_TOPIC = "escalations"
PAGE_LEASE = timedelta(seconds=60)
MAX_PAGE_ATTEMPTS = 3
OUTCOMES = ("safe_plan", "emergency_services", "referred", "caller_disconnected", "other")
ACKNOWLEDGED = (
    EscalationStatus.acknowledged,
    EscalationStatus.joined,
    EscalationStatus.took_over,
    EscalationStatus.called_back,
)
# The responder is with the caller: a counselor leaving must neither end nor requeue the call.
RESPONDER_WITH_CALLER = (EscalationStatus.joined, EscalationStatus.took_over)
# Which rescue stage may follow which; "failed" needs a note of what was done next.
RESCUE_NEXT: dict[str | None, tuple[RescueStage, ...]] = {
    None: (RescueStage.requested,),
    RescueStage.requested: (RescueStage.dispatched, RescueStage.failed),
    RescueStage.dispatched: (RescueStage.confirmed, RescueStage.failed),
    RescueStage.failed: (RescueStage.requested,),
    RescueStage.confirmed: (),
}
# A call's end reason when its counselor left it to the responder (hotline.routing.service).
HANDED_TO_RESPONDER = "handed_to_responder"
CALLER_LEFT = "caller_left"

# Used when a line has no policy of its own: the crisis on-call, then the supervisor on duty.
DEFAULT_POLICY: dict[str, Any] = {
    "name": "default",
    "repeat": 3,
    "steps": [
        {
            "targets": [{"kind": "crisis_on_call"}],
            "channels": ["console", "sms", "voice"],
            "wait_minutes": 3,
        },
        {
            "targets": [{"kind": "crisis_on_call"}, {"kind": "supervisor_on_duty"}],
            "channels": ["console", "sms", "voice"],
            "wait_minutes": 3,
        },
    ],
}


class EscalationError(DomainError):
    """A step of an escalation refused. `caller_gone` carries when the caller's call ended; the
    API adds the line's time zone and how the caller can be called back (`caller_gone_details`),
    and the answer then says both (never the number)."""

    messages: ClassVar[Mapping[str, str]] = {
        "not_found": N_("There is no such escalation."),
        "already_acknowledged": N_("Someone else has already acknowledged this escalation."),
        "resolved": N_("This escalation is already resolved."),
        "acknowledge_first": N_("Acknowledge the escalation before joining the call."),
        "join_first": N_("Join the call before taking it over."),
        "rescue_order": N_("That rescue step does not follow the last one recorded."),
        "rescue_note_needed": N_("Say what was done next when the rescue failed."),
        "rescue_service": N_("Choose 110, 120 or 119, or no emergency service."),
        "bad_outcome": N_("Choose one of the listed outcomes."),
        "forbidden": N_("You are not allowed to do this."),
        "caller_gone": N_("The caller has hung up: there is no call to join."),
        "text_in_console": N_(
            "This is a text conversation: open the console to join it and write to the person."
        ),
    }
    fallback: ClassVar[str] = N_("Something went wrong. Please try again.")

    def __init__(
        self,
        code: str,
        status: int | None = None,
        *,
        call_id: int | None = None,
        call_ended_at: datetime | None = None,
    ) -> None:
        super().__init__(code, status)
        self.call_id = call_id
        self.call_ended_at = call_ended_at
        # Set by `caller_gone_details`: the line's time zone, and how to call the caller back.
        self.timezone: str | None = None
        self.call_back: str | None = None

    def body(self, _: Gettext) -> dict[str, Any]:
        body = super().body(_)
        if self.call_ended_at is None or self.timezone is None:
            return body
        ended = _("The call ended at %(time)s.") % {
            "time": local_time(self.call_ended_at, self.timezone)
        }
        body["detail"] = " ".join([body["detail"], ended, call_back_text(_, self.call_back)])
        body["call_ended_at"] = self.call_ended_at.isoformat()
        body["call_back"] = self.call_back
        return body


def caller_gone_details(
    *, session: Session, error: EscalationError, call_back: Callable[[int], str | None]
) -> None:
    """A refusal because the caller hung up: add when (on the line's clock) and how to call them
    back (`call_back(call_id)`: "followup", "callback_number" or None) to what it says."""
    if error.call_ended_at is None or error.call_id is None:
        return
    call = session.get(Call, error.call_id)
    line = session.get(Line, call.line_id) if call else None
    error.timezone = line.timezone if line else "UTC"
    error.call_back = call_back(error.call_id)


def call_back_text(_: Gettext, way: str | None) -> str:
    """Says how the caller can be called back, never the number itself."""
    if way == "followup":
        return _(
            "A follow-up call is scheduled for this caller: call them back from the follow-up list."
        )
    if way == "callback_number":
        return _(
            "The counselor's note has a number to call the caller back: ask the counselor "
            "or a supervisor."
        )
    return _("The caller left no number to call them back.")


def record(
    session: Session,
    escalation: Escalation,
    kind: str,
    now: datetime,
    *,
    user_id: int | None = None,
    channel: str | None = None,
    detail: str | None = None,
) -> None:
    assert escalation.id is not None
    session.add(
        EscalationLog(
            escalation_id=escalation.id,
            at=now,
            kind=kind,
            user_id=user_id,
            channel=channel,
            detail=detail,
        )
    )
    emit(session, f"escalation.{escalation.id}")
    emit(session, BOARD_TOPIC)


def _policy_for(session: Session, line: Line) -> dict[str, Any]:
    if line.escalation_policy_id is not None:
        policy = session.get(EscalationPolicy, line.escalation_policy_id)
        if policy is not None and policy.steps:
            return {"name": policy.name, "repeat": policy.repeat, "steps": policy.steps}
    return DEFAULT_POLICY


def trigger(
    *,
    session: Session,
    call: Call,
    level: str,
    reason: str | None,
    user_id: int | None,
    now: datetime,
) -> Escalation:
    """Start paging for this call at once, or raise the level of its open escalation."""
    assert call.id is not None
    existing = session.exec(
        select(Escalation).where(Escalation.call_id == call.id).with_for_update()
    ).first()
    if call.counselor_id is not None:
        emit(session, agent_topic(call.counselor_id))  # their live call shows the escalation
    # The caller's number is kept for the escalation's life (docs/domain.md 12).
    linkage.hold(session=session, call_id=call.id, level=level)
    if existing is not None:
        if is_lower(RiskLevel(existing.level), RiskLevel(level)):
            existing.level = level
            record(session, existing, "level_raised", now, user_id=user_id, detail=level)
            if level == RiskLevel.IMMINENT and existing.status != EscalationStatus.resolved:
                _alert_supervisor_of_imminent(session, existing, now)
            if existing.status == EscalationStatus.paging:
                existing.next_step_at = now  # page the next step now, don't wait
        return existing
    line = session.get(Line, call.line_id)
    assert line is not None
    escalation = Escalation(
        call_id=call.id,
        line_id=call.line_id,
        level=level,
        reason=reason,
        triggered_by=user_id,
        policy=_policy_for(session, line),
        next_step_at=now,
        created_at=now,
    )
    session.add(escalation)
    session.flush()
    # The log says on which channel the person is (a text has no conference to join).
    record(
        session,
        escalation,
        "triggered",
        now,
        user_id=user_id,
        channel=call.channel.value,
        detail=level,
    )
    if level == RiskLevel.IMMINENT:
        _alert_supervisor_of_imminent(session, escalation, now)
    calls.record_event(
        session=session, call_id=call.id, state="escalated", now=now, user_id=user_id, detail=level
    )
    emit(session, ESCALATIONS_TOPIC, {"escalation_id": escalation.id, "level": level})
    emit(session, SUPERVISORS_TOPIC, {"escalation_id": escalation.id})
    return escalation


TARGET_KINDS = ("schedule", "user", "crisis_on_call", "supervisor_on_duty")
# Why a person on a step's list is not paged (the escalation log's detail for "page_skipped").
SKIP_DISABLED = "account_disabled"
SKIP_ROLE = "role_cannot_acknowledge"


def target_people(*, session: Session, target: dict[str, Any], now: datetime) -> list[int]:
    """Who one target names at `now`, before any check of their account (an unknown kind or
    schedule names nobody)."""
    kind = target.get("kind")
    if kind == "user":
        return [int(target["id"])]
    if kind == "schedule":
        return rota.on_call(session=session, schedule_id=int(target["id"]), at=now)
    if kind == "crisis_on_call":
        return rota.crisis_on_call(session=session, at=now)
    if kind == "supervisor_on_duty":
        return rota.supervisor_on_duty(session=session, at=now)
    return []


def _candidates(session: Session, targets: Iterable[dict[str, Any]], now: datetime) -> list[int]:
    people: list[int] = []
    for target in targets:
        found = target_people(session=session, target=target, now=now)
        people += [p for p in found if p not in people]
    return people


def skip_reason(user: User | None) -> str | None:
    """Why a page to this person would reach nobody (None: they can be paged). A disabled account
    cannot sign in, and a role outside RESPONDERS is refused the acknowledgement."""
    if user is None or not user.active:
        return SKIP_DISABLED
    if user.role not in RESPONDERS:
        return SKIP_ROLE
    return None


def reachable(session: Session, people: Iterable[int]) -> tuple[list[int], list[tuple[int, str]]]:
    """Split `people` into those who can be paged and (who, why) those who cannot."""
    paged: list[int] = []
    skipped: list[tuple[int, str]] = []
    for user_id in people:
        reason = skip_reason(session.get(User, user_id))
        if reason is None:
            paged.append(user_id)
        else:
            skipped.append((user_id, reason))
    return paged, skipped


def resolve_step(
    *, session: Session, targets: Iterable[dict[str, Any]], now: datetime
) -> tuple[list[int], list[tuple[int, str]]]:
    """A step's people who can be paged, and (who, why) those skipped."""
    return reachable(session, _candidates(session, targets, now))


def resolve_targets(
    *, session: Session, targets: Iterable[dict[str, Any]], now: datetime
) -> list[int]:
    """A step's people who can be paged (disabled accounts and non-responders left out)."""
    return resolve_step(session=session, targets=targets, now=now)[0]


def _record_skipped(
    session: Session, escalation: Escalation, skipped: list[tuple[int, str]], now: datetime
) -> None:
    for user_id, reason in skipped:
        record(session, escalation, "page_skipped", now, user_id=user_id, detail=reason)


def _queue_pages(
    session: Session,
    escalation: Escalation,
    users: list[int],
    channels: Iterable[str],
    now: datetime,
    *,
    alarm: bool = False,
) -> None:
    assert escalation.id is not None
    for user_id in users:
        for channel in channels:
            page = Page(
                escalation_id=escalation.id,
                user_id=user_id,
                channel=Channel(channel),
                created_at=now,
                alarm=alarm,
            )
            if page.channel == Channel.console:
                # The console alert is the snapshot itself: it is "sent" by this commit.
                page.status = PageStatus.sent
                page.sent_at = now
                emit(session, agent_topic(user_id), {"alert": escalation.id})
            session.add(page)
            record(
                session,
                escalation,
                "alarm_page" if alarm else "page",
                now,
                user_id=user_id,
                channel=channel,
                detail=page.status.value,
            )


def run_due(*, session: Session, now: datetime) -> int:
    """Fire every step that is due (once, across instances). Returns how many ran."""
    due = session.exec(
        select(Escalation)
        .where(Escalation.status == EscalationStatus.paging, col(Escalation.next_step_at) <= now)
        .order_by(col(Escalation.next_step_at))
        .limit(20)
        .with_for_update(skip_locked=True)
    ).all()
    for escalation in due:
        _run_step(session, escalation, now)
    return len(due)


def _run_step(session: Session, escalation: Escalation, now: datetime) -> None:
    """Page the next step that reaches someone. A step that reaches nobody is logged and the
    following one runs at once: waiting on it would look like a page while nobody is paged.
    When no step is left, the supervisors are alarmed."""
    steps: list[dict[str, Any]] = escalation.policy.get("steps") or DEFAULT_POLICY["steps"]
    total = int(escalation.policy.get("repeat", 1)) * len(steps)
    empty = 0
    while escalation.attempt < total and empty < len(steps):  # a whole round empty: alarm now
        step = steps[escalation.attempt % len(steps)]
        users, skipped = resolve_step(session=session, targets=step.get("targets", []), now=now)
        _record_skipped(session, escalation, skipped, now)
        escalation.attempt += 1
        if users:
            _queue_pages(session, escalation, users, step.get("channels", ["console"]), now)
            escalation.next_step_at = now + timedelta(minutes=float(step.get("wait_minutes", 5)))
            return
        record(
            session,
            escalation,
            "nobody_on_call",
            now,
            detail=f"step {(escalation.attempt - 1) % len(steps) + 1}",
        )
        empty += 1
    _alarm(session, escalation, now)


def _supervisors(session: Session, escalation: Escalation, now: datetime) -> list[int]:
    supervisors, skipped = reachable(session, rota.supervisor_on_duty(session=session, at=now))
    _record_skipped(session, escalation, skipped, now)
    if not supervisors:  # nobody rostered: every supervisor account is better than no one
        supervisors = [
            u.id
            for u in session.exec(
                select(User).where(User.role == Role.supervisor, col(User.active))
            )
            if u.id is not None
        ]
    return supervisors


def _alert_supervisor_of_imminent(session: Session, escalation: Escalation, now: datetime) -> None:
    """Imminent danger: the supervisor on duty knows at once, besides the crisis team's paging."""
    supervisors = _supervisors(session, escalation, now)
    record(session, escalation, "supervisor_alerted", now, detail=f"{len(supervisors)}")
    _queue_pages(session, escalation, supervisors, ["console", "sms"], now)


def _alarm(session: Session, escalation: Escalation, now: datetime) -> None:
    """Nobody acknowledged: the supervisor on duty must know, and it stays open."""
    escalation.status = EscalationStatus.unacknowledged
    escalation.alarm_at = now
    escalation.next_step_at = None
    supervisors = _supervisors(session, escalation, now)
    record(session, escalation, "alarm", now, detail=f"{len(supervisors)} supervisor(s)")
    _queue_pages(session, escalation, supervisors, ["console", "sms", "voice"], now, alarm=True)
    emit(session, SUPERVISORS_TOPIC, {"escalation_id": escalation.id, "alarm": True})
    log.error("escalation %s: nobody acknowledged; supervisors alarmed", escalation.id)


def _open(session: Session, escalation_id: int) -> Escalation:
    escalation = session.get(Escalation, escalation_id, with_for_update=True)
    if escalation is None:
        raise EscalationError("not_found", 404)
    return escalation


def acknowledge(
    *, session: Session, escalation_id: int, user: User, now: datetime, channel: str
) -> Escalation:
    escalation = _open(session, escalation_id)
    if escalation.status in ACKNOWLEDGED:
        if escalation.acknowledged_by == user.id:
            return escalation  # a repeated acknowledgement
        raise EscalationError("already_acknowledged")
    if escalation.status == EscalationStatus.resolved:
        raise EscalationError("resolved")
    escalation.status = EscalationStatus.acknowledged
    escalation.acknowledged_by = user.id
    escalation.acknowledged_at = now
    escalation.next_step_at = None
    for page in session.exec(
        select(Page).where(Page.escalation_id == escalation_id, Page.user_id == user.id)
    ):
        if page.status in (PageStatus.sent, PageStatus.queued, PageStatus.sending):
            page.status = PageStatus.answered
    record(session, escalation, "acknowledged", now, user_id=user.id, channel=channel)
    _notify_everyone_paged(session, escalation)
    return escalation


def paging_calls_to_end(
    *, session: Session, escalation_id: int, keep: str | None = None
) -> list[str]:
    """Once someone has acknowledged, every paging call of the escalation stops ringing or
    talking, but `keep` (the call on which they pressed 1)."""
    sids = session.exec(
        select(Page.provider_sid).where(
            Page.escalation_id == escalation_id,
            Page.channel == Channel.voice,
            col(Page.provider_sid).is_not(None),
        )
    ).all()
    return [sid for sid in sids if sid and sid != keep]


def _notify_everyone_paged(session: Session, escalation: Escalation) -> None:
    paged = set(session.exec(select(Page.user_id).where(Page.escalation_id == escalation.id)))
    for user_id in paged:
        emit(session, agent_topic(user_id))


def _gone_at(call: Call, logged: datetime | None) -> datetime | None:
    # A call handed to a responder ended for its counselor only: the caller's end is logged.
    return logged if call.end_reason == HANDED_TO_RESPONDER else call.ended_at


def caller_gone_at(*, session: Session, call: Call) -> datetime | None:
    """When the caller's call ended, or None while they may still be on the line."""
    logged = session.exec(
        select(EscalationLog.at)
        .join(Escalation, col(Escalation.id) == EscalationLog.escalation_id)
        .where(Escalation.call_id == call.id, EscalationLog.kind == CALLER_LEFT)
        .order_by(col(EscalationLog.id))
    ).first()
    return _gone_at(call, logged)


def calls_ended(
    *, session: Session, escalations: Iterable[Escalation]
) -> dict[int, datetime | None]:
    """caller_gone_at for many escalations (by escalation id) in two queries."""
    by_call = {e.call_id: e.id for e in escalations if e.id is not None}
    if not by_call:
        return {}
    found = session.exec(select(Call).where(col(Call.id).in_(list(by_call)))).all()
    logged: dict[int, datetime] = {}
    for escalation_id, at in session.exec(
        select(EscalationLog.escalation_id, EscalationLog.at)
        .where(
            col(EscalationLog.escalation_id).in_(list(by_call.values())),
            EscalationLog.kind == CALLER_LEFT,
        )
        .order_by(col(EscalationLog.id).desc())
    ):
        logged[escalation_id] = at
    ended: dict[int, datetime | None] = {}
    for call in found:
        escalation_id = by_call[call.id or 0]
        assert escalation_id is not None
        ended[escalation_id] = _gone_at(call, logged.get(escalation_id))
    return ended


def local_time(at: datetime, timezone: str) -> str:
    """hh:mm on the line's clock, as people on that line read it."""
    return at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def call_end(ended: datetime | None, line: Line) -> dict[str, str | None]:
    """When the escalated call ended, for the console and the board (None: still on)."""
    return {
        "call_ended_at": ended.isoformat() if ended else None,
        "call_ended_time": local_time(ended, line.timezone) if ended else None,
    }


def caller_left(*, session: Session, call: Call, now: datetime) -> None:
    """The caller's leg or conference ended: an escalation of the call logs it, once."""
    escalation = session.exec(select(Escalation).where(Escalation.call_id == call.id)).first()
    if escalation is None or escalation.id is None:
        return
    logged = session.exec(
        select(EscalationLog.id).where(
            EscalationLog.escalation_id == escalation.id, EscalationLog.kind == CALLER_LEFT
        )
    ).first()
    if logged is None:
        record(session, escalation, CALLER_LEFT, now)
        _notify_everyone_paged(session, escalation)


def request_join(
    *,
    session: Session,
    escalation_id: int,
    user: User,
    now: datetime,
    channel: str = "console",
    text_ok: bool = False,
) -> tuple[Escalation, Call]:
    """The responder who acknowledged asks to join. A text conversation has no conference: it
    is joined from the console only (`text_ok`), where they read and write
    (`responder_joined`, no phone leg)."""
    escalation = _open(session, escalation_id)
    if escalation.acknowledged_by != user.id:
        raise EscalationError("acknowledge_first")
    call = session.get(Call, escalation.call_id)
    assert call is not None
    if call.is_text and not text_ok:
        raise EscalationError("text_in_console", 409)
    ended_at = caller_gone_at(session=session, call=call)
    if ended_at is not None:  # dialling in would only open a fresh, empty conference
        raise EscalationError("caller_gone", call_id=call.id, call_ended_at=ended_at)
    record(session, escalation, "join_requested", now, user_id=user.id, channel=channel)
    return escalation, call


def responder_joined(*, session: Session, call: Call, user_id: int, now: datetime) -> bool:
    """A responder's leg is in the caller's conference. False when the caller had already gone
    (a join that raced the hang-up): that conference is the responder alone, to be ended."""
    escalation = session.exec(
        select(Escalation).where(Escalation.call_id == call.id).with_for_update()
    ).first()
    if caller_gone_at(session=session, call=call) is not None:
        if escalation is not None:
            record(session, escalation, "join_too_late", now, user_id=user_id)
            _notify_everyone_paged(session, escalation)
        return False
    if escalation is None or escalation.status != EscalationStatus.acknowledged:
        return True  # already joined or took over, or resolved: nothing changes
    escalation.status = EscalationStatus.joined
    escalation.joined_at = now
    # The log's channel is how a page reached someone; a text's join says it was a text.
    joined_by = call.channel.value if call.is_text else None
    record(session, escalation, "joined", now, user_id=user_id, channel=joined_by)
    _notify_everyone_paged(session, escalation)
    if call.counselor_id is not None:
        emit(session, agent_topic(call.counselor_id))
    return True


def responder_with_caller(*, session: Session, call_id: int) -> bool:
    """A crisis responder is in the caller's conference (joined, or took the call over)."""
    status = session.exec(select(Escalation.status).where(Escalation.call_id == call_id)).first()
    return status in RESPONDER_WITH_CALLER


def responder_of(*, session: Session, call_id: int) -> int | None:
    """The crisis worker with the person of this call (joined, or took it over), or None."""
    row = session.exec(
        select(Escalation.acknowledged_by, Escalation.status).where(Escalation.call_id == call_id)
    ).first()
    if row is None or row[1] not in RESPONDER_WITH_CALLER:
        return None
    return row[0]


def joined_texts(*, session: Session, user_id: int) -> list[tuple[Escalation, Call]]:
    """The text conversations this crisis worker joined, escalation still open, oldest first."""
    rows = session.exec(
        select(Escalation, Call)
        .join(Call, col(Call.id) == Escalation.call_id)
        .where(
            Escalation.acknowledged_by == user_id,
            col(Escalation.status).in_([s.value for s in RESPONDER_WITH_CALLER]),
            col(Call.channel).in_([c.value for c in TEXT_CHANNELS]),
        )
        .order_by(col(Escalation.joined_at), col(Escalation.id))
    ).all()
    return [(escalation, call) for escalation, call in rows]


def take_over(
    *, session: Session, escalation_id: int, user: User, now: datetime
) -> tuple[Escalation, Call]:
    """The responder who joined keeps the caller; the counselor is released from the call."""
    escalation = _open(session, escalation_id)
    if escalation.acknowledged_by != user.id:
        raise EscalationError("acknowledge_first")
    if escalation.status not in (EscalationStatus.joined, EscalationStatus.took_over):
        raise EscalationError("join_first")
    if escalation.status == EscalationStatus.joined:
        escalation.status = EscalationStatus.took_over
        record(session, escalation, "took_over", now, user_id=user.id)
        _notify_everyone_paged(session, escalation)
    call = session.get(Call, escalation.call_id)
    assert call is not None
    return escalation, call


def called_back(*, session: Session, escalation_id: int, user: User, now: datetime) -> Escalation:
    """The caller was no longer on the line and the responder reached them by calling back."""
    escalation = _open(session, escalation_id)
    if escalation.acknowledged_by != user.id:
        raise EscalationError("acknowledge_first")
    if escalation.status == EscalationStatus.resolved:
        raise EscalationError("resolved")
    if escalation.status != EscalationStatus.called_back:
        escalation.status = EscalationStatus.called_back
        record(session, escalation, "called_back", now, user_id=user.id)
        _notify_everyone_paged(session, escalation)
    return escalation


def may_act_on_rescue(*, session: Session, escalation: Escalation, user: User) -> bool:
    """The call's counselor (who often phones 110/120 while keeping the caller on the line),
    the responder who acknowledged, and supervisors."""
    if user.role in (Role.supervisor, Role.admin) or escalation.acknowledged_by == user.id:
        return True
    call = session.get(Call, escalation.call_id)
    return call is not None and call.counselor_id == user.id


def rescue(
    *,
    session: Session,
    escalation_id: int,
    user: User,
    stage: RescueStage,
    note: str | None,
    now: datetime,
    service: str | None = None,
) -> Escalation:
    """Record the next stage of an emergency-services rescue, in order, with its time, and
    which emergency service (110, 120, 119) the person called, if they called one."""
    escalation = _open(session, escalation_id)
    if not may_act_on_rescue(session=session, escalation=escalation, user=user):
        raise EscalationError("forbidden", 403)
    if escalation.status == EscalationStatus.resolved:
        raise EscalationError("resolved")
    if stage not in RESCUE_NEXT[escalation.rescue_status]:
        raise EscalationError("rescue_order")
    if stage == RescueStage.failed and not (note and note.strip()):
        raise EscalationError("rescue_note_needed", 422)
    if service is not None and service not in EMERGENCY_SERVICES:
        raise EscalationError("rescue_service", 422)
    assert escalation.id is not None and user.id is not None
    escalation.rescue_status = stage.value
    session.add(
        RescueStep(
            escalation_id=escalation.id,
            stage=stage,
            at=now,
            user_id=user.id,
            service=service,
            note=note.strip() if note and note.strip() else None,
        )
    )
    record(session, escalation, f"rescue_{stage.value}", now, user_id=user.id, detail=service)
    emit(session, SUPERVISORS_TOPIC, {"escalation_id": escalation.id, "rescue": stage.value})
    _notify_everyone_paged(session, escalation)
    call = session.get(Call, escalation.call_id)
    if call is not None and call.counselor_id is not None:
        emit(session, agent_topic(call.counselor_id))
    return escalation


def rescue_steps(*, session: Session, escalation_id: int) -> list[RescueStep]:
    return list(
        session.exec(
            select(RescueStep)
            .where(RescueStep.escalation_id == escalation_id)
            .order_by(col(RescueStep.id))
        )
    )


def for_call(*, session: Session, call_id: int) -> dict[str, Any] | None:
    """The escalation of a call as its counselor's console shows it, or None."""
    escalation = session.exec(select(Escalation).where(Escalation.call_id == call_id)).first()
    if escalation is None:
        return None
    return {
        "escalation_id": escalation.id,
        "level": escalation.level,
        "status": escalation.status.value,
        "rescue_status": escalation.rescue_status,
    }


def resolve(
    *, session: Session, escalation_id: int, user: User, outcome: str, now: datetime
) -> Escalation:
    if outcome not in OUTCOMES:
        raise EscalationError("bad_outcome", 422)
    escalation = _open(session, escalation_id)
    if escalation.status == EscalationStatus.resolved:
        return escalation
    escalation.status = EscalationStatus.resolved
    escalation.resolved_by = user.id
    escalation.resolved_at = now
    escalation.outcome = outcome
    escalation.next_step_at = None
    record(session, escalation, "resolved", now, user_id=user.id, detail=outcome)
    _notify_everyone_paged(session, escalation)
    return escalation


# --- the outbox ---------------------------------------------------------------------------------


def claim_pages(*, session: Session, now: datetime, limit: int = 20) -> list[int]:
    """Pages to send now: queued ones, and ones whose sender died mid-send (lease expired)."""
    pages = session.exec(
        select(Page)
        .where(
            or_(
                col(Page.status) == PageStatus.queued.value,
                and_(
                    col(Page.status) == PageStatus.sending.value,
                    col(Page.sending_at) <= now - PAGE_LEASE,
                ),
            )
        )
        .order_by(col(Page.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for page in pages:
        page.status = PageStatus.sending
        page.sending_at = now
        page.attempts += 1
    return [page.id for page in pages if page.id is not None]


def _page_and_escalation(session: Session, page_id: int) -> tuple[Page, Escalation] | None:
    """A page and its escalation, locked in the order `acknowledge` takes them (the escalation,
    then its pages): taken the other way round, PostgreSQL found the two deadlocked."""
    escalation_id = session.exec(select(Page.escalation_id).where(Page.id == page_id)).first()
    if escalation_id is None:
        return None
    escalation = session.get(Escalation, escalation_id, with_for_update=True)
    page = session.get(Page, page_id, with_for_update=True, populate_existing=True)
    if escalation is None or page is None:
        return None
    return page, escalation


def page_sent(*, session: Session, page_id: int, provider_sid: str | None, now: datetime) -> bool:
    """Record a page handed to the provider. False when someone acknowledged meanwhile: a paging
    call placed then is to be ended at once."""
    locked = _page_and_escalation(session, page_id)
    if locked is None or locked[0].status != PageStatus.sending:
        return True
    page, escalation = locked
    page.status = PageStatus.sent
    page.provider_sid = provider_sid
    page.sent_at = now
    record(
        session,
        escalation,
        "page_sent",
        now,
        user_id=page.user_id,
        channel=page.channel.value,
        detail=provider_sid,
    )
    return escalation.status in (EscalationStatus.paging, EscalationStatus.unacknowledged)


def page_failed(*, session: Session, page_id: int, error: str, now: datetime) -> None:
    """A page that could not go out is retried, then logged as failed: never silently lost."""
    locked = _page_and_escalation(session, page_id)
    if locked is None or locked[0].status != PageStatus.sending:
        return
    page, escalation = locked
    if page.attempts < MAX_PAGE_ATTEMPTS:
        page.status = PageStatus.queued
        record(
            session,
            escalation,
            "page_retry",
            now,
            user_id=page.user_id,
            channel=page.channel.value,
            detail=error[:200],
        )
        return
    page.status = PageStatus.failed
    page.error = error[:300]
    record(
        session,
        escalation,
        "page_failed",
        now,
        user_id=page.user_id,
        channel=page.channel.value,
        detail=error[:200],
    )
    emit(session, SUPERVISORS_TOPIC, {"escalation_id": escalation.id, "page_failed": page.id})


def open_page_for_number(*, session: Session, number: str) -> tuple[Page, User] | None:
    """The newest unanswered page to the person whose phone is `number` (SMS replies)."""
    row = session.exec(
        select(Page, User)
        .join(User, col(User.id) == Page.user_id)
        .join(Escalation, col(Escalation.id) == Page.escalation_id)
        .where(
            User.endpoint == number, col(Escalation.status).in_([s.value for s in OPEN_STATUSES])
        )
        .order_by(col(Page.id).desc())
    ).first()
    return (row[0], row[1]) if row else None


# --- what people see ----------------------------------------------------------------------------


def alerts_for(*, session: Session, user_id: int) -> list[dict[str, Any]]:
    """Open escalations this person was paged for (their console's alert list)."""
    rows = session.exec(
        select(Escalation, Line, Call.channel)
        .join(Line, col(Line.id) == Escalation.line_id)
        .join(Call, col(Call.id) == Escalation.call_id)
        .where(
            col(Escalation.id).in_(select(Page.escalation_id).where(Page.user_id == user_id)),
            col(Escalation.status).in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(col(Escalation.id))
    ).all()
    ended = calls_ended(session=session, escalations=[e for e, _line, _channel in rows])
    return [
        {
            "escalation_id": e.id,
            "call_id": e.call_id,
            "level": e.level,
            "status": e.status.value,
            "line_name": line.name,
            "created_at": e.created_at.isoformat(),
            "acknowledged_by_me": e.acknowledged_by == user_id,
            "acknowledged": e.acknowledged_by is not None,
            "rescue_status": e.rescue_status,
            # voice, or a text channel: a text is joined in the console, never by phone
            "channel": str(channel),
            **call_end(ended.get(e.id or 0), line),
        }
        for e, line, channel in rows
    ]


def timeline(*, session: Session, escalation_id: int) -> list[EscalationLog]:
    return list(
        session.exec(
            select(EscalationLog)
            .where(EscalationLog.escalation_id == escalation_id)
            .order_by(col(EscalationLog.id))
        )
    )
