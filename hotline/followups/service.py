"""Follow-ups: calls back to at-risk callers who asked for one and consented (docs/domain.md 7).

Scheduling: when a note with follow-up wanted AND consent is submitted, one follow-up is created
for the call (in the same transaction; never a second one), due `within` (24 h, 72 h or 7 days)
after the note's submission. It is a **priority** follow-up when the note's crisis level, or the
screener's suggestion, was high or imminent (the safe side, as for escalation); left empty, the
window is 24 h for a priority follow-up and 72 h otherwise.

Who works it: counselors and crisis workers see the follow-ups of their lines (no lines in
their profile: every line) and take one from the queue by claiming it, or by logging the first
attempt; supervisors and admins see every line, may take over a claimed one and cancel one. The
callback number stays encrypted in the note and is shown only to the person the follow-up is
assigned to, each time in the audit log.

Policy, kept simple on purpose (a real line writes it into its procedures):

- **completed** when an attempt reaches the caller: outcome `reached`, or `referred` (reached
  and passed to another service) or `declined` (reached, and the caller did not want to talk:
  their wish ends the follow-up; calling again would disregard it);
- **failed** after 3 unsuccessful attempts (`no_answer`, `voicemail`), at once on
  `wrong_number` (further calls would reach a stranger), or when it is more than 48 h past due
  without having reached the caller (`expired`; the dispatcher's tick closes it);
- **overdue**: still scheduled after its due time; supervisors see these on their page from the
  due time until they expire;
- **cancelled** only by a supervisor or admin (e.g. the caller withdrew consent);
- **completed, "called_in"** when the caller rings the line again and a counselor talks with
  them (a counselling call type on the new call's submitted note): the follow-up's purpose, a
  counselor's contact, is met, and a new follow-up is the new note's to ask for. The counselor
  of the new call is recorded as having reached them. Never for a withheld number, whose hash
  is shared by everyone who hides theirs.

Attempts keep who, when and the outcome; the attempt's remark is encrypted and, like the plan
and the number, shown to the assignee and supervisors only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from hotline.auth.models import Role, User
from hotline.calls.models import Call
from hotline.errors import DomainError
from hotline.followups import series
from hotline.followups.models import (
    CallbackOutcome,
    FollowUp,
    FollowUpAttempt,
    FollowUpStatus,
)
from hotline.followups.schemas import NOTE_MAX_CHARS
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.notes.options import COUNSELLING_TYPES
from hotline.privacy import withheld_hashes
from hotline.realtime.events import BOARD_TOPIC, emit

WINDOWS = {"24h": timedelta(hours=24), "72h": timedelta(hours=72), "7d": timedelta(days=7)}
DEFAULT_WINDOW = "72h"
PRIORITY_WINDOW = "24h"  # a high-risk caller is not left three days without a call
PRIORITY_LEVELS = frozenset({"high", "imminent"})
MAX_UNSUCCESSFUL = 3
EXPIRE_AFTER = timedelta(hours=48)
CONTACT = frozenset({CallbackOutcome.reached, CallbackOutcome.referred, CallbackOutcome.declined})
SUPERVISING = (Role.supervisor, Role.admin)
CALLED_IN = "called_in"  # the close reason when the caller rang the line again
PAGE_SIZE = 50
# What the lists filter on: a status, or "overdue" (scheduled and past due).
STATUS_FILTERS = ("overdue", *(status.value for status in FollowUpStatus))
# The lists' query parameters, as the audit log keeps them.
LIST_KEYS = ("line", "status", "from", "to")
DEFAULT_TZ = "Asia/Shanghai"


class FollowUpError(DomainError):
    """A follow-up that cannot be read or changed (404, 403, 409 or 422, given where raised)."""

    messages = {
        "not_found": N_("There is no such follow-up."),
        "forbidden": N_("This follow-up is not on your lines."),
        "closed": N_("This follow-up is already closed."),
        "claimed": N_("Someone else is working on this follow-up."),
        "too_long": N_("This text is too long."),
        "bad_outcome": N_("Choose what happened on the call."),
        "bad_status": N_("Unknown status."),
    }
    fallback = N_("Something went wrong. Please try again.")


# --- scheduling -------------------------------------------------------------------------------


def of_call(*, session: Session, call_id: int) -> FollowUp | None:
    return session.exec(select(FollowUp).where(FollowUp.call_id == call_id)).first()


def schedule(
    *,
    session: Session,
    call: Call,
    within: str | None,
    level: str | None,
    submitted_at: datetime,
) -> FollowUp:
    """The call's follow-up, created if it has none yet (one per call, also under a race)."""
    assert call.id is not None
    existing = of_call(session=session, call_id=call.id)
    if existing is not None:
        return existing
    priority = level in PRIORITY_LEVELS
    window = within if within in WINDOWS else PRIORITY_WINDOW if priority else DEFAULT_WINDOW
    delay, plan = WINDOWS[window], ""
    line = session.get(Line, call.line_id)
    if level in series.SERIES_LEVELS and line is not None:
        # Moderate and above: the line's series instead of one follow-up.
        first = series.due_after(line.follow_up_schedule, 1)
        if first is not None:
            (window, delay), plan = first, line.follow_up_schedule
    follow_up = FollowUp(
        call_id=call.id,
        line_id=call.line_id,
        priority=priority,
        within=window,
        due_at=submitted_at + delay,
        created_at=submitted_at,
        schedule=plan,
    )
    try:
        with session.begin_nested():
            session.add(follow_up)
            session.flush()
    except IntegrityError:  # created a moment ago by another request
        found = of_call(session=session, call_id=call.id)
        assert found is not None
        return found
    return follow_up


# --- who may do what --------------------------------------------------------------------------


def supervises(user: User) -> bool:
    return user.role in SUPERVISING


def covers(user: User, line_id: int) -> bool:
    """Supervisors see every line; others the lines in their profile (none listed: every line,
    as routing reads it)."""
    return supervises(user) or not user.line_ids or line_id in user.line_ids


def _visible(user: User) -> list[ColumnElement[bool]]:
    if supervises(user) or not user.line_ids:
        return []
    return [col(FollowUp.line_id).in_(user.line_ids)]


def get(*, session: Session, follow_up_id: int, user: User, lock: bool = False) -> FollowUp:
    follow_up = session.get(FollowUp, follow_up_id, with_for_update=lock)
    if follow_up is None:
        raise FollowUpError("not_found", 404)
    if not covers(user, follow_up.line_id):
        raise FollowUpError("forbidden", 403)
    return follow_up


def is_assignee(user: User, follow_up: FollowUp) -> bool:
    return follow_up.assigned_to_id is not None and follow_up.assigned_to_id == user.id


def may_read_text(user: User, follow_up: FollowUp) -> bool:
    """The plan and the attempts' remarks: the person working it, and supervisors."""
    return is_assignee(user, follow_up) or supervises(user)


def _writable(session: Session, follow_up_id: int, user: User) -> FollowUp:
    follow_up = get(session=session, follow_up_id=follow_up_id, user=user, lock=True)
    if follow_up.status != FollowUpStatus.scheduled:
        raise FollowUpError("closed", 409)
    held_by_other = follow_up.assigned_to_id not in (None, user.id)
    if held_by_other and not supervises(user):
        raise FollowUpError("claimed", 409)
    return follow_up


# --- working a follow-up ----------------------------------------------------------------------


def claim(*, session: Session, follow_up_id: int, user: User) -> FollowUp:
    """Take it from the queue (a supervisor may also take it over from someone)."""
    follow_up = _writable(session, follow_up_id, user)
    follow_up.assigned_to_id = user.id
    session.flush()
    return follow_up


def release(*, session: Session, follow_up_id: int, user: User) -> FollowUp:
    """Put it back on the queue (its assignee, or a supervisor)."""
    follow_up = _writable(session, follow_up_id, user)
    follow_up.assigned_to_id = None
    session.flush()
    return follow_up


def _close(follow_up: FollowUp, status: FollowUpStatus, reason: str, now: datetime) -> None:
    follow_up.status = status
    follow_up.close_reason = reason
    follow_up.closed_at = now


def _next_step(follow_up: FollowUp) -> bool:
    """Move a series on to its next window (due from the note's submission, as the schedule
    says); False when it is not a series or this was its last step."""
    following = series.due_after(follow_up.schedule, follow_up.step + 1)
    if not follow_up.schedule or following is None:
        return False
    follow_up.step += 1
    follow_up.within, delay = following
    follow_up.due_at = follow_up.created_at + delay
    follow_up.attempts = 0
    return True


def log_attempt(
    *,
    session: Session,
    follow_up_id: int,
    user: User,
    outcome: CallbackOutcome,
    note: str,
    now: datetime,
) -> FollowUp:
    """Record one call back and apply the policy (module docstring). An unassigned follow-up
    becomes the caller's: whoever phoned is the one working it."""
    if len(note) > NOTE_MAX_CHARS:
        raise FollowUpError("too_long", 422)
    follow_up = _writable(session, follow_up_id, user)
    assert follow_up.id is not None and user.id is not None
    if follow_up.assigned_to_id is None:
        follow_up.assigned_to_id = user.id
    _apply_attempt(session, follow_up, user.id, outcome, note.strip() or None, now)
    return follow_up


def line_attempt(
    *,
    session: Session,
    follow_up_id: int,
    user_id: int,
    outcome: CallbackOutcome,
    dial_back_id: int,
    now: datetime,
) -> FollowUp | None:
    """A call back placed by the line (hotline/dialback/) ended without reaching the person (no
    answer, busy, failed, a machine): an attempt by whoever asked for it, with the policy above
    (three unanswered end a step). A follow-up closed meanwhile is left as it is."""
    follow_up = session.get(FollowUp, follow_up_id, with_for_update=True)
    if follow_up is None or follow_up.status != FollowUpStatus.scheduled:
        return None
    _apply_attempt(session, follow_up, user_id, outcome, None, now, dial_back_id)
    return follow_up


def _apply_attempt(
    session: Session,
    follow_up: FollowUp,
    user_id: int,
    outcome: CallbackOutcome,
    note: str | None,
    now: datetime,
    dial_back_id: int | None = None,
) -> None:
    assert follow_up.id is not None
    session.add(
        FollowUpAttempt(
            follow_up_id=follow_up.id,
            at=now,
            user_id=user_id,
            outcome=outcome,
            note=note,
            step=follow_up.step,
            dial_back_id=dial_back_id,
        )
    )
    follow_up.attempts += 1
    if outcome == CallbackOutcome.declined:  # their wish ends a series too
        _close(follow_up, FollowUpStatus.completed, outcome.value, now)
    elif outcome in CONTACT:
        if not _next_step(follow_up):
            _close(follow_up, FollowUpStatus.completed, outcome.value, now)
    elif outcome == CallbackOutcome.wrong_number:
        _close(follow_up, FollowUpStatus.failed, outcome.value, now)
    elif follow_up.attempts >= MAX_UNSUCCESSFUL:  # every earlier attempt was unsuccessful
        # A series still calls at its next window: one missed step is not the caller's end.
        if not _next_step(follow_up):
            _close(follow_up, FollowUpStatus.failed, "attempts", now)
    session.flush()


def owed_during(*, session: Session, call: Call, secret: str, now: datetime) -> list[FollowUp]:
    """The caller's open follow-ups from their other calls that already existed while `call`
    went on (none for a withheld number)."""
    if call.caller_hash in withheld_hashes(secret):
        return []
    return list(
        session.exec(
            select(FollowUp)
            .join(Call, col(Call.id) == col(FollowUp.call_id))
            .where(
                col(Call.caller_hash) == call.caller_hash,
                col(FollowUp.call_id) != call.id,
                col(FollowUp.created_at) <= (call.ended_at or now),
                col(FollowUp.status) == FollowUpStatus.scheduled.value,
            )
            .order_by(col(FollowUp.due_at))
            # An attempt or the expiry may be closing one right now: the row lock makes them
            # wait, and the status is read again after it.
            .with_for_update(of=FollowUp)
        ).all()
    )


def close_on_call_in(
    *, session: Session, call: Call, call_type: str | None, user: User, secret: str, now: datetime
) -> list[FollowUp]:
    """`call`'s note, of `call_type`, was just submitted by `user`: if they counselled the
    caller, the caller's open follow-ups are completed (module docstring). Returns those."""
    assert user.id is not None
    if call_type not in COUNSELLING_TYPES:
        return []
    closed = owed_during(session=session, call=call, secret=secret, now=now)
    for follow_up in closed:
        assert follow_up.id is not None
        session.add(
            FollowUpAttempt(
                follow_up_id=follow_up.id,
                at=now,
                user_id=user.id,
                outcome=CallbackOutcome.reached,
                note=None,
                step=follow_up.step,
            )
        )
        follow_up.attempts += 1
        if not _next_step(follow_up):
            _close(follow_up, FollowUpStatus.completed, CALLED_IN, now)
    if closed:
        emit(session, BOARD_TOPIC)  # the board's overdue follow-ups
        session.flush()
    return closed


def cancel(*, session: Session, follow_up_id: int, user: User, now: datetime) -> FollowUp:
    if not supervises(user):
        raise FollowUpError("forbidden", 403)
    follow_up = _writable(session, follow_up_id, user)
    _close(follow_up, FollowUpStatus.cancelled, "cancelled", now)
    session.flush()
    return follow_up


def expire_overdue(*, session: Session, now: datetime) -> int:
    """Fail follow-ups more than 48 h past due. One compare-and-set update: however many
    instances tick, each follow-up is closed once, and never one an attempt just closed."""
    result = session.execute(
        update(FollowUp)
        .where(
            col(FollowUp.status) == FollowUpStatus.scheduled.value,
            col(FollowUp.due_at) < now - EXPIRE_AFTER,
        )
        .values(status=FollowUpStatus.failed, close_reason="expired", closed_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpFilter:
    line_id: int | None = None
    status: str | None = None  # one of STATUS_FILTERS
    due_from: datetime | None = None
    due_until: datetime | None = None


def filter_for(
    *,
    session: Session,
    line_id: int | None,
    status: str | None,
    start: date | None,
    end: date | None,
) -> FollowUpFilter:
    """A list's filter from its query: due dates are local days, of the line's zone (for every
    line, the first line's); an unknown status filters nothing."""
    line = (
        session.get(Line, line_id)
        if line_id is not None
        else session.exec(select(Line).order_by(col(Line.id))).first()
    )
    tz = ZoneInfo(line.timezone if line is not None else DEFAULT_TZ)

    def midnight(day: date) -> datetime:
        # In UTC: SQLite compares the stored (UTC) text, so the bound must be UTC too.
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)

    return FollowUpFilter(
        line_id=line_id,
        status=status if status in STATUS_FILTERS else None,
        due_from=midnight(start) if start else None,
        due_until=midnight(end + timedelta(days=1)) if end else None,
    )


def list_detail(params: Mapping[str, str]) -> str:
    """What the audit log keeps of a list's filters: the ones given, as a query string."""
    return urlencode({key: params[key] for key in LIST_KEYS if params.get(key)})


def _where(user: User, flt: FollowUpFilter, now: datetime) -> list[ColumnElement[bool]]:
    where = _visible(user)
    status, due = col(FollowUp.status), col(FollowUp.due_at)
    if flt.line_id is not None:
        where.append(col(FollowUp.line_id) == flt.line_id)
    if flt.status == "overdue":
        where += [status == FollowUpStatus.scheduled.value, due < now]
    elif flt.status:
        where.append(status == flt.status)
    if flt.due_from is not None:
        where.append(due >= flt.due_from)
    if flt.due_until is not None:
        where.append(due < flt.due_until)
    return where


def search(
    *,
    session: Session,
    user: User,
    flt: FollowUpFilter,
    now: datetime,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Follow-ups the user may see: open ones first, soonest due first; then closed ones, latest
    due first. Returns one page of rows and the total."""
    where = _where(user, flt, now)
    total = session.exec(select(func.count()).select_from(FollowUp).where(*where)).one()
    assignee = aliased(User)
    is_open = col(FollowUp.status) == FollowUpStatus.scheduled.value
    rows = session.exec(
        select(FollowUp, Line.name, Line.timezone, assignee.display_name)
        .join(Line, col(Line.id) == col(FollowUp.line_id))
        .join(assignee, col(assignee.id) == col(FollowUp.assigned_to_id), isouter=True)
        .where(*where)
        .order_by(
            case((is_open, 0), else_=1),
            case((is_open, col(FollowUp.due_at))).asc(),
            col(FollowUp.due_at).desc(),
            col(FollowUp.id),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return [row(f, line, tz, name, now) for f, line, tz, name in rows], int(total)


def row(
    follow_up: FollowUp, line_name: str, timezone: str, assignee: str | None, now: datetime
) -> dict[str, Any]:
    """What lists show: no caller data (no number, no plan, no remark)."""
    return {
        "id": follow_up.id,
        "call_id": follow_up.call_id,
        "line_id": follow_up.line_id,
        "line_name": line_name,
        "timezone": timezone,
        "priority": follow_up.priority,
        "within": follow_up.within,
        "due_at": follow_up.due_at,
        "status": follow_up.status.value,
        "overdue": follow_up.status == FollowUpStatus.scheduled and follow_up.due_at < now,
        "assigned_to_id": follow_up.assigned_to_id,
        "assigned_to": assignee,
        "attempts": follow_up.attempts,
        "created_at": follow_up.created_at,
        "closed_at": follow_up.closed_at,
        "close_reason": follow_up.close_reason,
        "schedule": follow_up.schedule,
        "step": follow_up.step,
    }


def overdue_count(*, session: Session, user: User, line_id: int | None, now: datetime) -> int:
    flt = FollowUpFilter(line_id=line_id, status="overdue")
    where = _where(user, flt, now)
    return int(session.exec(select(func.count()).select_from(FollowUp).where(*where)).one())


def overdue_priority(*, session: Session, user: User, now: datetime) -> int:
    """Priority follow-ups past due on the lines the user sees (high-risk callers not yet
    called back): a supervisor's console shows the count."""
    where = _where(user, FollowUpFilter(status="overdue"), now) + [col(FollowUp.priority)]
    return int(session.exec(select(func.count()).select_from(FollowUp).where(*where)).one())


def due_for(*, session: Session, user: User, now: datetime) -> dict[str, int]:
    """What the console's idle panel says: follow-ups due now on the user's lines that are
    theirs or nobody's yet, and how many of those are priority. One aggregate query."""
    where = _where(user, FollowUpFilter(status="overdue"), now)
    assigned = col(FollowUp.assigned_to_id)
    where.append(or_(assigned.is_(None), assigned == user.id))
    total, priority = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(FollowUp.priority), 1), else_=0)), 0),
        )
        .select_from(FollowUp)
        .where(*where)
    ).one()
    return {"count": int(total), "priority": int(priority)}


def detail_row(*, session: Session, follow_up: FollowUp, now: datetime) -> dict[str, Any]:
    line = session.get(Line, follow_up.line_id)
    assignee = session.get(User, follow_up.assigned_to_id) if follow_up.assigned_to_id else None
    return row(
        follow_up,
        line.name if line else "",
        line.timezone if line else "Asia/Shanghai",
        assignee.display_name if assignee else None,
        now,
    )


def attempts_of(*, session: Session, follow_up_id: int) -> list[tuple[FollowUpAttempt, str]]:
    """Each attempt with the name of who made it, oldest first."""
    rows = session.exec(
        select(FollowUpAttempt, User.display_name)
        .join(User, col(User.id) == col(FollowUpAttempt.user_id))
        .where(FollowUpAttempt.follow_up_id == follow_up_id)
        .order_by(col(FollowUpAttempt.at), col(FollowUpAttempt.id))
    ).all()
    return list(rows)


def export_of(*, session: Session, call_id: int) -> dict[str, Any] | None:
    """For the subject-access export: the follow-up and its attempts (who, when, outcome),
    without the attempts' remarks."""
    follow_up = of_call(session=session, call_id=call_id)
    if follow_up is None:
        return None
    assert follow_up.id is not None
    attempts = session.exec(
        select(FollowUpAttempt)
        .where(FollowUpAttempt.follow_up_id == follow_up.id)
        .order_by(col(FollowUpAttempt.at), col(FollowUpAttempt.id))
    )
    return {
        "id": follow_up.id,
        "status": follow_up.status.value,
        "priority": follow_up.priority,
        "within": follow_up.within,
        "due_at": follow_up.due_at.isoformat(),
        "closed_at": follow_up.closed_at.isoformat() if follow_up.closed_at else None,
        "close_reason": follow_up.close_reason,
        "attempts": [
            {"at": a.at.isoformat(), "user_id": a.user_id, "outcome": a.outcome.value}
            for a in attempts
        ],
    }
