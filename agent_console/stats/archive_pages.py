"""The report archive (立卷归档) for supervisors and admins: the filed reports with the chain's
check, filing a period that is over, and each filed report as XLSX, CSV or a printable PDF in
either language. Filing and every download are in the audit log.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request, Response
from sqlmodel import Session

from agent_console.kit.render import render, translator
from agent_console.stats.pages import Reviewer
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import check_csrf
from hotline.auth.models import User
from hotline.db import SessionDep
from hotline.i18n import gettext_for
from hotline.stats import archive, pdf, report
from hotline.stats import service as stats
from hotline.stats.archive import ArchiveError
from hotline.stats.models import FiledReport
from hotline.stats.periods import PeriodKind

router = APIRouter(tags=["stats"])
Text = Annotated[str, Form(max_length=12)]
CsrfToken = Annotated[str | None, Form()]
FORMATS = {
    "xlsx": report.XLSX_TYPE,
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


def _key(request: Request) -> bytes:
    return archive.signing_key(request.app.state.settings.secret_key)


def _page(
    request: Request,
    session: Session,
    user: User,
    *,
    error: str | None = None,
    notice: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    kind = request.query_params.get("kind")
    shown_kind = kind if kind in {k.value for k in PeriodKind} else None
    return render(
        request,
        "reports.html",
        user=user,
        status_code=422 if error else 200,
        error=error,
        notice=notice,
        values=values or {"period": "", "line": ""},
        records=archive.listing(session=session, kind=shown_kind),
        kind=shown_kind,
        verdict=archive.verify(session=session, key=_key(request)),
        lines=stats.lines_of(session=session),
        when=lambda value: value.strftime("%Y-%m-%d %H:%M UTC"),
    )


@router.get("/supervisor/reports", include_in_schema=False)
def reports_page(request: Request, user: Reviewer, session: SessionDep) -> Response:
    return _page(request, session, user)


@router.post("/supervisor/reports", include_in_schema=False)
def file_now(
    request: Request,
    user: Reviewer,
    session: SessionDep,
    period: Text = "",
    line: Text = "",
    csrf_token: CsrfToken = None,
) -> Response:
    """File a period that is over now, instead of waiting for the hourly run."""
    check_csrf(request, csrf_token)
    _ = translator(request, user)
    values = {"period": period, "line": line}
    now = request.app.state.clock.now()
    try:
        line_id = int(line) if line else None
    except ValueError:
        return _page(request, session, user, error=_("There is no such line."), values=values)
    try:
        chosen = archive.parse(period)
        _found, zone = stats.zone_of(session=session, line_id=line_id)
        record = archive.file_report(
            session=session,
            period=chosen,
            line_id=line_id,
            now=now,
            today=now.astimezone(ZoneInfo(zone)).date(),
            key=_key(request),
            filed_by=user.display_name,
        )
    except (ArchiveError, stats.StatsError) as problem:
        return _page(request, session, user, error=problem.message(_), values=values)
    record_request(
        request,
        action=AuditAction.edit,
        object_type="filed_report",
        object_id=str(record.id),
        user=user,
        detail=f"{record.period} line={line_id or 'all'}",
        session=session,
    )
    notice = _("The report of %(period)s is filed.") % {"period": record.period}
    return _page(request, session, user, notice=notice)


def _title(record: FiledReport, locale: str) -> str:
    _ = gettext_for(locale)
    line = record.line_name if record.line_key else report.all_lines_name(locale)
    return _("Report %(period)s, %(line)s") % {"period": record.period, "line": line}


@router.get("/supervisor/reports/{report_id}.{fmt}", include_in_schema=False)
def download(
    request: Request,
    user: Reviewer,
    session: SessionDep,
    report_id: int,
    fmt: str,
    lang: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    if fmt not in FORMATS:
        raise ArchiveError("no_report")
    record = archive.get(session=session, report_id=report_id)
    locale = lang if lang in archive.LOCALES else ("zh_CN" if user.locale == "zh_CN" else "en")
    _ = gettext_for(locale)
    rows = archive.rows_of(record, locale)
    title = _title(record, locale)
    if fmt == "xlsx":
        body = report.to_xlsx(rows, locale, record.period)
    elif fmt == "csv":
        body = report.to_csv(rows, locale)
    else:
        footer = _("Filed %(when)s. Record %(seq)s of the archive, digest %(digest)s.") % {
            "when": record.filed_at.strftime("%Y-%m-%d %H:%M UTC"),
            "seq": record.seq,
            "digest": record.digest,
        }
        body = pdf.to_pdf(rows, locale=locale, title=title, footer=footer)
    record_request(
        request,
        action=AuditAction.export,
        object_type="filed_report",
        object_id=str(record.id),
        user=user,
        detail=f"{record.period} {fmt} {locale}",
        session=session,
    )
    name = f"hotline-report-{record.period}-{record.line_key or 'all'}-{locale}.{fmt}"
    return Response(
        body,
        media_type=FORMATS[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
