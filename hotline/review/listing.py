"""What the supervisors' lists and their CSV exports share: the filters read from the query
string (strictly, `hotline.query_filters`), the choices of the filter forms, and how times are
written. The pages are `agent_console/review/pages.py`; the exports `hotline/review/api.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hotline.auth.models import Role, User
from hotline.escalation.models import EscalationStatus
from hotline.escalation.service import OUTCOMES
from hotline.lines.models import Line
from hotline.notes.models import IssueCategory
from hotline.query_filters import choice_filter, date_filter, id_filter
from hotline.review import service as review
from hotline.risk.triage import LEVEL_ORDER

# The filters of each list: only these (known, non-sensitive) go into its audit entry.
SHIFT_KEYS = ("from", "to", "line", "person")
ESCALATION_KEYS = ("from", "to", "line", "level", "status", "outcome")
CALL_KEYS = ("from", "to", "line", "level", "category", "person", "marked")
LEVEL_KEYS = tuple(level.value for level in LEVEL_ORDER)
ESCALATION_STATUS_KEYS = ("open", *(s.value for s in EscalationStatus))


def filters_text(params: Mapping[str, str], keys: Iterable[str]) -> str:
    """The filters used, for the audit log: only the known, non-sensitive keys."""
    return urlencode({k: params[k] for k in keys if params.get(k)})


def iso(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def hms(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = round(seconds)
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


@dataclass(frozen=True)
class ShiftQuery:
    """The shift log's period (the last 7 local days unless chosen), line and person."""

    start: date
    end: date
    line_id: int | None
    user_id: int | None
    tz: ZoneInfo


def shift_query(params: Mapping[str, str], *, session: Session, now: datetime) -> ShiftQuery:
    line_id = id_filter(params, "line")
    tz = review.zone_of(session=session, line_id=line_id)
    end = date_filter(params, "to") or now.astimezone(tz).date()
    start = date_filter(params, "from") or end - timedelta(days=6)
    return ShiftQuery(
        start=start, end=end, line_id=line_id, user_id=id_filter(params, "person"), tz=tz
    )


def shift_rows(query: ShiftQuery, *, session: Session, now: datetime) -> list[review.ShiftRow]:
    """The shift log's rows (`ReviewError` for a period it cannot show)."""
    return review.shift_log(
        session=session,
        start=query.start,
        end=query.end,
        now=now,
        line_id=query.line_id,
        user_id=query.user_id,
    )


def escalation_filter(
    params: Mapping[str, str], *, session: Session
) -> tuple[review.EscalationFilter, ZoneInfo]:
    line_id = id_filter(params, "line")
    tz = review.zone_of(session=session, line_id=line_id)
    start, end = date_filter(params, "from"), date_filter(params, "to")
    return (
        review.EscalationFilter(
            since=review.day_bounds(start, tz)[0] if start else None,
            until=review.day_bounds(end, tz)[1] if end else None,
            line_id=line_id,
            level=choice_filter(params, "level", LEVEL_KEYS),
            status=choice_filter(params, "status", ESCALATION_STATUS_KEYS),
            outcome=choice_filter(params, "outcome", OUTCOMES),
        ),
        tz,
    )


def call_filter(
    params: Mapping[str, str], *, session: Session
) -> tuple[review.CallFilter, ZoneInfo]:
    line_id = id_filter(params, "line")
    tz = review.zone_of(session=session, line_id=line_id)
    start, end = date_filter(params, "from"), date_filter(params, "to")
    return (
        review.CallFilter(
            since=review.day_bounds(start, tz)[0] if start else None,
            until=review.day_bounds(end, tz)[1] if end else None,
            line_id=line_id,
            crisis_level=choice_filter(params, "level", LEVEL_KEYS),
            category_id=id_filter(params, "category"),
            counselor_id=id_filter(params, "person"),
            marked=choice_filter(params, "marked", ("0", "1")) == "1",
        ),
        tz,
    )


def lines_and_people(session: Session) -> tuple[Sequence[Line], Sequence[User]]:
    """The choices of the line and person filters."""
    lines = session.exec(select(Line).order_by(col(Line.name))).all()
    people = session.exec(
        select(User)
        .where(col(User.role).in_([Role.counselor.value, Role.supervisor.value]))
        .order_by(col(User.display_name))
    ).all()
    return lines, people


def categories(session: Session, locale: str) -> list[tuple[int, str]]:
    """Every issue category as (id, "Parent › Child") in the reader's language."""
    found = session.exec(
        select(IssueCategory).order_by(col(IssueCategory.sort), col(IssueCategory.id))
    ).all()
    by_id = {c.id: c for c in found}

    def label(category: IssueCategory) -> str:
        own = category.label_zh if locale == "zh_CN" else category.label_en
        parent = by_id.get(category.parent_id) if category.parent_id else None
        return f"{label(parent)} › {own}" if parent is not None else own

    return [(c.id, label(c)) for c in found if c.id is not None]
