"""What supervisors read: the shift log, the escalation log, and call review with QA feedback.

Periods are local days (the line's time zone, or `DEFAULT_TZ`); a day is [local midnight, next
local midnight) in UTC. Time in a state comes from presence events, clipped to the day and to now.
Counts are fetched as (person, time) pairs by SQL with every filter applied, then put in days.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, cast, exists, func, literal, literal_column, or_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role, User
from hotline.calls.models import Call, CallEvent
from hotline.clock import as_utc
from hotline.config import Settings
from hotline.conversations import service as conversations
from hotline.conversations.models import Sender
from hotline.errors import DomainError
from hotline.escalation import service as escalations
from hotline.escalation.models import OPEN_STATUSES, Escalation, Page
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.linkage import service as linkage
from hotline.notes import service as notes
from hotline.notes.models import CallNote, IssueCategory, NoteStatus, ReferralResource
from hotline.review.models import QA_CRITERIA, SCORE_MAX, SCORE_MIN, CallRecording, CallReview
from hotline.routing.models import AgentState, PresenceEvent

DEFAULT_TZ = "Asia/Shanghai"
MAX_RANGE_DAYS = 31
PAGE_SIZE = 50
# Presence states in the order the shift log shows them.
STATES = tuple(state.value for state in AgentState)


# Who reads the supervisors' pages and exports, and writes QA reviews.
REVIEWERS = (Role.supervisor, Role.admin)


class ReviewError(DomainError):
    """A period, a review or a call the supervisors' pages refuse (422 unless said otherwise)."""

    status = 422
    messages = {
        "bad_range": N_("The end date must not be before the start date."),
        "range_too_long": N_("Choose a period of at most %(days)s days."),
        "bad_score": N_("Scores go from 1 to 5."),
        "not_found": N_("There is no such call."),
        "forbidden": N_("You are not allowed to do this."),
    }
    fallback = N_("Something went wrong. Please try again.")


# --- periods ----------------------------------------------------------------------------------


def zone_of(*, session: Session, line_id: int | None) -> ZoneInfo:
    line = session.get(Line, line_id) if line_id is not None else None
    return ZoneInfo(line.timezone if line is not None else DEFAULT_TZ)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def range_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start's local midnight, the local midnight after `end`), in UTC."""
    if end < start:
        raise ReviewError("bad_range")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ReviewError("range_too_long", params={"days": MAX_RANGE_DAYS})
    return day_bounds(start, tz)[0], day_bounds(end, tz)[1]


def _local_day(at: datetime, tz: ZoneInfo) -> date:
    return as_utc(at).astimezone(tz).date()


# --- the shift log ----------------------------------------------------------------------------


@dataclass
class ShiftRow:
    user_id: int
    name: str
    day: date
    first_sign_in: datetime | None = None
    last_sign_out: datetime | None = None
    sign_ins: int = 0
    sign_outs: int = 0
    went_offline: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    calls_handled: int = 0
    notes_submitted: int = 0
    notes_overdue: int = 0
    offers_missed: int = 0

    @property
    def signed_in_seconds(self) -> float:
        return sum(s for state, s in self.seconds.items() if state != AgentState.offline.value)

    def active(self) -> bool:
        return bool(
            self.sign_ins
            or self.sign_outs
            or self.went_offline
            or self.signed_in_seconds
            or self.calls_handled
            or self.notes_submitted
            or self.notes_overdue
            or self.offers_missed
        )


@dataclass
class ShiftTotals:
    """The shift log's sums over every row of the filtered period (all pages)."""

    rows: int = 0
    sign_ins: int = 0
    sign_outs: int = 0
    went_offline: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    calls_handled: int = 0
    notes_submitted: int = 0
    notes_overdue: int = 0
    offers_missed: int = 0


def shift_totals(rows: Sequence[ShiftRow]) -> ShiftTotals:
    totals = ShiftTotals(rows=len(rows))
    for row in rows:
        totals.sign_ins += row.sign_ins
        totals.sign_outs += row.sign_outs
        totals.went_offline += row.went_offline
        for state, seconds in row.seconds.items():
            totals.seconds[state] = totals.seconds.get(state, 0.0) + seconds
        totals.calls_handled += row.calls_handled
        totals.notes_submitted += row.notes_submitted
        totals.notes_overdue += row.notes_overdue
        totals.offers_missed += row.offers_missed
    return totals


def _people(*, session: Session, line_id: int | None, user_id: int | None) -> dict[int, User]:
    query = select(User).where(col(User.role).in_([Role.counselor.value, Role.supervisor.value]))
    if user_id is not None:
        query = select(User).where(User.id == user_id)
    found = {}
    for user in session.exec(query):
        # No line skills means every line.
        if line_id is not None and user.line_ids and line_id not in user.line_ids:
            continue
        assert user.id is not None
        found[user.id] = user
    return found


def _presence_segments(
    *, session: Session, user_ids: list[int], start: datetime, end: datetime
) -> dict[int, list[tuple[str, datetime, datetime]]]:
    """Per person: (state, from, to) covering [start, end), from their presence events."""
    latest = (
        select(PresenceEvent.user_id, func.max(PresenceEvent.at).label("at"))
        .where(col(PresenceEvent.user_id).in_(user_ids), col(PresenceEvent.at) < start)
        .group_by(col(PresenceEvent.user_id))
        .subquery()
    )
    before = session.exec(
        select(PresenceEvent)
        .join(
            latest,
            and_(
                col(PresenceEvent.user_id) == latest.c.user_id,
                col(PresenceEvent.at) == latest.c.at,
            ),
        )
        .order_by(col(PresenceEvent.id))
    ).all()
    state_at_start: dict[int, str] = {}
    for event in before:  # on a tie in time the later row wins
        state_at_start[event.user_id] = event.state
    inside = session.exec(
        select(PresenceEvent)
        .where(
            col(PresenceEvent.user_id).in_(user_ids),
            col(PresenceEvent.at) >= start,
            col(PresenceEvent.at) < end,
        )
        .order_by(col(PresenceEvent.at), col(PresenceEvent.id))
    ).all()
    changes: dict[int, list[PresenceEvent]] = defaultdict(list)
    for event in inside:
        changes[event.user_id].append(event)
    segments: dict[int, list[tuple[str, datetime, datetime]]] = {}
    for uid in user_ids:
        state = state_at_start.get(uid, AgentState.offline.value)
        since = start
        found: list[tuple[str, datetime, datetime]] = []
        for event in changes.get(uid, []):
            at = as_utc(event.at)
            if at > since:
                found.append((state, since, at))
            state, since = event.state, max(since, at)
        if end > since:
            found.append((state, since, end))
        segments[uid] = found
    return segments


def shift_log(
    *,
    session: Session,
    start: date,
    end: date,
    now: datetime,
    line_id: int | None = None,
    user_id: int | None = None,
) -> list[ShiftRow]:
    """One row per person and local day with any activity, newest day first, then by name."""
    tz = zone_of(session=session, line_id=line_id)
    range_start, range_end = range_bounds(start, end, tz)
    people = _people(session=session, line_id=line_id, user_id=user_id)
    if not people:
        return []
    ids = list(people)
    rows: dict[tuple[int, date], ShiftRow] = {}

    def row(uid: int, day: date) -> ShiftRow:
        key = (uid, day)
        if key not in rows:
            rows[key] = ShiftRow(user_id=uid, name=people[uid].display_name, day=day)
        return rows[key]

    # Time in each state, clipped to each day and to now (the future has no time in it yet).
    until = min(range_end, max(now, range_start))
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    for uid, segments in _presence_segments(
        session=session, user_ids=ids, start=range_start, end=until
    ).items():
        for day in days:
            day_start, day_end = day_bounds(day, tz)
            for state, seg_from, seg_to in segments:
                overlap = (min(seg_to, day_end) - max(seg_from, day_start)).total_seconds()
                if overlap > 0:
                    row(uid, day).seconds[state] = row(uid, day).seconds.get(state, 0.0) + overlap

    def count(attribute: str, pairs: Sequence[tuple[int | None, datetime | None]]) -> None:
        for uid, at in pairs:
            if uid is not None and at is not None:
                entry = row(uid, _local_day(at, tz))
                setattr(entry, attribute, getattr(entry, attribute) + 1)

    # Went offline: presence changes to offline (sign-out, or the console closing).
    count(
        "went_offline",
        session.exec(
            select(PresenceEvent.user_id, PresenceEvent.at).where(
                col(PresenceEvent.user_id).in_(ids),
                col(PresenceEvent.state) == AgentState.offline.value,
                col(PresenceEvent.at) >= range_start,
                col(PresenceEvent.at) < range_end,
            )
        ).all(),
    )

    # Sign-ins and sign-outs, from the audit log.
    for who, action, at in session.exec(
        select(AuditEvent.user_id, AuditEvent.action, AuditEvent.at)
        .where(
            col(AuditEvent.user_id).in_(ids),
            col(AuditEvent.action).in_([AuditAction.sign_in.value, AuditAction.sign_out.value]),
            col(AuditEvent.at) >= range_start,
            col(AuditEvent.at) < range_end,
        )
        .order_by(col(AuditEvent.at))
    ).all():
        assert who is not None
        entry = row(who, _local_day(at, tz))
        if action == AuditAction.sign_in:
            entry.sign_ins += 1
            entry.first_sign_in = entry.first_sign_in or as_utc(at)
        else:
            entry.sign_outs += 1
            entry.last_sign_out = as_utc(at)

    line_only: list[ColumnElement[bool]] = [col(Call.line_id) == line_id] if line_id else []

    # Calls handled: connected to this person during the day.
    count(
        "calls_handled",
        session.exec(
            select(Call.counselor_id, Call.connected_at).where(
                col(Call.counselor_id).in_(ids),
                col(Call.connected_at) >= range_start,
                col(Call.connected_at) < range_end,
                *line_only,
            )
        ).all(),
    )

    # Notes submitted during the day; notes that fell due during the day and are still unsent.
    count(
        "notes_submitted",
        session.exec(
            select(CallNote.author_id, CallNote.submitted_at)
            .join(Call, col(Call.id) == CallNote.call_id)
            .where(
                col(CallNote.author_id).in_(ids),
                col(CallNote.status) == NoteStatus.submitted.value,
                col(CallNote.submitted_at) >= range_start,
                col(CallNote.submitted_at) < range_end,
                *line_only,
            )
        ).all(),
    )
    count(
        "notes_overdue",
        session.exec(
            select(CallNote.author_id, CallNote.due_at)
            .join(Call, col(Call.id) == CallNote.call_id)
            .where(
                col(CallNote.author_id).in_(ids),
                col(CallNote.overdue),
                col(CallNote.due_at) >= range_start,
                col(CallNote.due_at) < range_end,
                *line_only,
            )
        ).all(),
    )

    # Offers that ran out without an answer.
    count(
        "offers_missed",
        session.exec(
            select(CallEvent.user_id, CallEvent.at)
            .join(Call, col(Call.id) == CallEvent.call_id)
            .where(
                col(CallEvent.user_id).in_(ids),
                col(CallEvent.detail) == "offer_missed",
                col(CallEvent.at) >= range_start,
                col(CallEvent.at) < range_end,
                *line_only,
            )
        ).all(),
    )

    found = [r for r in rows.values() if r.active()]
    found.sort(key=lambda r: (-r.day.toordinal(), r.name, r.user_id))
    return found


# --- the escalation log -----------------------------------------------------------------------


@dataclass
class EscalationFilter:
    since: datetime | None = None
    until: datetime | None = None
    line_id: int | None = None
    level: str | None = None
    status: str | None = None  # an EscalationStatus value, or "open"
    outcome: str | None = None


def _escalation_where(flt: EscalationFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.since is not None:
        where.append(col(Escalation.created_at) >= flt.since)
    if flt.until is not None:
        where.append(col(Escalation.created_at) < flt.until)
    if flt.line_id is not None:
        where.append(col(Escalation.line_id) == flt.line_id)
    if flt.level:
        where.append(col(Escalation.level) == flt.level)
    if flt.status == "open":
        where.append(col(Escalation.status).in_([s.value for s in OPEN_STATUSES]))
    elif flt.status:
        where.append(col(Escalation.status) == flt.status)
    if flt.outcome:
        where.append(col(Escalation.outcome) == flt.outcome)
    return where


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(wanted))).all()
    return {u.id: u.display_name for u in users if u.id is not None}


def escalation_log(
    *, session: Session, flt: EscalationFilter, limit: int = PAGE_SIZE, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Escalations newest first (open ones first among equals), and how many match."""
    where = _escalation_where(flt)
    total = session.exec(select(func.count()).select_from(Escalation).where(*where)).one()
    rows = session.exec(
        select(Escalation, Line)
        .join(Line, col(Line.id) == Escalation.line_id)
        .where(*where)
        .order_by(col(Escalation.created_at).desc(), col(Escalation.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    names = _names(
        session,
        {e.triggered_by for e, _ in rows}
        | {e.acknowledged_by for e, _ in rows}
        | {e.resolved_by for e, _ in rows},
    )
    ended = escalations.calls_ended(session=session, escalations=[e for e, _ in rows])
    found = []
    for escalation, line in rows:
        created = as_utc(escalation.created_at)
        acked = as_utc(escalation.acknowledged_at) if escalation.acknowledged_at else None
        joined = as_utc(escalation.joined_at) if escalation.joined_at else None
        found.append(
            {
                "id": escalation.id,
                "call_id": escalation.call_id,
                "line_id": line.id,
                "line_name": line.name,
                "level": escalation.level,
                "status": escalation.status.value,
                "open": escalation.status in OPEN_STATUSES,
                "created_at": created,
                "triggered_by": names.get(escalation.triggered_by or 0),
                "acknowledged_by": names.get(escalation.acknowledged_by or 0),
                "acknowledged_at": acked,
                "seconds_to_ack": (acked - created).total_seconds() if acked else None,
                "joined_at": joined,
                "seconds_to_join": (joined - created).total_seconds() if joined else None,
                "resolved_by": names.get(escalation.resolved_by or 0),
                "resolved_at": as_utc(escalation.resolved_at) if escalation.resolved_at else None,
                "outcome": escalation.outcome,
                "call_ended_at": _utc(ended.get(escalation.id or 0)),
            }
        )
    return found, int(total)


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value else None


def escalation_detail(*, session: Session, escalation_id: int) -> dict[str, Any] | None:
    """One escalation with its full timeline and its pages; people by name, never caller data."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        return None
    line = session.get(Line, escalation.line_id)
    entries = escalations.timeline(session=session, escalation_id=escalation_id)
    pages = session.exec(
        select(Page).where(Page.escalation_id == escalation_id).order_by(col(Page.id))
    ).all()
    steps = escalations.rescue_steps(session=session, escalation_id=escalation_id)
    names = _names(
        session,
        {e.user_id for e in entries}
        | {p.user_id for p in pages}
        | {s.user_id for s in steps}
        | {escalation.triggered_by, escalation.acknowledged_by, escalation.resolved_by},
    )
    return {
        "id": escalation.id,
        # Whether the caller's number can still be revealed for rescue (never the number).
        "number_kept": escalation.level in linkage.KEEPING_LEVELS
        and linkage.kept(session=session, call_id=escalation.call_id) is not None,
        "rescue_status": escalation.rescue_status,
        "rescue": [
            {
                "stage": step.stage.value,
                "at": as_utc(step.at),
                "person": names.get(step.user_id),
                "service": step.service,
            }
            for step in steps
        ],
        "call_id": escalation.call_id,
        "line_name": line.name if line else "",
        "level": escalation.level,
        "status": escalation.status.value,
        "open": escalation.status in OPEN_STATUSES,
        "outcome": escalation.outcome,
        "created_at": as_utc(escalation.created_at),
        "call_ended_at": _utc(
            escalations.calls_ended(session=session, escalations=[escalation]).get(escalation_id)
        ),
        "triggered_by": names.get(escalation.triggered_by or 0),
        "acknowledged_by": names.get(escalation.acknowledged_by or 0),
        "resolved_by": names.get(escalation.resolved_by or 0),
        "timeline": [
            {
                "at": as_utc(entry.at),
                "kind": entry.kind,
                "person": names.get(entry.user_id or 0),
                "channel": entry.channel,
                "detail": entry.detail,
            }
            for entry in entries
        ],
        "pages": [
            {
                "person": names.get(page.user_id),
                "channel": page.channel.value,
                "status": page.status.value,
                "attempts": page.attempts,
                "alarm": page.alarm,
                "created_at": as_utc(page.created_at),
                "sent_at": as_utc(page.sent_at) if page.sent_at else None,
            }
            for page in pages
        ],
    }


# --- call review ------------------------------------------------------------------------------


@dataclass
class CallFilter:
    since: datetime | None = None
    until: datetime | None = None
    line_id: int | None = None
    crisis_level: str | None = None
    category_id: int | None = None
    counselor_id: int | None = None
    marked: bool = False


def _category_ids(session: Session, category_id: int) -> list[int]:
    """The category and its sub-categories."""
    children = session.exec(
        select(IssueCategory.id).where(IssueCategory.parent_id == category_id)
    ).all()
    return [category_id, *(c for c in children if c is not None)]


def _has_category(session: Session, ids: list[int]) -> ColumnElement[bool]:
    """The note's JSON list of categories holds one of `ids` (portable across both databases)."""
    if session.get_bind().dialect.name == "postgresql":
        as_jsonb = cast(col(CallNote.categories), postgresql.JSONB)
        return or_(*(as_jsonb.contains(cast(literal(f"[{i}]"), postgresql.JSONB)) for i in ids))
    each = func.json_each(col(CallNote.categories)).table_valued("value")
    return exists(select(literal_column("1")).select_from(each).where(each.c.value.in_(ids)))


def call_search(
    *, session: Session, flt: CallFilter, limit: int = PAGE_SIZE, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Answered calls (those with a counselor), newest first, and how many match."""
    counselor = aliased(User)
    where: list[ColumnElement[bool]] = [col(Call.counselor_id).is_not(None)]
    if flt.since is not None:
        where.append(col(Call.created_at) >= flt.since)
    if flt.until is not None:
        where.append(col(Call.created_at) < flt.until)
    if flt.line_id is not None:
        where.append(col(Call.line_id) == flt.line_id)
    if flt.counselor_id is not None:
        where.append(col(Call.counselor_id) == flt.counselor_id)
    if flt.crisis_level:
        where.append(col(CallNote.crisis_level) == flt.crisis_level)
    if flt.category_id is not None:
        where.append(_has_category(session, _category_ids(session, flt.category_id)))
    if flt.marked:
        where.append(col(CallReview.marked_for_review).is_(True))
    base = (
        sa_select(Call, Line, counselor, CallNote, CallReview)
        .join(Line, col(Line.id) == Call.line_id)
        .join(counselor, col(counselor.id) == Call.counselor_id)
        .join(CallNote, col(CallNote.call_id) == Call.id, isouter=True)
        .join(CallReview, col(CallReview.call_id) == Call.id, isouter=True)
        .where(*where)
    )
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.execute(
        base.order_by(col(Call.created_at).desc(), col(Call.id).desc()).offset(offset).limit(limit)
    ).all()
    found = []
    for call, line, person, note, review in rows:
        found.append(
            {
                "id": call.id,
                "created_at": as_utc(call.created_at),
                "line_name": line.name,
                "channel": call.channel.value,
                "counselor": person.display_name,
                "state": call.state.value,
                "seconds": _talk_seconds(call),
                "call_type": note.call_type if note else None,
                "crisis_level": note.crisis_level if note else None,
                "categories": list(note.categories) if note else [],
                "note_status": note.status.value if note else None,
                "overdue": bool(note and note.overdue),
                "reviewed": review is not None,
                "marked": bool(review and review.marked_for_review),
            }
        )
    return found, int(total)


def _talk_seconds(call: Call) -> float | None:
    if call.connected_at is None or call.ended_at is None:
        return None
    return (as_utc(call.ended_at) - as_utc(call.connected_at)).total_seconds()


def review_of(*, session: Session, call_id: int) -> CallReview | None:
    return session.exec(select(CallReview).where(CallReview.call_id == call_id)).first()


def recordings_of(*, session: Session, call_id: int) -> list[CallRecording]:
    return list(
        session.exec(
            select(CallRecording)
            .where(CallRecording.call_id == call_id)
            .order_by(col(CallRecording.id))
        )
    )


def transcript_of(*, session: Session, call: Call) -> list[dict[str, Any]] | None:
    """A text conversation's messages for its reviewer, a supervisor's private notes included
    (marked `private`); None for a voice call."""
    if not call.is_text or call.id is None:
        return None
    messages = conversations.transcript(session=session, call_id=call.id, private=True)
    authors = {
        user.id: user.display_name
        for user in session.exec(
            select(User).where(col(User.id).in_({m.user_id for m in messages if m.user_id}))
        )
    }
    return [
        {
            "id": message.id,
            "sender": message.sender.value,
            "author": authors.get(message.user_id) if message.user_id else None,
            "at": as_utc(message.at),
            "body": message.body,
            "private": message.sender == Sender.supervisor,
            "delivery": message.delivery.value,
        }
        for message in messages
    ]


def call_detail(*, session: Session, call_id: int) -> dict[str, Any] | None:
    """The call's facts, its note (decrypted, for an authorised reviewer), addenda and review."""
    call = session.get(Call, call_id)
    if call is None or call.counselor_id is None:
        return None
    line = session.get(Line, call.line_id)
    person = session.get(User, call.counselor_id)
    assert line is not None and person is not None
    note = notes.note_of(session=session, call_id=call_id)
    escalation = session.exec(select(Escalation).where(Escalation.call_id == call_id)).first()
    return {
        "call": {
            "id": call.id,
            "line_name": line.name,
            "line_records": line.recording,
            "channel": call.channel.value,
            "is_text": call.is_text,
            "counselor": person.display_name,
            "counselor_id": person.id,
            "state": call.state.value,
            "end_reason": call.end_reason,
            "in_danger": call.in_danger,
            "repeat_caller": call.repeat_caller,
            "created_at": as_utc(call.created_at),
            "connected_at": as_utc(call.connected_at) if call.connected_at else None,
            "ended_at": as_utc(call.ended_at) if call.ended_at else None,
            "seconds": _talk_seconds(call),
        },
        "note": notes.public(session=session, note=note) if note is not None else None,
        "referrals": _referrals(session, note),
        "escalation": (
            {"id": escalation.id, "status": escalation.status.value, "level": escalation.level}
            if escalation is not None
            else None
        ),
        "recordings": recordings_of(session=session, call_id=call_id),
        "transcript": transcript_of(session=session, call=call),
        "review": review_of(session=session, call_id=call_id),
    }


def _referrals(session: Session, note: CallNote | None) -> list[dict[str, Any]]:
    """The note's referrals with the directory's names (a resource since removed: its id)."""
    if note is None:
        return []
    entries = notes.fields_of(note).referrals
    ids = [entry.resource_id for entry in entries]
    found = {
        r.id: r
        for r in session.exec(select(ReferralResource).where(col(ReferralResource.id).in_(ids)))
    }
    return [
        {
            "name": found[e.resource_id].name if e.resource_id in found else f"#{e.resource_id}",
            "kind": found[e.resource_id].kind if e.resource_id in found else None,
            "date": e.date.isoformat() if e.date else None,
            "comment": e.comment,
        }
        for e in entries
    ]


def save_review(
    *,
    session: Session,
    call_id: int,
    reviewer: User,
    scores: dict[str, int | None],
    marked_for_review: bool,
    comment: str,
    now: datetime,
) -> CallReview:
    """Create or update the call's QA review; scores are 1-5 per criterion, or none."""
    if reviewer.role not in REVIEWERS:
        raise ReviewError("forbidden", 403)
    call = session.get(Call, call_id)
    if call is None or call.counselor_id is None:
        raise ReviewError("not_found", 404)
    unknown = set(scores) - set(QA_CRITERIA)
    if unknown:
        raise ReviewError("bad_score")
    for value in scores.values():
        if value is not None and not SCORE_MIN <= value <= SCORE_MAX:
            raise ReviewError("bad_score")
    assert reviewer.id is not None
    review = review_of(session=session, call_id=call_id)
    if review is None:
        review = CallReview(
            call_id=call_id,
            counselor_id=call.counselor_id,
            reviewer_id=reviewer.id,
            created_at=now,
            updated_at=now,
        )
    review.reviewer_id = reviewer.id
    for criterion in QA_CRITERIA:
        setattr(review, f"score_{criterion}", scores.get(criterion))
    review.marked_for_review = marked_for_review
    review.comment = comment.strip() or None
    review.updated_at = now
    session.add(review)
    session.flush()
    return review


def scores_of(review: CallReview) -> dict[str, int | None]:
    return {criterion: getattr(review, f"score_{criterion}") for criterion in QA_CRITERIA}


def feedback_for(*, session: Session, user: User, limit: int = 100) -> list[dict[str, Any]]:
    """Reviews of this person's own calls that carry a comment or a score, newest first."""
    rows = session.exec(
        select(CallReview, Call, Line, User)
        .join(Call, col(Call.id) == CallReview.call_id)
        .join(Line, col(Line.id) == Call.line_id)
        .join(User, col(User.id) == CallReview.reviewer_id)
        .where(CallReview.counselor_id == user.id, Call.counselor_id == user.id)
        .order_by(col(CallReview.updated_at).desc(), col(CallReview.id).desc())
        .limit(limit)
    ).all()
    found = []
    for review, call, line, reviewer in rows:
        scores = scores_of(review)
        if not review.comment and all(v is None for v in scores.values()):
            continue
        found.append(
            {
                "call_id": call.id,
                "call_at": as_utc(call.created_at),
                "line_name": line.name,
                "reviewer": reviewer.display_name,
                "updated_at": as_utc(review.updated_at),
                "scores": scores,
                "comment": review.comment or "",
            }
        )
    return found


# --- recordings -------------------------------------------------------------------------------

TWILIO_API_URL = "https://api.twilio.com"
# A recording's media and nothing else: the proxy sends the account's credentials with it.
_RECORDING_PATH = re.compile(
    r"/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})/Recordings/RE[0-9a-fA-F]{32}"
    r"(\.mp3|\.wav)?"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def recording_sources(settings: Settings) -> tuple[str, ...]:
    """Where recordings may be fetched from: Twilio's API, and the simulator in simulator mode."""
    if settings.telephony_mode == "simulator":
        return (TWILIO_API_URL, settings.simulator_url)
    return (TWILIO_API_URL,)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def recording_url_allowed(url: str, *, account_sid: str, sources: Sequence[str]) -> bool:
    """Is `url` one of this account's recordings at one of `sources` (and nothing more)?"""
    # urlsplit drops tabs and newlines (and leading spaces) before parsing, so such a URL would
    # pass while the client fetching it refuses it: no whitespace or control character at all.
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        return False
    try:
        parts = urlsplit(url)
        origin = _origin(url)
    except ValueError:  # e.g. a port that is not a number
        return False
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        return False
    for source in sources:
        prefix = urlsplit(source).path.rstrip("/")
        if origin != _origin(source) or not parts.path.startswith(prefix + "/"):
            continue
        found = _RECORDING_PATH.fullmatch(parts.path[len(prefix) :])
        if found is not None and found.group("account") == account_sid:
            return True
    return False


def url_host(url: str) -> str:
    """Only the host of a URL, for a log line (no credentials, path or query)."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def store_recording(
    *,
    session: Session,
    conference_sid: str | None,
    call_sid: str | None,
    recording_sid: str,
    url: str,
    duration_s: int | None,
    now: datetime,
) -> CallRecording | None:
    """Keep a completed recording's URL for the call it belongs to (once per recording)."""
    conditions: list[ColumnElement[bool]] = []
    if conference_sid:
        conditions.append(col(Call.conference_sid) == conference_sid)
    if call_sid:
        conditions.append(col(Call.call_sid) == call_sid)
        conditions.append(col(Call.counselor_call_sid) == call_sid)
    if not conditions:
        return None
    call = session.exec(select(Call).where(or_(*conditions))).first()
    if call is None or call.id is None:
        return None
    found = session.exec(
        select(CallRecording).where(CallRecording.recording_sid == recording_sid)
    ).first()
    if found is not None:
        return found
    recording = CallRecording(
        call_id=call.id, recording_sid=recording_sid, url=url, duration_s=duration_s, created_at=now
    )
    session.add(recording)
    session.flush()
    return recording
