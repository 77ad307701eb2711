"""Supervision sessions and each counselor's supervision hours; debrief requests.

A session is recorded by a supervisor or an admin: the counselors present, the calls discussed,
the themes (encrypted) and the actions agreed. Hours are the sessions' durations summed per
counselor over the local calendar month and year (the default time zone of the review pages).
Audit entries are written by the pages with `describe` (never the themes or the actions' text).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hotline.auth.models import Role, User
from hotline.calls.models import Call
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.notes.models import CallNote, NoteStatus
from hotline.supervision.models import (
    DebriefReason,
    DebriefRequest,
    DebriefStatus,
    SessionKind,
    SupervisionAction,
    SupervisionAttendee,
    SupervisionCall,
    SupervisionSession,
)

# Who records sessions and reads everyone's: supervisors and admins.
SUPERVISORS = (Role.supervisor, Role.admin)
# Who can attend as a counselor: anyone who takes calls.
ATTENDING = (Role.counselor, Role.crisis, Role.supervisor)
# The crisis levels after which a counselor is offered a debrief (docs/domain.md 5).
DEBRIEF_LEVELS = ("high", "imminent")
MAX_DURATION_MIN = 8 * 60
MAX_THEMES = 4000
MAX_ACTION = 500


class SupervisionError(DomainError):
    """A session, an action or a debrief the supervision pages refuse (422 unless said)."""

    status = 422
    messages = {
        "invalid": N_("Please correct the fields marked below."),
        "bad_kind": N_("Choose individual or group."),
        "bad_when": N_("Give the date and time as YYYY-MM-DD and HH:MM."),
        "bad_duration": N_("The duration is a whole number of minutes from 1 to 480."),
        "no_counselors": N_("Choose at least one counselor who was present."),
        "individual_one": N_("An individual session has exactly one counselor."),
        "bad_supervisor": N_("Choose the supervisor who held the session."),
        "bad_calls": N_("List calls by their number, e.g. #12, #15."),
        "no_call": N_("There is no call #%(id)s."),
        "themes_too_long": N_("The themes are too long."),
        "bad_action": N_("Each action needs what was agreed, an owner and a due date."),
        "not_found": N_("There is no such supervision session."),
        "no_action": N_("There is no such action."),
        "no_debrief": N_("There is no such debrief request."),
        "not_your_call": N_("You can ask for a debrief only about your own calls."),
        "debrief_exists": N_("A debrief about this call has already been asked for."),
        "debrief_closed": N_("This debrief has already been held."),
    }
    fallback = N_("Something went wrong. Please try again.")


@dataclass
class NewAction:
    text: str
    owner_id: int
    due_on: date


@dataclass
class SessionData:
    """A checked session form: every id exists and every rule holds."""

    kind: SessionKind
    supervisor_id: int
    held_at: datetime
    duration_min: int
    counselor_ids: list[int]
    call_ids: list[int]
    themes: str | None
    actions: list[NewAction] = field(default_factory=list)
    debrief_id: int | None = None


def check(*, session: Session, data: SessionData) -> None:
    """Refuse (with each field's reason) a session whose people or calls do not exist."""
    errors: dict[str, str] = {}
    supervisor = session.get(User, data.supervisor_id)
    if supervisor is None or supervisor.role not in SUPERVISORS:
        errors["supervisor"] = "bad_supervisor"
    people = _users(session, data.counselor_ids)
    if not data.counselor_ids or len(people) != len(set(data.counselor_ids)):
        errors["counselors"] = "no_counselors"
    elif data.kind == SessionKind.individual and len(set(data.counselor_ids)) != 1:
        errors["counselors"] = "individual_one"
    missing = [i for i in data.call_ids if session.get(Call, i) is None]
    if missing:
        raise SupervisionError(
            "no_call", errors={"calls": "no_call", **errors}, params={"id": missing[0]}
        )
    owners = _users(session, [a.owner_id for a in data.actions])
    if any(a.owner_id not in owners for a in data.actions):
        errors["actions"] = "bad_action"
    if data.themes is not None and len(data.themes) > MAX_THEMES:
        errors["themes"] = "themes_too_long"
    if errors:
        raise SupervisionError("invalid", errors=errors)


def _users(session: Session, ids: Iterable[int]) -> dict[int, User]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(User).where(col(User.id).in_(wanted)))
    return {u.id or 0: u for u in rows if u.active}


def create_session(
    *, session: Session, data: SessionData, actor: User, now: datetime
) -> SupervisionSession:
    check(session=session, data=data)
    record = SupervisionSession(
        kind=data.kind,
        supervisor_id=data.supervisor_id,
        held_at=data.held_at,
        duration_min=data.duration_min,
        themes=data.themes,
        created_by_id=actor.id or 0,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    session.flush()
    _replace_links(session, record.id or 0, data)
    _add_actions(session, record.id or 0, data.actions)
    if data.debrief_id is not None:
        _hold_debrief(session, data.debrief_id, record, now)
    return record


def update_session(
    *, session: Session, session_id: int, data: SessionData, now: datetime
) -> tuple[str, SupervisionSession]:
    """Change a session; returns what it was (`describe`) and the session."""
    record = get_session(session=session, session_id=session_id)
    check(session=session, data=data)
    before = describe(session=session, record=record)
    record.kind = data.kind
    record.supervisor_id = data.supervisor_id
    record.held_at = data.held_at
    record.duration_min = data.duration_min
    record.themes = data.themes
    record.updated_at = now
    session.add(record)
    _replace_links(session, session_id, data)
    _add_actions(session, session_id, data.actions)
    if data.debrief_id is not None:
        _hold_debrief(session, data.debrief_id, record, now)
    session.flush()
    return before, record


def _replace_links(session: Session, session_id: int, data: SessionData) -> None:
    for model in (SupervisionAttendee, SupervisionCall):
        for row in session.exec(select(model).where(model.session_id == session_id)):
            session.delete(row)
    session.flush()
    for counselor_id in dict.fromkeys(data.counselor_ids):
        session.add(SupervisionAttendee(session_id=session_id, counselor_id=counselor_id))
    for call_id in dict.fromkeys(data.call_ids):
        session.add(SupervisionCall(session_id=session_id, call_id=call_id))


def _add_actions(session: Session, session_id: int, actions: Sequence[NewAction]) -> None:
    for action in actions:
        session.add(
            SupervisionAction(
                session_id=session_id,
                text=action.text,
                owner_id=action.owner_id,
                due_on=action.due_on,
            )
        )


def call_and_counselor(*, session: Session, call_id: int) -> tuple[int, int | None] | None:
    """A call to pre-fill a session with, and who took it (None: no such call)."""
    call = session.get(Call, call_id)
    return None if call is None else (call.id or 0, call.counselor_id)


def get_session(*, session: Session, session_id: int) -> SupervisionSession:
    record = session.get(SupervisionSession, session_id)
    if record is None:
        raise SupervisionError("not_found", status=404)
    return record


def describe(*, session: Session, record: SupervisionSession) -> str:
    """What the audit log keeps of a session: never the themes or what the actions say."""
    detail = session_detail(session=session, record=record)
    return (
        f"kind={record.kind.value} supervisor={record.supervisor_id} "
        f"held_at={record.held_at:%Y-%m-%dT%H:%MZ} minutes={record.duration_min} "
        f"counselors={[p.id for p in detail.counselors]} calls={detail.call_ids} "
        f"actions={len(detail.actions)}"
    )


@dataclass
class SessionDetail:
    record: SupervisionSession
    supervisor: User | None
    counselors: list[User]
    call_ids: list[int]
    actions: list[tuple[SupervisionAction, User | None]]


def session_detail(*, session: Session, record: SupervisionSession) -> SessionDetail:
    sid = record.id or 0
    counselors = list(
        session.exec(
            select(User)
            .join(SupervisionAttendee, col(SupervisionAttendee.counselor_id) == col(User.id))
            .where(SupervisionAttendee.session_id == sid)
            .order_by(col(User.display_name))
        )
    )
    call_ids = list(
        session.exec(
            select(SupervisionCall.call_id)
            .where(SupervisionCall.session_id == sid)
            .order_by(col(SupervisionCall.call_id))
        )
    )
    actions = list(
        session.exec(
            select(SupervisionAction)
            .where(SupervisionAction.session_id == sid)
            .order_by(col(SupervisionAction.due_on), col(SupervisionAction.id))
        )
    )
    return SessionDetail(
        record=record,
        supervisor=session.get(User, record.supervisor_id),
        counselors=counselors,
        call_ids=call_ids,
        actions=[(a, session.get(User, a.owner_id)) for a in actions],
    )


def sessions(
    *, session: Session, counselor_id: int | None = None, limit: int = 100
) -> list[SessionDetail]:
    """The newest sessions first; with `counselor_id`, only those that person attended."""
    query = select(SupervisionSession)
    if counselor_id is not None:
        query = query.join(
            SupervisionAttendee,
            col(SupervisionAttendee.session_id) == col(SupervisionSession.id),
        ).where(SupervisionAttendee.counselor_id == counselor_id)
    query = query.order_by(
        col(SupervisionSession.held_at).desc(), col(SupervisionSession.id).desc()
    )
    return [session_detail(session=session, record=r) for r in session.exec(query.limit(limit))]


def mark_action_done(
    *, session: Session, session_id: int, action_id: int, actor: User, now: datetime
) -> SupervisionAction:
    action = session.get(SupervisionAction, action_id)
    if action is None or action.session_id != session_id:
        raise SupervisionError("no_action", status=404)
    if action.done_at is None:
        action.done_at = now
        action.done_by_id = actor.id
        session.add(action)
    return action


def open_actions_of(*, session: Session, user_id: int) -> list[SupervisionAction]:
    return list(
        session.exec(
            select(SupervisionAction)
            .where(SupervisionAction.owner_id == user_id, col(SupervisionAction.done_at).is_(None))
            .order_by(col(SupervisionAction.due_on))
        )
    )


# --- hours ------------------------------------------------------------------------------------


@dataclass
class Hours:
    user_id: int
    name: str
    month_min: int = 0
    year_min: int = 0

    @property
    def month_hours(self) -> float:
        return round(self.month_min / 60, 2)

    @property
    def year_hours(self) -> float:
        return round(self.year_min / 60, 2)


def period_starts(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The start of the local calendar month and year that contain `now`, in UTC."""
    local = now.astimezone(tz)
    month = datetime.combine(local.date().replace(day=1), time(0), tzinfo=tz)
    year = datetime.combine(date(local.year, 1, 1), time(0), tzinfo=tz)
    return month.astimezone(ZoneInfo("UTC")), year.astimezone(ZoneInfo("UTC"))


def hours(
    *, session: Session, now: datetime, tz: ZoneInfo, counselor_id: int | None = None
) -> list[Hours]:
    """Each counselor's supervision this month and this year (sessions held up to `now`)."""
    month_start, year_start = period_starts(now, tz)
    query = (
        select(
            SupervisionAttendee.counselor_id,
            SupervisionSession.held_at,
            SupervisionSession.duration_min,
        )
        .join(SupervisionSession, col(SupervisionSession.id) == col(SupervisionAttendee.session_id))
        .where(
            col(SupervisionSession.held_at) >= year_start, col(SupervisionSession.held_at) <= now
        )
    )
    if counselor_id is not None:
        query = query.where(SupervisionAttendee.counselor_id == counselor_id)
    totals: dict[int, Hours] = {}
    rows = list(session.exec(query))
    people = _users(session, {r[0] for r in rows} | ({counselor_id} if counselor_id else set()))
    if counselor_id is not None and counselor_id in people:
        totals[counselor_id] = Hours(counselor_id, people[counselor_id].display_name)
    for user_id, held_at, minutes in rows:
        name = people[user_id].display_name if user_id in people else f"#{user_id}"
        entry = totals.setdefault(user_id, Hours(user_id, name))
        entry.year_min += minutes
        if held_at >= month_start:
            entry.month_min += minutes
    return sorted(totals.values(), key=lambda h: h.name)


# --- debriefs ---------------------------------------------------------------------------------


def debrief_offered(*, session: Session, call_id: int, user: User) -> bool:
    """Whether to ask this counselor "Would you like a debrief?" after this call: their own
    submitted note rates it high or imminent, and no debrief about it has been asked for."""
    note = session.exec(select(CallNote).where(CallNote.call_id == call_id)).first()
    if note is None or note.author_id != user.id or note.status != NoteStatus.submitted:
        return False
    if note.crisis_level not in DEBRIEF_LEVELS:
        return False
    return _debrief_for(session, call_id, user.id or 0) is None


def debrief_of(*, session: Session, call_id: int, user: User) -> DebriefRequest | None:
    """This counselor's debrief request about this call, if they made one."""
    return _debrief_for(session, call_id, user.id or 0)


def _debrief_for(session: Session, call_id: int, user_id: int) -> DebriefRequest | None:
    return session.exec(
        select(DebriefRequest).where(
            DebriefRequest.call_id == call_id, DebriefRequest.counselor_id == user_id
        )
    ).first()


def request_debrief(
    *, session: Session, counselor: User, call_id: int | None, now: datetime
) -> DebriefRequest:
    """A counselor asks for a debrief, about one of their calls or in general."""
    reason = DebriefReason.asked
    if call_id is not None:
        call = session.get(Call, call_id)
        if call is None or call.counselor_id != counselor.id:
            raise SupervisionError("not_your_call", status=403, errors={"call": "not_your_call"})
        if _debrief_for(session, call_id, counselor.id or 0) is not None:
            raise SupervisionError("debrief_exists", status=409, errors={"call": "debrief_exists"})
        if debrief_offered(session=session, call_id=call_id, user=counselor):
            reason = DebriefReason.high_risk
    request = DebriefRequest(
        counselor_id=counselor.id or 0,
        call_id=call_id,
        reason=reason,
        requested_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    return request


def get_debrief(*, session: Session, debrief_id: int) -> DebriefRequest:
    debrief = session.get(DebriefRequest, debrief_id)
    if debrief is None:
        raise SupervisionError("no_debrief", status=404)
    return debrief


def schedule_debrief(
    *, session: Session, debrief_id: int, at: datetime, now: datetime
) -> DebriefRequest:
    debrief = get_debrief(session=session, debrief_id=debrief_id)
    if debrief.status == DebriefStatus.done:
        raise SupervisionError("debrief_closed", status=409)
    debrief.status = DebriefStatus.scheduled
    debrief.scheduled_for = at
    debrief.updated_at = now
    session.add(debrief)
    return debrief


def _hold_debrief(
    session: Session, debrief_id: int, record: SupervisionSession, now: datetime
) -> None:
    """The session held the debrief: it is done, and points at the session."""
    debrief = get_debrief(session=session, debrief_id=debrief_id)
    if debrief.status == DebriefStatus.done and debrief.session_id != record.id:
        raise SupervisionError("debrief_closed", status=409)
    debrief.status = DebriefStatus.done
    debrief.session_id = record.id
    debrief.updated_at = now
    session.add(debrief)


def debriefs(
    *, session: Session, counselor_id: int | None = None, open_only: bool = False
) -> list[tuple[DebriefRequest, User | None]]:
    query = select(DebriefRequest)
    if counselor_id is not None:
        query = query.where(DebriefRequest.counselor_id == counselor_id)
    if open_only:
        query = query.where(col(DebriefRequest.status) != DebriefStatus.done)
    query = query.order_by(col(DebriefRequest.requested_at).desc(), col(DebriefRequest.id).desc())
    return [(d, session.get(User, d.counselor_id)) for d in session.exec(query.limit(200))]


def attending_people(*, session: Session) -> list[User]:
    """Who may be chosen as present at a session or as an action's owner."""
    return list(
        session.exec(
            select(User)
            .where(col(User.active).is_(True), col(User.role).in_(ATTENDING))
            .order_by(col(User.display_name))
        )
    )


def supervisors(*, session: Session) -> list[User]:
    return list(
        session.exec(
            select(User)
            .where(col(User.active).is_(True), col(User.role).in_(SUPERVISORS))
            .order_by(col(User.display_name))
        )
    )
