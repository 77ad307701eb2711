"""Statistics for supervisors and admins: the page, its JSON API, and the monthly report files.

Every view and every export is written to the audit log (who, which line and period)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from markupsafe import Markup
from sqlmodel import Session, col, select

from agent_console.kit.render import remember_locale, render, translator
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import require_role, user_from_connection
from hotline.auth.models import Role, User
from hotline.db import Database
from hotline.i18n import gettext_for
from hotline.notes.models import IssueCategory
from hotline.notes.options import CALL_TYPES, LEVEL_LABELS, POPULATION_GROUPS
from hotline.stats import charts, metrics, report, rollup
from hotline.stats import service as stats
from hotline.stats.metrics import Bucket, Dimension, Scope
from hotline.stats.service import StatsError

router = APIRouter(tags=["stats"])
REVIEWERS = (Role.supervisor, Role.admin)
Reviewer = Annotated[User, require_role(*REVIEWERS)]
DEFAULT_DAYS = 30


def N_(message: str) -> str:
    return message


WEEKDAY_LABELS = (
    N_("Mon"),
    N_("Tue"),
    N_("Wed"),
    N_("Thu"),
    N_("Fri"),
    N_("Sat"),
    N_("Sun"),
)
BUCKET_LABELS = {
    Bucket.day: N_("Day"),
    Bucket.week: N_("Week"),
    Bucket.month: N_("Month"),
    Bucket.quarter: N_("Quarter"),
}
UNSET = {"unset": N_("Not recorded")}
AREA_LABELS = {
    "local": N_("Local"),
    "out_of_area": N_("Out of area"),
    "unknown": N_("Not known"),
}


@dataclass(frozen=True)
class Filters:
    line_id: int | None
    first_day: date
    last_day: date
    bucket: Bucket

    def detail(self) -> str:
        line = "all" if self.line_id is None else str(self.line_id)
        return f"line={line} {self.first_day}..{self.last_day} by {self.bucket.value}"


def _db(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def error_message(_: Callable[[str], str], code: str) -> str:
    return {
        "no_line": _("There is no such line."),
        "bad_period": _("The period must end on or after the day it starts."),
        "period_too_long": _("Choose a period of at most two years."),
        "bad_month": _("Give the month as YYYY-MM."),
        "bad_filter": _("Check the filters: a date as YYYY-MM-DD, a listed line and grouping."),
    }.get(code, _("Something went wrong. Please try again."))


def _filters(
    request: Request,
    *,
    session: Session,
    line: str | None,
    start: str | None,
    end: str | None,
    bucket: str | None,
) -> Filters:
    try:
        line_id = int(line) if line else None
        chosen = Bucket(bucket) if bucket else Bucket.day
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError as error:
        raise StatsError("bad_filter") from error
    if chosen not in BUCKET_LABELS:
        raise StatsError("bad_filter")
    _line, zone = stats.zone_of(session=session, line_id=line_id)
    today = request.app.state.clock.now().astimezone(ZoneInfo(zone)).date()
    last = last or (today if first is None else first + timedelta(days=DEFAULT_DAYS - 1))
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    return Filters(line_id=line_id, first_day=first, last_day=last, bucket=chosen)


def _scope(session: Session, filters: Filters) -> Scope:
    return stats.period_scope(
        session=session,
        line_id=filters.line_id,
        first_day=filters.first_day,
        last_day=filters.last_day,
    )


def _fail(user: User, error: StatsError) -> JSONResponse:
    _ = gettext_for(user.locale)
    status = 404 if error.code == "no_line" else 422
    return JSONResponse(
        {"code": error.code, "detail": error_message(_, error.code)}, status_code=status
    )


# --- JSON API ---------------------------------------------------------------------------------


def _api(
    request: Request,
    user: User,
    what: str,
    params: dict[str, str | None],
    compute: Callable[[Session, Scope, Filters], Any],
) -> Response:
    with _db(request).session() as session:
        try:
            filters = _filters(request, session=session, **params)
            scope = _scope(session, filters)
        except StatsError as error:
            return _fail(user, error)
        data = compute(session, scope, filters)
        record_request(
            request,
            action=AuditAction.view,
            object_type="statistics",
            object_id=what,
            user=user,
            detail=filters.detail(),
            session=session,
        )
    return JSONResponse(
        {
            "line_id": filters.line_id,
            "start": filters.first_day.isoformat(),
            "end": filters.last_day.isoformat(),
            "bucket": filters.bucket.value,
            "timezone": scope.timezone,
            **data,
        }
    )


LineQ = Annotated[str | None, Query(max_length=12)]
DayQ = Annotated[str | None, Query(max_length=10)]
BucketQ = Annotated[str | None, Query(max_length=10)]


@router.get("/api/stats/overview")
def api_overview(
    request: Request,
    user: Reviewer,
    line: LineQ = None,
    start: DayQ = None,
    end: DayQ = None,
    bucket: BucketQ = None,
) -> Response:
    """Every figure of the statistics page for one line (or all) and period."""
    return _api(
        request,
        user,
        "overview",
        {"line": line, "start": start, "end": end, "bucket": bucket},
        lambda session, scope, filters: stats.overview(
            session=session, scope=scope, bucket=filters.bucket
        ),
    )


@router.get("/api/stats/calls")
def api_calls(
    request: Request,
    user: Reviewer,
    line: LineQ = None,
    start: DayQ = None,
    end: DayQ = None,
    bucket: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """Call figures a day, week, month, quarter, hour of day (0-23) or ISO weekday (1-7)."""

    def compute(session: Session, scope: Scope, filters: Filters) -> dict[str, Any]:
        chosen = Bucket(bucket) if bucket else filters.bucket
        return {
            "series": [
                f.public() for f in rollup.call_figures(session=session, scope=scope, bucket=chosen)
            ]
        }

    if bucket is not None and bucket not in {b.value for b in Bucket}:
        return _fail(user, StatsError("bad_filter"))
    params = {"line": line, "start": start, "end": end, "bucket": None}
    return _api(request, user, "calls", params, compute)


@router.get("/api/stats/counts/{dimension}")
def api_counts(
    dimension: Dimension,
    request: Request,
    user: Reviewer,
    line: LineQ = None,
    start: DayQ = None,
    end: DayQ = None,
) -> Response:
    """Calls by caller area, or submitted notes by crisis level, call type, category or group."""
    return _api(
        request,
        user,
        f"counts:{dimension.value}",
        {"line": line, "start": start, "end": end, "bucket": None},
        lambda session, scope, _f: {
            "counts": rollup.counts_by(session=session, scope=scope, dimension=dimension)
        },
    )


@router.get("/api/stats/escalations")
def api_escalations(
    request: Request, user: Reviewer, line: LineQ = None, start: DayQ = None, end: DayQ = None
) -> Response:
    return _api(
        request,
        user,
        "escalations",
        {"line": line, "start": start, "end": end, "bucket": None},
        lambda session, scope, _f: {
            "escalations": metrics.escalation_figures(session=session, scope=scope).public()
        },
    )


# --- the page ---------------------------------------------------------------------------------


def _page_user(request: Request) -> User | Response:
    user = user_from_connection(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.role not in REVIEWERS:
        raise HTTPException(status_code=403, detail="not allowed for your role")
    return user


def _category_labels(session: Session, locale: str) -> dict[str, str]:
    return {
        str(c.id): (c.label_zh if locale == "zh_CN" else c.label_en)
        for c in session.exec(select(IssueCategory).order_by(col(IssueCategory.sort)))
    }


def _charts(data: dict[str, Any], _: Callable[[str], str]) -> dict[str, Markup]:
    series = data["series"]
    labels = [str(row["key"]) for row in series]
    hours = {row["key"]: row["offered"] for row in data["by_hour"]}
    weekdays = {row["key"]: row["offered"] for row in data["by_weekday"]}
    return {
        "trend": charts.line_chart(
            _("Calls received and handled"),
            labels,
            [
                (_("Calls received"), [row["offered"] for row in series]),
                (_("Calls handled"), [row["answered"] for row in series]),
            ],
        ),
        "rates": charts.line_chart(
            _("Answer rate and service level (%)"),
            labels,
            [
                (
                    _("Answer rate"),
                    [None if r["answer_rate"] is None else 100 * r["answer_rate"] for r in series],
                ),
                (
                    _("Answered within 20 seconds"),
                    [
                        None if r["service_level_20"] is None else 100 * r["service_level_20"]
                        for r in series
                    ],
                ),
            ],
        ),
        "hours": charts.bar_chart(
            _("Calls by hour of the day"),
            [f"{h:02d}" for h in range(24)],
            [hours.get(h, 0) for h in range(24)],
        ),
        "weekdays": charts.bar_chart(
            _("Calls by day of the week"),
            [_(label) for label in WEEKDAY_LABELS],
            [weekdays.get(d, 0) for d in range(1, 8)],
        ),
        "waits": charts.bar_chart(
            _("Waiting time of answered calls (seconds)"),
            [label for label, _n in data["wait_distribution"]],
            [n for _label, n in data["wait_distribution"]],
        ),
        "handles": charts.bar_chart(
            _("Handle time (seconds)"),
            [label for label, _n in data["handle_distribution"]],
            [n for _label, n in data["handle_distribution"]],
        ),
    }


@router.get("/supervisor/stats", include_in_schema=False)
def stats_page(
    request: Request,
    line: LineQ = None,
    start: DayQ = None,
    end: DayQ = None,
    bucket: BucketQ = None,
) -> Response:
    remember_locale(request)
    checked = _page_user(request)
    if isinstance(checked, Response):
        return checked
    user = checked
    _ = translator(request, user)
    error = None
    with _db(request).session() as session:
        lines = stats.lines_of(session=session)
        try:
            filters = _filters(
                request, session=session, line=line, start=start, end=end, bucket=bucket
            )
            scope = _scope(session, filters)
        except StatsError as problem:
            error = error_message(_, problem.code)
            filters = _filters(
                request, session=session, line=None, start=None, end=None, bucket=None
            )
            scope = _scope(session, filters)
        data = stats.overview(session=session, scope=scope, bucket=filters.bucket)
        locale = request.session.get("locale") or user.locale
        categories = _category_labels(session, "zh_CN" if locale == "zh_CN" else "en")
        record_request(
            request,
            action=AuditAction.view,
            object_type="statistics",
            object_id="page",
            user=user,
            detail=filters.detail(),
            session=session,
        )
    return render(
        request,
        "stats.html",
        user=user,
        status_code=422 if error else 200,
        error=error,
        filters=filters,
        lines=lines,
        data=data,
        charts=_charts(data, _),
        buckets=BUCKET_LABELS,
        weekday_labels=WEEKDAY_LABELS,
        level_labels={**LEVEL_LABELS, **UNSET},
        call_type_labels={**CALL_TYPES, **UNSET},
        group_labels=POPULATION_GROUPS,
        area_labels=AREA_LABELS,
        category_labels=categories,
        month=filters.last_day.strftime("%Y-%m"),
    )


# --- the monthly report -----------------------------------------------------------------------


def _report(request: Request, line: str | None, month: str, kind: str) -> Response:
    checked = _page_user(request)
    if isinstance(checked, Response):
        return checked
    user = checked
    locale = request.session.get("locale") or user.locale
    locale = "zh_CN" if locale == "zh_CN" else "en"
    _ = gettext_for(locale)
    with _db(request).session() as session:
        try:
            line_id = int(line) if line else None
        except ValueError:
            return _fail(user, StatsError("bad_filter"))
        try:
            scope = stats.month_scope(session=session, line_id=line_id, month=month)
            found, _zone = stats.zone_of(session=session, line_id=line_id)
        except StatsError as error:
            return _fail(user, error)
        line_name = found.name if found is not None else _("All lines")
        rows = report.build_rows(
            session=session, scope=scope, month=month, line_name=line_name, locale=locale
        )
        record_request(
            request,
            action=AuditAction.export,
            object_type="monthly_report",
            object_id=month,
            user=user,
            detail=f"line={line_id or 'all'} {kind}",
            session=session,
        )
    suffix = f"{month}" + (f"-line{line_id}" if line_id is not None else "")
    if kind == "xlsx":
        body = report.to_xlsx(rows, locale, _("Monthly report"))
        media = report.XLSX_TYPE
    else:
        body = report.to_csv(rows, locale)
        media = "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="hotline-report-{suffix}.{kind}"',
            "Cache-Control": "no-store",
        },
    )


MonthQ = Annotated[str, Query(min_length=7, max_length=7)]


@router.get("/supervisor/stats/report.xlsx", include_in_schema=False)
def report_xlsx(request: Request, month: MonthQ, line: LineQ = None) -> Response:
    return _report(request, line, month, "xlsx")


@router.get("/supervisor/stats/report.csv", include_in_schema=False)
def report_csv(request: Request, month: MonthQ, line: LineQ = None) -> Response:
    return _report(request, line, month, "csv")
