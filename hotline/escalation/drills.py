"""Drills ("Test this policy"): the policy's real people are paged step by step, as the engine
would, with a message that says it is a drill (演练), and their acknowledgements are timed.

Design: a drill is its own row (`PolicyDrill`), never an escalation, and its pages are rows of
the one paging outbox (`Page`) with `drill_id` set and `escalation_id` NULL; the database
refuses a page with both or neither. So the outbox's sender, its lease, retries and the paging
webhooks are reused as they are, while everything that reads real escalations (the console's
alerts, acknowledgement of an escalation, the board, ending paging calls) joins or filters on
`escalation_id` and never meets a drill page. No call, escalation or counselor is touched.
An SMS reply goes to an open real page first: a drill can never swallow the acknowledgement of a
real alert.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlmodel import Session, col, select

from hotline.audit.models import AuditAction
from hotline.audit.service import record as audit
from hotline.auth.models import User
from hotline.errors import DomainError
from hotline.escalation.models import (
    Channel,
    DrillLog,
    DrillStatus,
    EscalationPolicy,
    Page,
    PageStatus,
    PolicyDrill,
)
from hotline.escalation.service import MAX_PAGE_ATTEMPTS, resolve_targets
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.realtime.events import SUPERVISORS_TOPIC, emit

OPEN_DRILL = (DrillStatus.paging,)
DRILLS_TOPIC = "drills"


class DrillError(DomainError):
    status = 409
    messages: ClassVar[dict[str, str]] = {
        "not_found": N_("There is no such drill."),
        "no_steps": N_("This policy has no steps to drill."),
        "nobody": N_("This policy would page nobody right now: there is nobody to drill."),
        "no_line": N_("A drill sends its pages from a line's number: add an active line first."),
        "running": N_("A drill of this policy is already running: stop it or wait for its end."),
        "not_paged": N_("You were not paged in this drill."),
        "finished": N_("This drill has already ended."),
    }


def log(
    session: Session,
    drill: PolicyDrill,
    kind: str,
    now: datetime,
    *,
    user_id: int | None = None,
    channel: str | None = None,
    detail: str | None = None,
) -> None:
    assert drill.id is not None
    session.add(
        DrillLog(
            drill_id=drill.id, at=now, kind=kind, user_id=user_id, channel=channel, detail=detail
        )
    )
    emit(session, DRILLS_TOPIC)


def _sending_line(session: Session, policy_id: int) -> Line | None:
    """A line that uses the policy, else any active line: its number sends the drill's pages."""
    lines = session.exec(
        select(Line).where(col(Line.active), Line.number != "").order_by(col(Line.id))
    ).all()
    own = [line for line in lines if line.escalation_policy_id == policy_id]
    chosen = own or list(lines)
    return chosen[0] if chosen else None


def start(
    *,
    session: Session,
    policy: EscalationPolicy,
    actor: User,
    now: datetime,
    reaches_someone: bool,
    ip: str | None = None,
) -> PolicyDrill:
    """Start paging now; `reaches_someone` is the policy's reach now (see `policies`)."""
    assert policy.id is not None and actor.id is not None
    if not policy.steps:
        raise DrillError("no_steps")
    if not reaches_someone:
        raise DrillError("nobody")
    running = session.exec(
        select(PolicyDrill.id).where(
            PolicyDrill.policy_id == policy.id, PolicyDrill.status == DrillStatus.paging
        )
    ).first()
    if running is not None:
        raise DrillError("running")
    line = _sending_line(session, policy.id)
    if line is None or line.id is None:
        raise DrillError("no_line")
    drill = PolicyDrill(
        policy_id=policy.id,
        policy_name=policy.name,
        policy={"name": policy.name, "repeat": policy.repeat, "steps": policy.steps},
        line_id=line.id,
        started_by=actor.id,
        started_at=now,
        next_step_at=now,
    )
    session.add(drill)
    session.flush()
    log(session, drill, "started", now, user_id=actor.id, detail=policy.name)
    _audit(session, drill, "drill started", actor, now, ip)
    return drill


def _audit(
    session: Session,
    drill: PolicyDrill,
    what: str,
    user: User | None,
    now: datetime,
    ip: str | None,
    via: str = "admin page",
) -> None:
    audit(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="policy_drill",
        object_id=drill.id,
        user=user,
        detail=f"{what} ({via}): policy {drill.policy_name}",
        ip=ip,
    )


def _queue(
    session: Session, drill: PolicyDrill, users: list[int], channels: list[str], now: datetime
) -> None:
    assert drill.id is not None
    for user_id in users:
        for channel in channels:
            page = Page(
                drill_id=drill.id, user_id=user_id, channel=Channel(channel), created_at=now
            )
            if page.channel == Channel.console:
                page.status = PageStatus.sent  # shown on the person's drills page at once
                page.sent_at = now
            session.add(page)
            log(
                session,
                drill,
                "page",
                now,
                user_id=user_id,
                channel=channel,
                detail=page.status.value,
            )


def run_due(*, session: Session, now: datetime) -> int:
    """Fire every drill step that is due, as `service.run_due` does for escalations (the same
    resolution of targets), without the supervisors' alarm at the end: a drill that nobody
    acknowledged is recorded as such."""
    due = session.exec(
        select(PolicyDrill)
        .where(PolicyDrill.status == DrillStatus.paging, col(PolicyDrill.next_step_at) <= now)
        .order_by(col(PolicyDrill.next_step_at))
        .limit(20)
        .with_for_update(skip_locked=True)
    ).all()
    for drill in due:
        steps: list[dict[str, Any]] = drill.policy.get("steps") or []
        total = int(drill.policy.get("repeat", 1)) * len(steps)
        if drill.attempt >= total:
            drill.status = DrillStatus.unacknowledged
            drill.next_step_at = None
            drill.finished_at = now
            log(session, drill, "unacknowledged", now)
            continue
        number = drill.attempt % len(steps)
        step = steps[number]
        users = resolve_targets(session=session, targets=step.get("targets", []), now=now)
        log(session, drill, "step", now, detail=f"step {number + 1}")
        if not users:
            log(session, drill, "nobody_on_call", now, detail=f"step {number + 1}")
        _queue(session, drill, users, step.get("channels", ["console"]), now)
        drill.attempt += 1
        drill.next_step_at = now + timedelta(minutes=float(step.get("wait_minutes", 5)))
    return len(due)


def get(*, session: Session, drill_id: int, lock: bool = False) -> PolicyDrill:
    drill = session.get(PolicyDrill, drill_id, with_for_update=lock)
    if drill is None:
        raise DrillError("not_found", 404)
    return drill


def acknowledge(
    *, session: Session, drill_id: int, user: User, now: datetime, channel: str
) -> PolicyDrill:
    """A paged person answers the drill. The first answer while it pages ends it; later ones are
    timed too (a drill measures everyone's response)."""
    drill = get(session=session, drill_id=drill_id, lock=True)
    pages = session.exec(
        select(Page).where(Page.drill_id == drill_id, Page.user_id == user.id)
    ).all()
    if not pages:
        raise DrillError("not_paged", 403)
    if all(p.status == PageStatus.answered for p in pages):
        return drill  # a repeated acknowledgement
    for page in pages:
        if page.status in (PageStatus.sent, PageStatus.queued, PageStatus.sending):
            page.status = PageStatus.answered
    first = drill.status == DrillStatus.paging
    if first:
        drill.status = DrillStatus.acknowledged
        drill.acknowledged_by = user.id
        drill.acknowledged_at = now
        drill.acknowledged_channel = channel
        drill.next_step_at = None
        drill.finished_at = now
    seconds = int((now - drill.started_at).total_seconds())
    log(
        session,
        drill,
        "acknowledged" if first else "acknowledged_late",
        now,
        user_id=user.id,
        channel=channel,
        detail=f"{seconds}s",
    )
    _audit(session, drill, "drill acknowledged", user, now, None, via=channel)
    return drill


def stop(
    *, session: Session, drill_id: int, actor: User, now: datetime, ip: str | None
) -> PolicyDrill:
    drill = get(session=session, drill_id=drill_id, lock=True)
    if drill.status != DrillStatus.paging:
        raise DrillError("finished")
    drill.status = DrillStatus.stopped
    drill.next_step_at = None
    drill.finished_at = now
    log(session, drill, "stopped", now, user_id=actor.id)
    _audit(session, drill, "drill stopped", actor, now, ip)
    return drill


def calls_to_end(*, session: Session, drill_id: int, keep: str | None = None) -> list[str]:
    """Once the drill is answered its other paging calls stop ringing."""
    sids = session.exec(
        select(Page.provider_sid).where(
            Page.drill_id == drill_id,
            Page.channel == Channel.voice,
            col(Page.provider_sid).is_not(None),
        )
    ).all()
    return [sid for sid in sids if sid and sid != keep]


# --- the outbox's drill pages ------------------------------------------------------------------


def drill_of_page(*, session: Session, page_id: int) -> int | None:
    return session.exec(select(Page.drill_id).where(Page.id == page_id)).first()


def _locked(session: Session, page_id: int) -> tuple[Page, PolicyDrill] | None:
    """The page and its drill, locked drill first (the order `acknowledge` takes them)."""
    drill_id = drill_of_page(session=session, page_id=page_id)
    if drill_id is None:
        return None
    drill = session.get(PolicyDrill, drill_id, with_for_update=True)
    page = session.get(Page, page_id, with_for_update=True, populate_existing=True)
    if drill is None or page is None:
        return None
    return page, drill


def page_sent(*, session: Session, page_id: int, provider_sid: str | None, now: datetime) -> bool:
    """False when the drill was answered meanwhile: a paging call placed then is ended."""
    locked = _locked(session, page_id)
    if locked is None or locked[0].status != PageStatus.sending:
        return True
    page, drill = locked
    page.status = PageStatus.sent
    page.provider_sid = provider_sid
    page.sent_at = now
    log(session, drill, "page_sent", now, user_id=page.user_id, channel=page.channel.value)
    return drill.status == DrillStatus.paging


def page_failed(*, session: Session, page_id: int, error: str, now: datetime) -> None:
    locked = _locked(session, page_id)
    if locked is None or locked[0].status != PageStatus.sending:
        return
    page, drill = locked
    if page.attempts < MAX_PAGE_ATTEMPTS:
        page.status = PageStatus.queued
        log(session, drill, "page_retry", now, user_id=page.user_id, channel=page.channel.value)
        return
    page.status = PageStatus.failed
    page.error = error[:300]
    log(
        session,
        drill,
        "page_failed",
        now,
        user_id=page.user_id,
        channel=page.channel.value,
        detail=error[:200],
    )
    emit(session, SUPERVISORS_TOPIC, {"drill_id": drill.id, "page_failed": page.id})


def open_page_for_number(*, session: Session, number: str) -> tuple[Page, User] | None:
    """The newest page of a drill still paging, to the person whose phone is `number`. Only
    asked when that person has no open page of a real escalation."""
    row = session.exec(
        select(Page, User)
        .join(User, col(User.id) == Page.user_id)
        .join(PolicyDrill, col(PolicyDrill.id) == Page.drill_id)
        .where(User.endpoint == number, PolicyDrill.status == DrillStatus.paging)
        .order_by(col(Page.id).desc())
    ).first()
    return (row[0], row[1]) if row else None


# --- what people see ---------------------------------------------------------------------------


def list_drills(
    *, session: Session, policy_id: int | None = None, limit: int = 100
) -> list[PolicyDrill]:
    query = select(PolicyDrill).order_by(col(PolicyDrill.id).desc()).limit(limit)
    if policy_id is not None:
        query = query.where(PolicyDrill.policy_id == policy_id)
    return list(session.exec(query))


def drill_log(*, session: Session, drill_id: int) -> list[DrillLog]:
    return list(
        session.exec(
            select(DrillLog).where(DrillLog.drill_id == drill_id).order_by(col(DrillLog.id))
        )
    )


def pages_of(*, session: Session, drill_id: int) -> list[Page]:
    return list(session.exec(select(Page).where(Page.drill_id == drill_id).order_by(col(Page.id))))


def open_for(*, session: Session, user_id: int) -> list[PolicyDrill]:
    """Drills still paging that paged this person and that they have not answered."""
    answered = select(Page.drill_id).where(
        Page.user_id == user_id, Page.status == PageStatus.answered, col(Page.drill_id).is_not(None)
    )
    paged = select(Page.drill_id).where(Page.user_id == user_id, col(Page.drill_id).is_not(None))
    return list(
        session.exec(
            select(PolicyDrill)
            .where(
                PolicyDrill.status == DrillStatus.paging,
                col(PolicyDrill.id).in_(paged),
                col(PolicyDrill.id).not_in(answered),
            )
            .order_by(col(PolicyDrill.id))
        )
    )


def names(*, session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return {
        u.id: u.display_name
        for u in session.exec(select(User).where(col(User.id).in_(list(user_ids))))
        if u.id is not None
    }
