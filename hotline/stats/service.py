"""Turning a supervisor's filters (line, local dates, month) into a metrics scope, and the
statistics page's whole data set."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hotline.followups.metrics import follow_up_figures
from hotline.lines.models import Line
from hotline.stats import metrics, rollup
from hotline.stats.metrics import Bucket, Dimension, Scope

DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_DAYS = 366 * 2
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class StatsError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def lines_of(*, session: Session) -> list[Line]:
    return list(session.exec(select(Line).order_by(col(Line.number))))


def zone_of(*, session: Session, line_id: int | None) -> tuple[Line | None, str]:
    """The line (None for every line) and the zone to count days in: the line's own, or for all
    lines the zone of the first line (lines of one service share a zone)."""
    if line_id is not None:
        line = session.get(Line, line_id)
        if line is None:
            raise StatsError("no_line")
        return line, line.timezone
    first = session.exec(select(Line).order_by(col(Line.id))).first()
    return None, first.timezone if first is not None else DEFAULT_TIMEZONE


def _utc(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


def period_scope(
    *, session: Session, line_id: int | None, first_day: date, last_day: date
) -> Scope:
    """From the start of `first_day` to the end of `last_day`, local time of the line."""
    if last_day < first_day:
        raise StatsError("bad_period")
    if (last_day - first_day).days > MAX_DAYS:
        raise StatsError("period_too_long")
    _line, zone = zone_of(session=session, line_id=line_id)
    return Scope(
        start=_utc(first_day, zone),
        end=_utc(last_day + timedelta(days=1), zone),
        line_id=line_id,
        timezone=zone,
    )


def parse_month(month: str) -> date:
    match = MONTH_PATTERN.match(month)
    if match is None:
        raise StatsError("bad_month")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_scope(*, session: Session, line_id: int | None, month: str) -> Scope:
    first = parse_month(month)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return period_scope(
        session=session,
        line_id=line_id,
        first_day=first,
        last_day=following - timedelta(days=1),
    )


def overview(*, session: Session, scope: Scope, bucket: Bucket) -> dict[str, Any]:
    """Everything the statistics page shows, as plain JSON-ready data.

    The call and note figures come from the daily roll-up for settled days and from the calls
    themselves for the rest (`rollup`); escalations and staff from their small tables."""
    series = rollup.call_figures(session=session, scope=scope, bucket=bucket)
    totals = metrics.combined(series)
    by_hour = {h: [0, 0] for h in range(24)}
    by_weekday = {d: [0, 0] for d in range(1, 8)}
    for weekday, hour, offered, answered in rollup.hour_weekday(session=session, scope=scope):
        for slot in (by_hour[hour], by_weekday[weekday]):
            slot[0] += offered
            slot[1] += answered
    waits, handles = rollup.distributions(session=session, scope=scope)
    notes, levels, kinds = rollup.note_breakdown(session=session, scope=scope)
    areas = {"local": totals.local, "out_of_area": totals.out_of_area}
    areas["unknown"] = totals.offered - totals.local - totals.out_of_area
    return {
        "totals": totals.public(),
        "series": [f.public() for f in series],
        "by_hour": [{"key": h, "offered": v[0], "answered": v[1]} for h, v in by_hour.items()],
        "by_weekday": [
            {"key": d, "offered": v[0], "answered": v[1]} for d, v in by_weekday.items()
        ],
        "wait_distribution": waits,
        "handle_distribution": handles,
        "notes": notes.public(),
        "counts": {
            Dimension.crisis_level.value: levels,
            Dimension.call_type.value: kinds,
            Dimension.category.value: rollup.counts_by(
                session=session, scope=scope, dimension=Dimension.category
            ),
            Dimension.population_group.value: rollup.counts_by(
                session=session, scope=scope, dimension=Dimension.population_group
            ),
            Dimension.caller_area.value: {k: v for k, v in areas.items() if v},
        },
        "escalations": metrics.escalation_figures(session=session, scope=scope).public(),
        "staff_on_duty": metrics.staff_on_duty(session=session, scope=scope),
        "follow_ups": follow_up_figures(session=session, scope=scope).public(),
    }
