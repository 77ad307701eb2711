"""The statistics page for supervisors and admins, and its exports: the monthly report as XLSX
and CSV (built in `hotline.stats.report`).

Every view and every export is written to the audit log (who, which line and period). Filters the
page cannot take show the default period with the reason and a 422; a report asked for with
ones it cannot take is a `StatsError` for the error handler.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import Session

from agent_console.kit.render import remember_locale, render, translator
from agent_console.stats.views import (
    AREA_LABELS,
    BUCKET_LABELS,
    UNSET,
    WEEKDAY_LABELS,
    charts_of,
)
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import RequirePageRole
from hotline.auth.models import Role, User
from hotline.calls.labels import CHANNEL_LABELS
from hotline.db import SessionDep
from hotline.i18n import gettext_for
from hotline.notes import choices as note_choices
from hotline.notes.models import ChoiceKind
from hotline.notes.options import CALL_TYPES, LEVEL_LABELS, REFERRAL_KINDS
from hotline.referrals.labels import STATUS_LABELS
from hotline.stats import archive, report
from hotline.stats import service as stats
from hotline.stats.service import StatsError

router = APIRouter(tags=["stats"])
REVIEWERS = (Role.supervisor, Role.admin)
Reviewer = Annotated[User, Depends(RequirePageRole(*REVIEWERS))]
LineQ = Annotated[str | None, Query(max_length=12)]
DayQ = Annotated[str | None, Query(max_length=10)]
BucketQ = Annotated[str | None, Query(max_length=10)]
MonthQ = Annotated[str | None, Query(min_length=7, max_length=7)]
# A quarter (2026-Q1) or half-year (2026-H1) instead of a month: with the period before beside it.
PeriodQ = Annotated[str | None, Query(min_length=7, max_length=7)]


def _locale(request: Request, user: User) -> str:
    """The language of the page's names and the report: the one chosen, else the user's."""
    locale = request.session.get("locale") or user.locale
    return "zh_CN" if locale == "zh_CN" else "en"


@router.get("/supervisor/stats", include_in_schema=False)
def stats_page(
    request: Request,
    user: Reviewer,
    session: SessionDep,
    line: LineQ = None,
    start: DayQ = None,
    end: DayQ = None,
    bucket: BucketQ = None,
) -> Response:
    remember_locale(request)
    _ = translator(request, user)
    now = request.app.state.clock.now()
    error = None
    lines = stats.lines_of(session=session)
    try:
        filters = stats.parse_filters(
            session=session, line=line, start=start, end=end, bucket=bucket, now=now
        )
        scope = stats.scope_of(session=session, filters=filters)
    except StatsError as problem:
        error = problem.message(_)
        filters = stats.parse_filters(
            session=session, line=None, start=None, end=None, bucket=None, now=now
        )
        scope = stats.scope_of(session=session, filters=filters)
    data = stats.overview(session=session, scope=scope, bucket=filters.bucket)
    categories = stats.category_labels(session=session, locale=_locale(request, user))
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
        charts=charts_of(data, _),
        buckets=BUCKET_LABELS,
        weekday_labels=WEEKDAY_LABELS,
        level_labels={**LEVEL_LABELS, **UNSET},
        call_type_labels={**CALL_TYPES, **UNSET},
        group_labels=note_choices.labels(
            session=session,
            kind=ChoiceKind.population_group,
            zh=_locale(request, user) == "zh_CN",
        ),
        area_labels=AREA_LABELS,
        channel_labels={channel.value: label for channel, label in CHANNEL_LABELS.items()},
        category_labels=categories,
        referral_kind_labels=REFERRAL_KINDS,
        referral_status_labels=STATUS_LABELS,
        month=filters.last_day.strftime("%Y-%m"),
    )


# --- the monthly report -----------------------------------------------------------------------


def _report(
    request: Request,
    session: Session,
    user: User,
    line: str | None,
    month: str | None,
    period: str | None,
    kind: str,
) -> Response:
    locale = _locale(request, user)
    _ = gettext_for(locale)
    try:
        line_id = int(line) if line else None
    except ValueError as error:
        raise StatsError("bad_filter") from error
    found, _zone = stats.zone_of(session=session, line_id=line_id)
    line_name = found.name if found is not None else _("All lines")
    if period is not None:
        chosen = archive.parse(period)
        month = chosen.label
        rows = report.period_rows(
            session=session, period=chosen, line_id=line_id, line_name=line_name, locale=locale
        )
    elif month is not None:
        scope = stats.month_scope(session=session, line_id=line_id, month=month)
        rows = report.build_rows(
            session=session, scope=scope, month=month, line_name=line_name, locale=locale
        )
    else:
        raise StatsError("bad_month")
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


@router.get("/supervisor/stats/report.xlsx", include_in_schema=False)
def report_xlsx(
    request: Request,
    user: Reviewer,
    session: SessionDep,
    month: MonthQ = None,
    period: PeriodQ = None,
    line: LineQ = None,
) -> Response:
    return _report(request, session, user, line, month, period, "xlsx")


@router.get("/supervisor/stats/report.csv", include_in_schema=False)
def report_csv(
    request: Request,
    user: Reviewer,
    session: SessionDep,
    month: MonthQ = None,
    period: PeriodQ = None,
    line: LineQ = None,
) -> Response:
    return _report(request, session, user, line, month, period, "csv")
