"""Turning a supervisor's filters (line, local dates, month) into a metrics scope, and the
statistics page's whole data set."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hotline.errors import DomainError
from hotline.followups.metrics import follow_up_figures
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.notes.models import IssueCategory
from hotline.referrals.metrics import referral_figures
from hotline.stats import metrics, rollup
from hotline.stats.metrics import Bucket, Dimension, Scope

DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_DAYS = 366 * 2
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DEFAULT_DAYS = 30
# The groupings a period's series may have on the page (the API's calls also by hour, weekday).
PAGE_BUCKETS = (Bucket.day, Bucket.week, Bucket.month, Bucket.quarter)


class StatsError(DomainError):
    """Filters the statistics cannot take: 404 for a line that does not exist, else 422."""

    status = 422
    messages = {
        "no_line": N_("There is no such line."),
        "bad_period": N_("The period must end on or after the day it starts."),
        "period_too_long": N_("Choose a period of at most two years."),
        "bad_month": N_("Give the month as YYYY-MM."),
        "bad_filter": N_("Check the filters: a date as YYYY-MM-DD, a listed line and grouping."),
    }
    fallback = N_("Something went wrong. Please try again.")

    def __init__(
        self,
        code: str,
        status: int | None = None,
        *,
        errors: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if status is None and code == "no_line":
            status = 404
        super().__init__(code, status, errors=errors, params=params)


@dataclass(frozen=True)
class Filters:
    """A supervisor's choice: one line (None: every line), local days, and a grouping."""

    line_id: int | None
    first_day: date
    last_day: date
    bucket: Bucket

    def detail(self) -> str:
        """What the audit log keeps of it."""
        line = "all" if self.line_id is None else str(self.line_id)
        return f"line={line} {self.first_day}..{self.last_day} by {self.bucket.value}"


def parse_filters(
    *,
    session: Session,
    line: str | None,
    start: str | None,
    end: str | None,
    bucket: str | None,
    now: datetime,
) -> Filters:
    """The filters as given in a query; left out, the last `DEFAULT_DAYS` days up to today (the
    line's today) or from the start given, grouped by day."""
    try:
        line_id = int(line) if line else None
        chosen = Bucket(bucket) if bucket else Bucket.day
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError as error:
        raise StatsError("bad_filter") from error
    if chosen not in PAGE_BUCKETS:
        raise StatsError("bad_filter")
    _line, zone = zone_of(session=session, line_id=line_id)
    today = now.astimezone(ZoneInfo(zone)).date()
    last = last or (today if first is None else first + timedelta(days=DEFAULT_DAYS - 1))
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    return Filters(line_id=line_id, first_day=first, last_day=last, bucket=chosen)


def scope_of(*, session: Session, filters: Filters) -> Scope:
    return period_scope(
        session=session,
        line_id=filters.line_id,
        first_day=filters.first_day,
        last_day=filters.last_day,
    )


def category_labels(*, session: Session, locale: str) -> dict[str, str]:
    """The problem categories' names in `locale` ("zh_CN" or English), by id."""
    return {
        str(c.id): (c.label_zh if locale == "zh_CN" else c.label_en)
        for c in session.exec(select(IssueCategory).order_by(col(IssueCategory.sort)))
    }


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
        "by_channel": [f.public() for f in rollup.by_channel(session=session, scope=scope)],
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
        "referrals": referral_figures(session=session, scope=scope).public(),
    }
