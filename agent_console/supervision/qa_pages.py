"""/supervisor/qa: each line's sampling rule (editable), the contacts it marks for review and
which are overdue, and each counselor's review scores by month with their trend."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from agent_console.kit.render import remember_locale, render, translator
from agent_console.review.views import local_time
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import User
from hotline.db import SessionDep
from hotline.review import service as review
from hotline.supervision import qa
from hotline.supervision import service as supervision

router = APIRouter(tags=["supervision"])
Supervising = Annotated[User, Depends(RequirePageRole(*supervision.SUPERVISORS))]


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _page(
    request: Request,
    session: Session,
    user: User,
    *,
    failed_line: int | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    tz = review.zone_of(session=session, line_id=None)
    now = _now(request)
    marked = qa.sampled(session=session, now=now)
    return render(
        request,
        "supervision_qa.html",
        user=user,
        rules=qa.rules(session=session),
        sampled=marked,
        overdue=[s for s in marked if s.overdue],
        trends=qa.trends(session=session, now=now, tz=tz),
        months=qa.month_labels(now, tz),
        failed_line=failed_line,
        values=values or {},
        errors=errors or {},
        saved=request.query_params.get("saved") == "1",
        when=local_time(tz),
        status_code=status_code,
    )


@router.get("/supervisor/qa", include_in_schema=False)
def qa_page(request: Request, user: Supervising, session: SessionDep) -> Response:
    remember_locale(request)
    record_request(
        request, action=AuditAction.view, object_type="qa_overview", user=user, session=session
    )
    return _page(request, session, user)


@router.post("/supervisor/qa/rules/{line_id}", include_in_schema=False)
async def save_rule(
    line_id: int, request: Request, user: Supervising, session: SessionDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    values = {
        "percent": str(form.get("percent") or ""),
        "days": str(form.get("days") or ""),
        "high_risk": "1" if form.get("every_high_risk") else "",
    }
    try:
        before, rule = qa.set_rule(
            session=session,
            line_id=line_id,
            percent=values["percent"],
            every_high_risk=bool(values["high_risk"]),
            review_within_days=values["days"],
            actor=user,
            now=_now(request),
        )
    except qa.QaError as failure:
        if failure.status == 404:
            raise
        _ = translator(request, user)
        errors = {k: failure.text_for(code, _) for k, code in failure.errors.items()}
        return _page(
            request,
            session,
            user,
            failed_line=line_id,
            values=values,
            errors=errors,
            status_code=422,
        )
    record_request(
        request,
        action=AuditAction.edit,
        object_type="qa_sampling_rule",
        object_id=line_id,
        user=user,
        detail=f"before: {before}; after: {qa.describe(rule)}",
        session=session,
    )
    return RedirectResponse("/supervisor/qa?saved=1", status_code=303)
