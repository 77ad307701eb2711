"""Daily roll-ups that keep the statistics fast on years of calls.

For each line and local day (in the line's time zone), the figures of the calls that arrived that
day are stored as sums: the call figures per local hour and channel (`stats_hours`), and counts
per value of each note and distribution dimension (`stats_counts`). They are computed by the
very functions of `hotline.stats.metrics`, over one day, so the definitions live in one place.

A period's figures are the sums over its rolled-up days plus the raw figures of the rest (always
the last days, which have not settled). Every stored figure is a sum, so this is exactly what the
raw query gives; the tests compare both ways on the same calls. Where the roll-up can't be used,
the raw functions answer (slower, same result): a line without a roll-up yet, lines in different
time zones, a period not made of whole local days.

The refresh runs from the scheduler, on every instance; a line's row lock (PostgreSQL) or the
writer lock (SQLite) keeps two instances off the same day. A day is rolled up once it is
SETTLE_DAYS old, when its calls have left wrap-up and their notes are in. A later change to such
a day (a note submitted days after its call) leaves a mark (`changes.mark_changed`); pages read
that day raw until the next refresh recomputes it. Purged calls leave their day's sums in place:
sums name no one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from hotline.calls.models import Call, Channel
from hotline.db import Database
from hotline.lines.models import Line
from hotline.stats import metrics
from hotline.stats.changes import SETTLE_DAYS
from hotline.stats.metrics import (
    COUNSELLING,
    HANDLE_EDGES,
    HIGH_LEVELS,
    WAIT_EDGES,
    Bucket,
    CallFigures,
    Dimension,
    NoteFigures,
    Scope,
)
from hotline.stats.models import StatsCount, StatsHour, StatsRollup, StatsStale

log = logging.getLogger(__name__)
BATCH_DAYS = 31  # days rolled up per line in one refresh (a year's backlog takes a few runs)
SUMS = tuple(f.name for f in fields(CallFigures) if f.name != "key")
WAIT, HANDLE, FLAG = "wait", "handle", "flag"


def local_day(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def day_start(day: date, zone: str) -> datetime:
    """The UTC instant a local day begins."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


# --- refreshing -------------------------------------------------------------------------------


def compute_day(
    *, session: Session, line_id: int, zone: str, day: date
) -> tuple[list[StatsHour], list[StatsCount]]:
    """One line-day's roll-up rows, from the raw metric functions over that day."""
    scope = Scope(
        start=day_start(day, zone),
        end=day_start(day + timedelta(days=1), zone),
        line_id=line_id,
        timezone=zone,
    )
    hours = [
        StatsHour(
            line_id=line_id,
            day=day,
            hour=int(f.key or 0),
            channel=channel.value,
            **{n: getattr(f, n) for n in SUMS},
        )
        for channel in Channel
        for f in metrics.call_figures(
            session=session, scope=scope, bucket=Bucket.hour, channel=channel
        )
    ]
    counts: dict[tuple[str, str], int] = {}
    notes, levels, kinds = metrics.note_breakdown(session=session, scope=scope)
    for value, n in levels.items():
        counts[(Dimension.crisis_level.value, value)] = n
    for value, n in kinds.items():
        counts[(Dimension.call_type.value, value)] = n
    counts[(FLAG, "difficult")] = notes.difficult
    counts[(FLAG, "follow_up_wanted")] = notes.follow_up_wanted
    for dimension in (Dimension.category, Dimension.population_group):
        found = metrics.counts_by(session=session, scope=scope, dimension=dimension)
        for value, n in found.items():
            counts[(dimension.value, value)] = n
    waits, handles = metrics.distributions(session=session, scope=scope)
    for name, spread in ((WAIT, waits), (HANDLE, handles)):
        for label, n in spread:
            counts[(name, label)] = n
    rows = [
        StatsCount(line_id=line_id, day=day, dimension=name, value=value, n=n)
        for (name, value), n in counts.items()
        if n
    ]
    return hours, rows


@dataclass
class RefreshResult:
    days: int = 0  # line-days computed
    pending: int = 0  # line-days still to roll up (backlog left for later runs)


def _start_line(*, session: Session, line: Line, first_unsettled: date, now: datetime) -> None:
    """Begin a line's roll-up at the day of its first call (or at the settled edge if none)."""
    assert line.id is not None
    first = session.execute(
        select(func.min(col(Call.created_at))).where(col(Call.line_id) == line.id)
    ).scalar()
    start = (
        first_unsettled if first is None else min(local_day(first, line.timezone), first_unsettled)
    )
    session.add(
        StatsRollup(line_id=line.id, rolled_until=start, timezone=line.timezone, refreshed_at=now)
    )


def _days_to_do(
    *, session: Session, line: Line, state: StatsRollup, first_unsettled: date, batch_days: int
) -> tuple[list[date], int]:
    marks = session.execute(
        select(col(StatsStale.arrived_at)).where(col(StatsStale.line_id) == line.id)
    ).scalars()
    stale = {local_day(at, line.timezone) for at in marks}
    days = sorted(day for day in stale if day < state.rolled_until)
    end = min(first_unsettled, state.rolled_until + timedelta(days=batch_days))
    fresh = [state.rolled_until + timedelta(days=i) for i in range((end - state.rolled_until).days)]
    backlog = max(0, (first_unsettled - end).days)
    return days + fresh, backlog


def _roll_day(*, session: Session, line: Line, day: date, now: datetime) -> bool:
    """Recompute one line-day in the caller's transaction; False if another instance holds the
    line. Marks for that day seen here are cleared; any committed later stay for the next run."""
    assert line.id is not None
    state = session.execute(
        select(StatsRollup)
        .where(col(StatsRollup.line_id) == line.id)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if state is None or state.timezone != line.timezone:
        return False
    start, end = day_start(day, line.timezone), day_start(day + timedelta(days=1), line.timezone)
    mark_ids = (
        session.execute(
            select(col(StatsStale.id)).where(
                col(StatsStale.line_id) == line.id,
                col(StatsStale.arrived_at) >= start,
                col(StatsStale.arrived_at) < end,
            )
        )
        .scalars()
        .all()
    )
    hours, counts = compute_day(session=session, line_id=line.id, zone=line.timezone, day=day)
    for table in (StatsHour, StatsCount):
        session.execute(delete(table).where(table.line_id == line.id, table.day == day))  # type: ignore[arg-type]
    session.add_all([*hours, *counts])
    if mark_ids:
        session.execute(delete(StatsStale).where(col(StatsStale.id).in_(mark_ids)))
    if day == state.rolled_until:
        state.rolled_until = day + timedelta(days=1)
    state.refreshed_at = now
    return True


def _reset_line(*, session: Session, line_id: int) -> None:
    """Forget a line's roll-up (its time zone changed: its days no longer match)."""
    for table in (StatsHour, StatsCount, StatsRollup):
        session.execute(delete(table).where(table.line_id == line_id))  # type: ignore[arg-type]


def refresh(*, db: Database, now: datetime, batch_days: int = BATCH_DAYS) -> RefreshResult:
    """Roll up each line's settled days not yet rolled up (at most `batch_days` a line) and the
    days marked changed. One short transaction a day, so calls are never held up."""
    result = RefreshResult()
    with db.session() as session:
        lines = list(session.execute(select(Line)).scalars())
    for line in lines:
        assert line.id is not None
        first_unsettled = local_day(now, line.timezone) - timedelta(days=SETTLE_DAYS - 1)
        try:
            with db.session() as session:
                state = session.get(StatsRollup, line.id)
                if state is not None and state.timezone != line.timezone:
                    _reset_line(session=session, line_id=line.id)
                    state = None
                if state is None:
                    _start_line(
                        session=session, line=line, first_unsettled=first_unsettled, now=now
                    )
        except IntegrityError:  # another instance started this line at the same moment
            continue
        with db.session() as session:
            state = session.get(StatsRollup, line.id)
            if state is None:
                continue
            days, backlog = _days_to_do(
                session=session,
                line=line,
                state=state,
                first_unsettled=first_unsettled,
                batch_days=batch_days,
            )
        result.pending += backlog
        for day in days:
            with db.session() as session:
                if not _roll_day(session=session, line=line, day=day, now=now):
                    break
            result.days += 1
    return result


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A scope cut into rolled-up days [first, cut) of some lines, and a raw rest."""

    line_ids: list[int]
    first: date
    cut: date
    raw: Scope | None

    @property
    def rolled(self) -> bool:
        return self.cut > self.first and bool(self.line_ids)


def split(*, session: Session, scope: Scope) -> Split:
    zone = scope.timezone
    first, end = local_day(scope.start, zone), local_day(scope.end, zone)
    all_raw = Split(line_ids=[], first=first, cut=first, raw=scope)
    if day_start(first, zone) != scope.start or day_start(end, zone) != scope.end:
        return all_raw
    query = select(col(Line.id), col(Line.timezone), col(StatsRollup.rolled_until)).outerjoin(
        StatsRollup,
        (col(StatsRollup.line_id) == col(Line.id))
        & (col(StatsRollup.timezone) == col(Line.timezone)),
    )
    if scope.line_id is not None:
        query = query.where(col(Line.id) == scope.line_id)
    rows = session.execute(query).all()
    if not rows or any(tz != zone or until is None for _id, tz, until in rows):
        return all_raw
    line_ids = [int(line_id) for line_id, _tz, _until in rows]
    cut = min(until for _id, _tz, until in rows)
    changed = session.execute(
        select(func.min(col(StatsStale.arrived_at))).where(
            col(StatsStale.line_id).in_(line_ids),
            col(StatsStale.arrived_at) >= scope.start,
            col(StatsStale.arrived_at) < scope.end,
        )
    ).scalar()
    if changed is not None:
        cut = min(cut, local_day(changed, zone))
    cut = max(first, min(cut, end))
    raw = None
    if cut < end:
        raw = Scope(start=day_start(cut, zone), end=scope.end, line_id=scope.line_id, timezone=zone)
    return Split(line_ids=line_ids, first=first, cut=cut, raw=raw)


def _in_days(table: Any, part: Split) -> list[Any]:
    return [
        table.line_id.in_(part.line_ids),
        table.day >= part.first,
        table.day < part.cut,
    ]


def _key(bucket: Bucket, day: date) -> str | int:
    """The bucket key of a local day, as `metrics.bucket_key` spells it in SQL."""
    if bucket is Bucket.weekday:
        return day.isoweekday()
    if bucket is Bucket.week:
        return (day - timedelta(days=day.weekday())).isoformat()
    if bucket is Bucket.month:
        return f"{day.year:04d}-{day.month:02d}"
    if bucket is Bucket.quarter:
        return f"{day.year:04d}-Q{(day.month + 2) // 3}"
    return day.isoformat()


def call_figures(
    *, session: Session, scope: Scope, bucket: Bucket | None = None
) -> list[CallFigures]:
    """`metrics.call_figures`, from the roll-up where it can."""
    part = split(session=session, scope=scope)
    by_row = bucket in (Bucket.hour, Bucket.channel)  # a stored column, not a day's bucket
    merged: dict[Any, CallFigures] = {}

    def fold(key: Any, figures: CallFigures) -> None:
        merged.setdefault(key, CallFigures(key=key)).add(figures)

    if part.rolled:
        # Group in SQL by the hour or the day (a year: at most 366 rows), then bucket the days.
        keys: list[Any] = []
        if bucket is Bucket.hour:
            keys = [col(StatsHour.hour)]
        elif bucket is Bucket.channel:
            keys = [col(StatsHour.channel)]
        elif bucket is not None:
            keys = [col(StatsHour.day)]
        sums = [func.sum(getattr(StatsHour, name)) for name in SUMS]
        rows = session.execute(
            select(*keys, *sums).where(*_in_days(StatsHour, part)).group_by(*keys)
        ).all()
        for row in rows:
            if row[len(keys)] is None:  # no rows at all: SUM over nothing
                continue
            figures = CallFigures()
            for name, value in zip(SUMS, row[len(keys) :], strict=True):
                setattr(figures, name, float(value) if name.endswith("_s") else int(value))
            key: Any = None
            if by_row:
                key = int(row[0]) if bucket is Bucket.hour else str(row[0])
            elif bucket is not None:
                key = _key(bucket, row[0])
            fold(key, figures)
    if part.raw is not None:
        for figures in metrics.call_figures(session=session, scope=part.raw, bucket=bucket):
            fold(figures.key, figures)
    if bucket is None:
        return [merged.get(None, CallFigures())]
    return [merged[key] for key in sorted(merged)]


def totals(*, session: Session, scope: Scope) -> CallFigures:
    return call_figures(session=session, scope=scope)[0]


def by_channel(*, session: Session, scope: Scope) -> list[CallFigures]:
    """The call figures of each channel (all of them, in `Channel`'s order, even at 0)."""
    found = {f.key: f for f in call_figures(session=session, scope=scope, bucket=Bucket.channel)}
    return [found.get(c.value) or CallFigures(key=c.value) for c in Channel]


def hour_weekday(*, session: Session, scope: Scope) -> list[tuple[int, int, int, int]]:
    part = split(session=session, scope=scope)
    cells: dict[tuple[int, int], list[int]] = {}
    if part.rolled:
        rows = session.execute(
            select(
                col(StatsHour.day),
                col(StatsHour.hour),
                func.sum(col(StatsHour.offered)),
                func.sum(col(StatsHour.answered)),
            )
            .where(*_in_days(StatsHour, part))
            .group_by(col(StatsHour.day), col(StatsHour.hour))
        ).all()
        for day, hour, offered, answered in rows:
            cell = cells.setdefault((day.isoweekday(), int(hour)), [0, 0])
            cell[0] += int(offered)
            cell[1] += int(answered)
    if part.raw is not None:
        for weekday, hour, offered, answered in metrics.hour_weekday(
            session=session, scope=part.raw
        ):
            cell = cells.setdefault((weekday, hour), [0, 0])
            cell[0] += offered
            cell[1] += answered
    return [(d, h, n, a) for (d, h), (n, a) in sorted(cells.items())]


def _rolled_counts(
    session: Session, part: Split, dimensions: Iterable[str]
) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {name: {} for name in dimensions}
    if not part.rolled:
        return found
    rows = session.execute(
        select(col(StatsCount.dimension), col(StatsCount.value), func.sum(col(StatsCount.n)))
        .where(*_in_days(StatsCount, part), col(StatsCount.dimension).in_(list(found)))
        .group_by(col(StatsCount.dimension), col(StatsCount.value))
    ).all()
    for dimension, value, n in rows:
        found[dimension][value] = int(n)
    return found


def _add(into: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    for key, n in more.items():
        into[key] = into.get(key, 0) + n
    return into


def distributions(
    *, session: Session, scope: Scope
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    part = split(session=session, scope=scope)
    rolled = _rolled_counts(session, part, (WAIT, HANDLE))
    waits, handles = rolled[WAIT], rolled[HANDLE]
    if part.raw is not None:
        raw_waits, raw_handles = metrics.distributions(session=session, scope=part.raw)
        _add(waits, dict(raw_waits))
        _add(handles, dict(raw_handles))
    return (
        [(label, waits.get(label, 0)) for label in metrics.range_labels(WAIT_EDGES)],
        [(label, handles.get(label, 0)) for label in metrics.range_labels(HANDLE_EDGES)],
    )


def note_breakdown(
    *, session: Session, scope: Scope
) -> tuple[NoteFigures, dict[str, int], dict[str, int]]:
    part = split(session=session, scope=scope)
    rolled = _rolled_counts(session, part, (Dimension.crisis_level, Dimension.call_type, FLAG))
    levels, kinds, flags = rolled[Dimension.crisis_level], rolled[Dimension.call_type], rolled[FLAG]
    figures = NoteFigures(
        notes=sum(levels.values()),
        high_risk=sum(n for level, n in levels.items() if level in HIGH_LEVELS),
        imminent=levels.get("imminent", 0),
        difficult=flags.get("difficult", 0),
        follow_up_wanted=flags.get("follow_up_wanted", 0),
        counselling=sum(n for kind, n in kinds.items() if kind in COUNSELLING),
    )
    if part.raw is not None:
        raw, raw_levels, raw_kinds = metrics.note_breakdown(session=session, scope=part.raw)
        for name in NoteFigures.__dataclass_fields__:
            setattr(figures, name, getattr(figures, name) + getattr(raw, name))
        _add(levels, raw_levels)
        _add(kinds, raw_kinds)
    return figures, levels, kinds


def counts_by(*, session: Session, scope: Scope, dimension: Dimension) -> dict[str, int]:
    if dimension is Dimension.caller_area:
        figures = totals(session=session, scope=scope)
        areas = {
            "local": figures.local,
            "out_of_area": figures.out_of_area,
            "unknown": figures.offered - figures.local - figures.out_of_area,
        }
        return {area: n for area, n in areas.items() if n}
    part = split(session=session, scope=scope)
    counts = _rolled_counts(session, part, (dimension.value,))[dimension.value]
    if part.raw is not None:
        _add(counts, metrics.counts_by(session=session, scope=part.raw, dimension=dimension))
    return counts
