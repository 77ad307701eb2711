"""Supervisor statistics, computed by aggregation in the database (never by loading calls).

Definitions (docs/domain.md section 9):

- offered: every call that reached a line; answered: connected to a counselor (`connected_at`).
- answer rate = answered / (offered - abandoned within 5 s of entering the queue); the 5 s
  exclusion (a caller who hung up at once, often a misdial) is for voice calls only: a text
  conversation that ended within 5 s counts as abandoned, and in the answer rate.
- ASA: mean seconds from entering the queue to connected, over answered calls.
- service level = answered within 20 s (and 60 s) of entering the queue / entered the queue.
- abandonment rate = abandoned while queued or offered / entered the queue.
- overflow rate = sent to voicemail or a partner line (`overflow`) / entered the queue.
- handle time = talk (connected to ended) + wrap-up (ended to completed), over completed calls.

Which period or bucket a call belongs to: the moment it entered the queue (`queued_at`), or, for a
call that never reached the queue (hung up in the greeting), the moment it reached the line
(`created_at`), in the line's time zone. A call queued at 23:59:50 and answered after midnight
counts, with its whole talk and wrap-up, on the day it entered the queue.

"Within 5 s" includes 5.000 s; "within 20 s" includes 20.000 s (seconds to the millisecond).
Every call figure is also given by channel (`Bucket.channel`: voice, sms, webchat, wechat) and
in total. Hung up in the greeting (`abandoned_ivr`) and the caller's area are voice only: a text
conversation has no greeting menu and no caller number prefix.
Note figures (crisis level, call type, categories, groups, difficult, follow-up) count submitted
notes only; a draft can still change. Escalation times run from the escalation's start.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from hotline.auth.models import User
from hotline.blocklist.service import END_REASON as BLOCKED
from hotline.calls.models import Call, CallState, Channel
from hotline.escalation.models import Escalation
from hotline.models_base import UTCDateTime
from hotline.notes.models import CallNote, NoteStatus
from hotline.routing.models import AgentState, PresenceEvent

SHORT_ABANDON_S = 5
SERVICE_LEVELS_S = (20, 60)
# A call's greeting (IVR) lasts seconds; this bounds how long before its queue entry a call can
# have reached the line, so the period filter can use the index on created_at.
MAX_IVR = timedelta(hours=1)
HIGH_LEVELS = ("high", "imminent")
COUNSELLING = ("self", "third_party")
ON_DUTY_STATES = (
    AgentState.available.value,
    AgentState.offered.value,
    AgentState.on_call.value,
    AgentState.chatting.value,
    AgentState.wrap_up.value,
)
WAIT_EDGES = (10, 20, 30, 60, 120, 300)
HANDLE_EDGES = (300, 600, 1200, 1800, 2700, 3600)


class Bucket(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    hour = "hour"  # hour of the day, 0-23 (local)
    weekday = "weekday"  # ISO weekday, 1 = Monday ... 7 = Sunday
    channel = "channel"  # hotline.calls.models.Channel: voice, sms, webchat, wechat


class Dimension(StrEnum):
    crisis_level = "crisis_level"
    call_type = "call_type"
    category = "category"
    population_group = "population_group"
    caller_area = "caller_area"


@dataclass(frozen=True)
class Scope:
    """The period [start, end) in UTC, an optional line, and the time zone to bucket in."""

    start: datetime
    end: datetime
    line_id: int | None = None
    timezone: str = "Asia/Shanghai"


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else numerator / denominator


@dataclass
class CallFigures:
    key: str | int | None = None
    offered: int = 0
    entered_queue: int = 0
    answered: int = 0
    abandoned: int = 0  # while queued or offered
    abandoned_short: int = 0  # of those, voice calls within 5 s of entering the queue
    abandoned_ivr: int = 0  # hung up before reaching the queue
    overflow: int = 0
    answered_20: int = 0
    answered_60: int = 0
    wait_sum_s: float = 0.0
    handled: int = 0  # answered and wrap-up finished
    talk_sum_s: float = 0.0
    wrap_sum_s: float = 0.0
    repeat: int = 0
    in_danger: int = 0
    local: int = 0  # caller's number in the line's local prefixes
    out_of_area: int = 0

    def add(self, other: CallFigures) -> None:
        """Fold another bucket's figures into these (every stored figure is a sum)."""
        for name in self.__dataclass_fields__:
            if name != "key":
                setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def answer_rate(self) -> float | None:
        return _ratio(self.answered, self.offered - self.abandoned_short)

    @property
    def asa_s(self) -> float | None:
        return _ratio(self.wait_sum_s, self.answered)

    @property
    def service_level_20(self) -> float | None:
        return _ratio(self.answered_20, self.entered_queue)

    @property
    def service_level_60(self) -> float | None:
        return _ratio(self.answered_60, self.entered_queue)

    @property
    def abandonment_rate(self) -> float | None:
        return _ratio(self.abandoned, self.entered_queue)

    @property
    def overflow_rate(self) -> float | None:
        return _ratio(self.overflow, self.entered_queue)

    @property
    def aht_s(self) -> float | None:
        return _ratio(self.talk_sum_s + self.wrap_sum_s, self.handled)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        for name in (
            "answer_rate",
            "asa_s",
            "service_level_20",
            "service_level_60",
            "abandonment_rate",
            "overflow_rate",
            "aht_s",
        ):
            data[name] = getattr(self, name)
        return data


@dataclass
class EscalationFigures:
    count: int = 0
    acknowledged: int = 0
    joined: int = 0
    unacknowledged: int = 0  # the alarm went to the supervisor
    ack_sum_s: float = 0.0
    ack_max_s: float | None = None
    join_sum_s: float = 0.0
    join_max_s: float | None = None

    @property
    def mean_ack_s(self) -> float | None:
        return _ratio(self.ack_sum_s, self.acknowledged)

    @property
    def mean_join_s(self) -> float | None:
        return _ratio(self.join_sum_s, self.joined)

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "mean_ack_s": self.mean_ack_s, "mean_join_s": self.mean_join_s}


@dataclass
class NoteFigures:
    notes: int = 0
    high_risk: int = 0  # high or imminent
    imminent: int = 0
    difficult: int = 0
    follow_up_wanted: int = 0
    counselling: int = 0  # call type self or third party

    def public(self) -> dict[str, Any]:
        return asdict(self)


# --- dialect helpers --------------------------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    """Seconds from `earlier` to `later` (to the millisecond on SQLite)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return cast(func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3), Float)


def _offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offset (seconds) from each change point within [start, end)."""
    step = timedelta(hours=1)
    at = start.replace(minute=0, second=0, microsecond=0)
    points: list[tuple[datetime, int]] = []
    while at < end + step:
        offset = at.astimezone(zone).utcoffset()
        seconds = int(offset.total_seconds()) if offset is not None else 0
        if not points or points[-1][1] != seconds:
            points.append((at, seconds))
        at += step
    return points


def local_time(dialect: str, column: Any, scope: Scope) -> ColumnElement[Any]:
    """`column` (UTC) as wall-clock time in the scope's zone."""
    if dialect == "postgresql":
        return func.timezone(scope.timezone, column)
    points = _offsets(ZoneInfo(scope.timezone), scope.start - MAX_IVR, scope.end)

    def shifted(seconds: int) -> ColumnElement[Any]:
        return func.datetime(column, f"{seconds:+d} seconds")

    if len(points) == 1:
        return shifted(points[0][1])
    whens = [
        (column < literal(points[i + 1][0], UTCDateTime()), shifted(seconds))
        for i, (_at, seconds) in enumerate(points[:-1])
    ]
    return case(*whens, else_=shifted(points[-1][1]))


def bucket_key(dialect: str, local: ColumnElement[Any], bucket: Bucket) -> ColumnElement[Any]:
    """A sortable key: '2026-03-01' (day; week = its Monday), '2026-03', '2026-Q1', 0-23, 1-7."""
    if dialect == "postgresql":
        formats = {
            Bucket.day: func.to_char(local, "YYYY-MM-DD"),
            Bucket.week: func.to_char(func.date_trunc("week", local), "YYYY-MM-DD"),
            Bucket.month: func.to_char(local, "YYYY-MM"),
            Bucket.quarter: func.to_char(local, 'YYYY-"Q"Q'),
            Bucket.hour: cast(func.extract("hour", local), Integer),
            Bucket.weekday: cast(func.extract("isodow", local), Integer),
        }
        return formats[bucket]
    if bucket is Bucket.day:
        return func.strftime("%Y-%m-%d", local)
    if bucket is Bucket.week:
        return func.date(local, "weekday 0", "-6 days")
    if bucket is Bucket.month:
        return func.strftime("%Y-%m", local)
    if bucket is Bucket.quarter:
        month = cast(func.strftime("%m", local), Integer)
        return func.strftime("%Y", local) + "-Q" + cast((month + 2) // 3, String)
    if bucket is Bucket.hour:
        return cast(func.strftime("%H", local), Integer)
    return (cast(func.strftime("%w", local), Integer) + 6) % 7 + 1


# --- calls ------------------------------------------------------------------------------------


def arrival() -> ColumnElement[datetime]:
    """When a call entered the queue, or reached the line if it never did."""
    return func.coalesce(col(Call.queued_at), col(Call.created_at))


def call_filter(scope: Scope) -> list[ColumnElement[bool]]:
    arrived = arrival()
    where = [
        # A blocked (abusive) caller is turned away with the emergency numbers: never offered.
        or_(col(Call.end_reason).is_(None), col(Call.end_reason) != BLOCKED),
        # The line's own calls back (hotline/dialback/) reached no line: they are follow-up
        # work, counted there (docs/domain.md 9), not calls received.
        col(Call.direction) == "inbound",
        col(Call.created_at) >= scope.start - MAX_IVR,
        col(Call.created_at) < scope.end,
        arrived >= literal(scope.start, UTCDateTime()),
        arrived < literal(scope.end, UTCDateTime()),
    ]
    if scope.line_id is not None:
        where.append(col(Call.line_id) == scope.line_id)
    return where


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition: ColumnElement[bool], value: ColumnElement[float]) -> ColumnElement[float]:
    return func.coalesce(func.sum(case((condition, value), else_=0.0)), 0.0)


def call_figures(
    *,
    session: Session,
    scope: Scope,
    bucket: Bucket | None = None,
    channel: Channel | None = None,
) -> list[CallFigures]:
    """The call figures of the period (of one channel, if given), one row per bucket (sorted),
    or one row in all."""
    dialect = _dialect(session)
    queued = col(Call.queued_at)
    connected = col(Call.connected_at)
    ended = col(Call.ended_at)
    completed = col(Call.completed_at)
    wait = seconds_between(dialect, connected, queued)
    answered = connected.is_not(None)
    in_queue = queued.is_not(None)
    abandoned = and_(col(Call.state) == CallState.abandoned.value, in_queue)
    handled = and_(answered, completed.is_not(None), ended.is_not(None))
    columns: list[Any] = [
        func.count().label("offered"),
        func.count(queued).label("entered_queue"),
        func.count(connected).label("answered"),
        _count_if(abandoned).label("abandoned"),
        _count_if(
            and_(
                abandoned,
                col(Call.channel) == Channel.voice.value,
                seconds_between(dialect, ended, queued) <= SHORT_ABANDON_S,
            )
        ).label("abandoned_short"),
        _count_if(and_(col(Call.state) == CallState.abandoned.value, queued.is_(None))).label(
            "abandoned_ivr"
        ),
        _count_if(col(Call.state) == CallState.overflow.value).label("overflow"),
        _count_if(and_(answered, in_queue, wait <= SERVICE_LEVELS_S[0])).label("answered_20"),
        _count_if(and_(answered, in_queue, wait <= SERVICE_LEVELS_S[1])).label("answered_60"),
        _sum_if(and_(answered, in_queue), wait).label("wait_sum_s"),
        _count_if(handled).label("handled"),
        _sum_if(handled, seconds_between(dialect, ended, connected)).label("talk_sum_s"),
        _sum_if(handled, seconds_between(dialect, completed, ended)).label("wrap_sum_s"),
        _count_if(col(Call.repeat_caller).is_(True)).label("repeat"),
        _count_if(col(Call.in_danger).is_(True)).label("in_danger"),
        _count_if(col(Call.caller_area) == "local").label("local"),
        _count_if(col(Call.caller_area) == "out_of_area").label("out_of_area"),
    ]
    where = call_filter(scope)
    if channel is not None:
        where.append(col(Call.channel) == channel.value)
    query = select(*columns).where(*where)
    if bucket is Bucket.channel:
        key: Any = col(Call.channel).label("key")
        query = select(key, *columns).where(*where).group_by(key).order_by(key)
    elif bucket is not None:
        key = bucket_key(dialect, local_time(dialect, arrival(), scope), bucket).label("key")
        query = select(key, *columns).where(*where).group_by(key).order_by(key)
    rows = session.execute(query).mappings().all()
    figures = []
    for row in rows:
        data: dict[str, Any] = {}
        for name, value in row.items():
            if name == "key" and bucket is Bucket.channel:
                data[name] = Channel(value).value
            elif name == "key":
                hourly = bucket is not None and bucket in (Bucket.hour, Bucket.weekday)
                data[name] = int(value) if hourly and value is not None else value
            else:
                data[name] = float(value) if name.endswith("_s") else int(value)
        figures.append(CallFigures(**data))
    if bucket is None and not figures:
        figures = [CallFigures()]
    return figures


def combined(figures: list[CallFigures]) -> CallFigures:
    total = CallFigures()
    for figure in figures:
        total.add(figure)
    return total


def hour_weekday(*, session: Session, scope: Scope) -> list[tuple[int, int, int, int]]:
    """(ISO weekday, local hour, offered, answered) for each hour of the week with calls."""
    dialect = _dialect(session)
    local = local_time(dialect, arrival(), scope)
    weekday = bucket_key(dialect, local, Bucket.weekday).label("weekday")
    hour = bucket_key(dialect, local, Bucket.hour).label("hour")
    rows = session.execute(
        select(weekday, hour, func.count(), func.count(col(Call.connected_at)))
        .where(*call_filter(scope))
        .group_by(weekday, hour)
    ).all()
    return [(int(d), int(h), int(n), int(a)) for d, h, n, a in rows]


def totals(*, session: Session, scope: Scope) -> CallFigures:
    figures = call_figures(session=session, scope=scope)
    return figures[0] if figures else CallFigures()


def _slot(value: ColumnElement[float], edges: tuple[int, ...]) -> ColumnElement[int]:
    return case(*[(value < edge, i) for i, edge in enumerate(edges)], else_=len(edges))


def range_labels(edges: tuple[int, ...]) -> list[str]:
    labels, lower = [], 0
    for edge in edges:
        labels.append(f"{lower}-{edge}")
        lower = edge
    return [*labels, f"{lower}+"]


def distributions(
    *, session: Session, scope: Scope
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """How answered calls' waits, and completed calls' handle times, spread over ranges (s)."""
    dialect = _dialect(session)
    connected = col(Call.connected_at)
    wait = _slot(seconds_between(dialect, connected, col(Call.queued_at)), WAIT_EDGES)
    handle = _slot(seconds_between(dialect, col(Call.completed_at), connected), HANDLE_EDGES)
    has_wait = and_(connected.is_not(None), col(Call.queued_at).is_not(None))
    has_handle = and_(connected.is_not(None), col(Call.completed_at).is_not(None))
    wait_slot = case((has_wait, wait), else_=None).label("wait")
    handle_slot = case((has_handle, handle), else_=None).label("handle")
    rows = session.execute(
        select(wait_slot, handle_slot, func.count())
        .where(*call_filter(scope), connected.is_not(None))
        .group_by(wait_slot, handle_slot)
    ).all()
    waits = [0] * (len(WAIT_EDGES) + 1)
    handles = [0] * (len(HANDLE_EDGES) + 1)
    for w, h, n in rows:
        if w is not None:
            waits[int(w)] += int(n)
        if h is not None:
            handles[int(h)] += int(n)
    return (
        list(zip(range_labels(WAIT_EDGES), waits, strict=True)),
        list(zip(range_labels(HANDLE_EDGES), handles, strict=True)),
    )


def distribution(*, session: Session, scope: Scope, measure: str) -> list[tuple[str, int]]:
    waits, handles = distributions(session=session, scope=scope)
    return waits if measure == "wait" else handles


# --- notes ------------------------------------------------------------------------------------


def _notes_base(scope: Scope) -> list[ColumnElement[bool]]:
    return [*call_filter(scope), col(CallNote.status) == NoteStatus.submitted.value]


def note_figures(*, session: Session, scope: Scope) -> NoteFigures:
    level = col(CallNote.crisis_level)
    row = session.execute(
        select(
            func.count().label("notes"),
            _count_if(level.in_(HIGH_LEVELS)).label("high_risk"),
            _count_if(level == "imminent").label("imminent"),
            _count_if(col(CallNote.difficult).is_(True)).label("difficult"),
            _count_if(col(CallNote.follow_up_wanted).is_(True)).label("follow_up_wanted"),
            _count_if(col(CallNote.call_type).in_(COUNSELLING)).label("counselling"),
        )
        .select_from(CallNote)
        .join(Call, col(Call.id) == col(CallNote.call_id))
        .where(*_notes_base(scope))
    ).one()
    counts: dict[str, Any] = {key: int(value or 0) for key, value in row._mapping.items()}
    return NoteFigures(**counts)


def note_breakdown(
    *, session: Session, scope: Scope
) -> tuple[NoteFigures, dict[str, int], dict[str, int]]:
    """The note figures and the counts by crisis level and by call type, in one scan."""
    level = col(CallNote.crisis_level)
    kind = col(CallNote.call_type)
    rows = session.execute(
        select(
            level,
            kind,
            func.count(),
            _count_if(col(CallNote.difficult).is_(True)),
            _count_if(col(CallNote.follow_up_wanted).is_(True)),
        )
        .select_from(CallNote)
        .join(Call, col(Call.id) == col(CallNote.call_id))
        .where(*_notes_base(scope))
        .group_by(level, kind)
    ).all()
    figures = NoteFigures()
    levels: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for lvl, typ, n, difficult, follow in rows:
        n = int(n)
        figures.notes += n
        figures.difficult += int(difficult)
        figures.follow_up_wanted += int(follow)
        figures.high_risk += n if lvl in HIGH_LEVELS else 0
        figures.imminent += n if lvl == "imminent" else 0
        figures.counselling += n if typ in COUNSELLING else 0
        levels["unset" if lvl is None else lvl] = levels.get("unset" if lvl is None else lvl, 0) + n
        kinds["unset" if typ is None else typ] = kinds.get("unset" if typ is None else typ, 0) + n
    return figures, levels, kinds


def counts_by(*, session: Session, scope: Scope, dimension: Dimension) -> dict[str, int]:
    """How many calls (caller_area) or submitted notes fall under each value of `dimension`."""
    dialect = _dialect(session)
    if dimension is Dimension.caller_area:
        key: Any = col(Call.caller_area)
        query = select(key, func.count()).where(*call_filter(scope)).group_by(key)
    elif dimension in (Dimension.crisis_level, Dimension.call_type):
        key = col(
            CallNote.crisis_level if dimension is Dimension.crisis_level else CallNote.call_type
        )
        query = (
            select(key, func.count())
            .select_from(CallNote)
            .join(Call, col(Call.id) == col(CallNote.call_id))
            .where(*_notes_base(scope))
            .group_by(key)
        )
    else:
        if dimension is Dimension.category:
            source: Any = col(CallNote.categories)
            elements = (
                func.json_array_elements_text(source)
                if dialect == "postgresql"
                else func.json_each(source)
            )
        else:
            elements = (
                func.json_array_elements_text(col(CallNote.profile).op("->")("population_groups"))
                if dialect == "postgresql"
                else func.json_each(col(CallNote.profile), "$.population_groups")
            )
        values = elements.table_valued("value").alias("item")
        key = cast(values.c.value, String)
        query = (
            select(key, func.count())
            .select_from(CallNote)
            .join(Call, col(Call.id) == col(CallNote.call_id))
            .join(values, true())
            .where(*_notes_base(scope))
            .group_by(key)
        )
    return {
        ("unset" if value is None else str(value)): int(n)
        for value, n in session.execute(query).all()
    }


# --- escalations ------------------------------------------------------------------------------


def escalation_figures(*, session: Session, scope: Scope) -> EscalationFigures:
    """Escalations started in the period: how fast someone acknowledged and joined."""
    dialect = _dialect(session)
    created = col(Escalation.created_at)
    ack = seconds_between(dialect, col(Escalation.acknowledged_at), created)
    join = seconds_between(dialect, col(Escalation.joined_at), created)
    acked = col(Escalation.acknowledged_at).is_not(None)
    joined = col(Escalation.joined_at).is_not(None)
    where = [created >= scope.start, created < scope.end]
    if scope.line_id is not None:
        where.append(col(Escalation.line_id) == scope.line_id)
    row = session.execute(
        select(
            func.count().label("count"),
            func.count(col(Escalation.acknowledged_at)).label("acknowledged"),
            func.count(col(Escalation.joined_at)).label("joined"),
            func.count(col(Escalation.alarm_at)).label("unacknowledged"),
            _sum_if(acked, ack).label("ack_sum_s"),
            func.max(case((acked, ack), else_=None)).label("ack_max_s"),
            _sum_if(joined, join).label("join_sum_s"),
            func.max(case((joined, join), else_=None)).label("join_max_s"),
        ).where(*where)
    ).one()
    data = row._mapping
    return EscalationFigures(
        count=int(data["count"]),
        acknowledged=int(data["acknowledged"]),
        joined=int(data["joined"]),
        unacknowledged=int(data["unacknowledged"]),
        ack_sum_s=float(data["ack_sum_s"]),
        ack_max_s=None if data["ack_max_s"] is None else float(data["ack_max_s"]),
        join_sum_s=float(data["join_sum_s"]),
        join_max_s=None if data["join_max_s"] is None else float(data["join_max_s"]),
    )


# --- staff ------------------------------------------------------------------------------------


def staff_on_duty_ids(*, session: Session, scope: Scope) -> set[int]:
    """Distinct people who were available, offered, on a call, chatting or in wrap-up at some
    time in the period: a state change into one inside it, or such a state held when it began."""
    during = select(col(PresenceEvent.user_id)).where(
        col(PresenceEvent.at) >= scope.start,
        col(PresenceEvent.at) < scope.end,
        col(PresenceEvent.state).in_(ON_DUTY_STATES),
    )
    latest = (
        select(func.max(col(PresenceEvent.id)).label("id"))
        .where(col(PresenceEvent.at) < scope.start)
        .group_by(col(PresenceEvent.user_id))
        .subquery()
    )
    holding = select(col(PresenceEvent.user_id)).where(
        col(PresenceEvent.id).in_(select(latest.c.id)),
        col(PresenceEvent.state).in_(ON_DUTY_STATES),
    )
    ids = {int(user_id) for (user_id,) in session.execute(union(during, holding)).all()}
    if scope.line_id is None or not ids:
        return ids
    users = session.execute(select(col(User.id), col(User.line_ids)).where(col(User.id).in_(ids)))
    return {
        int(user_id) for user_id, line_ids in users if not line_ids or scope.line_id in line_ids
    }


def staff_on_duty(*, session: Session, scope: Scope) -> int:
    return len(staff_on_duty_ids(session=session, scope=scope))
